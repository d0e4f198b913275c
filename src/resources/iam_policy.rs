//! `iam_policy`: a customer managed IAM policy, attached to roles by
//! `iam_role.managed_policy_arns = ["${iam_policy.NAME.arn}"]`.
//!
//! CreatePolicy with its document and tags; a policy of that name and path that agentfs made
//! for this resource (a crash before the record) is adopted, any other is refused. A changed
//! document becomes a new default version (CreatePolicyVersion), the oldest non-default
//! version deleted first when the policy has IAM's limit of five. Name, path and description
//! are fixed once the policy exists (the description is immutable in IAM), so they replace it.
//! Delete removes the non-default versions, then the policy; IAM refuses while something is
//! still attached (roles of this stack detach first: they name the policy).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_iam::types::{Policy, Tag};
use futures_util::future::try_join_all;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lookup::{each, keep, owned, present};
use super::policy_document::{canonical_policy, decode_policy, policy_shape, same_policy};
use super::tags::{self, Owner};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, api, retry_transient};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName};
use crate::lang::{Addr, Group};

/// `[iam_policy.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamPolicySpec {
    /// Policy name, e.g. `${stack}-tools`: letters, digits and `+=,.@_-`, 1 to 128.
    pub name: String,
    /// `/` (default) or `/a/path/`.
    #[serde(default = "root")]
    pub path: String,
    /// Fixed once the policy exists (IAM cannot change it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The policy document as a TOML table in IAM's JSON shape (`Version`, `Statement`).
    pub document: Value,
    #[serde(default)]
    pub tags: Tags,
}

fn root() -> String {
    "/".into()
}

/// IAM keeps at most this many versions of a managed policy.
const MAX_VERSIONS: usize = 5;

impl KindSpec for IamPolicySpec {
    fn check(&self, check: &mut Check<'_>) {
        check.rule(
            "agentfs::policy_name",
            "name",
            &self.name,
            |name| {
                if IamPolicy::API.limits("name").refuses(name) {
                    Err("1 to 128 characters from letters, digits and `+=,.@_-`".into())
                } else {
                    Ok(())
                }
            },
            || format!("`{}` is not a valid policy name", self.name),
        );
        if IamPolicy::API.limits("path").refuses(&self.path) {
            check.error(
                "agentfs::policy_path",
                "path",
                format!("`{}` is not an IAM path", self.path),
                "use `/` or a path that starts and ends with `/`, e.g. `/agents/`",
            );
        }
        if let Some(description) = &self.description
            && IamPolicy::API.limits("description").refuses(description)
        {
            check.error(
                "agentfs::policy_description",
                "description",
                "the description is longer than IAM accepts",
                "at most 1000 characters",
            );
        }
        // What the document grants is judged by the security rules in `check` (AFS-IAM-*).
        policy_shape(check, "document", &self.document, false);
    }

