//! `nat_gateway`: CreateNatGateway with the deterministic client token (a retried create
//! returns the same gateway), tagged at creation, then waits for `available`. Delete waits
//! for `deleted` (or not found): only then can the Elastic IP be released.
//! Read: one DescribeNatGateways for all gateways; `deleting` and `deleted` count as gone.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_ec2::types::{NatGateway as Nat, ResourceType};

use super::Kind;
use super::ec2 as live;
use super::tags::{self, Tagged};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, Poll, api, retry_transient, state_is, wait_for};
use crate::lang::Group;
use crate::lang::api::{ApiField, ApiMap};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{KindSpec, RefSlot, Tags};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[nat_gateway.NAME]`: a public NAT gateway.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NatGatewaySpec {
    /// The (public) `subnet` the NAT gateway lives in.
    pub subnet: String,
    /// The `elastic_ip` it uses.
    pub elastic_ip: String,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for NatGatewaySpec {
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![
            RefSlot::new("subnet", Kind::Subnet, "id", &mut self.subnet),
            RefSlot::new("elastic_ip", Kind::ElasticIp, "id", &mut self.elastic_ip),
        ]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct NatGateway;

/// How long a just-created subnet or address may be unknown to CreateNatGateway.
const PROPAGATION: Duration = Duration::from_secs(120);

impl Resource for NatGateway {
    /// A public NAT gateway fails (`Gateway.NotAttached`) until its VPC has an internet gateway
    /// attached, and no field names that gateway: it is created after it and deleted before it.
    fn implicit_dependencies(
        spec: &NatGatewaySpec,
        resources: &[super::ParsedResource],
    ) -> std::collections::BTreeSet<crate::lang::Addr> {
        use super::ResourceSpec;
        let vpc = resources.iter().find_map(|r| match &r.spec {
            ResourceSpec::Subnet(s) if r.addr.kind == Kind::Subnet && r.addr.name == spec.subnet => Some(&s.vpc),
            _ => None,
        });
        resources
            .iter()
            .filter(|r| matches!(&r.spec, ResourceSpec::InternetGateway(g) if Some(&g.vpc) == vpc))
            .map(|r| r.addr.clone())
            .collect()
    }

    type Spec = NatGatewaySpec;
    const GROUP: Group = Group::Network;
    const CREATE_CALL: &'static str = "ec2:CreateNatGateway";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "public_ip"];
    live::existing_by_tags!(
        describe_nat_gateways,
        set_filter,
        nat_gateway_id,
        "ec2:DescribeNatGateways",
        "nat",
        Some("vpc-id")
    );
    const REPLACE_ON: &'static [&'static str] = &["subnet", "elastic_ip"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::reference("subnet", "ec2", "CreateNatGatewayRequest$SubnetId"),
            ApiField::reference("elastic_ip", "ec2", "CreateNatGatewayRequest$AllocationId"),
        ],
        tags: super::tags::rules::EC2,
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(600),
        update: Duration::from_secs(600),
        delete: Duration::from_secs(1800),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, NatGatewaySpec>) -> Result<Created, ApiError> {
        let out = retry_transient(
            PROPAGATION,
            req.progress,
            |e| e.is_not_found(),
            || async {
                ctx.clients
                    .ec2
                    .create_nat_gateway()
                    .subnet_id(&req.spec.subnet)
                    .allocation_id(&req.spec.elastic_ip)
                    .client_token(req.token)
                    .tag_specifications(live::tag_spec(ResourceType::Natgateway, req.tags))
                    .send()
                    .await
                    .map_err(api("ec2:CreateNatGateway"))
            },
        )
        .await?;
        let id = out
            .nat_gateway()
            .and_then(|n| n.nat_gateway_id())
            .map(String::from)
            .ok_or_else(|| ApiError::missing("ec2:CreateNatGateway", "NatGatewayId"))?;
        let nat = wait_for(
            "ec2:DescribeNatGateways",
            "available",
            req.timeout,
            req.progress,
            || async {
                let Some(nat) = describe(ctx, &id).await? else {
                    // Not visible yet right after the create.
                    return Ok(Poll::Pending("not visible yet".into()));
                };
                let state = nat.state().map(|s| s.as_str().to_string()).unwrap_or_default();
                Ok(if state_is(&state, "available") {
                    Poll::Ready(nat)
                } else if state_is(&state, "pending") {
                    Poll::Pending(state)
                } else {
                    let why = [nat.failure_code(), nat.failure_message()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(": ");
                    Poll::Failed(if why.is_empty() {
                        state
                    } else {
                        format!("{state}: {why}")
                    })
                })
            },
        )
        .await
        .map_err(|e| e.about(&id))?;
        Ok(created(ctx, &id, &nat))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, NatGatewaySpec>,
        prior: &Recorded<'_, NatGatewaySpec>,
    ) -> Result<Created, ApiError> {
        tags::sync(ctx, Tagged::Ec2(prior.id), prior.tags, req.tags).await?;
        let mut result = Created::new(prior.id);
        for (key, value) in prior.attributes {
            if key != "id" {
                result = result.with(key, value.clone());
            }
        }
        if !result.attributes.contains_key("arn") {
            result = result.with("arn", ctx.arn("ec2", &format!("natgateway/{}", prior.id)));
        }
        Ok(result)
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, NatGatewaySpec>) -> Result<(), ApiError> {
        let deleted = ctx
            .clients
            .ec2
            .delete_nat_gateway()
            .nat_gateway_id(prior.id)
            .send()
            .await
            .map_err(api("ec2:DeleteNatGateway"));
        match deleted {
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        }
        wait_for(
            "ec2:DescribeNatGateways",
            "deleted",
            prior.timeout,
            prior.progress,
            || async {
                Ok(match describe(ctx, prior.id).await? {
                    None => Poll::Ready(()),
                    Some(nat) => {
                        let state = nat.state().map(|s| s.as_str().to_string()).unwrap_or_default();
                        if state_is(&state, "deleted") {
                            Poll::Ready(())
                        } else {
                            Poll::Pending(state)
                        }
                    }
                })
            },
        )
        .await
    }

    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let gateways = live::select(
            &ctx.stack,
            ids,
            Some("nat-gateway-id"),
            |n: &Nat| n.nat_gateway_id(),
            |n| n.tags(),
            |select| async move {
                let call = ctx.clients.ec2.describe_nat_gateways();
                let call = match select {
                    live::Select::Ids(ids) => call.set_nat_gateway_ids(Some(ids)),
                    live::Select::Filters(filters) => call.set_filter(Some(filters)),
                };
                call.into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(api("ec2:DescribeNatGateways"))
            },
        )
        .await?;
        Ok(gateways
            .iter()
            .filter(|n| {
                let state = n.state().map(|s| s.as_str()).unwrap_or_default();
                !state_is(state, "deleting") && !state_is(state, "deleted")
            })
            .filter_map(|n| {
                let id = n.nat_gateway_id()?;
                Some(Found {
                    owner: live::owner(n.tags()),
                    created: created(ctx, id, n),
                })
            })
            .collect())
    }

    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, NatGatewaySpec>],
    ) -> Result<Vec<Option<NatGatewaySpec>>, ApiError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids = live::distinct(records.iter().map(|r| r.id));
        let gateways = live::batched(&ids, |by, ids| async move {
            let call = ctx.clients.ec2.describe_nat_gateways();
            let call = match by {
                live::By::Ids => call.set_nat_gateway_ids(Some(ids)),
                live::By::Filter => call.filter(live::filter("nat-gateway-id", ids)),
            };
            call.into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(api("ec2:DescribeNatGateways"))
        })
        .await?;
        let by_id: HashMap<&str, &Nat> = gateways
            .iter()
            .filter(|n| {
                let state = n.state().map(|s| s.as_str()).unwrap_or_default();
                !state_is(state, "deleting") && !state_is(state, "deleted")
            })
            .filter_map(|n| Some((n.nat_gateway_id()?, n)))
            .collect();
        Ok(records
            .iter()
            .map(|r| {
                let nat = by_id.get(r.id)?;
                let mut spec = r.spec.clone();
                if let Some(subnet) = nat.subnet_id() {
                    spec.subnet = subnet.to_string();
                }
                let addresses = nat.nat_gateway_addresses();
                let primary = addresses
                    .iter()
                    .find(|a| a.is_primary() == Some(true))
                    .or_else(|| addresses.first())
                    .and_then(|a| a.allocation_id());
                if let Some(allocation) = primary {
                    spec.elastic_ip = allocation.to_string();
                }
                spec.tags = live::tags(nat.tags());
                Some(spec)
            })
            .collect())
    }
}

fn created(ctx: &Ctx, id: &str, nat: &Nat) -> Created {
    let mut result = Created::new(id).with("arn", ctx.arn("ec2", &format!("natgateway/{id}")));
    if let Some(ip) = nat.nat_gateway_addresses().iter().find_map(|a| a.public_ip()) {
        result = result.with("public_ip", ip);
    }
    result
}

/// The gateway as DescribeNatGateways sees it; `None` when the id is unknown.
async fn describe(ctx: &Ctx, id: &str) -> Result<Option<Nat>, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_nat_gateways()
        .nat_gateway_ids(id)
        .send()
        .await
        .map_err(api("ec2:DescribeNatGateways"));
    match out {
        Ok(out) => Ok(out.nat_gateways.unwrap_or_default().into_iter().next()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// `AWS::EC2::NatGateway` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::EC2::NatGateway",
    &[
        p("SubnetId", To::Ref("subnet", "subnet")),
        p("AllocationId", To::Ref("elastic_ip", "elastic_ip")),
        p("ConnectivityType", To::Only(&["public"])),
        p("AvailabilityMode", To::Refuse(ZONAL)),
        p("AvailabilityZoneAddresses", To::Refuse(ZONAL)),
        p("VpcId", To::Refuse(ZONAL)),
        p(
            "MaxDrainDurationSeconds",
            To::Refuse("agentfs keeps the default drain duration"),
        ),
        p("PrivateIpAddress", To::Refuse(ADDRESSES)),
        p("SecondaryAllocationIds", To::Refuse(ADDRESSES)),
        p("SecondaryPrivateIpAddressCount", To::Refuse(ADDRESSES)),
        p("SecondaryPrivateIpAddresses", To::Refuse(ADDRESSES)),
        p("Tags", TAGS),
    ],
)
.attributes(&[("NatGatewayId", "id")])];

const ZONAL: &str = "agentfs makes zonal NAT gateways in one subnet (`subnet`)";
const ADDRESSES: &str = "agentfs gives a NAT gateway one Elastic IP and AWS's choice of private address";
