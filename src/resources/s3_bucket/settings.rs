//! A bucket's settings beside its existence: versioning, public access block, lifecycle rules,
//! policy and default encryption, each read and written on its own.

use super::*;

pub(super) async fn versioning_enabled(ctx: &Ctx, bucket: &str) -> Result<bool, ApiError> {
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
pub(super) async fn put_versioning(ctx: &Ctx, bucket: &str, on: bool) -> Result<(), ApiError> {
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

/// PutPublicAccessBlock with the four settings.
pub(super) async fn put_public_access_block(
    ctx: &Ctx,
    bucket: &str,
    settings: PublicAccessSettings,
) -> Result<(), ApiError> {
    ctx.clients
        .s3
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(settings.block_public_acls)
                .ignore_public_acls(settings.ignore_public_acls)
                .block_public_policy(settings.block_public_policy)
                .restrict_public_buckets(settings.restrict_public_buckets)
                .build(),
        )
        .send()
        .await
        .map_err(api("s3:PutPublicAccessBlock"))?;
    Ok(())
}

/// The bucket's public access block; none configured reads as every setting off.
pub(super) async fn public_access_block(ctx: &Ctx, bucket: &str) -> Result<PublicAccessSettings, ApiError> {
    match ctx
        .clients
        .s3
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .map_err(api("s3:GetPublicAccessBlock"))
    {
        Ok(out) => Ok(out
            .public_access_block_configuration()
            .map(|c| PublicAccessSettings {
                block_public_acls: c.block_public_acls().unwrap_or(false),
                ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                block_public_policy: c.block_public_policy().unwrap_or(false),
                restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
            })
            .unwrap_or_default()),
        Err(e) if e.is("NoSuchPublicAccessBlockConfiguration") => Ok(PublicAccessSettings::default()),
        Err(e) => Err(e),
    }
}

/// PutBucketLifecycleConfiguration with `rules`, or DeleteBucketLifecycle when there are none.
pub(super) async fn put_lifecycle(ctx: &Ctx, bucket: &str, rules: &[LifecycleRule]) -> Result<(), ApiError> {
    use aws_sdk_s3::types::{
        AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration,
        LifecycleRule as Rule, LifecycleRuleFilter, NoncurrentVersionExpiration,
    };
    let s3 = &ctx.clients.s3;
    if rules.is_empty() {
        s3.delete_bucket_lifecycle()
            .bucket(bucket)
            .send()
            .await
            .map_err(api("s3:DeleteBucketLifecycle"))?;
        return Ok(());
    }
    let op = "s3:PutBucketLifecycleConfiguration";
    let rules = rules
        .iter()
        .map(|r| {
            Rule::builder()
                .id(&r.id)
                .filter(LifecycleRuleFilter::builder().prefix(&r.prefix).build())
                .status(if r.enabled {
                    ExpirationStatus::Enabled
                } else {
                    ExpirationStatus::Disabled
                })
                .set_expiration(
                    r.expiration_days
                        .map(|d| LifecycleExpiration::builder().days(d).build()),
                )
                .set_noncurrent_version_expiration(
                    r.noncurrent_version_expiration_days
                        .map(|d| NoncurrentVersionExpiration::builder().noncurrent_days(d).build()),
                )
                .set_abort_incomplete_multipart_upload(r.abort_incomplete_multipart_upload_days.map(|d| {
                    AbortIncompleteMultipartUpload::builder()
                        .days_after_initiation(d)
                        .build()
                }))
                .build()
                .map_err(invalid(op))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let configuration = BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(invalid(op))?;
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(configuration)
        .send()
        .await
        .map_err(api("s3:PutBucketLifecycleConfiguration"))?;
    Ok(())
}

/// The bucket's lifecycle rules, as the spec writes them (none when it has no configuration).
/// A rule's prefix is its filter's; rules made by older tools carry the deprecated top-level
/// `Prefix` instead, read as a fallback.
#[allow(deprecated)]
pub(super) async fn lifecycle(ctx: &Ctx, bucket: &str) -> Result<Vec<LifecycleRule>, ApiError> {
    let out = match ctx
        .clients
        .s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
        .map_err(api("s3:GetBucketLifecycleConfiguration"))
    {
        Ok(out) => out,
        Err(e) if e.is("NoSuchLifecycleConfiguration") => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(out
        .rules()
        .iter()
        .map(|r| LifecycleRule {
            id: r.id().unwrap_or_default().to_string(),
            prefix: r
                .filter()
                .and_then(|f| f.prefix())
                .or(r.prefix())
                .unwrap_or_default()
                .to_string(),
            enabled: r.status() == &aws_sdk_s3::types::ExpirationStatus::Enabled,
            expiration_days: r.expiration().and_then(|e| e.days()),
            noncurrent_version_expiration_days: r.noncurrent_version_expiration().and_then(|e| e.noncurrent_days()),
            abort_incomplete_multipart_upload_days: r
                .abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation()),
        })
        .collect())
}

/// PutBucketPolicy, or DeleteBucketPolicy when `policy` is `None`.
pub(super) async fn put_policy(ctx: &Ctx, bucket: &str, policy: Option<&serde_json::Value>) -> Result<(), ApiError> {
    let s3 = &ctx.clients.s3;
    match policy {
        Some(policy) => {
            s3.put_bucket_policy()
                .bucket(bucket)
                .policy(policy.to_string())
                .send()
                .await
                .map_err(api("s3:PutBucketPolicy"))?;
        }
        None => {
            s3.delete_bucket_policy()
                .bucket(bucket)
                .send()
                .await
                .map_err(api("s3:DeleteBucketPolicy"))?;
        }
    }
    Ok(())
}

/// The bucket's policy, if it has one.
pub(super) async fn bucket_policy(ctx: &Ctx, bucket: &str) -> Result<Option<serde_json::Value>, ApiError> {
    match ctx
        .clients
        .s3
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .map_err(api("s3:GetBucketPolicy"))
    {
        Ok(out) => Ok(out.policy().map(crate::resources::policy_document::decode_policy)),
        Err(e) if e.is("NoSuchBucketPolicy") => Ok(None),
        Err(e) => Err(e),
    }
}

pub(super) async fn put_encryption(
    ctx: &Ctx,
    bucket: &str,
    algorithm: &str,
    kms_key: Option<&str>,
) -> Result<(), ApiError> {
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
        .set_kms_master_key_id(kms_key.map(String::from))
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