    fn unique_name(&self, _: &Addr) -> Option<UniqueName> {
        Some(UniqueName {
            scope: "iam policy".into(),
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

pub struct IamPolicy;

impl Resource for IamPolicy {
    type Spec = IamPolicySpec;
    const GROUP: Group = Group::Identity;
    const CREATE_CALL: &'static str = "iam:CreatePolicy";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "name", "policy_id"];
    const REPLACE_ON: &'static [&'static str] = &["name", "path", "description"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model(
                "name",
                "iam",
                "CreatePolicyRequest$PolicyName",
                Limits::len(1, 128).pattern(r"[\w+=,.@-]+"),
            ),
            ApiField::model(
                "path",
                "iam",
                "CreatePolicyRequest$Path",
                Limits::len(1, 512).pattern(r"((/[A-Za-z0-9\.,\+@=_-]+)*)/"),
            ),
            ApiField::model(
                "description",
                "iam",
                "CreatePolicyRequest$Description",
                Limits {
                    max_len: Some(1000),
                    ..Limits::NONE
                },
            ),
        ],
        tags: super::tags::rules::IAM,
        // The document is sent serialised to JSON.
        not_sent: &["document"],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(300),
        update: Duration::from_secs(300),
        delete: Duration::from_secs(300),
    };

    fn normalise(mut config: Value) -> Value {
        if let Some(doc) = config.get_mut("document") {
            *doc = canonical_policy(doc);
        }
        config
    }

    async fn create(ctx: &Ctx, req: &Request<'_, IamPolicySpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let created = ctx
            .clients
            .iam
            .create_policy()
            .policy_name(&spec.name)
            .path(&spec.path)
            .set_description(spec.description.clone())
            .policy_document(spec.document.to_string())
            .set_tags(Some(iam_tags(req.tags)?))
            .send()
            .await
            .map_err(api("iam:CreatePolicy"));
        match created {
            Ok(out) => out
                .policy()
                .map(attributes)
                .ok_or_else(|| ApiError::missing("iam:CreatePolicy", "Policy")),
            Err(e) if e.is("EntityAlreadyExists") => {
                let arn = ctx.arn_global("iam", &format!("policy{}{}", spec.path, spec.name));
                let policy = get_policy(ctx, &arn).await?.ok_or(e)?;
                let live_tags = tags_of(ctx, &arn).await?;
                if !tags::made_for(&live_tags, req.tags) {
                    return Err(ApiError::new(
                        "iam:CreatePolicy",
                        "EntityAlreadyExists",
                        format!(
                            "a policy named `{}` already exists and was not made by agentfs for {} in stack `{}`: \
                             choose another name, or adopt it with `agentfs import`",
                            spec.name, req.address, ctx.stack
                        ),
                    ));
                }
                set_document(ctx, &policy, &spec.document).await?;
                sync_tags(ctx, &arn, &live_tags, req.tags).await?;
                Ok(attributes(&policy))
            }
            Err(e) => Err(e),
        }
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, IamPolicySpec>,
        prior: &Recorded<'_, IamPolicySpec>,
    ) -> Result<Created, ApiError> {
        let policy = get_policy(ctx, prior.id)
            .await?
            .ok_or_else(|| ApiError::new("iam:GetPolicy", "NoSuchEntity", prior.id))?;
        set_document(ctx, &policy, &req.spec.document).await?;
        sync_tags(ctx, prior.id, prior.tags, req.tags).await?;
        Ok(attributes(&policy))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, IamPolicySpec>) -> Result<(), ApiError> {
        let iam = &ctx.clients.iam;
        let versions = match iam
            .list_policy_versions()
            .policy_arn(prior.id)
            .send()
            .await
            .map_err(api("iam:ListPolicyVersions"))
        {
            Ok(out) => out.versions.unwrap_or_default(),
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        for version in versions.iter().filter(|v| !v.is_default_version()) {
            let Some(id) = version.version_id() else { continue };
            match iam
                .delete_policy_version()
                .policy_arn(prior.id)
                .version_id(id)
                .send()
                .await
                .map_err(api("iam:DeletePolicyVersion"))
            {
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        // A detach by a role of this stack can take a moment to reach the policy.
        let deleted = retry_transient(
            Duration::from_secs(60).min(prior.timeout),
            prior.progress,
            |e| e.is("DeleteConflict"),
            || async {
                iam.delete_policy()
                    .policy_arn(prior.id)
                    .send()
                    .await
                    .map_err(api("iam:DeletePolicy"))
            },
        )
        .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if e.is("DeleteConflict") => Err(ApiError::new(
                "iam:DeletePolicy",
                "DeleteConflict",
                format!(
                    "{}: something agentfs does not manage is still attached to {}; detach it, then run again",
                    e.message, prior.id
                ),
            )),
            Err(e) => Err(e),
        }
    }

    /// Import: GetPolicy per ARN. Recover: ListPolicies (Scope=Local), then the tags of each.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let arns: Vec<String> = if ids.is_empty() {
            let listed: Vec<Policy> = ctx
                .clients
                .iam
                .list_policies()
                .scope(aws_sdk_iam::types::PolicyScopeType::Local)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(api("iam:ListPolicies"))?;
            listed.iter().filter_map(|p| p.arn().map(String::from)).collect()
        } else {
            owned(ids)
        };
        let looked_up = each(arns, |arn| async move {
            let Some(policy) = get_policy(ctx, &arn).await? else {
                return Ok(None);
            };
            let Some(tags) = present(tags_of(ctx, &arn).await)? else {
                return Ok(None);
            };
            let owner = Owner::of(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Ok(Some((owner, attributes(&policy))))
        })
        .await?;
        Ok(keep(ctx, ids, looked_up))
    }

    /// GetPolicy, the default version's document and ListPolicyTags per policy.
    async fn read(ctx: &Ctx, records: &[Recorded<'_, IamPolicySpec>]) -> Result<Vec<Option<IamPolicySpec>>, ApiError> {
        try_join_all(records.iter().map(|r| async move {
            let Some(policy) = get_policy(ctx, r.id).await? else {
                return Ok(None);
            };
            let Some(document) = present(default_document(ctx, &policy).await)? else {
                return Ok(None);
            };
            let Some(tags) = present(tags_of(ctx, r.id).await)? else {
                return Ok(None);
            };
            let mut spec = r.spec.clone();
            spec.name = policy.policy_name().unwrap_or(&r.spec.name).to_string();
            spec.path = policy.path().unwrap_or(&r.spec.path).to_string();
            spec.description = match policy.description() {
                Some("") | None if r.spec.description.is_none() => None,
                other => other.map(String::from),
            };
            if !same_policy(&document, &r.spec.document) {
                spec.document = document;
            }
            spec.tags = tags::user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Ok(Some(spec))
        }))
        .await
    }
}

fn attributes(policy: &Policy) -> Created {
    let arn = policy.arn().unwrap_or_default();
    Created::new(arn)
        .with("arn", arn)
        .with("name", policy.policy_name().unwrap_or_default())
        .with("policy_id", policy.policy_id().unwrap_or_default())
}

fn iam_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ApiError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ApiError::new("iam:TagPolicy", "InvalidTag", e.to_string()))
        })
        .collect()
}

