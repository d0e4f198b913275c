//! `vpc`: CreateVpc (no client token: an earlier attempt is found by its tags),
//! then the two DNS attributes, one ModifyVpcAttribute call each as the API requires.
//! Read: one DescribeVpcs for all VPCs, plus DescribeVpcAttribute twice per VPC (the DNS flags
//! are only reported one attribute at a time). The [`live`] helpers serve every EC2 kind's read.

use std::time::Duration;

use std::collections::HashMap;

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};
use futures_util::future::join_all;

use super::ec2 as live;
use super::tags::{self, Tagged};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, api, delete_when_free};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags};
use crate::lang::{Group, rules};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[vpc.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcSpec {
    /// IPv4 CIDR, prefix /16 to /28.
    pub cidr_block: String,
    #[serde(default = "crate::lang::kind::default_true")]
    pub enable_dns_support: bool,
    #[serde(default)]
    pub enable_dns_hostnames: bool,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for VpcSpec {
    fn check(&self, check: &mut Check<'_>) {
        if let Err(help) = rules::vpc_cidr(&self.cidr_block) {
            check.error("agentfs::cidr", "cidr_block", "invalid VPC CIDR", help);
        }
        // ModifyVpcAttribute refuses DNS hostnames in a VPC without DNS support.
        if self.enable_dns_hostnames && !self.enable_dns_support {
            check.error(
                "agentfs::vpc_dns",
                "enable_dns_hostnames",
                "DNS hostnames need DNS support",
                "set `enable_dns_support = true`, or turn `enable_dns_hostnames` off",
            );
        }
    }
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        Vec::new()
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct Vpc;

impl Resource for Vpc {
    type Spec = VpcSpec;
    const GROUP: Group = Group::Network;
    const CREATE_CALL: &'static str = "ec2:CreateVpc";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "cidr_block"];
    live::existing_by_tags!(
        describe_vpcs,
        set_filters,
        vpc_id,
        "ec2:DescribeVpcs",
        "vpc",
        None::<&str>
    );
    const BLOCKED_BY_MANAGED_ENIS: bool = true;
    const REPLACE_ON: &'static [&'static str] = &["cidr_block"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model("cidr_block", "ec2", "CreateVpcRequest$CidrBlock", Limits::NONE),
            ApiField::model(
                "enable_dns_support",
                "ec2",
                "ModifyVpcAttributeRequest$EnableDnsSupport",
                Limits::NONE,
            ),
            ApiField::model(
                "enable_dns_hostnames",
                "ec2",
                "ModifyVpcAttributeRequest$EnableDnsHostnames",
                Limits::NONE,
            ),
        ],
        tags: super::tags::rules::EC2,
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(300),
        update: Duration::from_secs(300),
        // Deleting waits out ENIs of deleted runtimes and mount targets.
        delete: Duration::from_secs(1800),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, VpcSpec>) -> Result<Created, ApiError> {
        let id = match find(ctx, req.address).await? {
            Some(id) => id,
            None => {
                let out = ctx
                    .clients
                    .ec2
                    .create_vpc()
                    .cidr_block(&req.spec.cidr_block)
                    .tag_specifications(live::tag_spec(ResourceType::Vpc, req.tags))
                    .send()
                    .await
                    .map_err(api("ec2:CreateVpc"))?;
                out.vpc()
                    .and_then(|v| v.vpc_id())
                    .map(String::from)
                    .ok_or_else(|| ApiError::missing("ec2:CreateVpc", "VpcId"))?
            }
        };
        set_dns(ctx, &id, req.spec, None).await?;
        Ok(created(ctx, &id, &req.spec.cidr_block))
    }

    async fn update(ctx: &Ctx, req: &Request<'_, VpcSpec>, prior: &Recorded<'_, VpcSpec>) -> Result<Created, ApiError> {
        set_dns(ctx, prior.id, req.spec, Some(prior.spec)).await?;
        tags::sync(ctx, Tagged::Ec2(prior.id), prior.tags, req.tags).await?;
        Ok(created(ctx, prior.id, &req.spec.cidr_block))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, VpcSpec>) -> Result<(), ApiError> {
        delete_when_free(prior.timeout, prior.progress, || async {
            ctx.clients
                .ec2
                .delete_vpc()
                .vpc_id(prior.id)
                .send()
                .await
                .map_err(api("ec2:DeleteVpc"))
        })
        .await
    }

    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let vpcs = live::select(
            &ctx.stack,
            ids,
            Some("vpc-id"),
            |v: &aws_sdk_ec2::types::Vpc| v.vpc_id(),
            |v| v.tags(),
            |select| async move {
                let call = ctx.clients.ec2.describe_vpcs();
                let call = match select {
                    live::Select::Ids(ids) => call.set_vpc_ids(Some(ids)),
                    live::Select::Filters(filters) => call.set_filters(Some(filters)),
                };
                call.into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(api("ec2:DescribeVpcs"))
            },
        )
        .await?;
        Ok(vpcs
            .iter()
            .filter_map(|v| {
                let id = v.vpc_id()?;
                Some(Found {
                    owner: live::owner(v.tags()),
                    created: created(ctx, id, v.cidr_block().unwrap_or_default()),
                })
            })
            .collect())
    }

    async fn read(ctx: &Ctx, records: &[Recorded<'_, VpcSpec>]) -> Result<Vec<Option<VpcSpec>>, ApiError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids = live::distinct(records.iter().map(|r| r.id));
        let vpcs = live::batched(&ids, |by, ids| async move {
            let call = ctx.clients.ec2.describe_vpcs();
            let call = match by {
                live::By::Ids => call.set_vpc_ids(Some(ids)),
                live::By::Filter => call.filters(live::filter("vpc-id", ids)),
            };
            call.into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(api("ec2:DescribeVpcs"))
        })
        .await?;
        let by_id: HashMap<&str, &aws_sdk_ec2::types::Vpc> =
            vpcs.iter().filter_map(|v| Some((v.vpc_id()?, v))).collect();
        let answers = records.iter().map(|r| {
            let found = by_id.get(r.id).copied();
            async move {
                let Some(vpc) = found else { return Ok(None) };
                let (support, hostnames) = futures_util::future::join(
                    dns_flag(ctx, r.id, VpcAttributeName::EnableDnsSupport),
                    dns_flag(ctx, r.id, VpcAttributeName::EnableDnsHostnames),
                )
                .await;
                let (support, hostnames) = match (support, hostnames) {
                    (Ok(Some(s)), Ok(Some(h))) => (s, h),
                    // Deleted between the two calls.
                    (Ok(None), _) | (_, Ok(None)) => return Ok(None),
                    (Err(e), _) | (_, Err(e)) => return Err(e),
                };
                let mut spec = r.spec.clone();
                if let Some(cidr) = vpc.cidr_block() {
                    spec.cidr_block = cidr.to_string();
                }
                spec.enable_dns_support = support.unwrap_or(spec.enable_dns_support);
                spec.enable_dns_hostnames = hostnames.unwrap_or(spec.enable_dns_hostnames);
                spec.tags = live::tags(vpc.tags());
                Ok(Some(spec))
            }
        });
        join_all(answers).await.into_iter().collect()
    }
}

/// One DNS flag of a VPC: `None` when the VPC is gone, `Some(None)` when AWS leaves it out.
async fn dns_flag(ctx: &Ctx, id: &str, attribute: VpcAttributeName) -> Result<Option<Option<bool>>, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(attribute.clone())
        .send()
        .await
        .map_err(api("ec2:DescribeVpcAttribute"));
    let out = match out {
        Ok(out) => out,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let value = match attribute {
        VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames(),
        _ => out.enable_dns_support(),
    };
    Ok(Some(value.and_then(|v| v.value())))
}

fn created(ctx: &Ctx, id: &str, cidr_block: &str) -> Created {
    Created::new(id)
        .with("arn", ctx.arn("ec2", &format!("vpc/{id}")))
        .with("cidr_block", cidr_block)
}

async fn find(ctx: &Ctx, address: &str) -> Result<Option<String>, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_vpcs()
        .set_filters(Some(live::owner_filters(&ctx.stack, address)))
        .send()
        .await
        .map_err(api("ec2:DescribeVpcs"))?;
    Ok(out.vpcs().iter().find_map(|v| v.vpc_id().map(String::from)))
}

