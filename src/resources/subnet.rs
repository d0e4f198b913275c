//! `subnet`: CreateSubnet (no client token: an earlier attempt is found by its tags), then
//! `map_public_ip_on_launch` through ModifySubnetAttribute. Deleting waits out the managed
//! network interfaces (deleted runtimes, mount targets) that keep a subnet busy.
//! Read: one DescribeSubnets for all subnets.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};

use super::Kind;
use super::ec2 as live;
use super::tags::{self, Tagged};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, Labelled, api, delete_when_free, retry_transient};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags};
use crate::lang::{Group, rules};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[subnet.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetSpec {
    /// Name of the `vpc` the subnet belongs to.
    pub vpc: String,
    pub cidr_block: String,
    /// Index into the region's availability zones in name order (0 = first AZ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub az_index: Option<u8>,
    /// An explicit availability zone name; use one of this, `availability_zone_id` or `az_index`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    /// An availability zone id (`use1-az1`), the same physical zone in every account; AgentCore
    /// documents the zones it supports by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone_id: Option<String>,
    #[serde(default)]
    pub map_public_ip_on_launch: bool,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for SubnetSpec {
    fn check(&self, check: &mut Check<'_>) {
        let given = [
            self.az_index.is_some(),
            self.availability_zone.is_some(),
            self.availability_zone_id.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        match given {
            0 => check.error(
                "agentfs::subnet_az",
                "",
                "the subnet has no availability zone",
                "set `az_index = 0` (first AZ of the region), `availability_zone = \"...\"` or `availability_zone_id = \"...\"`",
            ),
            1 => {}
            _ => check.error(
                "agentfs::subnet_az",
                "availability_zone",
                "more than one of `az_index`, `availability_zone` and `availability_zone_id` is set",
                "keep one of them",
            ),
        }
        if let Err(help) = rules::vpc_cidr(&self.cidr_block) {
            check.error("agentfs::cidr", "cidr_block", "invalid subnet CIDR", help);
        }
    }
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![RefSlot::new("vpc", Kind::Vpc, "id", &mut self.vpc)]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct Subnet;

/// How long a just-created subnet may be unknown to the next call (EC2 is eventually consistent).
const PROPAGATION: Duration = Duration::from_secs(120);

impl Resource for Subnet {
    type Spec = SubnetSpec;
    const GROUP: Group = Group::Network;
    const CREATE_CALL: &'static str = "ec2:CreateSubnet";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "availability_zone", "cidr_block"];
    live::existing_by_tags!(
        describe_subnets,
        set_filters,
        subnet_id,
        "ec2:DescribeSubnets",
        "subnet",
        Some("vpc-id")
    );
    const BLOCKED_BY_MANAGED_ENIS: bool = true;
    const REPLACE_ON: &'static [&'static str] = &[
        "vpc",
        "cidr_block",
        "az_index",
        "availability_zone",
        "availability_zone_id",
    ];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::reference("vpc", "ec2", "CreateSubnetRequest$VpcId"),
            ApiField::model("cidr_block", "ec2", "CreateSubnetRequest$CidrBlock", Limits::NONE),
            ApiField::model(
                "availability_zone",
                "ec2",
                "CreateSubnetRequest$AvailabilityZone",
                Limits::NONE,
            ),
            ApiField::model(
                "availability_zone_id",
                "ec2",
                "CreateSubnetRequest$AvailabilityZoneId",
                Limits::NONE,
            ),
            ApiField::model(
                "map_public_ip_on_launch",
                "ec2",
                "ModifySubnetAttributeRequest$MapPublicIpOnLaunch",
                Limits::NONE,
            ),
        ],
        tags: super::tags::rules::EC2,
        not_sent: &["az_index"],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(600),
        update: Duration::from_secs(600),
        // ENIs of deleted AgentCore runtimes and mount targets can linger for a long time.
        delete: Duration::from_secs(1800),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, SubnetSpec>) -> Result<Created, ApiError> {
        // What the new subnet reports for map_public_ip_on_launch: AWS makes the first subnet of
        // an AZ in a default VPC public, so `false` is not to be assumed.
        let (id, zone, public) = match find(ctx, req.address).await? {
            Some((id, zone)) => (id, zone, None),
            None => {
                let zone = match (req.spec.az_index, &req.spec.availability_zone) {
                    (Some(index), _) => Some(ctx.availability_zone(index).await?),
                    (None, zone) => zone.clone(),
                };
                let out = ctx
                    .clients
                    .ec2
                    .create_subnet()
                    .vpc_id(&req.spec.vpc)
                    .cidr_block(&req.spec.cidr_block)
                    .set_availability_zone(zone)
                    .set_availability_zone_id(req.spec.availability_zone_id.clone())
                    .tag_specifications(live::tag_spec(ResourceType::Subnet, req.tags))
                    .send()
                    .await
                    .map_err(api("ec2:CreateSubnet"))?;
                let subnet = out
                    .subnet()
                    .ok_or_else(|| ApiError::missing("ec2:CreateSubnet", "Subnet"))?;
                let id = subnet
                    .subnet_id()
                    .map(String::from)
                    .ok_or_else(|| ApiError::missing("ec2:CreateSubnet", "SubnetId"))?;
                (
                    id,
                    subnet.availability_zone().unwrap_or_default().to_string(),
                    subnet.map_public_ip_on_launch(),
                )
            }
        };
        if public.unwrap_or(false) != req.spec.map_public_ip_on_launch {
            req.progress.phase("setting map_public_ip_on_launch");
            set_public_ip(ctx, &id, req.spec.map_public_ip_on_launch).await?;
        }
        Ok(created(ctx, &id, &zone, &req.spec.cidr_block))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, SubnetSpec>,
        prior: &Recorded<'_, SubnetSpec>,
    ) -> Result<Created, ApiError> {
        if prior.spec.map_public_ip_on_launch != req.spec.map_public_ip_on_launch {
            set_public_ip(ctx, prior.id, req.spec.map_public_ip_on_launch).await?;
        }
        tags::sync(ctx, Tagged::Ec2(prior.id), prior.tags, req.tags).await?;
        let zone = match prior.attributes.get("availability_zone") {
            Some(zone) => zone.clone(),
            None => describe_zone(ctx, prior.id).await?,
        };
        Ok(created(ctx, prior.id, &zone, &req.spec.cidr_block))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, SubnetSpec>) -> Result<(), ApiError> {
        let progress = Labelled("waiting for network interfaces to go", prior.progress);
        delete_when_free(prior.timeout, &progress, || async {
            ctx.clients
                .ec2
                .delete_subnet()
                .subnet_id(prior.id)
                .send()
                .await
                .map_err(api("ec2:DeleteSubnet"))
        })
        .await
    }

    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let subnets = live::select(
            &ctx.stack,
            ids,
            Some("subnet-id"),
            |s: &aws_sdk_ec2::types::Subnet| s.subnet_id(),
            |s| s.tags(),
            |select| async move {
                let call = ctx.clients.ec2.describe_subnets();
                let call = match select {
                    live::Select::Ids(ids) => call.set_subnet_ids(Some(ids)),
                    live::Select::Filters(filters) => call.set_filters(Some(filters)),
                };
                call.into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(api("ec2:DescribeSubnets"))
            },
        )
        .await?;
        Ok(subnets
            .iter()
            .filter_map(|s| {
                let id = s.subnet_id()?;
                Some(Found {
                    owner: live::owner(s.tags()),
                    created: created(
                        ctx,
                        id,
                        s.availability_zone().unwrap_or_default(),
                        s.cidr_block().unwrap_or_default(),
                    ),
                })
            })
            .collect())
    }

    async fn read(ctx: &Ctx, records: &[Recorded<'_, SubnetSpec>]) -> Result<Vec<Option<SubnetSpec>>, ApiError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids = live::distinct(records.iter().map(|r| r.id));
        let subnets = live::batched(&ids, |by, ids| async move {
            let call = ctx.clients.ec2.describe_subnets();
            let call = match by {
                live::By::Ids => call.set_subnet_ids(Some(ids)),
                live::By::Filter => call.filters(live::filter("subnet-id", ids)),
            };
            call.into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(api("ec2:DescribeSubnets"))
        })
        .await?;
        let by_id: HashMap<&str, &aws_sdk_ec2::types::Subnet> =
            subnets.iter().filter_map(|s| Some((s.subnet_id()?, s))).collect();
        Ok(records
            .iter()
            .map(|r| {
                let subnet = by_id.get(r.id)?;
                let mut spec = r.spec.clone();
                if let Some(vpc) = subnet.vpc_id() {
                    spec.vpc = vpc.to_string();
                }
                if let Some(cidr) = subnet.cidr_block() {
                    spec.cidr_block = cidr.to_string();
                }
                // `az_index` is how the zone was chosen, not something AWS reports.
                if spec.availability_zone.is_some() {
                    spec.availability_zone = subnet.availability_zone().map(String::from).or(spec.availability_zone);
                }
                if spec.availability_zone_id.is_some() {
                    spec.availability_zone_id = subnet
                        .availability_zone_id()
                        .map(String::from)
                        .or(spec.availability_zone_id);
                }
                spec.map_public_ip_on_launch = subnet.map_public_ip_on_launch().unwrap_or(false);
                spec.tags = live::tags(subnet.tags());
                Some(spec)
            })
            .collect())
    }
}

fn created(ctx: &Ctx, id: &str, zone: &str, cidr_block: &str) -> Created {
    Created::new(id)
        .with("arn", ctx.arn("ec2", &format!("subnet/{id}")))
        .with("availability_zone", zone)
        .with("cidr_block", cidr_block)
}

/// An earlier attempt's subnet: (id, availability zone).
async fn find(ctx: &Ctx, address: &str) -> Result<Option<(String, String)>, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_subnets()
        .set_filters(Some(live::owner_filters(&ctx.stack, address)))
        .send()
        .await
        .map_err(api("ec2:DescribeSubnets"))?;
    Ok(out.subnets().iter().find_map(|s| {
        let id = s.subnet_id()?;
        Some((id.to_string(), s.availability_zone().unwrap_or_default().to_string()))
    }))
}