async fn get_policy(ctx: &Ctx, arn: &str) -> Result<Option<Policy>, ApiError> {
    let out = present(
        ctx.clients
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(api("iam:GetPolicy")),
    )?;
    Ok(out.and_then(|o| o.policy))
}

async fn default_document(ctx: &Ctx, policy: &Policy) -> Result<Value, ApiError> {
    let out = ctx
        .clients
        .iam
        .get_policy_version()
        .policy_arn(policy.arn().unwrap_or_default())
        .version_id(policy.default_version_id().unwrap_or("v1"))
        .send()
        .await
        .map_err(api("iam:GetPolicyVersion"))?;
    Ok(out
        .policy_version()
        .and_then(|v| v.document())
        .map(decode_policy)
        .unwrap_or(Value::Null))
}

/// Makes `document` the policy's default version when it is not already: a new version, the
/// oldest non-default one deleted first when the policy is at IAM's limit.
async fn set_document(ctx: &Ctx, policy: &Policy, document: &Value) -> Result<(), ApiError> {
    if same_policy(&default_document(ctx, policy).await?, document) {
        return Ok(());
    }
    let iam = &ctx.clients.iam;
    let arn = policy.arn().unwrap_or_default();
    let versions = iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .map_err(api("iam:ListPolicyVersions"))?
        .versions
        .unwrap_or_default();
    if versions.len() >= MAX_VERSIONS
        && let Some(oldest) = versions
            .iter()
            .filter(|v| !v.is_default_version())
            .min_by_key(|v| v.create_date().map(|d| (d.secs(), d.subsec_nanos())))
            .and_then(|v| v.version_id())
    {
        iam.delete_policy_version()
            .policy_arn(arn)
            .version_id(oldest)
            .send()
            .await
            .map_err(api("iam:DeletePolicyVersion"))?;
    }
    iam.create_policy_version()
        .policy_arn(arn)
        .policy_document(document.to_string())
        .set_as_default(true)
        .send()
        .await
        .map_err(api("iam:CreatePolicyVersion"))?;
    Ok(())
}

async fn tags_of(ctx: &Ctx, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let tags: Vec<Tag> = ctx
        .clients
        .iam
        .list_policy_tags()
        .policy_arn(arn)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("iam:ListPolicyTags"))?;
    Ok(tags.into_iter().map(|t| (t.key, t.value)).collect())
}

async fn sync_tags(
    ctx: &Ctx,
    arn: &str,
    recorded: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let (stale, changed) = tags::changes(recorded, desired);
    if !stale.is_empty() {
        ctx.clients
            .iam
            .untag_policy()
            .policy_arn(arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(api("iam:UntagPolicy"))?;
    }
    if !changed.is_empty() {
        ctx.clients
            .iam
            .tag_policy()
            .policy_arn(arn)
            .set_tags(Some(iam_tags(&changed)?))
            .send()
            .await
            .map_err(api("iam:TagPolicy"))?;
    }
    Ok(())
}

/// `AWS::IAM::ManagedPolicy` (see [`crate::lang::cfn`]). The roles it names take it in their
/// `managed_policy_arns`, as a role's own `ManagedPolicyArns` does.
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::IAM::ManagedPolicy",
    &[
        p("ManagedPolicyName", To::Field("name")),
        p("Path", To::Field("path")),
        p("Description", To::Field("description")),
        p("PolicyDocument", To::Field("document")),
        // The role holds the attachment in agentfs.
        p(
            "Roles[]",
            To::AddTo {
                kind: "iam_role",
                field: "managed_policy_arns",
                attribute: "arn",
            },
        ),
        p("Groups", To::Refuse("agentfs does not manage IAM groups")),
        p("Users", To::Refuse("agentfs does not manage IAM users")),
    ],
)
.attributes(&[("PolicyArn", "arn"), ("PolicyId", "policy_id")])
.ref_attribute("arn")
.generated_name("name", generated_name)];

/// CloudFormation names a policy without `ManagedPolicyName` `STACK-LogicalId-RANDOM`;
/// agentfs gives the same name on every apply (128 characters at most).
fn generated_name(id: &str) -> String {
    format!("${{stack}}-{}", crate::lang::cfn::clip(id, 64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_model() {
        let limits = IamPolicy::API.limits("path");
        assert!(!limits.refuses("/"));
        assert!(!limits.refuses("/agents/tools/"));
        assert!(limits.refuses("agents/"));
        assert!(limits.refuses("/agents"));
    }
}
