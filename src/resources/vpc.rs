//! `vpc`: CreateVpc (no client token: an earlier attempt is found by its tags),
//! then the two DNS attributes, one ModifyVpcAttribute call each as the API requires.
//! Read: one DescribeVpcs for all VPCs, plus DescribeVpcAttribute twice per VPC (the DNS flags
//! are only reported one attribute at a time). The [`live`] helpers serve every EC2 kind's read.

use std::time::Duration;

use std::collections::HashMap;

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};
use futures_util::future::join_all;

use super::aws::{ApiError, Ctx, api, delete_when_free, ec2_owner_filters, ec2_sync_tags, ec2_tag_spec};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::spec::model::VpcSpec;

pub struct Vpc;

impl Resource for Vpc {
    type Spec = VpcSpec;
    const REPLACE_ON: &'static [&'static str] = &["cidr_block"];
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
                    .tag_specifications(ec2_tag_spec(ResourceType::Vpc, req.tags))
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
        ec2_sync_tags(ctx, prior.id, prior.tags, req.tags).await?;
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
                    address: live::address(v.tags()),
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
        .set_filters(Some(ec2_owner_filters(&ctx.stack, address)))
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

/// What the EC2 kinds' reads share: batched describes that survive unknown ids, and live tags.
pub(super) mod live {
    use std::collections::BTreeMap;
    use std::future::Future;

    use aws_sdk_ec2::types::{Filter, Tag};

    use super::super::aws::ApiError;
    use super::super::{TAG_RESOURCE, TAG_STACK};

    /// EC2 takes at most this many ids (or filter values) in one describe call.
    const BATCH: usize = 200;

    /// A spec's `tags` as AWS has them: every live tag but agentfs's own.
    pub fn tags(tags: &[Tag]) -> BTreeMap<String, String> {
        tags.iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
            .filter(|(k, _)| k != TAG_STACK && k != TAG_RESOURCE)
            .collect()
    }

    pub fn filter(name: &str, values: Vec<String>) -> Filter {
        Filter::builder().name(name).set_values(Some(values)).build()
    }

    /// The distinct ids, in first-seen order.
    pub fn distinct<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in ids {
            if !out.iter().any(|o| o == id) {
                out.push(id.to_string());
            }
        }
        out
    }

    /// How a describe call names what it wants.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum By {
        /// The call's id list (`VpcIds`, `SubnetIds`...).
        Ids,
        /// A filter on those ids, which leaves unknown ids out instead of failing.
        Filter,
    }

    /// Describes `ids` in one call (per [`BATCH`]). EC2 refuses the whole batch with
    /// `InvalidXxx.NotFound` when any id is unknown; then the same ids are described again
    /// through a filter, so one deleted resource costs one more call, not the whole read.
    pub async fn batched<T, F, Fut>(ids: &[String], describe: F) -> Result<Vec<T>, ApiError>
    where
        F: Fn(By, Vec<String>) -> Fut,
        Fut: Future<Output = Result<Vec<T>, ApiError>>,
    {
        let mut out = Vec::new();
        for chunk in ids.chunks(BATCH) {
            match describe(By::Ids, chunk.to_vec()).await {
                Ok(found) => out.extend(found),
                Err(e) if e.is_not_found() => out.extend(describe(By::Filter, chunk.to_vec()).await?),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// What a find asks one describe call for.
    pub enum Select {
        /// These ids, through the call's id list.
        Ids(Vec<String>),
        /// Whatever matches these filters.
        Filters(Vec<Filter>),
    }

    /// `tag:agentfs:stack` = `stack`: everything a recover looks for.
    pub fn stack_filter(stack: &str) -> Filter {
        filter(&format!("tag:{TAG_STACK}"), vec![stack.to_string()])
    }

    /// Whether `tags` carry `agentfs:stack` = `stack` (checked on every answer: not every
    /// EC2-compatible API applies tag filters to every describe).
    pub fn in_stack(tags: &[Tag], stack: &str) -> bool {
        tags.iter()
            .any(|t| t.key() == Some(TAG_STACK) && t.value() == Some(stack))
    }

    /// The `agentfs:resource` tag's value, if any.
    pub fn address(tags: &[Tag]) -> Option<String> {
        tags.iter()
            .find(|t| t.key() == Some(TAG_RESOURCE))
            .and_then(|t| t.value())
            .map(String::from)
    }

    /// An id list refused because one id is unknown (`InvalidVpcID.NotFound`) or not even
    /// shaped like an id of that kind (`InvalidVpcID.Malformed`).
    fn unknown(e: &ApiError) -> bool {
        e.is_not_found() || e.code.ends_with(".Malformed")
    }

    /// The resources a find is about: those of `ids` that exist, or, when `ids` is empty, every
    /// one tagged with `stack`. Ids are described in one call (per [`BATCH`]); when EC2 refuses
    /// the batch for an unknown or malformed id, the same ids are described again through
    /// `id_filter`, the describe's filter on ids, which leaves unknown ones out (`None` when the
    /// API has none: then one id at a time). Each resource once, in the order described.
    pub async fn select<T, F, Fut>(
        stack: &str,
        ids: &[&str],
        id_filter: Option<&str>,
        id_of: impl Fn(&T) -> Option<&str>,
        tags_of: impl Fn(&T) -> &[Tag],
        describe: F,
    ) -> Result<Vec<T>, ApiError>
    where
        F: Fn(Select) -> Fut,
        Fut: Future<Output = Result<Vec<T>, ApiError>>,
    {
        let found: Vec<T> = if ids.is_empty() {
            let found = describe(Select::Filters(vec![stack_filter(stack)])).await?;
            found.into_iter().filter(|t| in_stack(tags_of(t), stack)).collect()
        } else {
            let wanted = distinct(ids.iter().copied());
            let mut found = Vec::new();
            for chunk in wanted.chunks(BATCH) {
                match describe(Select::Ids(chunk.to_vec())).await {
                    Ok(more) => found.extend(more),
                    Err(e) if unknown(&e) => match id_filter {
                        Some(name) => {
                            found.extend(describe(Select::Filters(vec![filter(name, chunk.to_vec())])).await?)
                        }
                        None => {
                            for id in chunk {
                                match describe(Select::Ids(vec![id.clone()])).await {
                                    Ok(more) => found.extend(more),
                                    Err(e) if unknown(&e) => {}
                                    Err(e) => return Err(e),
                                }
                            }
                        }
                    },
                    Err(e) => return Err(e),
                }
            }
            found
                .into_iter()
                .filter(|t| id_of(t).is_some_and(|id| wanted.iter().any(|w| w == id)))
                .collect()
        };
        let mut seen: Vec<String> = Vec::new();
        Ok(found
            .into_iter()
            .filter(|t| match id_of(t) {
                Some(id) if !seen.iter().any(|s| s == id) => {
                    seen.push(id.to_string());
                    true
                }
                _ => false,
            })
            .collect())
    }

    /// Describes through a filter only, [`BATCH`] values per call.
    pub async fn filtered<T, F, Fut>(values: &[String], describe: F) -> Result<Vec<T>, ApiError>
    where
        F: Fn(Vec<String>) -> Fut,
        Fut: Future<Output = Result<Vec<T>, ApiError>>,
    {
        let mut out = Vec::new();
        for chunk in values.chunks(BATCH) {
            out.extend(describe(chunk.to_vec()).await?);
        }
        Ok(out)
    }
}