async fn describe_zone(ctx: &Ctx, id: &str) -> Result<String, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_subnets()
        .subnet_ids(id)
        .send()
        .await
        .map_err(api("ec2:DescribeSubnets"))?;
    Ok(out
        .subnets()
        .first()
        .and_then(|s| s.availability_zone())
        .unwrap_or_default()
        .to_string())
}

async fn set_public_ip(ctx: &Ctx, id: &str, on: bool) -> Result<(), ApiError> {
    retry_transient(
        PROPAGATION,
        &super::Quiet,
        |e| e.is_not_found(),
        || async {
            ctx.clients
                .ec2
                .modify_subnet_attribute()
                .subnet_id(id)
                .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
                .send()
                .await
                .map_err(api("ec2:ModifySubnetAttribute"))
        },
    )
    .await
    .map(|_| ())
}

/// `AWS::EC2::Subnet` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::EC2::Subnet",
    &[
        p("VpcId", To::Ref("vpc", "vpc")),
        p("CidrBlock", To::Field("cidr_block")),
        p(
            "AvailabilityZone",
            To::Az {
                name: "availability_zone",
                index: "az_index",
            },
        ),
        p("AvailabilityZoneId", To::Field("availability_zone_id")),
        p("MapPublicIpOnLaunch", To::Bool("map_public_ip_on_launch")),
        p("AssignIpv6AddressOnCreation", To::Refuse(IPV6)),
        p("EnableDns64", To::Refuse(IPV6)),
        p("Ipv6CidrBlock", To::Refuse(IPV6)),
        p("Ipv6IpamPoolId", To::Refuse(IPV6)),
        p("Ipv6Native", To::Refuse(IPV6)),
        p("Ipv6NetmaskLength", To::Refuse(IPV6)),
        p(
            "EnableLniAtDeviceIndex",
            To::Refuse("agentfs subnets are not Outposts subnets"),
        ),
        p("OutpostArn", To::Refuse("agentfs subnets are not Outposts subnets")),
        p(
            "Ipv4IpamPoolId",
            To::Refuse("agentfs takes a subnet's CIDR from `cidr_block`, not from an IPAM pool"),
        ),
        p(
            "Ipv4NetmaskLength",
            To::Refuse("agentfs takes a subnet's CIDR from `cidr_block`, not from an IPAM pool"),
        ),
        p(
            "PrivateDnsNameOptionsOnLaunch",
            To::Refuse("agentfs keeps the default private DNS name options"),
        ),
        p("Tags", TAGS),
    ],
)
.attributes(&[
    ("SubnetId", "id"),
    ("AvailabilityZone", "availability_zone"),
    ("CidrBlock", "cidr_block"),
])];

const IPV6: &str = "agentfs subnets are IPv4 only";
