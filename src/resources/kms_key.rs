//! `kms_key`: a customer managed symmetric KMS key, with an optional alias.
//!
//! CreateKey has no client token, so a create first looks for a key this stack made for this
//! address (its `agentfs:stack` / `agentfs:resource` tags, not pending deletion) and adopts it;
//! only then is a key made, tagged in the same call. Description, policy, rotation, alias and
//! tags change in place. A key is never deleted at once: delete removes the alias (so the name
//! can be used again) and schedules the key's deletion for `deletion_window_days`; a key
//! pending deletion is gone for `read` and `find`, so it is neither drift nor recovered.

use std::collections::BTreeMap;

use aws_sdk_kms::types::{KeyMetadata, KeyState, Tag};
use futures_util::future::try_join_all;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lookup::{each, keep};
use super::policy_document::{decode_policy, policy_shape, same_policy};
use super::tags::{self, Owner};
use super::{Created, Found, Recorded, Request, Resource};
use crate::aws::{ApiError, Ctx, api};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName};
use crate::lang::{Addr, Group};

/// `[kms_key.NAME]`: a symmetric encryption key.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KmsKeySpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `alias/NAME` pointing at the key (not `alias/aws/...`, which AWS reserves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Rotate the key material every year.
    #[serde(default)]
    pub enable_rotation: bool,
    /// Days between destroy and the key's deletion (7 to 30): destroy only schedules it.
    #[serde(default = "thirty")]
    pub deletion_window_days: i64,
    /// The key policy; AWS's default policy (the account may use the key) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub policy: Option<Value>,
    #[serde(default)]
    pub tags: Tags,
}

fn thirty() -> i64 {
    30
}

/// What ScheduleKeyDeletion accepts: the model allows 1 to 365, the service 7 to 30.
const WINDOW: std::ops::RangeInclusive<i64> = 7..=30;

impl KindSpec for KmsKeySpec {
    fn check(&self, check: &mut Check<'_>) {
        if let Some(alias) = &self.alias {
            check.rule("agentfs::kms_alias", "alias", alias, alias_name, || {
                format!("`{alias}` is not a key alias")
            });
        }
        if !WINDOW.contains(&self.deletion_window_days) {
            check.error(
                "agentfs::kms_deletion_window",
                "deletion_window_days",
                format!(
                    "a deletion window of {} days is refused by KMS",
                    self.deletion_window_days
                ),
                "use 7 to 30 days",
            );
        }
        if let Some(description) = &self.description {
            let limits = KmsKey::API.limits("description");
            if limits.refuses(description) {
                check.error(
                    "agentfs::kms_description",
                    "description",
                    "the description is longer than KMS accepts",
                    format!("at most {} characters", limits.max_len.unwrap_or(usize::MAX)),
                );
            }
        }
        if let Some(policy) = &self.policy {
            // A key policy names its principals in every statement, as a trust policy does.
            policy_shape(check, "policy", policy, true);
        }
    }

