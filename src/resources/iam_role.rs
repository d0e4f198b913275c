//! `iam_role`: CreateRole with its trust policy and tags, then one PutRolePolicy per inline
//! policy and one AttachRolePolicy per managed policy. A role of that name that already exists
//! is adopted only when its tags say agentfs made it for this very resource (a crash between
//! CreateRole and the state write); any other role of that name is an error, never taken over.
//!
//! Update and adoption converge on the live role: trust policy and inline policies are compared
//! as parsed JSON (IAM returns them URL-encoded and may reshape single values), managed policies
//! and tags as sets. Delete removes inline policies and detaches managed ones first (IAM refuses
//! with DeleteConflict otherwise).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;

use aws_sdk_iam::types::{EntityType, RoleDetail};
use futures_util::future::try_join_all;

use super::lookup::{each, keep, owned, present};
pub use super::policy_document::canonical_policy;
use super::policy_document::{decode_policy, normalize, policy_shape, same_policy};
use super::tags::{self, Owner};
use super::{Created, Found, Recorded, Request, Resource, TAG_RESOURCE, TAG_STACK, Timeouts};
use crate::aws::{ApiError, Ctx, api, gone_is_done, retry_transient};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName};
use crate::lang::{Addr, Group, rules};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[iam_role.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamRoleSpec {
    /// Role name, e.g. `${stack}-runtime-role`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Trust policy as a TOML table in IAM's JSON shape (`Version`, `Statement`).
    pub assume_role_policy: serde_json::Value,
    /// Inline policies by policy name, each in IAM's JSON shape.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, serde_json::Value>,
    /// Managed policy ARNs to attach.
    #[serde(default)]
    pub managed_policy_arns: Vec<String>,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for IamRoleSpec {
    fn check(&self, check: &mut Check<'_>) {
        check.rule("agentfs::role_name", "name", &self.name, rules::role_name, || {
            format!("`{}` is not a valid role name", self.name)
        });
        policy_shape(check, "assume_role_policy", &self.assume_role_policy, true);
        for (name, policy) in &self.inline_policies {
            let field = format!("inline_policies.{name}");
            let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
            if name.is_empty() || name.len() > 128 || !name.chars().all(allowed) {
                check.error(
                    "agentfs::policy_name",
                    &field,
                    format!("`{name}` is not a valid policy name"),
                    "1 to 128 characters from letters, digits and `+=,.@_-`",
                );
            }
            // What a statement grants (wildcards, missing source conditions) is judged by the
            // security rules in `check` (AFS-IAM-*), once, with their ids and fixes.
            policy_shape(check, &field, policy, false);
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

pub struct IamRole;

impl Resource for IamRole {
    type Spec = IamRoleSpec;
    const GROUP: Group = Group::Identity;
    const CREATE_CALL: &'static str = "iam:CreateRole";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "name"];
    /// Found by id, name or ARN when the stack uses one it does not own.
    const EXISTING: Option<crate::lang::existing::ExistingWays> = Some(crate::lang::existing::ExistingWays {
        id: true,
        ..crate::lang::existing::ExistingWays::by_name("iam", crate::lang::existing::last_segment)
    });
    const REPLACE_ON: &'static [&'static str] = &["name"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model(
                "name",
                "iam",
                "CreateRoleRequest$RoleName",
                Limits::len(1, 64).pattern(r"[\w+=,.@-]+"),
            ),
            ApiField::model(
                "description",
                "iam",
                "CreateRoleRequest$Description",
                Limits {
                    max_len: Some(1000),
                    ..Limits::NONE
                }
                .pattern(r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*"),
            ),
            ApiField::model(
                "inline_policies{key}",
                "iam",
                "PutRolePolicyRequest$PolicyName",
                Limits::len(1, 128).pattern(r"[\w+=,.@-]+"),
            ),
            ApiField::model(
                "managed_policy_arns[]",
                "iam",
                "AttachRolePolicyRequest$PolicyArn",
                Limits::len(20, 2048),
            ),
        ],
        tags: super::tags::rules::IAM,
        not_sent: &["assume_role_policy"],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(300),
        update: Duration::from_secs(300),
        delete: Duration::from_secs(300),
    };

    fn normalise(config: Value) -> Value {
        canonical_policies(config)
    }

    async fn create(ctx: &Ctx, req: &Request<'_, IamRoleSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let trust = serde_json::to_string(&spec.assume_role_policy)
            .map_err(|e| ApiError::new("iam:CreateRole", "InvalidPolicy", e.to_string()))?;
        let tags = iam_tags(req.tags)?;
        let created = ctx
            .clients
            .iam
            .create_role()
            .role_name(&spec.name)
            .assume_role_policy_document(trust)
            .set_description(spec.description.clone())
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(api("iam:CreateRole"));
        match created {
            Ok(out) => {
                let role = out.role().ok_or_else(|| ApiError::missing("iam:CreateRole", "Role"))?;
                let found = role_created(role.role_id(), role.arn(), role.role_name());
                // A fresh role has no policies: only add, no reads (GetRole can lag CreateRole).
                for (name, doc) in &spec.inline_policies {
                    put_policy(ctx, &spec.name, name, doc).await?;
                }
                for arn in &spec.managed_policy_arns {
                    attach(ctx, &spec.name, arn).await?;
                }
                Ok(found)
            }
            Err(e) if e.is("EntityAlreadyExists") => {
                let live = live_tags(ctx, &spec.name).await?;
                let ours = super::tags::made_for(&live, req.tags);
                if !ours {
                    return Err(ApiError::new(
                        "iam:CreateRole",
                        "EntityAlreadyExists",
                        format!(
                            "a role named `{}` already exists and was not made by agentfs for {} in stack `{}` \
                             (its {TAG_STACK}/{TAG_RESOURCE} tags differ): choose another name or delete that role",
                            spec.name, req.address, ctx.stack
                        ),
                    ));
                }
                converge(ctx, spec, req.tags).await
            }
            Err(e) => Err(e),
        }
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, IamRoleSpec>,
        _prior: &Recorded<'_, IamRoleSpec>,
    ) -> Result<Created, ApiError> {
        converge(ctx, req.spec, req.tags).await
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, IamRoleSpec>) -> Result<(), ApiError> {
        let name = prior
            .attributes
            .get("name")
            .map(String::as_str)
            .unwrap_or(prior.spec.name.as_str());
        let result = async {
            for policy in inline_policy_names(ctx, name).await? {
                let deleted = ctx
                    .clients
                    .iam
                    .delete_role_policy()
                    .role_name(name)
                    .policy_name(&policy)
                    .send()
                    .await
                    .map_err(api("iam:DeleteRolePolicy"));
                ignore_not_found(deleted)?;
            }
            for arn in attached_policy_arns(ctx, name).await? {
                let detached = ctx
                    .clients
                    .iam
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(&arn)
                    .send()
                    .await
                    .map_err(api("iam:DetachRolePolicy"));
                ignore_not_found(detached)?;
            }
            // DeleteConflict can still show up briefly while the detaches propagate.
            retry_transient(
                Duration::from_secs(60).min(prior.timeout),
                prior.progress,
                |e| e.is("DeleteConflict"),
                || async {
                    ctx.clients
                        .iam
                        .delete_role()
                        .role_name(name)
                        .send()
                        .await
                        .map_err(api("iam:DeleteRole"))
                },
            )
            .await
            .map(|_| ())
        }
        .await;
        gone_is_done(result)
    }

    /// Import takes role names (what users know; state's id is the RoleId): one GetRole per
    /// name. Ids not found as names that look like RoleIds (`AROA...`) are then looked up in
    /// one ListRoles. Recover: one GetAccountAuthorizationDetails (Filter=Role, paginated; it
    /// carries every role's tags), keeping the roles tagged with the stack; where that call is
    /// denied, ListRoles and one ListRoleTags per role.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        if ids.is_empty() {
            return Ok(keep(ctx, ids, stack_candidates(ctx).await?));
        }
        let mut found = each(owned(ids), |name| async move { get_role(ctx, &name).await }).await?;
        let unresolved: BTreeSet<&str> = ids
            .iter()
            .zip(&found)
            .filter(|(id, f)| f.is_none() && id.starts_with("AROA"))
            .map(|(id, _)| *id)
            .collect();
        if !unresolved.is_empty() {
            let names: Vec<String> = list_roles(ctx)
                .await?
                .iter()
                .filter(|r| unresolved.contains(r.role_id()))
                .map(|r| r.role_name().to_string())
                .collect();
            found.extend(each(names, |name| async move { get_role(ctx, &name).await }).await?);
        }
        Ok(keep(ctx, ids, found))
    }

    /// One GetAccountAuthorizationDetails (Filter=Role, paginated) answers every role with its
    /// trust policy, inline policies, managed attachments and tags. Where that call is denied
    /// (it is a sensitive permission), each role is read on its own instead. The description
    /// is not in that answer and keeps its recorded value.
    async fn read(ctx: &Ctx, records: &[Recorded<'_, IamRoleSpec>]) -> Result<Vec<Option<IamRoleSpec>>, ApiError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let pages = ctx
            .clients
            .iam
            .get_account_authorization_details()
            .filter(EntityType::Role)
            .max_items(1000)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(api("iam:GetAccountAuthorizationDetails"));
        let pages = match pages {
            Ok(pages) => pages,
            Err(e) if authorization_details_unavailable(&e) => {
                return try_join_all(records.iter().map(|r| read_one(ctx, r))).await;
            }
            Err(e) => return Err(e),
        };
        let roles: BTreeMap<&str, &RoleDetail> = pages
            .iter()
            .flat_map(|p| p.role_detail_list())
            .filter_map(|r| r.role_name().map(|n| (n, r)))
            .collect();
        Ok(records
            .iter()
            .map(|r| {
                roles.get(role_name(r)).map(|role| {
                    let live = LiveRole {
                        trust: role.assume_role_policy_document().map(decode_policy),
                        description: None,
                        inline: role
                            .role_policy_list()
                            .iter()
                            .filter_map(|p| Some((p.policy_name()?.to_string(), decode_policy(p.policy_document()?))))
                            .collect(),
                        managed: role
                            .attached_managed_policies()
                            .iter()
                            .filter_map(|p| p.policy_arn().map(String::from))
                            .collect(),
                        tags: tags::user_tags(role.tags().iter().map(|t| (t.key(), t.value()))),
                    };
                    live.apply_to(r.spec)
                })
            })
            .collect())
    }
}

/// What `create` answers for a role: its RoleId as id, its ARN and name.
fn role_created(role_id: &str, arn: &str, name: &str) -> Created {
    Created::new(role_id).with("arn", arn).with("name", name)
}

/// A role by name with its ownership tags (GetRole carries them); `None` if there is none.
async fn get_role(ctx: &Ctx, name: &str) -> Result<Option<(Owner, Created)>, ApiError> {
    let Some(out) = present(
        ctx.clients
            .iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .map_err(api("iam:GetRole")),
    )?
    else {
        return Ok(None);
    };
    let role = out.role().ok_or_else(|| ApiError::missing("iam:GetRole", "Role"))?;
    Ok(Some((
        Owner::of(role.tags().iter().map(|t| (t.key(), t.value()))),
        role_created(role.role_id(), role.arn(), role.role_name()),
    )))
}

async fn list_roles(ctx: &Ctx) -> Result<Vec<aws_sdk_iam::types::Role>, ApiError> {
    ctx.clients
        .iam
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("iam:ListRoles"))
}

/// Every role of the account with its ownership tags.
async fn stack_candidates(ctx: &Ctx) -> Result<Vec<Option<(Owner, Created)>>, ApiError> {
    let pages = ctx
        .clients
        .iam
        .get_account_authorization_details()
        .filter(EntityType::Role)
        .max_items(1000)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("iam:GetAccountAuthorizationDetails"));
    match pages {
        Ok(pages) => Ok(pages
            .iter()
            .flat_map(|p| p.role_detail_list())
            .map(|role| {
                Some((
                    Owner::of(role.tags().iter().map(|t| (t.key(), t.value()))),
                    role_created(role.role_id()?, role.arn()?, role.role_name()?),
                ))
            })
            .collect()),
        Err(e) if authorization_details_unavailable(&e) => {
            let roles = list_roles(ctx).await?;
            each(roles, |role| async move {
                match live_tags(ctx, role.role_name()).await {
                    Ok(tags) => Ok(Some((
                        Owner::of(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                        role_created(role.role_id(), role.arn(), role.role_name()),
                    ))),
                    Err(e) if e.is_not_found() => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await
        }
        Err(e) => Err(e),
    }
}

fn role_name<'a>(r: &'a Recorded<'_, IamRoleSpec>) -> &'a str {
    r.attributes
        .get("name")
        .map(String::as_str)
        .unwrap_or(r.spec.name.as_str())
}

/// GetAccountAuthorizationDetails refused (a drift reader without that permission, or an
/// IAM-compatible endpoint that lacks it): roles are then read one by one.
fn authorization_details_unavailable(e: &ApiError) -> bool {
    e.code.starts_with("AccessDenied")
        || matches!(
            e.code.as_str(),
            "UnauthorizedOperation" | "NotImplemented" | "InvalidAction" | "UnknownOperation"
        )
}

/// What IAM says about one role.
struct LiveRole {
    trust: Option<Value>,
    /// `None` when the call used does not report it.
    description: Option<Option<String>>,
    inline: BTreeMap<String, Value>,
    managed: Vec<String>,
    tags: BTreeMap<String, String>,
}

impl LiveRole {
    /// The recorded spec with what IAM reports; policies semantically equal to the recorded
    /// ones keep the recorded JSON, so a plain comparison shows no difference either.
    fn apply_to(self, recorded: &IamRoleSpec) -> IamRoleSpec {
        let mut spec = recorded.clone();
        if let Some(trust) = self.trust
            && !same_policy(&trust, &recorded.assume_role_policy)
        {
            spec.assume_role_policy = trust;
        }
        if let Some(description) = self.description {
            let blank = |d: &Option<String>| d.as_deref().unwrap_or_default().is_empty();
            if !(blank(&description) && blank(&recorded.description)) {
                spec.description = description;
            }
        }
        spec.inline_policies = self
            .inline
            .into_iter()
            .map(|(name, doc)| match recorded.inline_policies.get(&name) {
                Some(old) if same_policy(old, &doc) => (name, old.clone()),
                _ => (name, doc),
            })
            .collect();
        let live: BTreeSet<&String> = self.managed.iter().collect();
        if live != recorded.managed_policy_arns.iter().collect::<BTreeSet<_>>() {
            spec.managed_policy_arns = self.managed;
        }
        spec.tags = self.tags;
        spec
    }
}

/// One role through GetRole, ListRolePolicies, GetRolePolicy and ListAttachedRolePolicies.
async fn read_one(ctx: &Ctx, r: &Recorded<'_, IamRoleSpec>) -> Result<Option<IamRoleSpec>, ApiError> {
    let iam = &ctx.clients.iam;
    let name = role_name(r);
    let out = match iam.get_role().role_name(name).send().await.map_err(api("iam:GetRole")) {
        Ok(out) => out,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let role = out.role().ok_or_else(|| ApiError::missing("iam:GetRole", "Role"))?;
    let mut inline = BTreeMap::new();
    for policy in inline_policy_names(ctx, name).await? {
        let doc = iam
            .get_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await
            .map_err(api("iam:GetRolePolicy"))?;
        inline.insert(policy, decode_policy(doc.policy_document()));
    }
    let live = LiveRole {
        trust: role.assume_role_policy_document().map(decode_policy),
        description: Some(role.description().map(String::from)),
        inline,
        managed: attached_policy_arns(ctx, name).await?.into_iter().collect(),
        tags: tags::user_tags(role.tags().iter().map(|t| (t.key(), t.value()))),
    };
    Ok(Some(live.apply_to(r.spec)))
}

fn ignore_not_found<T>(result: Result<T, ApiError>) -> Result<(), ApiError> {
    match result {
        Err(e) if !e.is_not_found() => Err(e),
        _ => Ok(()),
    }
}

fn iam_tags(tags: &BTreeMap<String, String>) -> Result<Vec<aws_sdk_iam::types::Tag>, ApiError> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ApiError::new("iam:TagRole", "InvalidTag", e.to_string()))
        })
        .collect()
}

/// Makes the live role match `spec` and `tags`, writing only what differs.
async fn converge(ctx: &Ctx, spec: &IamRoleSpec, tags: &BTreeMap<String, String>) -> Result<Created, ApiError> {
    let iam = &ctx.clients.iam;
    let name = spec.name.as_str();
    let out = iam
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(api("iam:GetRole"))?;
    let role = out.role().ok_or_else(|| ApiError::missing("iam:GetRole", "Role"))?;
    let found = role_created(role.role_id(), role.arn(), role.role_name());

    let live_trust = role.assume_role_policy_document().map(decode_policy);
    if live_trust.as_ref().map(normalize) != Some(normalize(&spec.assume_role_policy)) {
        iam.update_assume_role_policy()
            .role_name(name)
            .policy_document(spec.assume_role_policy.to_string())
            .send()
            .await
            .map_err(api("iam:UpdateAssumeRolePolicy"))?;
    }
    let wanted_description = spec.description.clone().unwrap_or_default();
    if role.description().unwrap_or_default() != wanted_description {
        iam.update_role()
            .role_name(name)
            .description(wanted_description)
            .send()
            .await
            .map_err(api("iam:UpdateRole"))?;
    }

    let live_policies = inline_policy_names(ctx, name).await?;
    for stale in live_policies.iter().filter(|p| !spec.inline_policies.contains_key(*p)) {
        ignore_not_found(
            iam.delete_role_policy()
                .role_name(name)
                .policy_name(stale)
                .send()
                .await
                .map_err(api("iam:DeleteRolePolicy")),
        )?;
    }
    for (policy, doc) in &spec.inline_policies {
        let same = if live_policies.contains(policy) {
            let out = iam
                .get_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .map_err(api("iam:GetRolePolicy"))?;
            normalize(&decode_policy(out.policy_document())) == normalize(doc)
        } else {
            false
        };
        if !same {
            put_policy(ctx, name, policy, doc).await?;
        }
    }

    let attached = attached_policy_arns(ctx, name).await?;
    let wanted: BTreeSet<&String> = spec.managed_policy_arns.iter().collect();
    for stale in attached.iter().filter(|a| !wanted.contains(a)) {
        ignore_not_found(
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(stale)
                .send()
                .await
                .map_err(api("iam:DetachRolePolicy")),
        )?;
    }
    for arn in wanted.iter().filter(|a| !attached.contains(**a)) {
        attach(ctx, name, arn).await?;
    }

    let live = live_tags(ctx, name).await?;
    let stale: Vec<String> = live.keys().filter(|k| !tags.contains_key(*k)).cloned().collect();
    if !stale.is_empty() {
        iam.untag_role()
            .role_name(name)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(api("iam:UntagRole"))?;
    }
    let changed: BTreeMap<String, String> = tags
        .iter()
        .filter(|(k, v)| live.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !changed.is_empty() {
        iam.tag_role()
            .role_name(name)
            .set_tags(Some(iam_tags(&changed)?))
            .send()
            .await
            .map_err(api("iam:TagRole"))?;
    }
    Ok(found)
}

async fn put_policy(ctx: &Ctx, role: &str, name: &str, doc: &Value) -> Result<(), ApiError> {
    ctx.clients
        .iam
        .put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(doc.to_string())
        .send()
        .await
        .map_err(api("iam:PutRolePolicy"))?;
    Ok(())
}

async fn attach(ctx: &Ctx, role: &str, arn: &str) -> Result<(), ApiError> {
    ctx.clients
        .iam
        .attach_role_policy()
        .role_name(role)
        .policy_arn(arn)
        .send()
        .await
        .map_err(api("iam:AttachRolePolicy"))?;
    Ok(())
}

async fn inline_policy_names(ctx: &Ctx, role: &str) -> Result<BTreeSet<String>, ApiError> {
    let names: Vec<String> = ctx
        .clients
        .iam
        .list_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("iam:ListRolePolicies"))?;
    Ok(names.into_iter().collect())
}

async fn attached_policy_arns(ctx: &Ctx, role: &str) -> Result<BTreeSet<String>, ApiError> {
    let attached = ctx
        .clients
        .iam
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("iam:ListAttachedRolePolicies"))?;
    Ok(attached
        .iter()
        .filter_map(|p| p.policy_arn().map(String::from))
        .collect())
}

async fn live_tags(ctx: &Ctx, role: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let tags = ctx
        .clients
        .iam
        .list_role_tags()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("iam:ListRoleTags"))?;
    Ok(tags
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// A role's policy documents in a canonical form, so that IAM's rewrites compare equal:
/// a one-element list is the element, string lists are sets. (Key order never matters.)
fn canonical_policies(mut role: Value) -> Value {
    if let Some(trust) = role.get_mut("assume_role_policy") {
        *trust = canonical_policy(trust);
    }
    if let Some(Value::Object(policies)) = role.get_mut("inline_policies") {
        for policy in policies.values_mut() {
            *policy = canonical_policy(policy);
        }
    }
    role
}

/// `AWS::IAM::Role` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::IAM::Role",
    &[
        p("RoleName", To::Field("name")),
        p("Description", To::Field("description")),
        p("AssumeRolePolicyDocument", To::Field("assume_role_policy")),
        p("ManagedPolicyArns", To::Field("managed_policy_arns")),
        p(
            "Policies",
            To::Pairs {
                field: "inline_policies",
                key: "PolicyName",
                value: "PolicyDocument",
            },
        ),
        p("Tags", TAGS),
        p(
            "MaxSessionDuration",
            To::Refuse("agentfs keeps the default one-hour session duration"),
        ),
        p("Path", To::Refuse("agentfs makes roles under the path `/`")),
        p(
            "PermissionsBoundary",
            To::Refuse("agentfs does not set permissions boundaries"),
        ),
    ],
)
.attributes(&[("Arn", "arn")])
.ref_attribute("name")
.generated_name("name", generated_name)];

