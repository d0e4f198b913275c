//! `AWS::S3::Bucket` as `agentfs convert` reads it.

use super::*;

/// `AWS::S3::Bucket` (see [`crate::lang::cfn`]).
pub(super) const CFN: &[CfnType] = &[CfnType::new(
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
            To::Field("kms_key_id"),
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
pub(super) fn generated_name(id: &str) -> String {
    format!(
        "${{stack}}-{}-${{account_id}}",
        crate::lang::cfn::clip(id, 16).to_ascii_lowercase()
    )
}

pub(super) const DEFAULTS: &str =
    "agentfs keeps S3's defaults for new buckets (all public access blocked, ACLs disabled)";
pub(super) const NOT_MANAGED: &str = "agentfs does not manage this bucket setting";

pub(super) fn versioning(status: &str) -> Result<toml::Value, String> {
    match status {
        "Enabled" => Ok(toml::Value::Boolean(true)),
        "Suspended" => Ok(toml::Value::Boolean(false)),
        other => Err(format!("versioning status `{other}` is not Enabled or Suspended")),
    }
}
