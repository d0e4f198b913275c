//! `route_table_association`: AssociateRouteTable, made idempotent by reusing the table's
//! existing association of the subnet. Its id is the association id (`rtbassoc-...`).
//! Read: one DescribeRouteTables filtered by the association ids; an association that is
//! `disassociated` (or no longer listed) is gone.

use std::time::Duration;

use super::Kind;
use super::ec2 as live;
use super::tags::Owner;
use super::{Created, Found, Recorded, Request, Resource};
use crate::aws::{ApiError, Ctx, api, gone_is_done, retry_transient};
use crate::lang::Group;
use crate::lang::api::{ApiField, ApiMap};
use crate::lang::cfn::{CfnType, To, p};
use crate::lang::kind::{KindSpec, RefSlot};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[route_table_association.NAME]`: associates a subnet with a route table.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteTableAssociationSpec {
    pub route_table: String,
    pub subnet: String,
}

impl KindSpec for RouteTableAssociationSpec {
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![
            RefSlot::new("route_table", Kind::RouteTable, "id", &mut self.route_table),
            RefSlot::new("subnet", Kind::Subnet, "id", &mut self.subnet),
        ]
    }
}

pub struct RouteTableAssociation;

/// How long a just-created table or subnet may be unknown to AssociateRouteTable.
const PROPAGATION: Duration = Duration::from_secs(120);

impl Resource for RouteTableAssociation {
    type Spec = RouteTableAssociationSpec;
    const GROUP: Group = Group::Network;
    const CREATE_CALL: &'static str = "ec2:AssociateRouteTable";
    const ATTRIBUTES: &'static [&'static str] = &["id", "route_table", "subnet"];
    const REPLACE_ON: &'static [&'static str] = &["route_table", "subnet"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::reference("route_table", "ec2", "AssociateRouteTableRequest$RouteTableId"),
            ApiField::reference("subnet", "ec2", "AssociateRouteTableRequest$SubnetId"),
        ],
        tags: &[],
        not_sent: &[],
    };

    async fn create(ctx: &Ctx, req: &Request<'_, RouteTableAssociationSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        if let Some(id) = find(ctx, spec).await? {
            return Ok(created(&id, spec));
        }
        let out = retry_transient(
            PROPAGATION.min(req.timeout),
            req.progress,
            |e| e.is_not_found(),
            || async {
                ctx.clients
                    .ec2
                    .associate_route_table()
                    .route_table_id(&spec.route_table)
                    .subnet_id(&spec.subnet)
                    .send()
                    .await
                    .map_err(api("ec2:AssociateRouteTable"))
            },
        )
        .await?;
        let id = out
            .association_id()
            .ok_or_else(|| ApiError::missing("ec2:AssociateRouteTable", "AssociationId"))?;
        Ok(created(id, spec))
    }

    async fn update(
        _: &Ctx,
        req: &Request<'_, RouteTableAssociationSpec>,
        prior: &Recorded<'_, RouteTableAssociationSpec>,
    ) -> Result<Created, ApiError> {
        // Both fields force replacement: nothing to change in place.
        Ok(created(prior.id, req.spec))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, RouteTableAssociationSpec>) -> Result<(), ApiError> {
        let result = ctx
            .clients
            .ec2
            .disassociate_route_table()
            .association_id(prior.id)
            .send()
            .await
            .map_err(api("ec2:DisassociateRouteTable"));
        gone_is_done(result)
    }

    /// Associations cannot be tagged: a recover finds them in the route tables tagged with the
    /// stack, an import by association id. Main associations (no subnet) are not agentfs's.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let wanted = live::distinct(ids.iter().copied());
        let tables =
            super::route_table::tables_for_find(ctx, "association.route-table-association-id", &wanted).await?;
        let mut found: Vec<Found> = Vec::new();
        for table in &tables {
            let Some(table_id) = table.route_table_id() else {
                continue;
            };
            for association in table.associations() {
                let (Some(id), Some(subnet)) = (association.route_table_association_id(), association.subnet_id())
                else {
                    continue;
                };
                if association.main() == Some(true)
                    || !live_state(association)
                    || (!ids.is_empty() && !wanted.iter().any(|w| w == id))
                    || found.iter().any(|f| f.created.id == id)
                {
                    continue;
                }
                let spec = RouteTableAssociationSpec {
                    route_table: table_id.to_string(),
                    subnet: subnet.to_string(),
                };
                found.push(Found {
                    owner: Owner::default(),
                    created: created(id, &spec),
                });
            }
        }
        Ok(found)
    }

    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, RouteTableAssociationSpec>],
    ) -> Result<Vec<Option<RouteTableAssociationSpec>>, ApiError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids = live::distinct(records.iter().map(|r| r.id));
        let tables = super::route_table::describe_tables(ctx, "association.route-table-association-id", &ids).await?;
        Ok(records
            .iter()
            .map(|r| {
                let (table, association) = tables.iter().find_map(|t| {
                    let a = t
                        .associations()
                        .iter()
                        .find(|a| a.route_table_association_id() == Some(r.id))?;
                    Some((t, a))
                })?;
                if !live_state(association) {
                    return None;
                }
                let mut spec = r.spec.clone();
                if let Some(id) = table.route_table_id() {
                    spec.route_table = id.to_string();
                }
                if let Some(subnet) = association.subnet_id() {
                    spec.subnet = subnet.to_string();
                }
                Some(spec)
            })
            .collect())
    }
}

/// Whether an association is (becoming) in effect.
fn live_state(association: &aws_sdk_ec2::types::RouteTableAssociation) -> bool {
    association
        .association_state()
        .and_then(|s| s.state())
        .is_none_or(|s| !matches!(s.as_str(), "disassociating" | "disassociated" | "failed"))
}

fn created(id: &str, spec: &RouteTableAssociationSpec) -> Created {
    Created::new(id)
        .with("route_table", spec.route_table.clone())
        .with("subnet", spec.subnet.clone())
}

/// The table's live association of the subnet, made by an earlier attempt.
async fn find(ctx: &Ctx, spec: &RouteTableAssociationSpec) -> Result<Option<String>, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_route_tables()
        .route_table_ids(&spec.route_table)
        .send()
        .await
        .map_err(api("ec2:DescribeRouteTables"));
    let out = match out {
        Ok(out) => out,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(out
        .route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .filter(|a| a.subnet_id() == Some(spec.subnet.as_str()))
        .filter(|a| live_state(a))
        .find_map(|a| a.route_table_association_id().map(String::from)))
}

/// `AWS::EC2::SubnetRouteTableAssociation` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::EC2::SubnetRouteTableAssociation",
    &[
        p("RouteTableId", To::Ref("route_table", "route_table")),
        p("SubnetId", To::Ref("subnet", "subnet")),
    ],
)
.attributes(&[("Id", "id")])];
