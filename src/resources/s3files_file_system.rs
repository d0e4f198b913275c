//! `s3files_file_system`: CreateFileSystem with the stack's client token (a retry returns the
//! same file system), retried while the fresh service role propagates, then a wait for
//! `available`. Only tags change in place. Delete waits out mount targets still deleting.
//!
//! Also home of what the S3 Files kinds share (tag conversion and tag sync), and of what every
//! kind's `find` shares: reading ownership tags and bounded concurrent lookups.

use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_s3files::types::LifeCycleState;

use futures_util::future::try_join_all;

use super::Kind;
use super::s3files::{failed, find_file_systems, gone, state_name};
use super::tags::{self, Tagged};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::aws::{
    ApiError, Ctx, ErrorKind, IAM_PROPAGATION, Poll, Progress, api, delete_then_wait, retry_transient, wait_for,
};
use crate::lang::Group;
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[s3files_file_system.NAME]`: an Amazon S3 Files file system over a bucket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3FilesFileSystemSpec {
    /// The `s3_bucket` behind the file system.
    pub bucket: String,
    /// The `iam_role` S3 Files assumes to reach the bucket.
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Acknowledge the API's warning about buckets with existing objects.
    #[serde(default)]
    pub accept_bucket_warning: bool,
    /// Delete the file system even while data written through it is not yet exported to the
    /// bucket (DeleteFileSystem's `forceDelete`): that data is lost.
    #[serde(default)]
    pub force_delete: bool,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for S3FilesFileSystemSpec {
    fn check(&self, check: &mut Check<'_>) {
        if self.force_delete {
            check.warn(
                "agentfs::force_delete",
                "force_delete",
                "destroying this file system loses data not yet exported to the bucket",
                "leave `force_delete` off to have destroy wait for the export",
            );
        }
    }
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![
            RefSlot::new("bucket", Kind::S3Bucket, "arn", &mut self.bucket),
            RefSlot::new("role", Kind::IamRole, "arn", &mut self.role),
        ]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

const KMS_KEY: &str = r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[a-zA-Z0-9/_-]+|(arn:aws[-a-z]*:kms:[a-z0-9-]+:\d{12}:((key/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(key/mrk-[0-9a-f]{32})|(alias/[a-zA-Z0-9/_-]+))))";

pub struct S3FilesFileSystem;

impl Resource for S3FilesFileSystem {
    type Spec = S3FilesFileSystemSpec;
    const GROUP: Group = Group::Storage;
    const CREATE_CALL: &'static str = "s3files:CreateFileSystem";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn"];
    /// Found by id, name or ARN when the stack uses one it does not own.
    const EXISTING: Option<crate::lang::existing::ExistingWays> =
        Some(crate::lang::existing::ExistingWays::by_id("s3files"));
    const REPLACE_LOSES: Option<&'static str> = Some("files written through it and not yet exported to the bucket");
    const REPLACE_ON: &'static [&'static str] = &["bucket", "role", "prefix", "kms_key_id"];
    /// An acknowledgement CreateFileSystem alone reads: changing it later changes nothing in AWS.
    const LOCAL_ONLY: &'static [&'static str] = &["accept_bucket_warning", "force_delete"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::reference("bucket", "s3files", "CreateFileSystemRequest$bucket"),
            ApiField::reference("role", "s3files", "CreateFileSystemRequest$roleArn"),
            ApiField::model(
                "prefix",
                "s3files",
                "CreateFileSystemRequest$prefix",
                Limits::len(0, 1024).pattern("(|.*/)"),
            ),
            ApiField::model(
                "kms_key_id",
                "s3files",
                "CreateFileSystemRequest$kmsKeyId",
                Limits::len(0, 2048).pattern(KMS_KEY),
            ),
            ApiField::model(
                "force_delete",
                "s3files",
                "DeleteFileSystemRequest$forceDelete",
                Limits::NONE,
            ),
            ApiField::model(
                "accept_bucket_warning",
                "s3files",
                "CreateFileSystemRequest$acceptBucketWarning",
                Limits::NONE,
            ),
        ],
        tags: super::tags::rules::S3FILES,
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(600),
        update: Duration::from_secs(600),
        delete: Duration::from_secs(600),
    };

    /// `accept_bucket_warning` only acknowledges a warning of the create: after it, true and
    /// false are the same file system, so a change never shows as an update.
    fn normalise(mut config: serde_json::Value) -> serde_json::Value {
        if let Some(fields) = config.as_object_mut() {
            fields.remove("accept_bucket_warning");
        }
        config
    }

    async fn create(ctx: &Ctx, req: &Request<'_, S3FilesFileSystemSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let tags = tags::s3files(req.tags)?;
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
        wait_available(ctx, &id, req.timeout, req.progress)
            .await
            .map_err(|e| e.about(&id))?;
        Ok(Created::new(id).with("arn", arn))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, S3FilesFileSystemSpec>,
        prior: &Recorded<'_, S3FilesFileSystemSpec>,
    ) -> Result<Created, ApiError> {
        tags::sync(ctx, Tagged::S3Files(prior.id), prior.tags, req.tags).await?;
        let arn = prior
            .attributes
            .get("arn")
            .cloned()
            .unwrap_or_else(|| ctx.arn("s3files", &format!("file-system/{}", prior.id)));
        Ok(Created::new(prior.id).with("arn", arn))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, S3FilesFileSystemSpec>) -> Result<(), ApiError> {
        let id = prior.id;
        let refusal = Mutex::new(None);
        let progress = Refused {
            latest: &refusal,
            inner: prior.progress,
        };
        let refusal = &refusal;
        // 409 while mount targets (deleted just before, in graph order) are still `deleting`, or
        // while data written through the file system is not yet exported to the bucket.
        let deleted = delete_then_wait(
            "s3files:DeleteFileSystem",
            "the file system",
            prior.timeout,
            &progress,
            || async {
                let sent = ctx
                    .clients
                    .s3files
                    .delete_file_system()
                    .file_system_id(id)
                    .force_delete(prior.spec.force_delete)
                    .send()
                    .await
                    .map_err(api("s3files:DeleteFileSystem"));
                if let Ok(mut latest) = refusal.lock() {
                    *latest = sent.as_ref().err().filter(|e| busy(e)).map(|e| e.message.clone());
                }
                sent
            },
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
                    Some(LifeCycleState::Deleted) => Poll::Ready(()),
                    Some(LifeCycleState::Error) => Poll::Failed(failed(out.status(), out.status_message())),
                    other => Poll::Pending(state_name(other)),
                })
            },
        )
        .await;
        match deleted {
            Err(e) if busy(&e) && !prior.spec.force_delete => Err(ApiError {
                message: format!(
                    "{} (still refused after {}s: wait for the export to finish and run destroy again, or set \
                     `force_delete = true` on the file system to delete it anyway, losing the data not yet exported)",
                    e.message,
                    prior.timeout.as_secs()
                ),
                ..e
            }),
            other => other,
        }
    }

    /// Import: one GetFileSystem per id. Recover: ListFileSystems, then one GetFileSystem per
    /// file system (the listing has no tags), keeping those tagged with the stack.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        find_file_systems(ctx, ids).await
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
            spec.tags = tags::user_tags(out.tags().iter().map(|t| (t.key(), t.value())));
            Ok(Some(spec))
        }))
        .await
    }
}

/// `arn:aws:s3:::name` or `name` as the bare bucket name.
fn bucket_name(bucket: &str) -> &str {
    bucket.rsplit(":::").next().unwrap_or(bucket)
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

/// DeleteFileSystem refused for now (mount targets still going, data not yet exported).
fn busy(e: &ApiError) -> bool {
    matches!(e.kind, ErrorKind::Conflict | ErrorKind::InUse)
}

/// Progress that shows AWS's latest refusal of the delete (e.g. how much is not yet exported).
struct Refused<'a> {
    latest: &'a Mutex<Option<String>>,
    inner: &'a dyn Progress,
}

impl Progress for Refused<'_> {
    fn phase(&self, text: &str) {
        match self.latest.lock().ok().and_then(|latest| latest.clone()) {
            Some(why) => self.inner.phase(&format!("{text}: {why}")),
            None => self.inner.phase(text),
        }
    }
}

/// `AWS::S3Files::FileSystem` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::S3Files::FileSystem",
    &[
        p("Bucket", To::Ref("bucket", "s3_bucket")),
        p("Prefix", To::Field("prefix")),
        p("RoleArn", To::Ref("role", "iam_role")),
        p("KmsKeyId", To::Field("kms_key_id")),
        p("AcceptBucketWarning", To::Bool("accept_bucket_warning")),
        p("ClientToken", To::Refuse(TOKEN)),
        p(
            "SynchronizationConfiguration",
            To::Refuse("agentfs keeps the file system's default synchronization rules"),
        ),
        p("Tags", TAGS),
    ],
)
.attributes(&[("FileSystemId", "id"), ("FileSystemArn", "arn")])];

const TOKEN: &str = "agentfs makes its own idempotency token for every create";

#[cfg(test)]
mod tests {
    use super::*;

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
