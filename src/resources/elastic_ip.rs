//! `elastic_ip`: AllocateAddress in the `vpc` domain, tagged at creation (no client token: an
//! earlier attempt is found by its tags). Release waits while the address is still in use, which
//! is the case until the NAT gateway that used it is `deleted`.
//! Read: one DescribeAddresses for all addresses; only the tags are configuration.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_ec2::types::{DomainType, ResourceType};

use super::ec2 as live;
use super::tags::{self, Tagged};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, api, gone_is_done, retry_transient};
use crate::lang::Group;
use crate::lang::api::ApiMap;
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{KindSpec, RefSlot, Tags};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[elastic_ip.NAME]`: an Elastic IP in the `vpc` domain.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ElasticIpSpec {
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for ElasticIpSpec {
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        Vec::new()
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct ElasticIp;

impl Resource for ElasticIp {
    type Spec = ElasticIpSpec;
    const GROUP: Group = Group::Network;
    const CREATE_CALL: &'static str = "ec2:AllocateAddress";
    const ATTRIBUTES: &'static [&'static str] = &["id", "public_ip"];
    const REPLACE_ON: &'static [&'static str] = &[];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[],
        tags: super::tags::rules::EC2,
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(300),
        update: Duration::from_secs(300),
        // The NAT gateway that used the address may still be letting it go.
        delete: Duration::from_secs(900),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, ElasticIpSpec>) -> Result<Created, ApiError> {
        if let Some(found) = find(ctx, req.address).await? {
            return Ok(found);
        }
        let out = ctx
            .clients
            .ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(live::tag_spec(ResourceType::ElasticIp, req.tags))
            .send()
            .await
            .map_err(api("ec2:AllocateAddress"))?;
        let id = out
            .allocation_id()
            .ok_or_else(|| ApiError::missing("ec2:AllocateAddress", "AllocationId"))?;
        Ok(created(id, out.public_ip().unwrap_or_default()))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, ElasticIpSpec>,
        prior: &Recorded<'_, ElasticIpSpec>,
    ) -> Result<Created, ApiError> {
        tags::sync(ctx, Tagged::Ec2(prior.id), prior.tags, req.tags).await?;
        let public_ip = match prior.attributes.get("public_ip") {
            Some(ip) => ip.clone(),
            None => describe_ip(ctx, prior.id).await?,
        };
        Ok(created(prior.id, &public_ip))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, ElasticIpSpec>) -> Result<(), ApiError> {
        let result = retry_transient(
            prior.timeout,
            prior.progress,
            // In use by a NAT gateway still deleting; AuthFailure is EC2's answer while the
            // association is being removed.
            |e| e.is("InvalidIPAddress.InUse") || e.is("AuthFailure") || e.is("DependencyViolation"),
            || async {
                ctx.clients
                    .ec2
                    .release_address()
                    .allocation_id(prior.id)
                    .send()
                    .await
                    .map_err(api("ec2:ReleaseAddress"))
            },
        )
        .await;
        gone_is_done(result)
    }

    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        // DescribeAddresses has no pagination: one call answers for every id.
        let addresses = live::select(
            &ctx.stack,
            ids,
            Some("allocation-id"),
            |a: &aws_sdk_ec2::types::Address| a.allocation_id(),
            |a| a.tags(),
            |select| async move {
                let call = ctx.clients.ec2.describe_addresses();
                let call = match select {
                    live::Select::Ids(ids) => call.set_allocation_ids(Some(ids)),
                    live::Select::Filters(filters) => call.set_filters(Some(filters)),
                };
                call.send()
                    .await
                    .map(|out| out.addresses.unwrap_or_default())
                    .map_err(api("ec2:DescribeAddresses"))
            },
        )
        .await?;
        Ok(addresses
            .iter()
            .filter_map(|a| {
                Some(Found {
                    owner: live::owner(a.tags()),
                    created: created(a.allocation_id()?, a.public_ip().unwrap_or_default()),
                })
            })
            .collect())
    }

    async fn read(ctx: &Ctx, records: &[Recorded<'_, ElasticIpSpec>]) -> Result<Vec<Option<ElasticIpSpec>>, ApiError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids = live::distinct(records.iter().map(|r| r.id));
        // DescribeAddresses has no pagination: one call answers for every id.
        let addresses = live::batched(&ids, |by, ids| async move {
            let call = ctx.clients.ec2.describe_addresses();
            let call = match by {
                live::By::Ids => call.set_allocation_ids(Some(ids)),
                live::By::Filter => call.filters(live::filter("allocation-id", ids)),
            };
            call.send()
                .await
                .map(|out| out.addresses.unwrap_or_default())
                .map_err(api("ec2:DescribeAddresses"))
        })
        .await?;
        let by_id: HashMap<&str, &aws_sdk_ec2::types::Address> =
            addresses.iter().filter_map(|a| Some((a.allocation_id()?, a))).collect();
        Ok(records
            .iter()
            .map(|r| {
                let address = by_id.get(r.id)?;
                let mut spec = r.spec.clone();
                spec.tags = live::tags(address.tags());
                Some(spec)
            })
            .collect())
    }
}

fn created(id: &str, public_ip: &str) -> Created {
    Created::new(id).with("public_ip", public_ip)
}

async fn find(ctx: &Ctx, address: &str) -> Result<Option<Created>, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_addresses()
        .set_filters(Some(live::owner_filters(&ctx.stack, address)))
        .send()
        .await
        .map_err(api("ec2:DescribeAddresses"))?;
    Ok(out.addresses().iter().find_map(|a| {
        let id = a.allocation_id()?;
        Some(created(id, a.public_ip().unwrap_or_default()))
    }))
}

async fn describe_ip(ctx: &Ctx, id: &str) -> Result<String, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_addresses()
        .allocation_ids(id)
        .send()
        .await
        .map_err(api("ec2:DescribeAddresses"))?;
    Ok(out
        .addresses()
        .first()
        .and_then(|a| a.public_ip())
        .unwrap_or_default()
        .to_string())
}

/// `AWS::EC2::EIP` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::EC2::EIP",
    &[
        p("Domain", To::Only(&["vpc"])),
        p("Address", To::Refuse(POOL)),
        p("IpamPoolId", To::Refuse(POOL)),
        p("PublicIpv4Pool", To::Refuse(POOL)),
        p("NetworkBorderGroup", To::Refuse(POOL)),
        p("TransferAddress", To::Refuse(POOL)),
        p(
            "InstanceId",
            To::Refuse("agentfs associates an address only with its NAT gateway"),
        ),
        p("Tags", TAGS),
    ],
)
.attributes(&[("AllocationId", "id"), ("PublicIp", "public_ip")])
.ref_attribute("public_ip")];

const POOL: &str = "agentfs allocates addresses from Amazon's pool only";
