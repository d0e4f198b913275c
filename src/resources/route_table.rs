//! `route_table`: CreateRouteTable, tagged at creation (no client token: an earlier attempt is
//! found by its tags). Its routes and associations are separate kinds, deleted before it.
//! Read: one DescribeRouteTables for all tables. Routes and associations read the same
//! answer shape through [`describe_tables`], one call per kind.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_ec2::types::{ResourceType, RouteTable as Table};

use super::Kind;
use super::ec2 as live;
use super::tags::{self, Tagged};
use super::{Created, Found, Recorded, Request, Resource};
use crate::aws::{ApiError, Ctx, api, delete_when_free};
use crate::lang::Group;
use crate::lang::api::{ApiField, ApiMap};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{KindSpec, RefSlot, Tags};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[route_table.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteTableSpec {
    pub vpc: String,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for RouteTableSpec {
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![RefSlot::new("vpc", Kind::Vpc, "id", &mut self.vpc)]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct RouteTable;

/// Associations just removed can keep a table busy for a moment.
const SETTLE: Duration = Duration::from_secs(120);

impl Resource for RouteTable {
    type Spec = RouteTableSpec;
    const GROUP: Group = Group::Network;
    const CREATE_CALL: &'static str = "ec2:CreateRouteTable";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn"];
    live::existing_by_tags!(
        describe_route_tables,
        set_filters,
        route_table_id,
        "ec2:DescribeRouteTables",
        "rtb",
        Some("vpc-id")
    );
    const REPLACE_ON: &'static [&'static str] = &["vpc"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[ApiField::reference("vpc", "ec2", "CreateRouteTableRequest$VpcId")],
        tags: super::tags::rules::EC2,
        not_sent: &[],
    };

    async fn create(ctx: &Ctx, req: &Request<'_, RouteTableSpec>) -> Result<Created, ApiError> {
        if let Some(id) = find(ctx, req.address).await? {
            return Ok(created(ctx, &id));
        }
        let out = ctx
            .clients
            .ec2
            .create_route_table()
            .vpc_id(&req.spec.vpc)
            .tag_specifications(live::tag_spec(ResourceType::RouteTable, req.tags))
            .send()
            .await
            .map_err(api("ec2:CreateRouteTable"))?;
        let id = out
            .route_table()
            .and_then(|t| t.route_table_id())
            .ok_or_else(|| ApiError::missing("ec2:CreateRouteTable", "RouteTableId"))?;
        Ok(created(ctx, id))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, RouteTableSpec>,
        prior: &Recorded<'_, RouteTableSpec>,
    ) -> Result<Created, ApiError> {
        tags::sync(ctx, Tagged::Ec2(prior.id), prior.tags, req.tags).await?;
        Ok(created(ctx, prior.id))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, RouteTableSpec>) -> Result<(), ApiError> {
        delete_when_free(SETTLE.min(prior.timeout), prior.progress, || async {
            ctx.clients
                .ec2
                .delete_route_table()
                .route_table_id(prior.id)
                .send()
                .await
                .map_err(api("ec2:DeleteRouteTable"))
        })
        .await
    }

    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let tables = live::select(
            &ctx.stack,
            ids,
            Some("route-table-id"),
            |t: &Table| t.route_table_id(),
            |t| t.tags(),
            |select| async move {
                let call = ctx.clients.ec2.describe_route_tables();
                describe(match select {
                    live::Select::Ids(ids) => call.set_route_table_ids(Some(ids)),
                    live::Select::Filters(filters) => call.set_filters(Some(filters)),
                })
                .await
            },
        )
        .await?;
        Ok(tables
            .iter()
            .filter_map(|t| {
                Some(Found {
                    owner: live::owner(t.tags()),
                    created: created(ctx, t.route_table_id()?),
                })
            })
            .collect())
    }

    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, RouteTableSpec>],
    ) -> Result<Vec<Option<RouteTableSpec>>, ApiError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids = live::distinct(records.iter().map(|r| r.id));
        let tables = live::batched(&ids, |by, ids| async move {
            match by {
                live::By::Ids => describe(ctx.clients.ec2.describe_route_tables().set_route_table_ids(Some(ids))).await,
                live::By::Filter => describe_tables(ctx, "route-table-id", &ids).await,
            }
        })
        .await?;
        let by_id: HashMap<&str, &Table> = tables.iter().filter_map(|t| Some((t.route_table_id()?, t))).collect();
        Ok(records
            .iter()
            .map(|r| {
                let table = by_id.get(r.id)?;
                let mut spec = r.spec.clone();
                if let Some(vpc) = table.vpc_id() {
                    spec.vpc = vpc.to_string();
                }
                spec.tags = live::tags(table.tags());
                Some(spec)
            })
            .collect())
    }
}

/// The route tables matching `filter` = any of `values` (unknown values are left out, not refused).
pub(super) async fn describe_tables(ctx: &Ctx, filter: &str, values: &[String]) -> Result<Vec<Table>, ApiError> {
    live::filtered(values, |values| {
        describe(
            ctx.clients
                .ec2
                .describe_route_tables()
                .filters(live::filter(filter, values)),
        )
    })
    .await
}

/// What routes and associations are found through: for a recover (`ids` empty) the route
/// tables tagged with the stack, in one DescribeRouteTables; otherwise the tables matching
/// `filter` = any of `ids`.
pub(super) async fn tables_for_find(ctx: &Ctx, filter: &str, ids: &[String]) -> Result<Vec<Table>, ApiError> {
    if !ids.is_empty() {
        return describe_tables(ctx, filter, ids).await;
    }
    let tables = describe(
        ctx.clients
            .ec2
            .describe_route_tables()
            .filters(live::stack_filter(&ctx.stack)),
    )
    .await?;
    Ok(tables
        .into_iter()
        .filter(|t| live::in_stack(t.tags(), &ctx.stack))
        .collect())
}

async fn describe(
    call: aws_sdk_ec2::operation::describe_route_tables::builders::DescribeRouteTablesFluentBuilder,
) -> Result<Vec<Table>, ApiError> {
    call.into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(api("ec2:DescribeRouteTables"))
}

fn created(ctx: &Ctx, id: &str) -> Created {
    Created::new(id).with("arn", ctx.arn("ec2", &format!("route-table/{id}")))
}

async fn find(ctx: &Ctx, address: &str) -> Result<Option<String>, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_route_tables()
        .set_filters(Some(live::owner_filters(&ctx.stack, address)))
        .send()
        .await
        .map_err(api("ec2:DescribeRouteTables"))?;
    Ok(out
        .route_tables()
        .iter()
        .find_map(|t| t.route_table_id().map(String::from)))
}

/// `AWS::EC2::RouteTable` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::EC2::RouteTable",
    &[p("VpcId", To::Ref("vpc", "vpc")), p("Tags", TAGS)],
)
.attributes(&[("RouteTableId", "id")])];
