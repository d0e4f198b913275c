//! `s3_bucket`: CreateBucket (a bucket we already own is adopted: bucket names are global, so a
//! crash after the create leaves exactly that), then tagging, versioning, default encryption
//! (SSE-S3, or SSE-KMS with the spec's key), the public access block and the bucket policy.
//! The public access block and the policy are managed only when the spec sets them: a spec
//! without them leaves AWS's defaults (every public access blocked, no policy) alone.
//! Delete refuses a bucket that still holds any object version unless `force_destroy = true`,
//! in which case it deletes every version and delete marker first.

mod cfn;
mod settings;

use cfn::CFN;
use settings::*;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete, ObjectIdentifier,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging, VersioningConfiguration,
};

use futures_util::future::try_join_all;

use super::lookup::{each, keep, owned};
use super::tags::{self, Owner};
use super::{Created, Found, Recorded, Request, Resource, TAG_RESOURCE, TAG_STACK, Timeouts};
use crate::aws::{ApiError, Ctx, api, gone_is_done, retry_transient};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName};
use crate::lang::{Addr, Group, rules};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[s3_bucket.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3BucketSpec {
    /// Bucket name, e.g. `${stack}-${account_id}-${region}`.
    pub name: String,
    #[serde(default)]
    pub versioning: bool,
    /// Default encryption: `AES256` (SSE-S3) or `aws:kms`.
    #[serde(default = "aes256")]
    pub encryption: String,
    /// The KMS key (ARN) of `aws:kms` encryption; the AWS managed key `aws/s3` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// `true` blocks every kind of public access (all four settings); or a table of the four.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_public_access: Option<BlockPublicAccess>,
    /// The bucket policy (a resource policy: every statement names its principals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub policy: Option<serde_json::Value>,
    /// Expiration rules; managed when given (removing every rule removes the configuration).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// Let destroy delete every object version first; without it a non-empty bucket stops destroy.
    #[serde(default)]
    pub force_destroy: bool,
    #[serde(default)]
    pub tags: Tags,
}

fn aes256() -> String {
    "AES256".into()
}

/// One lifecycle rule: what expires under `prefix` (every object when empty), after how many days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LifecycleRule {
    /// The rule's name, unique in the bucket.
    pub id: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default = "crate::lang::kind::default_true")]
    pub enabled: bool,
    /// Current object versions expire this many days after creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_days: Option<i32>,
    /// Noncurrent versions are deleted this many days after they became noncurrent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noncurrent_version_expiration_days: Option<i32>,
    /// Incomplete multipart uploads are aborted this many days after they started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_incomplete_multipart_upload_days: Option<i32>,
}

/// The bucket's public access block: all four settings at once, or each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum BlockPublicAccess {
    All(bool),
    Each(PublicAccessSettings),
}

/// S3's four public access settings (each off when absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicAccessSettings {
    #[serde(default)]
    pub block_public_acls: bool,
    #[serde(default)]
    pub ignore_public_acls: bool,
    #[serde(default)]
    pub block_public_policy: bool,
    #[serde(default)]
    pub restrict_public_buckets: bool,
}

impl BlockPublicAccess {
    fn settings(self) -> PublicAccessSettings {
        match self {
            BlockPublicAccess::All(on) => PublicAccessSettings {
                block_public_acls: on,
                ignore_public_acls: on,
                block_public_policy: on,
                restrict_public_buckets: on,
            },
            BlockPublicAccess::Each(each) => each,
        }
    }

    /// The live settings in the form the spec wrote them, so that the same meaning reads equal.
    fn like(self, live: PublicAccessSettings) -> BlockPublicAccess {
        let all = [
            live.block_public_acls,
            live.ignore_public_acls,
            live.block_public_policy,
            live.restrict_public_buckets,
        ];
        match self {
            BlockPublicAccess::All(_) if all.iter().all(|b| *b == all[0]) => BlockPublicAccess::All(all[0]),
            _ => BlockPublicAccess::Each(live),
        }
    }
}

