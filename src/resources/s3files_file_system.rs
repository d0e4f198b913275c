//! `s3files_file_system`: CreateFileSystem with the stack's client token (a retry returns the
//! same file system), retried while the fresh service role propagates, then a wait for
//! `available`. Only tags change in place. Delete waits out mount targets still deleting.
//!
//! Also home of what the S3 Files kinds share (tag conversion and tag sync), and of what every
//! kind's `find` shares: reading ownership tags and bounded concurrent lookups.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_s3files::types::LifeCycleState;

use futures_util::future::try_join_all;
use futures_util::{StreamExt, TryStreamExt};

use super::aws::{ApiError, Ctx, IAM_PROPAGATION, Poll, api, retry_transient, wait_for};
use super::{Created, Found, Recorded, Request, Resource, TAG_RESOURCE, TAG_STACK, Timeouts};
use crate::spec::model::S3FilesFileSystemSpec;

pub struct S3FilesFileSystem;

impl Resource for S3FilesFileSystem {
    type Spec = S3FilesFileSystemSpec;
    const REPLACE_ON: &'static [&'static str] = &["bucket", "role", "prefix", "kms_key_id"];
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(600),
        update: Duration::from_secs(600),
        delete: Duration::from_secs(600),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, S3FilesFileSystemSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let tags = s3files_tags(req.tags)?;
        let out = retry_transient(
            IAM_PROPAGATION.min(req.timeout),
            req.progress,
            role_not_yet_usable,
            || async {
                ctx.clients
                    .s3files
                    .create_file_system()
                    .bucket(&spec.bucket)
                    .role_arn(&spec.role)
                    .set_prefix(spec.prefix.clone())
                    .set_kms_key_id(spec.kms_key_id.clone())
                    .client_token(req.token)
                    .set_tags(Some(tags.clone()))
                    .accept_bucket_warning(spec.accept_bucket_warning)
                    .send()
                    .await
                    .map_err(api("s3files:CreateFileSystem"))
            },
        )
        .await?;
        let id = out
            .file_system_id()
            .ok_or_else(|| ApiError::missing("s3files:CreateFileSystem", "fileSystemId"))?
            .to_string();
        let arn = out
            .file_system_arn()
            .map(String::from)
            .unwrap_or_else(|| ctx.arn("s3files", &format!("file-system/{id}")));
        wait_available(ctx, &id, req.timeout, req.progress).await?;
        Ok(Created::new(id).with("arn", arn))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, S3FilesFileSystemSpec>,
        prior: &Recorded<'_, S3FilesFileSystemSpec>,
    ) -> Result<Created, ApiError> {
        sync_tags(ctx, prior.id, prior.tags, req.tags).await?;
        let arn = prior
            .attributes
            .get("arn")
            .cloned()
            .unwrap_or_else(|| ctx.arn("s3files", &format!("file-system/{}", prior.id)));
        Ok(Created::new(prior.id).with("arn", arn))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, S3FilesFileSystemSpec>) -> Result<(), ApiError> {
        let id = prior.id;
        // 409 while mount targets (deleted just before, in graph order) are still `deleting`.
        let deleted = retry_transient(
            prior.timeout,
            prior.progress,
            |e| e.is("ConflictException"),
            || async {
                ctx.clients
                    .s3files
                    .delete_file_system()
                    .file_system_id(id)
                    .send()
                    .await
                    .map_err(api("s3files:DeleteFileSystem"))
            },
        )
        .await;
        match deleted {
            Err(e) if e.is_not_found() => return Ok(()),
            other => other.map(|_| ())?,
        }
        wait_for(
            "s3files:DeleteFileSystem",
            "the file system to be deleted",
            prior.timeout,
            prior.progress,
            || async {
                match ctx
                    .clients
                    .s3files
                    .get_file_system()
                    .file_system_id(id)
                    .send()
                    .await
                    .map_err(api("s3files:GetFileSystem"))
                {
                    Err(e) if e.is_not_found() => Ok(Poll::Ready(())),
                    Err(e) => Err(e),
                    Ok(out) => Ok(match out.status() {
                        Some(LifeCycleState::Deleted) => Poll::Ready(()),
                        Some(LifeCycleState::Error) => Poll::Failed(failed(out.status(), out.status_message())),
                        other => Poll::Pending(state_name(other)),
                    }),
                }
            },
        )
        .await
    }

    /// Import: one GetFileSystem per id. Recover: ListFileSystems, then one GetFileSystem per
    /// file system (the listing has no tags), keeping those tagged with the stack.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let candidates = if ids.is_empty() {
            list_file_system_ids(ctx).await?
        } else {
            owned(ids)
        };
        let found = each(candidates, |id| async move {
            let out = match ctx
                .clients
                .s3files
                .get_file_system()
                .file_system_id(&id)
                .send()
                .await
                .map_err(api("s3files:GetFileSystem"))
            {
                Ok(out) => out,
                Err(e) if absent(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            if gone(out.status()) {
                return Ok(None);
            }
            let owner = Owner::of(out.tags().iter().map(|t| (t.key(), t.value())));
            let arn = out
                .file_system_arn()
                .map(String::from)
                .unwrap_or_else(|| ctx.arn("s3files", &format!("file-system/{id}")));
            Ok(Some((owner, Created::new(id).with("arn", arn))))
        })
        .await?;
        Ok(keep(ctx, ids, found))
    }

    /// One GetFileSystem per file system (it carries the tags, which ListFileSystems does
    /// not: a list plus ListTagsForResource per file system would cost one call more).
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, S3FilesFileSystemSpec>],
    ) -> Result<Vec<Option<S3FilesFileSystemSpec>>, ApiError> {
        try_join_all(records.iter().map(|r| async move {
            let out = match ctx
                .clients
                .s3files
                .get_file_system()
                .file_system_id(r.id)
                .send()
                .await
                .map_err(api("s3files:GetFileSystem"))
            {
                Ok(out) => out,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
            if gone(out.status()) {
                return Ok(None);
            }
            let mut spec = r.spec.clone();
            if let Some(bucket) = out.bucket()
                && bucket_name(bucket) != bucket_name(&spec.bucket)
            {
                spec.bucket = bucket.to_string();
            }
            if let Some(role) = out.role_arn() {
                spec.role = role.to_string();
            }
            let live_prefix = out.prefix().trim_end_matches('/');
            if live_prefix != spec.prefix.as_deref().unwrap_or_default().trim_end_matches('/') {
                spec.prefix = (!out.prefix().is_empty()).then(|| out.prefix().to_string());
            }
            // AWS may answer with the key's ARN for a key given by id or alias; with no key
            // recorded, whatever key AWS reports is its default.
            if let (Some(live), Some(recorded)) = (out.kms_key_id(), spec.kms_key_id.as_deref())
                && !live.ends_with(recorded)
            {
                spec.kms_key_id = Some(live.to_string());
            }
            spec.tags = user_tags(out.tags().iter().map(|t| (t.key(), t.value())));
            Ok(Some(spec))
        }))
        .await
    }
}