/// CloudFormation names a role without `RoleName` `STACK-LogicalId-RANDOM`; agentfs gives the
/// same name on every apply (64 characters at most, with a stack name of up to 32).
fn generated_name(id: &str) -> String {
    format!("${{stack}}-{}", crate::lang::cfn::clip(id, 31))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn live_reads_keep_recorded_policies_that_mean_the_same() {
        let recorded = IamRoleSpec {
            name: "r".into(),
            description: None,
            assume_role_policy: json!({"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow"}]}),
            inline_policies: BTreeMap::from([("a".to_string(), json!({"Statement": {"Action": ["s3:B", "s3:A"]}}))]),
            managed_policy_arns: vec!["arn:x".into(), "arn:y".into()],
            tags: BTreeMap::new(),
        };
        let live = LiveRole {
            trust: Some(json!({"Statement": {"Effect": "Allow", "Action": ["sts:AssumeRole"]}})),
            description: Some(Some(String::new())),
            inline: BTreeMap::from([
                ("a".to_string(), json!({"Statement": [{"Action": ["s3:A", "s3:B"]}]})),
                ("extra".to_string(), json!({"Statement": [{"Action": "s3:*"}]})),
            ]),
            managed: vec!["arn:y".into(), "arn:x".into()],
            tags: BTreeMap::from([("k".to_string(), "v".to_string())]),
        };
        let read = live.apply_to(&recorded);
        assert_eq!(read.assume_role_policy, recorded.assume_role_policy);
        assert_eq!(read.description, None);
        assert_eq!(read.inline_policies["a"], recorded.inline_policies["a"]);
        assert_eq!(
            read.inline_policies["extra"],
            json!({"Statement": [{"Action": "s3:*"}]})
        );
        assert_eq!(read.managed_policy_arns, recorded.managed_policy_arns);
        assert_eq!(read.tags.len(), 1);
        assert!(!same_policy(&json!({"Action": "s3:A"}), &json!({"Action": "s3:*"})));
    }
}