impl KindSpec for S3BucketSpec {
    fn check(&self, check: &mut Check<'_>) {
        check.rule("agentfs::bucket_name", "name", &self.name, rules::bucket_name, || {
            format!("`{}` is not a valid bucket name", self.name)
        });
        if !matches!(self.encryption.as_str(), "AES256" | "aws:kms") {
            check.error(
                "agentfs::enum",
                "encryption",
                format!("`{}` is not a default encryption", self.encryption),
                "use `AES256` (SSE-S3) or `aws:kms`",
            );
        }
        if self.kms_key_id.is_some() && self.encryption != "aws:kms" {
            check.error(
                "agentfs::bucket_encryption",
                "kms_key_id",
                "a KMS key is only used with `aws:kms` encryption",
                "set `encryption = \"aws:kms\"` or remove `kms_key_id`",
            );
        }
        if let Some(policy) = &self.policy {
            super::policy_document::policy_shape(check, "policy", policy, true);
        }
        let mut ids = std::collections::BTreeSet::new();
        for (i, rule) in self.lifecycle_rules.iter().enumerate() {
            let at = format!("lifecycle_rules[{i}]");
            if rule.id.is_empty() || rule.id.len() > 255 || !ids.insert(rule.id.as_str()) {
                check.error(
                    "agentfs::bucket_lifecycle",
                    &format!("{at}.id"),
                    format!("`{}` is not a unique rule id of 1 to 255 characters", rule.id),
                    "give each rule its own `id`",
                );
            }
            let days = [
                rule.expiration_days,
                rule.noncurrent_version_expiration_days,
                rule.abort_incomplete_multipart_upload_days,
            ];
            if days.iter().all(Option::is_none) {
                check.error(
                    "agentfs::bucket_lifecycle",
                    &at,
                    "the rule does nothing",
                    "set `expiration_days`, `noncurrent_version_expiration_days` or `abort_incomplete_multipart_upload_days`",
                );
            }
            if days.iter().flatten().any(|d| *d < 1) {
                check.error(
                    "agentfs::bucket_lifecycle",
                    &at,
                    "a lifecycle period is at least one day",
                    "use a number of days of 1 or more",
                );
            }
        }
    }