/// Every S3 Files file system in the region that is not being deleted (ListFileSystems).
pub(super) async fn list_file_system_ids(ctx: &Ctx) -> Result<Vec<String>, ApiError> {
    let listed = ctx
        .clients
        .s3files
        .list_file_systems()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("s3files:ListFileSystems"))?;
    Ok(listed
        .iter()
        .filter(|fs| !gone(Some(fs.status())))
        .map(|fs| fs.file_system_id().to_string())
        .collect())
}

/// The ids of a `find` as owned strings, for lookups run concurrently.
pub(super) fn owned(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| id.to_string()).collect()
}

/// How many lookups a `find` runs at once (enough to be quick, few enough not to be throttled).
const FIND_CONCURRENCY: usize = 8;

/// Runs `lookup` on every item, at most [`FIND_CONCURRENCY`] at a time; answers in item order.
pub(super) async fn each<I, T, F, Fut>(items: I, lookup: F) -> Result<Vec<T>, ApiError>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    futures_util::stream::iter(items)
        .map(lookup)
        .buffered(FIND_CONCURRENCY)
        .try_collect()
        .await
}

/// What a resource's tags say about who made it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Owner {
    /// The `agentfs:stack` tag.
    pub stack: Option<String>,
    /// The `agentfs:resource` tag: the resource's address in the spec.
    pub address: Option<String>,
}

impl Owner {
    pub fn of<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Owner {
        let mut owner = Owner::default();
        for (key, value) in pairs {
            if key == TAG_STACK {
                owner.stack = Some(value.to_string());
            } else if key == TAG_RESOURCE {
                owner.address = Some(value.to_string());
            }
        }
        owner
    }

    pub fn belongs_to(&self, stack: &str) -> bool {
        self.stack.as_deref() == Some(stack)
    }
}

/// What a `find` answers from its lookups (`None` for ids that do not exist): every one found
/// when importing (`ids` given), only those tagged with the stack when recovering.
pub(super) fn keep(ctx: &Ctx, ids: &[&str], looked_up: Vec<Option<(Owner, Created)>>) -> Vec<Found> {
    looked_up
        .into_iter()
        .flatten()
        .filter(|(owner, _)| !ids.is_empty() || owner.belongs_to(&ctx.stack))
        .map(|(owner, created)| Found {
            address: owner.address,
            created,
        })
        .collect()
}

/// A lookup of an id that names nothing: not found, or not even a well-formed id.
pub(super) fn absent(e: &ApiError) -> bool {
    e.is_not_found()
        || matches!(
            e.code.as_str(),
            "ValidationException" | "BadRequest" | "InvalidParameterValue" | "ValidationError"
        )
}