    fn unique_name(&self, _: &Addr) -> Option<UniqueName> {
        self.alias.as_ref().map(|alias| UniqueName {
            scope: "kms alias".into(),
            name: alias.clone(),
        })
    }

    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        Vec::new()
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// An alias as KMS takes it: the model's pattern, `alias/` first, never `alias/aws/`.
fn alias_name(alias: &str) -> Result<(), String> {
    let limits = KmsKey::API.limits("alias");
    if limits.refuses(alias) {
        return Err("1 to 256 of letters, digits and `:/_-`, e.g. `alias/my-stack-data`".into());
    }
    if !alias.starts_with("alias/") || alias.len() == "alias/".len() {
        return Err("an alias starts with `alias/`, e.g. `alias/my-stack-data`".into());
    }
    if alias.starts_with("alias/aws/") {
        return Err("`alias/aws/` is reserved for AWS managed keys".into());
    }
    Ok(())
}

pub struct KmsKey;

impl Resource for KmsKey {
    type Spec = KmsKeySpec;
    const GROUP: Group = Group::Identity;
    const CREATE_CALL: &'static str = "kms:CreateKey";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn"];
    const REPLACE_ON: &'static [&'static str] = &[];
    const LOCAL_ONLY: &'static [&'static str] = &["deletion_window_days"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model(
                "description",
                "kms",
                "CreateKeyRequest$Description",
                Limits::len(0, 8192),
            ),
            ApiField::model(
                "alias",
                "kms",
                "CreateAliasRequest$AliasName",
                Limits::len(1, 256).pattern("^[a-zA-Z0-9:/_-]+$"),
            ),
            ApiField::model(
                "enable_rotation",
                "kms",
                "GetKeyRotationStatusResponse$KeyRotationEnabled",
                Limits::NONE,
            ),
            ApiField::model(
                "deletion_window_days",
                "kms",
                "ScheduleKeyDeletionRequest$PendingWindowInDays",
                Limits::range(1.0, Some(365.0)),
            ),
        ],
        tags: super::tags::rules::KMS,
        // The policy document is sent serialised to JSON.
        not_sent: &["policy"],
    };

    fn deletion_note(spec: &KmsKeySpec) -> Option<String> {
        Some(format!(
            "scheduled for deletion in {} days (KMS never deletes a key at once)",
            spec.deletion_window_days
        ))
    }

    async fn create(ctx: &Ctx, req: &Request<'_, KmsKeySpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        if let Some(key) = made_earlier(ctx, req.tags).await? {
            let id = key.key_id().to_string();
            bring_to_spec(ctx, &id, spec, None).await?;
            return Ok(attributes(&key));
        }
        let policy = spec
            .policy
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| ApiError::new("kms:CreateKey", "InvalidPolicy", e.to_string()))?;
        let out = ctx
            .clients
            .kms
            .create_key()
            .set_description(spec.description.clone())
            .set_policy(policy)
            .set_tags(Some(kms_tags(req.tags)?))
            .send()
            .await
            .map_err(api("kms:CreateKey"))?;
        let key = out
            .key_metadata()
            .ok_or_else(|| ApiError::missing("kms:CreateKey", "KeyMetadata"))?;
        // A fresh key has no alias and no rotation: only what the spec adds is sent.
        bring_to_spec(ctx, key.key_id(), spec, Some(&fresh(spec))).await?;
        Ok(attributes(key))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, KmsKeySpec>,
        prior: &Recorded<'_, KmsKeySpec>,
    ) -> Result<Created, ApiError> {
        bring_to_spec(ctx, prior.id, req.spec, Some(prior.spec)).await?;
        sync_tags(ctx, prior.id, prior.tags, req.tags).await?;
        let key = describe(ctx, prior.id)
            .await?
            .ok_or_else(|| ApiError::new("kms:DescribeKey", "NotFoundException", prior.id))?;
        Ok(attributes(&key))
    }

    /// Removes the alias, then ScheduleKeyDeletion for the recorded window. A key already
    /// pending deletion, or unknown, is done.
    async fn delete(ctx: &Ctx, prior: &Recorded<'_, KmsKeySpec>) -> Result<(), ApiError> {
        let Some(key) = describe(ctx, prior.id).await? else {
            return Ok(());
        };
        if key.key_state() == Some(&KeyState::PendingDeletion) {
            return Ok(());
        }
        for alias in aliases_of(ctx, prior.id).await? {
            match ctx
                .clients
                .kms
                .delete_alias()
                .alias_name(&alias)
                .send()
                .await
                .map_err(api("kms:DeleteAlias"))
            {
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        let scheduled = ctx
            .clients
            .kms
            .schedule_key_deletion()
            .key_id(prior.id)
            .pending_window_in_days(window(prior.spec.deletion_window_days))
            .send()
            .await
            .map_err(api("kms:ScheduleKeyDeletion"));
        match scheduled {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Import: DescribeKey per id. Recover: ListKeys, then the tags of each.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let candidates: Vec<String> = if ids.is_empty() {
            list_keys(ctx).await?
        } else {
            ids.iter().map(|s| s.to_string()).collect()
        };
        let looked_up = each(candidates, |id| async move {
            let Some(key) = describe(ctx, &id).await? else {
                return Ok(None);
            };
            if !usable(&key) {
                return Ok(None);
            }
            let tags = match tags_of(ctx, key.key_id()).await {
                Ok(tags) => tags,
                Err(e) if unreadable(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            let owner = Owner::of(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Ok(Some((owner, attributes(&key))))
        })
        .await?;
        Ok(keep(ctx, ids, looked_up))
    }

    /// DescribeKey per key (KMS has no batch describe), then its rotation, aliases, tags and,
    /// when the spec manages it, its policy. A key pending deletion reads as gone.
    async fn read(ctx: &Ctx, records: &[Recorded<'_, KmsKeySpec>]) -> Result<Vec<Option<KmsKeySpec>>, ApiError> {
        try_join_all(records.iter().map(|r| async move {
            let Some(key) = describe(ctx, r.id).await? else {
                return Ok(None);
            };
            if !usable(&key) {
                return Ok(None);
            }
            let mut spec = r.spec.clone();
            spec.description = match key.description() {
                Some("") | None if r.spec.description.is_none() => None,
                other => Some(other.unwrap_or_default().to_string()),
            };
            spec.enable_rotation = rotation(ctx, r.id).await?;
            let aliases = aliases_of(ctx, r.id).await?;
            spec.alias = match &r.spec.alias {
                Some(alias) if aliases.contains(alias) => Some(alias.clone()),
                _ => aliases.into_iter().next(),
            };
            if let Some(recorded) = &r.spec.policy {
                let live = key_policy(ctx, r.id).await?;
                if !same_policy(&live, recorded) {
                    spec.policy = Some(live);
                }
            }
            let tags = tags_of(ctx, r.id).await?;
            spec.tags = tags::user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Ok(Some(spec))
        }))
        .await
    }
}

fn window(days: i64) -> i32 {
    i32::try_from(days).unwrap_or(30)
}

/// The settings of a key CreateKey just made (with the spec's description and policy).
fn fresh(spec: &KmsKeySpec) -> KmsKeySpec {
    KmsKeySpec {
        alias: None,
        enable_rotation: false,
        ..spec.clone()
    }
}

/// A key that exists for agentfs's purposes: not pending deletion (nor gone).
fn usable(key: &KeyMetadata) -> bool {
    !matches!(
        key.key_state(),
        Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)
    )
}

/// Tags of keys that cannot be read (AWS managed keys, other accounts' grants): not ours.
fn unreadable(e: &ApiError) -> bool {
    e.is_not_found() || e.is("AccessDeniedException")
}

fn attributes(key: &KeyMetadata) -> Created {
    Created::new(key.key_id()).with("arn", key.arn().unwrap_or_default())
}

fn kms_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ApiError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .map_err(|e| ApiError::new("kms:TagResource", "InvalidTag", e.to_string()))
        })
        .collect()
}

/// Sends what differs between `live` (the key's settings; read when unknown) and `spec`.
async fn bring_to_spec(ctx: &Ctx, id: &str, spec: &KmsKeySpec, live: Option<&KmsKeySpec>) -> Result<(), ApiError> {
    let read;
    let live = match live {
        Some(live) => live,
        None => {
            let Some(key) = describe(ctx, id).await? else {
                return Err(ApiError::new("kms:DescribeKey", "NotFoundException", id));
            };
            let policy = match &spec.policy {
                Some(_) => Some(key_policy(ctx, id).await?),
                None => None,
            };
            read = KmsKeySpec {
                description: key.description().map(String::from),
                alias: aliases_of(ctx, id)
                    .await?
                    .into_iter()
                    .find(|a| Some(a) == spec.alias.as_ref()),
                enable_rotation: rotation(ctx, id).await?,
                policy,
                ..spec.clone()
            };
            &read
        }
    };
    let kms = &ctx.clients.kms;
    if spec.description != live.description {
        kms.update_key_description()
            .key_id(id)
            .description(spec.description.clone().unwrap_or_default())
            .send()
            .await
            .map_err(api("kms:UpdateKeyDescription"))?;
    }
    if let Some(policy) = &spec.policy
        && live.policy.as_ref().is_none_or(|p| !same_policy(p, policy))
    {
        kms.put_key_policy()
            .key_id(id)
            .policy_name("default")
            .policy(policy.to_string())
            .send()
            .await
            .map_err(api("kms:PutKeyPolicy"))?;
    }
    if spec.enable_rotation != live.enable_rotation {
        if spec.enable_rotation {
            kms.enable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map_err(api("kms:EnableKeyRotation"))?;
        } else {
            kms.disable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map_err(api("kms:DisableKeyRotation"))?;
        }
    }
    if spec.alias != live.alias {
        if let Some(old) = &live.alias {
            match kms
                .delete_alias()
                .alias_name(old)
                .send()
                .await
                .map_err(api("kms:DeleteAlias"))
            {
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(new) = &spec.alias {
            kms.create_alias()
                .alias_name(new)
                .target_key_id(id)
                .send()
                .await
                .map_err(api("kms:CreateAlias"))?;
        }
    }
    Ok(())
}

async fn sync_tags(
    ctx: &Ctx,
    id: &str,
    recorded: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let (stale, changed) = tags::changes(recorded, desired);
    if !stale.is_empty() {
        ctx.clients
            .kms
            .untag_resource()
            .key_id(id)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(api("kms:UntagResource"))?;
    }
    if !changed.is_empty() {
        ctx.clients
            .kms
            .tag_resource()
            .key_id(id)
            .set_tags(Some(kms_tags(&changed)?))
            .send()
            .await
            .map_err(api("kms:TagResource"))?;
    }
    Ok(())
}

/// The key as DescribeKey sees it; `None` when the id is unknown.
async fn describe(ctx: &Ctx, id: &str) -> Result<Option<KeyMetadata>, ApiError> {
    let out = ctx
        .clients
        .kms
        .describe_key()
        .key_id(id)
        .send()
        .await
        .map_err(api("kms:DescribeKey"));
    match out {
        Ok(out) => Ok(out.key_metadata),
        Err(e) if super::lookup::absent(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn rotation(ctx: &Ctx, id: &str) -> Result<bool, ApiError> {
    let out = ctx
        .clients
        .kms
        .get_key_rotation_status()
        .key_id(id)
        .send()
        .await
        .map_err(api("kms:GetKeyRotationStatus"))?;
    Ok(out.key_rotation_enabled())
}

async fn key_policy(ctx: &Ctx, id: &str) -> Result<Value, ApiError> {
    let out = ctx
        .clients
        .kms
        .get_key_policy()
        .key_id(id)
        .policy_name("default")
        .send()
        .await
        .map_err(api("kms:GetKeyPolicy"))?;
    Ok(out.policy().map(decode_policy).unwrap_or(Value::Null))
}

/// The alias names that point at the key.
async fn aliases_of(ctx: &Ctx, id: &str) -> Result<Vec<String>, ApiError> {
    let aliases: Vec<_> = ctx
        .clients
        .kms
        .list_aliases()
        .key_id(id)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("kms:ListAliases"))?;
    Ok(aliases
        .into_iter()
        .filter_map(|a| a.alias_name)
        .filter(|n| !n.starts_with("alias/aws/"))
        .collect())
}

async fn list_keys(ctx: &Ctx) -> Result<Vec<String>, ApiError> {
    let keys: Vec<_> = ctx
        .clients
        .kms
        .list_keys()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("kms:ListKeys"))?;
    Ok(keys.into_iter().filter_map(|k| k.key_id).collect())
}

async fn tags_of(ctx: &Ctx, id: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let tags: Vec<Tag> = ctx
        .clients
        .kms
        .list_resource_tags()
        .key_id(id)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("kms:ListResourceTags"))?;
    Ok(tags.into_iter().map(|t| (t.tag_key, t.tag_value)).collect())
}

/// The key an earlier, cut-short create made for this address of this stack: tagged so, and
/// not pending deletion (a key an earlier destroy scheduled is never brought back).
async fn made_earlier(ctx: &Ctx, wanted: &BTreeMap<String, String>) -> Result<Option<KeyMetadata>, ApiError> {
    let keys = list_keys(ctx).await?;
    let tagged = each(keys, |id| async move {
        match tags_of(ctx, &id).await {
            Ok(tags) if tags::made_for(&tags, wanted) => Ok(Some(id)),
            Ok(_) => Ok(None),
            Err(e) if unreadable(&e) => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await?;
    for id in tagged.into_iter().flatten() {
        if let Some(key) = describe(ctx, &id).await?
            && usable(&key)
        {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// `AWS::KMS::Key`, and `AWS::KMS::Alias` folded into the key it names (see
/// [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[
    CfnType::new(
        "AWS::KMS::Key",
        &[
            p("Description", To::Field("description")),
            p("EnableKeyRotation", To::Bool("enable_rotation")),
            p("PendingWindowInDays", To::Int("deletion_window_days")),
            p("KeyPolicy", To::Field("policy")),
            p("Tags", TAGS),
            p("KeySpec", To::Only(&["SYMMETRIC_DEFAULT"])),
            p("KeyUsage", To::Only(&["ENCRYPT_DECRYPT"])),
            p("Enabled", To::Only(&["true"])),
            p("MultiRegion", To::Refuse("agentfs makes single-region keys")),
            p(
                "Origin",
                To::Refuse("agentfs makes keys whose material AWS KMS generates"),
            ),
            p(
                "RotationPeriodInDays",
                To::Refuse("agentfs rotates keys at KMS's yearly default"),
            ),
            p(
                "BypassPolicyLockoutSafetyCheck",
                To::Refuse("agentfs keeps KMS's policy lockout safety check"),
            ),
        ],
    )
    .attributes(&[("Arn", "arn"), ("KeyId", "id")]),
    CfnType::new(
        "AWS::KMS::Alias",
        &[p("TargetKeyId", To::Parent), p("AliasName", To::Field("alias"))],
    )
    .folded("TargetKeyId", None),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_follow_the_model_and_kms_rules() {
        assert!(alias_name("alias/my-stack-data").is_ok());
        assert!(alias_name("my-stack-data").is_err());
        assert!(alias_name("alias/").is_err());
        assert!(alias_name("alias/aws/s3").is_err());
        assert!(alias_name("alias/has space").is_err());
    }

    #[test]
    fn deletion_says_scheduled_never_deleted() {
        let spec: KmsKeySpec = serde_json::from_value(serde_json::json!({"deletion_window_days": 7})).unwrap();
        let note = KmsKey::deletion_note(&spec).unwrap();
        assert!(note.contains("scheduled for deletion in 7 days"), "{note}");
        assert!(!note.contains(" deleted"), "{note}");
    }
}