    fn unique_name(&self, _: &Addr) -> Option<UniqueName> {
        Some(UniqueName {
            scope: String::new(),
            name: self.name.clone(),
        })
    }
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        Vec::new()
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct S3Bucket;

/// DeleteObjects takes at most this many keys per call.
const DELETE_BATCH: usize = 1000;

/// How long DeleteBucket is retried while a file system on the bucket finishes deleting.
const FILE_SYSTEM_DETACH: Duration = Duration::from_secs(180);

impl Resource for S3Bucket {
    type Spec = S3BucketSpec;
    const GROUP: Group = Group::Storage;
    const CREATE_CALL: &'static str = "s3:CreateBucket";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "name"];
    /// Found by id, name or ARN when the stack uses one it does not own.
    const EXISTING: Option<crate::lang::existing::ExistingWays> =
        Some(crate::lang::existing::ExistingWays::by_name("s3", |arn| {
            arn.split_once(":::").map(|(_, name)| name.to_string())
        }));
    const REPLACE_LOSES: Option<&'static str> = Some("every object and object version in the bucket");
    const LOCAL_ONLY: &'static [&'static str] = &["force_destroy"];
    const REPLACE_ON: &'static [&'static str] = &["name"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model("name", "s3", "CreateBucketRequest$Bucket", Limits::NONE),
            ApiField::model(
                "versioning",
                "s3",
                "PutBucketVersioningRequest$VersioningConfiguration",
                Limits::NONE,
            ),
            ApiField::model(
                "encryption",
                "s3",
                "ServerSideEncryptionByDefault$SSEAlgorithm",
                Limits::one_of(&["AES256", "aws:fsx", "aws:backup", "aws:kms", "aws:kms:dsse"]),
            ),
            ApiField::model(
                "kms_key_id",
                "s3",
                "ServerSideEncryptionByDefault$KMSMasterKeyID",
                Limits::NONE,
            ),
            ApiField::model(
                "block_public_access",
                "s3",
                "PutPublicAccessBlockRequest$PublicAccessBlockConfiguration",
                Limits::NONE,
            ),
        ],
        tags: super::tags::rules::S3,
        // The policy is sent serialised to JSON; the rules become S3's nested rule shape.
        not_sent: &["force_destroy", "policy", "lifecycle_rules"],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(300),
        update: Duration::from_secs(300),
        // Emptying a large bucket takes a while.
        delete: Duration::from_secs(1800),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, S3BucketSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let mut configuration = CreateBucketConfiguration::builder().set_tags(Some(tag_set(req.tags)?));
        if ctx.region != "us-east-1" {
            configuration = configuration.location_constraint(BucketLocationConstraint::from(ctx.region.as_str()));
        }
        let call = ctx
            .clients
            .s3
            .create_bucket()
            .bucket(&spec.name)
            .create_bucket_configuration(configuration.build());
        match call.send().await.map_err(api("s3:CreateBucket")) {
            // us-east-1 answers 200 to the owner of a bucket that already exists: no proof of
            // creation. Only the tags, which a bucket this call made carries from its first
            // moment, tell whether it is this resource's (made now or by an interrupted run).
            Ok(_) => {}
            Err(e) if e.is("BucketAlreadyOwnedByYou") => {}
            Err(e) if e.is("BucketAlreadyExists") => {
                return Err(ApiError::new(
                    "s3:CreateBucket",
                    "BucketAlreadyExists",
                    format!(
                        "the bucket name `{}` is taken by another AWS account (bucket names are global): choose another",
                        spec.name
                    ),
                ));
            }
            Err(e) => return Err(e),
        }
        let live = bucket_tags(ctx, &spec.name).await?;
        if !tags::made_for(&live, req.tags) {
            return Err(ApiError::new(
                "s3:CreateBucket",
                "BucketAlreadyOwnedByYou",
                format!(
                    "a bucket named `{}` already exists in this account and was not made by agentfs for {} in stack `{}` \
                     (its {TAG_STACK}/{TAG_RESOURCE} tags differ): agentfs leaves it as it is; choose another name, \
                     or adopt it on purpose with `agentfs import`",
                    spec.name, req.address, ctx.stack
                ),
            ));
        }
        if &live != req.tags {
            put_tags(ctx, &spec.name, req.tags).await?;
        }
        if spec.versioning {
            put_versioning(ctx, &spec.name, true).await?;
        } else if versioning_enabled(ctx, &spec.name).await? {
            // Made by an interrupted run of an earlier spec that had versioning on.
            put_versioning(ctx, &spec.name, false).await?;
        }
        put_encryption(ctx, &spec.name, &spec.encryption, spec.kms_key_id.as_deref()).await?;
        if let Some(block) = spec.block_public_access {
            put_public_access_block(ctx, &spec.name, block.settings()).await?;
        }
        if let Some(policy) = &spec.policy {
            put_policy(ctx, &spec.name, Some(policy)).await?;
        }
        if !spec.lifecycle_rules.is_empty() {
            put_lifecycle(ctx, &spec.name, &spec.lifecycle_rules).await?;
        }
        Ok(created(&spec.name))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, S3BucketSpec>,
        prior: &Recorded<'_, S3BucketSpec>,
    ) -> Result<Created, ApiError> {
        let (spec, old) = (req.spec, prior.spec);
        if spec.versioning != old.versioning {
            put_versioning(ctx, &spec.name, spec.versioning).await?;
        }
        if spec.encryption != old.encryption || spec.kms_key_id != old.kms_key_id {
            put_encryption(ctx, &spec.name, &spec.encryption, spec.kms_key_id.as_deref()).await?;
        }
        if let Some(block) = spec.block_public_access
            && old.block_public_access.map(BlockPublicAccess::settings) != Some(block.settings())
        {
            put_public_access_block(ctx, &spec.name, block.settings()).await?;
        }
        let policy_changed = match (&spec.policy, &old.policy) {
            (Some(new), Some(old)) => !super::policy_document::same_policy(new, old),
            (None, None) => false,
            _ => true,
        };
        if policy_changed {
            put_policy(ctx, &spec.name, spec.policy.as_ref()).await?;
        }
        if spec.lifecycle_rules != old.lifecycle_rules {
            put_lifecycle(ctx, &spec.name, &spec.lifecycle_rules).await?;
        }
        if req.tags != prior.tags {
            put_tags(ctx, &spec.name, req.tags).await?;
        }
        Ok(created(&spec.name))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, S3BucketSpec>) -> Result<(), ApiError> {
        let bucket = prior.id;
        let result = async {
            let first = list_versions(ctx, bucket).await?;
            if !first.is_empty() {
                if !prior.spec.force_destroy {
                    return Err(ApiError::new(
                        "s3:DeleteBucket",
                        "BucketNotEmpty",
                        format!(
                            "bucket `{bucket}` still holds objects (or object versions / delete markers); \
                             set `force_destroy = true` on {} to let agentfs delete them all, or empty the bucket yourself",
                            prior.address
                        ),
                    ));
                }
                empty(ctx, bucket, first, prior).await?;
            }
            retry_transient(
                FILE_SYSTEM_DETACH.min(prior.timeout),
                prior.progress,
                |e| e.is("BucketHasS3FileSystemAttached"),
                || async {
                    ctx.clients
                        .s3
                        .delete_bucket()
                        .bucket(bucket)
                        .send()
                        .await
                        .map_err(api("s3:DeleteBucket"))
                },
            )
            .await
            .map(|_| ())
        }
        .await;
        gone_is_done(result)
    }

    /// Import: one GetBucketTagging per name (`NoSuchBucket`: unknown; `NoSuchTagSet`: a
    /// bucket without tags). Recover: ListBuckets, then GetBucketTagging for each bucket of
    /// this region, keeping those tagged with the stack. A bucket whose tags cannot be read
    /// (another region answering with a redirect, a bucket policy denying it) is skipped then:
    /// agentfs did not make it in this region, or cannot manage it anyway.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let recovering = ids.is_empty();
        let candidates: Vec<String> = if recovering {
            let buckets = ctx
                .clients
                .s3
                .list_buckets()
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(api("s3:ListBuckets"))?;
            buckets
                .iter()
                .filter(|b| b.bucket_region().is_none_or(|r| r == ctx.region))
                .filter_map(|b| b.name().map(String::from))
                .collect()
        } else {
            owned(ids)
        };
        let found = each(candidates, |name| async move {
            let owner = match bucket_tags(ctx, &name).await {
                Ok(tags) => Owner::of(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                Err(e) if e.is("NoSuchBucket") || e.is_not_found() => return Ok(None),
                Err(e) if recovering && unreadable_elsewhere(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            Ok(Some((owner, created(&name))))
        })
        .await?;
        Ok(keep(ctx, ids, found))
    }

    /// Three calls per bucket, run together (S3 has no batched bucket read):
    /// GetBucketVersioning, GetBucketEncryption and GetBucketTagging. `NoSuchBucket` from any
    /// of them means the bucket is gone; no default encryption reads as [`NO_ENCRYPTION`].
    async fn read(ctx: &Ctx, records: &[Recorded<'_, S3BucketSpec>]) -> Result<Vec<Option<S3BucketSpec>>, ApiError> {
        try_join_all(records.iter().map(|r| async move {
            let s3 = &ctx.clients.s3;
            let bucket = r.id;
            let (versioning, encryption, tagging) = tokio::join!(
                async {
                    s3.get_bucket_versioning()
                        .bucket(bucket)
                        .send()
                        .await
                        .map_err(api("s3:GetBucketVersioning"))
                },
                async {
                    s3.get_bucket_encryption()
                        .bucket(bucket)
                        .send()
                        .await
                        .map_err(api("s3:GetBucketEncryption"))
                },
                bucket_tags(ctx, bucket),
            );
            let gone = |e: &ApiError| e.is("NoSuchBucket");
            if [
                versioning.as_ref().err(),
                encryption.as_ref().err(),
                tagging.as_ref().err(),
            ]
            .into_iter()
            .flatten()
            .any(gone)
            {
                return Ok(None);
            }
            let mut spec = r.spec.clone();
            spec.versioning = versioning?.status() == Some(&BucketVersioningStatus::Enabled);
            let default = match encryption {
                Ok(out) => out
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|rule| rule.apply_server_side_encryption_by_default())
                    .cloned(),
                Err(e) if e.is("ServerSideEncryptionConfigurationNotFoundError") => None,
                Err(e) => return Err(e),
            };
            spec.encryption = default
                .as_ref()
                .map_or_else(|| NO_ENCRYPTION.to_string(), |d| d.sse_algorithm().as_str().to_string());
            spec.kms_key_id = default.as_ref().and_then(|d| d.kms_master_key_id().map(String::from));
            if let Some(recorded) = r.spec.block_public_access {
                spec.block_public_access = Some(recorded.like(public_access_block(ctx, bucket).await?));
            }
            if !r.spec.lifecycle_rules.is_empty() {
                spec.lifecycle_rules = lifecycle(ctx, bucket).await?;
            }
            if let Some(recorded) = &r.spec.policy {
                let live = bucket_policy(ctx, bucket).await?;
                if !live
                    .as_ref()
                    .is_some_and(|l| super::policy_document::same_policy(l, recorded))
                {
                    spec.policy = live;
                }
            }
            spec.tags = tags::user_tags(tagging?.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Ok(Some(spec))
        }))
        .await
    }
}

/// `encryption` as read from a bucket without default encryption (AWS itself no longer has
/// such buckets, S3-compatible stores and emulators do).
const NO_ENCRYPTION: &str = "none";

/// GetBucketTagging refused for a listed bucket: it lives in another region (S3 answers with
/// a redirect or a signing-region error) or its policy denies us.
fn unreadable_elsewhere(e: &ApiError) -> bool {
    e.code.starts_with("AccessDenied")
        || matches!(
            e.code.as_str(),
            "PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException" | "301" | "403"
        )
}

fn created(name: &str) -> Created {
    Created::new(name)
        .with("arn", format!("arn:aws:s3:::{name}"))
        .with("name", name)
}

fn invalid(operation: &'static str) -> impl Fn(aws_sdk_s3::error::BuildError) -> ApiError {
    move |e| ApiError::new(operation, "InvalidRequest", e.to_string())
}

/// The bucket's tags; none when it has no tag set.
async fn bucket_tags(ctx: &Ctx, bucket: &str) -> Result<BTreeMap<String, String>, ApiError> {
    match ctx
        .clients
        .s3
        .get_bucket_tagging()
        .bucket(bucket)
        .send()
        .await
        .map_err(api("s3:GetBucketTagging"))
    {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) if e.is("NoSuchTagSet") => Ok(BTreeMap::new()),
        Err(e) => Err(e),
    }
}

fn tag_set(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ApiError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid("s3:CreateBucket"))
}

