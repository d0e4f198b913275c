//! What the EC2 kinds share: batched describes that survive unknown ids, finders by id or by
//! the stack tag, tags at creation, and tag sync.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_ec2::types::{Filter, Tag};

use super::tags::Owner;
use super::{TAG_RESOURCE, TAG_STACK};
use crate::aws::{ApiError, Ctx, api};

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

/// What the `agentfs:stack` and `agentfs:resource` tags say.
pub fn owner(tags: &[Tag]) -> Owner {
    Owner::of(tags.iter().filter_map(|t| Some((t.key()?, t.value()?))))
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
                    Some(name) => found.extend(describe(Select::Filters(vec![filter(name, chunk.to_vec())])).await?),
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

/// EC2 `TagSpecification` for a create call: tagging at creation leaves no untagged window.
pub fn tag_spec(
    resource_type: aws_sdk_ec2::types::ResourceType,
    tags: &BTreeMap<String, String>,
) -> aws_sdk_ec2::types::TagSpecification {
    aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(tags_of_map(tags)))
        .build()
}

pub fn tags_of_map(tags: &BTreeMap<String, String>) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter()
        .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
        .collect()
}

/// EC2 filters that find what agentfs made for one resource of one stack.
pub fn owner_filters(stack: &str, resource: &str) -> Vec<aws_sdk_ec2::types::Filter> {
    vec![
        aws_sdk_ec2::types::Filter::builder()
            .name(format!("tag:{}", TAG_STACK))
            .values(stack)
            .build(),
        aws_sdk_ec2::types::Filter::builder()
            .name(format!("tag:{}", TAG_RESOURCE))
            .values(resource)
            .build(),
    ]
}

/// Security group ids of each network interface, in one DescribeNetworkInterfaces (a filter
/// rather than ids, so an interface gone meanwhile is simply absent, not an error).
pub async fn eni_security_groups(ctx: &Ctx, enis: Vec<String>) -> Result<BTreeMap<String, Vec<String>>, ApiError> {
    if enis.is_empty() {
        return Ok(BTreeMap::new());
    }
    let interfaces = ctx
        .clients
        .ec2
        .describe_network_interfaces()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("network-interface-id")
                .set_values(Some(enis))
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("ec2:DescribeNetworkInterfaces"))?;
    Ok(interfaces
        .iter()
        .filter_map(|i| {
            let groups = i
                .groups()
                .iter()
                .filter_map(|g| g.group_id().map(String::from))
                .collect();
            Some((i.network_interface_id()?.to_string(), groups))
        })
        .collect())
}

/// The filters of an `existing = { tags, vpc }` lookup: every tag, and the VPC through
/// `vpc_filter` (the describe's own name for it: `vpc-id`, `attachment.vpc-id`).
pub fn query_filters(query: &super::Query<'_>, vpc_filter: &str) -> Vec<Filter> {
    let mut filters: Vec<Filter> = query
        .tags
        .iter()
        .map(|(key, value)| filter(&format!("tag:{key}"), vec![value.clone()]))
        .collect();
    if let Some(vpc) = query.vpc {
        filters.push(filter(vpc_filter, vec![vpc.to_string()]));
    }
    filters
}

/// An EC2 kind's `Resource::lookup` and `Resource::EXISTING`: found by its `prefix-<hex>` id
/// or by tags; the lookup is one filtered describe for the ids, then the kind's batched `find`.
macro_rules! existing_by_tags {
    ($describe:ident, $set_filters:ident, $id:ident, $action:literal, $prefix:literal, $vpc_filter:expr) => {
        const EXISTING: Option<crate::lang::existing::ExistingWays> = Some(crate::lang::existing::ExistingWays::ec2(
            $prefix,
            $vpc_filter.is_some(),
        ));

        async fn lookup(ctx: &Ctx, query: &super::Query<'_>) -> Result<Vec<Found>, ApiError> {
            let vpc_filter: Option<&str> = $vpc_filter;
            let items = ctx
                .clients
                .ec2
                .$describe()
                .$set_filters(Some(super::ec2::query_filters(
                    query,
                    vpc_filter.unwrap_or("vpc-id"),
                )))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(api($action))?;
            let ids: Vec<&str> = items.iter().filter_map(|item| item.$id()).collect();
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            <Self as Resource>::find(ctx, &ids).await
        }
    };
}
pub(crate) use existing_by_tags;