/// DNS support must be on before DNS hostnames can be; set them in that order.
async fn set_dns(ctx: &Ctx, id: &str, spec: &VpcSpec, prior: Option<&VpcSpec>) -> Result<(), ApiError> {
    let flag = |on: bool| AttributeBooleanValue::builder().value(on).build();
    if prior.is_none_or(|p| p.enable_dns_support != spec.enable_dns_support) {
        ctx.clients
            .ec2
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_support(flag(spec.enable_dns_support))
            .send()
            .await
            .map_err(api("ec2:ModifyVpcAttribute"))?;
    }
    if prior.is_none_or(|p| p.enable_dns_hostnames != spec.enable_dns_hostnames) {
        ctx.clients
            .ec2
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_hostnames(flag(spec.enable_dns_hostnames))
            .send()
            .await
            .map_err(api("ec2:ModifyVpcAttribute"))?;
    }
    Ok(())
}

/// `AWS::EC2::VPC` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::EC2::VPC",
    &[
        p("CidrBlock", To::Field("cidr_block")),
        p("EnableDnsSupport", To::Bool("enable_dns_support")),
        p("EnableDnsHostnames", To::Bool("enable_dns_hostnames")),
        p("InstanceTenancy", To::Only(&["default"])),
        p("Ipv4IpamPoolId", To::Refuse(IPAM)),
        p("Ipv4NetmaskLength", To::Refuse(IPAM)),
        p(
            "VpcEncryptionControl",
            To::Refuse("agentfs does not manage VPC encryption control"),
        ),
        p("Tags", TAGS),
    ],
)
.attributes(&[("VpcId", "id"), ("CidrBlock", "cidr_block")])];

const IPAM: &str = "agentfs takes a VPC's CIDR from `cidr_block`, not from an IPAM pool";