async fn put_tags(ctx: &Ctx, bucket: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if tags.is_empty() {
        ctx.clients
            .s3
            .delete_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .map_err(api("s3:DeleteBucketTagging"))?;
        return Ok(());
    }
    let set = tag_set(tags)?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(set))
        .build()
        .map_err(invalid("s3:PutBucketTagging"))?;
    ctx.clients
        .s3
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(api("s3:PutBucketTagging"))?;
    Ok(())
}

/// Up to 1,000 object versions and delete markers (unversioned objects have version `null`).
async fn list_versions(ctx: &Ctx, bucket: &str) -> Result<Vec<ObjectIdentifier>, ApiError> {
    let out = ctx
        .clients
        .s3
        .list_object_versions()
        .bucket(bucket)
        .max_keys(DELETE_BATCH as i32)
        .send()
        .await
        .map_err(api("s3:ListObjectVersions"))?;
    let versions = out.versions().iter().map(|v| (v.key(), v.version_id()));
    let markers = out.delete_markers().iter().map(|m| (m.key(), m.version_id()));
    versions
        .chain(markers)
        .filter_map(|(key, version)| key.map(|k| (k, version)))
        .map(|(key, version)| {
            ObjectIdentifier::builder()
                .key(key)
                .set_version_id(version.map(String::from))
                .build()
                .map_err(invalid("s3:DeleteObjects"))
        })
        .collect()
}

