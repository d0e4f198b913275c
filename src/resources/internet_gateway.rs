//! `internet_gateway`: CreateInternetGateway (tagged at creation; an earlier attempt is found by
//! its tags), then AttachInternetGateway unless the gateway is already attached to the VPC.
//! Delete detaches it (waiting while mapped public addresses in the VPC block that) and deletes it.
//! Read: one DescribeInternetGateways for all gateways; `vpc` is the VPC it is attached to
//! (empty when detached).

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_ec2::types::{InternetGateway as Igw, ResourceType};

use super::Kind;
use super::ec2 as live;
use super::tags::{self, Tagged};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, api, delete_when_free, retry_transient};
use crate::lang::Group;
use crate::lang::api::{ApiField, ApiMap};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{KindSpec, RefSlot, Tags};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[internet_gateway.NAME]`: created and attached to its VPC.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InternetGatewaySpec {
    /// The `vpc` to attach the gateway to.
    pub vpc: String,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for InternetGatewaySpec {
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![RefSlot::new("vpc", Kind::Vpc, "id", &mut self.vpc)]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct InternetGateway;

/// How long a just-created gateway or VPC may be unknown to the next call.
const PROPAGATION: Duration = Duration::from_secs(120);

impl Resource for InternetGateway {
    type Spec = InternetGatewaySpec;
    const GROUP: Group = Group::Network;
    const CREATE_CALL: &'static str = "ec2:CreateInternetGateway";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn"];
    live::existing_by_tags!(
        describe_internet_gateways,
        set_filters,
        internet_gateway_id,
        "ec2:DescribeInternetGateways",
        "igw",
        Some("attachment.vpc-id")
    );
    const BLOCKED_BY_MANAGED_ENIS: bool = true;
    const REPLACE_ON: &'static [&'static str] = &["vpc"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[ApiField::reference("vpc", "ec2", "AttachInternetGatewayRequest$VpcId")],
        tags: super::tags::rules::EC2,
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(300),
        update: Duration::from_secs(300),
        // Detaching waits for the VPC's public addresses (NAT gateway EIPs) to be unmapped.
        delete: Duration::from_secs(1200),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, InternetGatewaySpec>) -> Result<Created, ApiError> {
        let igw = match find(ctx, req.address).await? {
            Some(igw) => igw,
            None => ctx
                .clients
                .ec2
                .create_internet_gateway()
                .tag_specifications(live::tag_spec(ResourceType::InternetGateway, req.tags))
                .send()
                .await
                .map_err(api("ec2:CreateInternetGateway"))?
                .internet_gateway
                .ok_or_else(|| ApiError::missing("ec2:CreateInternetGateway", "InternetGateway"))?,
        };
        let id = igw
            .internet_gateway_id()
            .map(String::from)
            .ok_or_else(|| ApiError::missing("ec2:CreateInternetGateway", "InternetGatewayId"))?;
        let attached = igw
            .attachments()
            .iter()
            .any(|a| a.vpc_id() == Some(req.spec.vpc.as_str()));
        if !attached {
            req.progress.phase("attaching to the VPC");
            attach(ctx, &id, &req.spec.vpc).await?;
        }
        Ok(created(ctx, &id))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, InternetGatewaySpec>,
        prior: &Recorded<'_, InternetGatewaySpec>,
    ) -> Result<Created, ApiError> {
        tags::sync(ctx, Tagged::Ec2(prior.id), prior.tags, req.tags).await?;
        Ok(created(ctx, prior.id))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, InternetGatewaySpec>) -> Result<(), ApiError> {
        let Some(igw) = describe(ctx, prior.id).await? else {
            return Ok(());
        };
        for vpc in igw.attachments().iter().filter_map(|a| a.vpc_id()) {
            prior.progress.phase("detaching from the VPC");
            let detached = retry_transient(
                prior.timeout,
                prior.progress,
                |e| e.is("DependencyViolation"),
                || async {
                    ctx.clients
                        .ec2
                        .detach_internet_gateway()
                        .internet_gateway_id(prior.id)
                        .vpc_id(vpc)
                        .send()
                        .await
                        .map_err(api("ec2:DetachInternetGateway"))
                },
            )
            .await;
            match detached {
                Ok(_) => {}
                Err(e) if e.is("Gateway.NotAttached") => {}
                Err(e) if e.is_not_found() && e.code.starts_with("InvalidInternetGatewayID") => return Ok(()),
                Err(e) if e.is_not_found() => {} // the VPC is gone: nothing to detach from
                Err(e) => return Err(e),
            }
        }
        delete_when_free(prior.timeout, prior.progress, || async {
            ctx.clients
                .ec2
                .delete_internet_gateway()
                .internet_gateway_id(prior.id)
                .send()
                .await
                .map_err(api("ec2:DeleteInternetGateway"))
        })
        .await
    }

    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let gateways = live::select(
            &ctx.stack,
            ids,
            Some("internet-gateway-id"),
            |g: &Igw| g.internet_gateway_id(),
            |g| g.tags(),
            |select| async move {
                let call = ctx.clients.ec2.describe_internet_gateways();
                let call = match select {
                    live::Select::Ids(ids) => call.set_internet_gateway_ids(Some(ids)),
                    live::Select::Filters(filters) => call.set_filters(Some(filters)),
                };
                call.into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(api("ec2:DescribeInternetGateways"))
            },
        )
        .await?;
        Ok(gateways
            .iter()
            .filter_map(|g| {
                Some(Found {
                    owner: live::owner(g.tags()),
                    created: created(ctx, g.internet_gateway_id()?),
                })
            })
            .collect())
    }

    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, InternetGatewaySpec>],
    ) -> Result<Vec<Option<InternetGatewaySpec>>, ApiError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids = live::distinct(records.iter().map(|r| r.id));
        let gateways = live::batched(&ids, |by, ids| async move {
            let call = ctx.clients.ec2.describe_internet_gateways();
            let call = match by {
                live::By::Ids => call.set_internet_gateway_ids(Some(ids)),
                live::By::Filter => call.filters(live::filter("internet-gateway-id", ids)),
            };
            call.into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(api("ec2:DescribeInternetGateways"))
        })
        .await?;
        let by_id: HashMap<&str, &Igw> = gateways
            .iter()
            .filter_map(|g| Some((g.internet_gateway_id()?, g)))
            .collect();
        Ok(records
            .iter()
            .map(|r| {
                let igw = by_id.get(r.id)?;
                let mut spec = r.spec.clone();
                let attached: Vec<&str> = igw
                    .attachments()
                    .iter()
                    .filter(|a| {
                        a.state()
                            .is_none_or(|s| !matches!(s.as_str(), "detached" | "detaching"))
                    })
                    .filter_map(|a| a.vpc_id())
                    .collect();
                if !attached.contains(&spec.vpc.as_str()) {
                    spec.vpc = attached.first().copied().unwrap_or_default().to_string();
                }
                spec.tags = live::tags(igw.tags());
                Some(spec)
            })
            .collect())
    }
}

fn created(ctx: &Ctx, id: &str) -> Created {
    Created::new(id).with("arn", ctx.arn("ec2", &format!("internet-gateway/{id}")))
}

async fn find(ctx: &Ctx, address: &str) -> Result<Option<Igw>, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_internet_gateways()
        .set_filters(Some(live::owner_filters(&ctx.stack, address)))
        .send()
        .await
        .map_err(api("ec2:DescribeInternetGateways"))?;
    Ok(out.internet_gateways.unwrap_or_default().into_iter().next())
}

async fn describe(ctx: &Ctx, id: &str) -> Result<Option<Igw>, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_internet_gateways()
        .internet_gateway_ids(id)
        .send()
        .await
        .map_err(api("ec2:DescribeInternetGateways"));
    match out {
        Ok(out) => Ok(out.internet_gateways.unwrap_or_default().into_iter().next()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

async fn attach(ctx: &Ctx, id: &str, vpc: &str) -> Result<(), ApiError> {
    let result = retry_transient(
        PROPAGATION,
        &super::Quiet,
        |e| e.is_not_found(),
        || async {
            ctx.clients
                .ec2
                .attach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(vpc)
                .send()
                .await
                .map_err(api("ec2:AttachInternetGateway"))
        },
    )
    .await;
    match result {
        Ok(_) => Ok(()),
        // Attached by an earlier attempt whose answer was lost (the describe can lag).
        Err(e) if e.is("Resource.AlreadyAssociated") && attached_to(ctx, id, vpc).await? => Ok(()),
        Err(e) => Err(e),
    }
}

async fn attached_to(ctx: &Ctx, id: &str, vpc: &str) -> Result<bool, ApiError> {
    Ok(describe(ctx, id)
        .await?
        .is_some_and(|igw| igw.attachments().iter().any(|a| a.vpc_id() == Some(vpc))))
}

/// `AWS::EC2::InternetGateway`, and `AWS::EC2::VPCGatewayAttachment`, which is its `vpc`
/// (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[
    CfnType::new("AWS::EC2::InternetGateway", &[p("Tags", TAGS)]).attributes(&[("InternetGatewayId", "id")]),
    CfnType::new(
        "AWS::EC2::VPCGatewayAttachment",
        &[
            p("InternetGatewayId", To::Parent),
            p("VpcId", To::Ref("vpc", "vpc")),
            p("VpnGatewayId", To::Refuse("agentfs does not manage VPN gateways")),
        ],
    )
    .folded("InternetGatewayId", None),
];
