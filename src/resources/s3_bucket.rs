//! `s3_bucket`: CreateBucket (a bucket we already own is adopted: bucket names are global, so a
//! crash after the create leaves exactly that), then tagging, versioning and default encryption.
//! Delete refuses a bucket that still holds any object version unless `force_destroy = true`,
//! in which case it deletes every version and delete marker first.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete, ObjectIdentifier,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging, VersioningConfiguration,
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
    /// Let destroy delete every object version first; without it a non-empty bucket stops destroy.
    #[serde(default)]
    pub force_destroy: bool,
    #[serde(default)]
    pub tags: Tags,
}

fn aes256() -> String {
    "AES256".into()
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
        ],
        tags: super::tags::rules::S3,
        not_sent: &["force_destroy"],
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
        put_encryption(ctx, &spec.name, &spec.encryption).await?;
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
        if spec.encryption != old.encryption {
            put_encryption(ctx, &spec.name, &spec.encryption).await?;
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
            spec.encryption = match encryption {
                Ok(out) => out
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|rule| rule.apply_server_side_encryption_by_default())
                    .map(|d| d.sse_algorithm().as_str().to_string())
                    .unwrap_or_else(|| NO_ENCRYPTION.to_string()),
                Err(e) if e.is("ServerSideEncryptionConfigurationNotFoundError") => NO_ENCRYPTION.to_string(),
                Err(e) => return Err(e),
            };
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

async fn versioning_enabled(ctx: &Ctx, bucket: &str) -> Result<bool, ApiError> {
    let out = ctx
        .clients
        .s3
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .map_err(api("s3:GetBucketVersioning"))?;
    Ok(out.status() == Some(&BucketVersioningStatus::Enabled))
}

/// `Enabled`, or `Suspended` when turned off (a bucket that once had versioning cannot lose it).
async fn put_versioning(ctx: &Ctx, bucket: &str, on: bool) -> Result<(), ApiError> {
    let status = if on {
        BucketVersioningStatus::Enabled
    } else {
        BucketVersioningStatus::Suspended
    };
    ctx.clients
        .s3
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .map_err(api("s3:PutBucketVersioning"))?;
    Ok(())
}

async fn put_encryption(ctx: &Ctx, bucket: &str, algorithm: &str) -> Result<(), ApiError> {
    let algorithm = match algorithm {
        "AES256" => ServerSideEncryption::Aes256,
        "aws:kms" => ServerSideEncryption::AwsKms,
        other => {
            return Err(ApiError::new(
                "s3:PutBucketEncryption",
                "InvalidEncryption",
                format!("encryption must be `AES256` or `aws:kms`, not `{other}`"),
            ));
        }
    };
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(algorithm)
        .build()
        .map_err(invalid("s3:PutBucketEncryption"))?;
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default)
                .build(),
        )
        .build()
        .map_err(invalid("s3:PutBucketEncryption"))?;
    ctx.clients
        .s3
        .put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .map_err(api("s3:PutBucketEncryption"))?;
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

/// `AWS::S3::Bucket` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::S3::Bucket",
    &[
        p("BucketName", To::Field("name")),
        p("VersioningConfiguration.Status", To::With("versioning", versioning)),
        p(
            "BucketEncryption.ServerSideEncryptionConfiguration[].ServerSideEncryptionByDefault.SSEAlgorithm",
            To::Field("encryption"),
        ),
        p(
            "BucketEncryption.ServerSideEncryptionConfiguration[].ServerSideEncryptionByDefault.KMSMasterKeyID",
            To::Refuse("agentfs encrypts a bucket with the AWS managed key"),
        ),
        p(
            "BucketEncryption.ServerSideEncryptionConfiguration[].BucketKeyEnabled",
            To::Refuse("agentfs does not set S3 Bucket Keys"),
        ),
        p(
            "BucketEncryption.ServerSideEncryptionConfiguration[].BlockedEncryptionTypes",
            To::Refuse("agentfs does not block encryption types"),
        ),
        p("Tags", TAGS),
        // S3's defaults for a new bucket, which agentfs keeps: accepted as long as they say so.
        p("PublicAccessBlockConfiguration.BlockPublicAcls", To::Only(&["true"])),
        p("PublicAccessBlockConfiguration.BlockPublicPolicy", To::Only(&["true"])),
        p("PublicAccessBlockConfiguration.IgnorePublicAcls", To::Only(&["true"])),
        p(
            "PublicAccessBlockConfiguration.RestrictPublicBuckets",
            To::Only(&["true"]),
        ),
        p(
            "OwnershipControls.Rules[].ObjectOwnership",
            To::Only(&["BucketOwnerEnforced"]),
        ),
        p("AccessControl", To::Refuse(DEFAULTS)),
        p("BucketNamePrefix", To::Refuse("agentfs buckets take a whole `name`")),
        p("BucketNamespace", To::Refuse("agentfs buckets take a whole `name`")),
        p("AbacStatus", To::Refuse(NOT_MANAGED)),
        p("AccelerateConfiguration", To::Refuse(NOT_MANAGED)),
        p("AnalyticsConfigurations", To::Refuse(NOT_MANAGED)),
        p("CorsConfiguration", To::Refuse(NOT_MANAGED)),
        p("IntelligentTieringConfigurations", To::Refuse(NOT_MANAGED)),
        p("InventoryConfigurations", To::Refuse(NOT_MANAGED)),
        p("LifecycleConfiguration", To::Refuse(NOT_MANAGED)),
        p("LoggingConfiguration", To::Refuse(NOT_MANAGED)),
        p("MetadataConfiguration", To::Refuse(NOT_MANAGED)),
        p("MetadataTableConfiguration", To::Refuse(NOT_MANAGED)),
        p("MetricsConfigurations", To::Refuse(NOT_MANAGED)),
        p("NotificationConfiguration", To::Refuse(NOT_MANAGED)),
        p("ObjectLockConfiguration", To::Refuse(NOT_MANAGED)),
        p("ObjectLockEnabled", To::Refuse(NOT_MANAGED)),
        p("ReplicationConfiguration", To::Refuse(NOT_MANAGED)),
        p("WebsiteConfiguration", To::Refuse(NOT_MANAGED)),
    ],
)
.attributes(&[("Arn", "arn")])
.ref_attribute("name")
.generated_name("name", generated_name)];

/// CloudFormation names a bucket without `BucketName` `stack-logicalid-random`; agentfs gives
/// a stable name, unique across accounts (63 characters at most, with a stack name of up to 32).
fn generated_name(id: &str) -> String {
    format!(
        "${{stack}}-{}-${{account_id}}",
        crate::lang::cfn::clip(id, 16).to_ascii_lowercase()
    )
}

const DEFAULTS: &str = "agentfs keeps S3's defaults for new buckets (all public access blocked, ACLs disabled)";
const NOT_MANAGED: &str = "agentfs does not manage this bucket setting";

fn versioning(status: &str) -> Result<toml::Value, String> {
    match status {
        "Enabled" => Ok(toml::Value::Boolean(true)),
        "Suspended" => Ok(toml::Value::Boolean(false)),
        other => Err(format!("versioning status `{other}` is not Enabled or Suspended")),
    }
}