/// Deletes every version and delete marker, one listed page (at most 1,000) per DeleteObjects.
/// Each round lists from the start again: deleting invalidates the listing's markers.
async fn empty(
    ctx: &Ctx,
    bucket: &str,
    mut batch: Vec<ObjectIdentifier>,
    prior: &Recorded<'_, S3BucketSpec>,
) -> Result<(), ApiError> {
    let mut deleted = 0usize;
    while !batch.is_empty() {
        let count = batch.len();
        let delete = Delete::builder()
            .set_objects(Some(batch))
            .quiet(true)
            .build()
            .map_err(invalid("s3:DeleteObjects"))?;
        let out = ctx
            .clients
            .s3
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(api("s3:DeleteObjects"))?;
        if let Some(err) = out.errors().first() {
            return Err(ApiError::new(
                "s3:DeleteObjects",
                err.code().unwrap_or("Unknown"),
                format!(
                    "could not delete `{}` (version {}) from bucket `{bucket}`: {} ({} keys failed)",
                    err.key().unwrap_or_default(),
                    err.version_id().unwrap_or("null"),
                    err.message().unwrap_or_default(),
                    out.errors().len()
                ),
            ));
        }
        deleted += count;
        prior
            .progress
            .phase(&format!("emptying bucket ({deleted} versions deleted)"));
        batch = list_versions(ctx, bucket).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_access_reads_back_in_the_form_the_spec_wrote() {
        let all = PublicAccessSettings {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        };
        let one_off = PublicAccessSettings {
            block_public_policy: false,
            ..all
        };
        assert_eq!(BlockPublicAccess::All(true).like(all), BlockPublicAccess::All(true));
        assert_eq!(
            BlockPublicAccess::All(true).like(one_off),
            BlockPublicAccess::Each(one_off)
        );
        assert_eq!(BlockPublicAccess::Each(all).like(all), BlockPublicAccess::Each(all));
        assert_eq!(BlockPublicAccess::All(true).settings(), all);
        let parsed: BlockPublicAccess = serde_json::from_value(serde_json::json!({"block_public_acls": true})).unwrap();
        assert_eq!(
            parsed.settings(),
            PublicAccessSettings {
                block_public_acls: true,
                ..Default::default()
            }
        );
    }
}
