//! One tagging abstraction for every service: the tags agentfs sees (without its own), who
//! a resource's tags say made it, and the one routine that makes a resource's tags equal the
//! desired ones with the fewest calls.

use std::collections::BTreeMap;

use super::ec2;
use super::{TAG_RESOURCE, TAG_STACK};
use crate::aws::{ApiError, Ctx, api};

/// A taggable resource, named the way its service's tagging calls name it.
#[derive(Debug, Clone, Copy)]
pub enum Tagged<'a> {
    /// An EC2 resource id (`vpc-...`).
    Ec2(&'a str),
    /// An S3 Files file system or access point id.
    S3Files(&'a str),
    /// An EFS file system or access point id.
    Efs(&'a str),
    /// An AgentCore resource ARN.
    Agentcore(&'a str),
}

/// Each service's rules for tag keys and values, as its API model states them (EC2 and S3
/// state none, so their user guides' limits stand in). A stack-wide tag meets all of them.
pub mod rules {
    use crate::lang::api::{ApiField, Limits};

    /// S3 Files, IAM and EFS: letters, digits and spaces of any script, and `_.:/=+-@`.
    const UNICODE_KEY: &str = r"([\p{L}\p{Z}\p{N}_.:/=+\-@]+)";
    const UNICODE_VALUE: &str = r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)";

    pub const S3FILES: &[ApiField] = &[
        ApiField::model(
            "tags{key}",
            "s3files",
            "Tag$key",
            Limits::len(1, 128).pattern(UNICODE_KEY),
        ),
        ApiField::model(
            "tags{}",
            "s3files",
            "Tag$value",
            Limits::len(0, 256).pattern(UNICODE_VALUE),
        ),
    ];
    pub const IAM: &[ApiField] = &[
        ApiField::model(
            "tags{key}",
            "iam",
            "Tag$Key",
            Limits::len(1, 128).pattern(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"),
        ),
        ApiField::model(
            "tags{}",
            "iam",
            "Tag$Value",
            Limits::len(0, 256).pattern(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"),
        ),
    ];
    pub const EFS: &[ApiField] = &[
        ApiField::model(
            "tags{key}",
            "efs",
            "Tag$Key",
            Limits::len(1, 128).pattern(r"^(?![aA]{1}[wW]{1}[sS]{1}:)([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$"),
        ),
        ApiField::model(
            "tags{}",
            "efs",
            "Tag$Value",
            Limits {
                max_len: Some(256),
                ..Limits::NONE
            }
            .pattern(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"),
        ),
    ];
    /// AgentCore: ASCII letters and digits, whitespace and `._:/=+@-` only.
    pub const AGENTCORE: &[ApiField] = &[
        ApiField::model(
            "tags{key}",
            "bedrock-agentcore-control",
            "TagsMap$key",
            Limits::len(1, 128).pattern(r"[a-zA-Z0-9\s._:/=+@-]*"),
        ),
        ApiField::model(
            "tags{}",
            "bedrock-agentcore-control",
            "TagsMap$value",
            Limits::len(0, 256).pattern(r"[a-zA-Z0-9\s._:/=+@-]*"),
        ),
    ];
    const EC2_GUIDE: &str = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions";
    pub const EC2: &[ApiField] = &[
        ApiField::documented("tags{key}", "ec2", "Tag$Key", Limits::len(1, 127), EC2_GUIDE),
        ApiField::documented("tags{}", "ec2", "Tag$Value", Limits::len(0, 255), EC2_GUIDE),
    ];
    const ECR_GUIDE: &str = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-using-tags.html";
    pub const ECR: &[ApiField] = &[
        ApiField::documented("tags{key}", "ecr", "Tag$Key", Limits::len(1, 128), ECR_GUIDE),
        ApiField::documented("tags{}", "ecr", "Tag$Value", Limits::len(0, 256), ECR_GUIDE),
    ];
    pub const KMS: &[ApiField] = &[
        ApiField::model("tags{key}", "kms", "Tag$TagKey", Limits::len(1, 128)),
        ApiField::model("tags{}", "kms", "Tag$TagValue", Limits::len(0, 256)),
    ];
    pub const LOGS: &[ApiField] = &[
        ApiField::model(
            "tags{key}",
            "logs",
            "Tags$key",
            Limits::len(1, 128).pattern(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$"),
        ),
        ApiField::model(
            "tags{}",
            "logs",
            "Tags$value",
            Limits {
                max_len: Some(256),
                ..Limits::NONE
            }
            .pattern(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"),
        ),
    ];
    const S3_GUIDE: &str = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-managing.html";
    pub const S3: &[ApiField] = &[
        ApiField::documented("tags{key}", "s3", "Tag$Key", Limits::len(1, 128), S3_GUIDE),
        ApiField::documented("tags{}", "s3", "Tag$Value", Limits::len(0, 256), S3_GUIDE),
    ];
}

/// The tags of an AgentCore resource (a runtime or one of its endpoints), by ARN.
pub async fn agentcore(ctx: &Ctx, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let out = ctx
        .clients
        .agentcore
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(api("bedrock-agentcore:ListTagsForResource"))?;
    Ok(out
        .tags()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

/// Makes the resource's tags equal `desired`: one call removes the keys that went, one sets
/// those that are new or changed, and none is made when nothing differs.
pub async fn sync(
    ctx: &Ctx,
    resource: Tagged<'_>,
    recorded: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let (stale, changed) = changes(recorded, desired);
    if !stale.is_empty() {
        resource.untag(ctx, stale).await?;
    }
    if !changed.is_empty() {
        resource.tag(ctx, &changed).await?;
    }
    Ok(())
}

impl Tagged<'_> {
    async fn untag(self, ctx: &Ctx, keys: Vec<String>) -> Result<(), ApiError> {
        let c = &ctx.clients;
        match self {
            Tagged::Ec2(id) => {
                let tags = keys
                    .iter()
                    .map(|k| aws_sdk_ec2::types::Tag::builder().key(k).build())
                    .collect();
                c.ec2
                    .delete_tags()
                    .resources(id)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(api("ec2:DeleteTags"))?;
            }
            Tagged::S3Files(id) => {
                c.s3files
                    .untag_resource()
                    .resource_id(id)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map_err(api("s3files:UntagResource"))?;
            }
            Tagged::Efs(id) => {
                c.efs
                    .untag_resource()
                    .resource_id(id)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map_err(api("efs:UntagResource"))?;
            }
            Tagged::Agentcore(arn) => {
                c.agentcore
                    .untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map_err(api("bedrock-agentcore:UntagResource"))?;
            }
        }
        Ok(())
    }

    async fn tag(self, ctx: &Ctx, tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
        let c = &ctx.clients;
        match self {
            Tagged::Ec2(id) => {
                c.ec2
                    .create_tags()
                    .resources(id)
                    .set_tags(Some(ec2::tags_of_map(tags)))
                    .send()
                    .await
                    .map_err(api("ec2:CreateTags"))?;
            }
            Tagged::S3Files(id) => {
                c.s3files
                    .tag_resource()
                    .resource_id(id)
                    .set_tags(Some(s3files(tags)?))
                    .send()
                    .await
                    .map_err(api("s3files:TagResource"))?;
            }
            Tagged::Efs(id) => {
                c.efs
                    .tag_resource()
                    .resource_id(id)
                    .set_tags(Some(efs(tags)?))
                    .send()
                    .await
                    .map_err(api("efs:TagResource"))?;
            }
            Tagged::Agentcore(arn) => {
                c.agentcore
                    .tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(tags.clone().into_iter().collect()))
                    .send()
                    .await
                    .map_err(api("bedrock-agentcore:TagResource"))?;
            }
        }
        Ok(())
    }
}

/// Keys to remove and entries to set to go from `recorded` to `desired`.
pub fn changes(
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

/// Tags as the S3 Files list of `{key, value}`.
pub fn s3files(tags: &BTreeMap<String, String>) -> Result<Vec<aws_sdk_s3files::types::Tag>, ApiError> {
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

/// Tags as the EFS list of `{key, value}`.
pub fn efs(tags: &BTreeMap<String, String>) -> Result<Vec<aws_sdk_efs::types::Tag>, ApiError> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_efs::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ApiError::new("efs:TagResource", "InvalidTag", e.to_string()))
        })
        .collect()
}

/// Live tags as the spec holds them: without agentfs's own.
pub fn user_tags<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter(|(k, _)| *k != TAG_STACK && *k != TAG_RESOURCE)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Whether a resource whose live tags are `live` is the one agentfs made with `wanted` (the
/// tags a create sends, agentfs's own among them): its `agentfs:stack` and `agentfs:resource`
/// tags are this stack's and this address's. A name that already exists proves nothing else.
pub fn made_for(live: &BTreeMap<String, String>, wanted: &BTreeMap<String, String>) -> bool {
    [TAG_STACK, TAG_RESOURCE]
        .iter()
        .all(|k| wanted.get(*k).is_some() && live.get(*k) == wanted.get(*k))
}

/// What a resource's tags say about who made it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owner {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_remove_stale_and_set_changed() {
        let old = BTreeMap::from([("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())]);
        let new = BTreeMap::from([("b".to_string(), "3".to_string()), ("c".to_string(), "4".to_string())]);
        let (stale, changed) = changes(&old, &new);
        assert_eq!(stale, vec!["a".to_string()]);
        assert_eq!(changed, new);
        assert_eq!(changes(&new, &new), (Vec::new(), BTreeMap::new()));
    }
}