/// `arn:aws:s3:::name` or `name` as the bare bucket name.
fn bucket_name(bucket: &str) -> &str {
    bucket.rsplit(":::").next().unwrap_or(bucket)
}

/// A state in which the resource no longer counts as existing.
pub(super) fn gone(state: Option<&LifeCycleState>) -> bool {
    matches!(state, Some(LifeCycleState::Deleting | LifeCycleState::Deleted))
}

/// Live tags as the spec holds them: without agentfs's own.
pub(super) fn user_tags<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter(|(k, _)| *k != TAG_STACK && *k != TAG_RESOURCE)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The live list where it differs from the recorded one as a set; else the recorded list
/// (so a reordering alone reads as no change).
pub(super) fn set_or_recorded(recorded: &[String], live: Vec<String>) -> Vec<String> {
    let same = recorded.iter().collect::<std::collections::BTreeSet<_>>() == live.iter().collect();
    if same { recorded.to_vec() } else { live }
}

/// Errors S3 Files gives while a just-created role is not yet usable by the service.
fn role_not_yet_usable(e: &ApiError) -> bool {
    e.is("AccessDeniedException")
        || e.is("AccessDenied")
        || e.is("403")
        || (e.is("ValidationException") && e.message.to_ascii_lowercase().contains("role"))
}

async fn wait_available(
    ctx: &Ctx,
    id: &str,
    timeout: Duration,
    progress: &dyn super::Progress,
) -> Result<(), ApiError> {
    wait_for(
        "s3files:CreateFileSystem",
        "the file system to be available",
        timeout,
        progress,
        || async {
            let out = ctx
                .clients
                .s3files
                .get_file_system()
                .file_system_id(id)
                .send()
                .await
                .map_err(api("s3files:GetFileSystem"))?;
            Ok(match out.status() {
                Some(LifeCycleState::Available) => Poll::Ready(()),
                Some(LifeCycleState::Error | LifeCycleState::Misconfigured | LifeCycleState::Deleted) => {
                    Poll::Failed(failed(out.status(), out.status_message()))
                }
                other => Poll::Pending(state_name(other)),
            })
        },
    )
    .await
}

/// The lowercase wire name of a lifecycle state.
pub(super) fn state_name(state: Option<&LifeCycleState>) -> String {
    state.map_or_else(|| "unknown".to_string(), |s| s.as_str().to_string())
}

pub(super) fn failed(state: Option<&LifeCycleState>, message: Option<&str>) -> String {
    match message {
        Some(m) if !m.is_empty() => format!("{}: {m}", state_name(state)),
        _ => state_name(state),
    }
}

/// Tags as the S3 Files list of `{key, value}`.
pub(super) fn s3files_tags(tags: &BTreeMap<String, String>) -> Result<Vec<aws_sdk_s3files::types::Tag>, ApiError> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_s3files::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ApiError::new("s3files:TagResource", "InvalidTag", e.to_string()))
        })
        .collect()
}

/// Makes an S3 Files resource's tags (file system or access point, by id) equal `desired`.
pub(super) async fn sync_tags(
    ctx: &Ctx,
    resource_id: &str,
    recorded: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let (stale, changed) = tag_changes(recorded, desired);
    if !stale.is_empty() {
        ctx.clients
            .s3files
            .untag_resource()
            .resource_id(resource_id)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(api("s3files:UntagResource"))?;
    }
    if !changed.is_empty() {
        ctx.clients
            .s3files
            .tag_resource()
            .resource_id(resource_id)
            .set_tags(Some(s3files_tags(&changed)?))
            .send()
            .await
            .map_err(api("s3files:TagResource"))?;
    }
    Ok(())
}

/// Keys to remove and entries to set to go from `recorded` to `desired`.
pub(super) fn tag_changes(
    recorded: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let stale = recorded.keys().filter(|k| !desired.contains_key(*k)).cloned().collect();
    let changed = desired
        .iter()
        .filter(|(k, v)| recorded.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (stale, changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_changes_remove_stale_and_set_changed() {
        let old = BTreeMap::from([("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())]);
        let new = BTreeMap::from([("b".to_string(), "3".to_string()), ("c".to_string(), "4".to_string())]);
        let (stale, changed) = tag_changes(&old, &new);
        assert_eq!(stale, vec!["a".to_string()]);
        assert_eq!(changed, new);
    }

    #[test]
    fn access_denied_and_role_validation_are_transient() {
        assert!(role_not_yet_usable(&ApiError::new(
            "x",
            "AccessDeniedException",
            "nope"
        )));
        assert!(role_not_yet_usable(&ApiError::new(
            "x",
            "ValidationException",
            "cannot assume Role"
        )));
        assert!(!role_not_yet_usable(&ApiError::new(
            "x",
            "ValidationException",
            "bucket not versioned"
        )));
    }
}
