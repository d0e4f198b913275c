//! `log_group`: a CloudWatch Logs log group, its retention and its KMS key.
//!
//! CreateLogGroup with the tags and key; a group of that name that agentfs made for this
//! resource (a crash before the record) is adopted, any other is refused. Retention
//! (PutRetentionPolicy / DeleteRetentionPolicy) and the key (AssociateKmsKey /
//! DisassociateKmsKey) change in place; the name replaces the group. Retention is one of the
//! values CloudWatch accepts (the model's `Days` documentation lists them), checked offline.
//!
//! A `service_managed` group (the one AgentCore makes for a runtime) is made only when missing,
//! never tagged and never deleted: agentfs manages its retention, not its existence.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::LogGroup as LiveGroup;
use futures_util::future::try_join_all;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::lookup::{keep, owned_by_tags};
use super::tags;
use super::{Created, Found, Recorded, Request, Resource};
use crate::aws::{ApiError, Ctx, api};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName};
use crate::lang::{Addr, Group};

/// `[log_group.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogGroupSpec {
    /// The group's name, e.g. `/agents/my-stack`: letters, digits and `._-/#`, 1 to 512.
    pub name: String,
    /// Days CloudWatch keeps the events (one of 1, 3, 5, 7, 14, 30, 60, 90, ... 3653); kept
    /// forever when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<i64>,
    /// ARN of the KMS key that encrypts the group's events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// The group belongs to the service that writes to it (AgentCore makes
    /// `/aws/bedrock-agentcore/runtimes/<runtime id>-<endpoint>` for a runtime): agentfs makes it
    /// only when it is not there yet, so that the retention holds from the first event, sets its
    /// retention and key, and never tags or deletes it; destroy leaves it, its events expiring.
    #[serde(default)]
    pub service_managed: bool,
    #[serde(default)]
    pub tags: Tags,
}

/// The retention periods CloudWatch accepts, as the logs model's `Days` shape documents them
/// (`tests/api_models.rs` proves the two lists equal).
pub const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

fn group_name(name: &str) -> Result<(), String> {
    if LogGroup::API.limits("name").refuses(name) {
        Err("1 to 512 of letters, digits and `._-/#`, e.g. `/agents/my-stack`".into())
    } else {
        Ok(())
    }
}

impl KindSpec for LogGroupSpec {
    fn check(&self, check: &mut Check<'_>) {
        check.rule("agentfs::log_group_name", "name", &self.name, group_name, || {
            format!("`{}` is not a log group name", self.name)
        });
        if self.service_managed && !self.tags.is_empty() {
            check.error(
                "agentfs::log_group_tags",
                "tags",
                "a service-managed log group is never tagged by agentfs",
                "remove `tags`, or drop `service_managed` to let agentfs own the group",
            );
        }
        if let Some(days) = self.retention_days
            && !RETENTION_DAYS.contains(&days)
        {
            let nearest = RETENTION_DAYS
                .iter()
                .min_by_key(|d| (**d - days).abs())
                .copied()
                .unwrap_or(30);
            check.error(
                "agentfs::log_retention",
                "retention_days",
                format!("CloudWatch does not keep log events for {days} days"),
                format!(
                    "use one of {} (the nearest is {nearest}), or leave it out to keep them forever",
                    RETENTION_DAYS
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
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

pub struct LogGroup;

impl Resource for LogGroup {
    type Spec = LogGroupSpec;
    const GROUP: Group = Group::Compute;
    const CREATE_CALL: &'static str = "logs:CreateLogGroup";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "name"];
    const REPLACE_ON: &'static [&'static str] = &["name"];
    const LOCAL_ONLY: &'static [&'static str] = &["service_managed"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model(
                "name",
                "logs",
                "CreateLogGroupRequest$logGroupName",
                Limits::len(1, 512).pattern(r"[\.\-_/#A-Za-z0-9]+"),
            ),
            ApiField::model(
                "retention_days",
                "logs",
                "PutRetentionPolicyRequest$retentionInDays",
                Limits::NONE,
            ),
            ApiField::model(
                "kms_key_id",
                "logs",
                "CreateLogGroupRequest$kmsKeyId",
                Limits {
                    max_len: Some(256),
                    ..Limits::NONE
                },
            ),
        ],
        tags: super::tags::rules::LOGS,
        not_sent: &["service_managed"],
    };

    fn deletion_note(spec: &LogGroupSpec) -> Option<String> {
        spec.service_managed
            .then(|| "left in place: the group is the service's (`service_managed`), only its record goes".into())
    }

    async fn create(ctx: &Ctx, req: &Request<'_, LogGroupSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let created = ctx
            .clients
            .logs
            .create_log_group()
            .log_group_name(&spec.name)
            .set_kms_key_id(spec.kms_key_id.clone())
            .set_tags((!spec.service_managed).then(|| req.tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(api("logs:CreateLogGroup"));
        let live = match created {
            Ok(_) => LogGroupSpec {
                retention_days: None,
                ..spec.clone()
            },
            Err(e) if e.is("ResourceAlreadyExistsException") && spec.service_managed => {
                let group = describe(ctx, &spec.name).await?.ok_or(e)?;
                live_spec(&group, spec)
            }
            Err(e) if e.is("ResourceAlreadyExistsException") => {
                let group = describe(ctx, &spec.name).await?.ok_or(e)?;
                let arn = group_arn(&group);
                let live_tags = tags_of(ctx, &arn).await?;
                if !tags::made_for(&live_tags, req.tags) {
                    return Err(ApiError::new(
                        "logs:CreateLogGroup",
                        "ResourceAlreadyExistsException",
                        format!(
                            "a log group named `{}` already exists and was not made by agentfs for {} in stack `{}`: \
                             choose another name, or adopt it with `agentfs import`",
                            spec.name, req.address, ctx.stack
                        ),
                    ));
                }
                sync_tags(ctx, &arn, &live_tags, req.tags).await?;
                live_spec(&group, spec)
            }
            Err(e) => return Err(e),
        };
        bring_to_spec(ctx, spec, &live).await?;
        Ok(attributes(ctx, &spec.name))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, LogGroupSpec>,
        prior: &Recorded<'_, LogGroupSpec>,
    ) -> Result<Created, ApiError> {
        bring_to_spec(ctx, req.spec, prior.spec).await?;
        if !req.spec.service_managed {
            let arn = arn(ctx, prior.id);
            sync_tags(ctx, &arn, prior.tags, req.tags).await?;
        }
        Ok(attributes(ctx, prior.id))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, LogGroupSpec>) -> Result<(), ApiError> {
        if prior.spec.service_managed {
            return Ok(());
        }
        match ctx
            .clients
            .logs
            .delete_log_group()
            .log_group_name(prior.id)
            .send()
            .await
            .map_err(api("logs:DeleteLogGroup"))
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Import: DescribeLogGroups by each name. Recover: every group, then ListTagsForResource.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let groups: Vec<LiveGroup> = if ids.is_empty() {
            list(ctx, None).await?
        } else {
            let each = try_join_all(ids.iter().map(|id| describe(ctx, id))).await?;
            each.into_iter().flatten().collect()
        };
        let candidates = groups
            .iter()
            .filter_map(|g| {
                let name = g.log_group_name()?;
                Some((group_arn(g), attributes(ctx, name)))
            })
            .collect();
        let found = owned_by_tags(candidates, |arn| async move { tags_of(ctx, &arn).await }).await?;
        Ok(keep(ctx, ids, found))
    }

    async fn read(ctx: &Ctx, records: &[Recorded<'_, LogGroupSpec>]) -> Result<Vec<Option<LogGroupSpec>>, ApiError> {
        try_join_all(records.iter().map(|r| async move {
            let Some(group) = describe(ctx, r.id).await? else {
                return Ok(None);
            };
            if r.spec.service_managed {
                return Ok(Some(live_spec(&group, r.spec)));
            }
            let tags = match tags_of(ctx, &group_arn(&group)).await {
                Ok(tags) => tags,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
            let mut spec = live_spec(&group, r.spec);
            spec.tags = tags::user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Ok(Some(spec))
        }))
        .await
    }
}

/// `recorded` with what DescribeLogGroups reports of `group`.
fn live_spec(group: &LiveGroup, recorded: &LogGroupSpec) -> LogGroupSpec {
    LogGroupSpec {
        name: group.log_group_name().unwrap_or(&recorded.name).to_string(),
        retention_days: group.retention_in_days().map(i64::from),
        kms_key_id: group.kms_key_id().map(String::from),
        service_managed: recorded.service_managed,
        tags: recorded.tags.clone(),
    }
}

/// Sends the retention and key settings where `live` differs from `spec`.
async fn bring_to_spec(ctx: &Ctx, spec: &LogGroupSpec, live: &LogGroupSpec) -> Result<(), ApiError> {
    let logs = &ctx.clients.logs;
    if spec.retention_days != live.retention_days {
        match spec.retention_days {
            Some(days) => {
                logs.put_retention_policy()
                    .log_group_name(&spec.name)
                    .retention_in_days(i32::try_from(days).unwrap_or(i32::MAX))
                    .send()
                    .await
                    .map_err(api("logs:PutRetentionPolicy"))?;
            }
            None => {
                logs.delete_retention_policy()
                    .log_group_name(&spec.name)
                    .send()
                    .await
                    .map_err(api("logs:DeleteRetentionPolicy"))?;
            }
        }
    }
    if spec.kms_key_id != live.kms_key_id {
        match &spec.kms_key_id {
            Some(key) => {
                logs.associate_kms_key()
                    .log_group_name(&spec.name)
                    .kms_key_id(key)
                    .send()
                    .await
                    .map_err(api("logs:AssociateKmsKey"))?;
            }
            None => {
                logs.disassociate_kms_key()
                    .log_group_name(&spec.name)
                    .send()
                    .await
                    .map_err(api("logs:DisassociateKmsKey"))?;
            }
        }
    }
    Ok(())
}

/// The group's ARN without the `:*` DescribeLogGroups appends (the form tag calls take).
fn group_arn(group: &LiveGroup) -> String {
    let arn = group.arn().unwrap_or_default();
    arn.strip_suffix(":*").unwrap_or(arn).to_string()
}

fn arn(ctx: &Ctx, name: &str) -> String {
    ctx.arn("logs", &format!("log-group:{name}"))
}

fn attributes(ctx: &Ctx, name: &str) -> Created {
    Created::new(name).with("arn", arn(ctx, name)).with("name", name)
}

/// DescribeLogGroups with `prefix` (every group when `None`), all pages.
async fn list(ctx: &Ctx, prefix: Option<&str>) -> Result<Vec<LiveGroup>, ApiError> {
    ctx.clients
        .logs
        .describe_log_groups()
        .set_log_group_name_prefix(prefix.map(String::from))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("logs:DescribeLogGroups"))
}

/// The group named exactly `name`, if it exists.
async fn describe(ctx: &Ctx, name: &str) -> Result<Option<LiveGroup>, ApiError> {
    match list(ctx, Some(name)).await {
        Ok(groups) => Ok(groups.into_iter().find(|g| g.log_group_name() == Some(name))),
        Err(e) if super::lookup::absent(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn tags_of(ctx: &Ctx, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let out = ctx
        .clients
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(api("logs:ListTagsForResource"))?;
    Ok(out
        .tags()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
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
            .logs
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(api("logs:UntagResource"))?;
    }
    if !changed.is_empty() {
        ctx.clients
            .logs
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(changed.into_iter().collect()))
            .send()
            .await
            .map_err(api("logs:TagResource"))?;
    }
    Ok(())
}

/// `AWS::Logs::LogGroup` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::Logs::LogGroup",
    &[
        p("LogGroupName", To::Field("name")),
        p("RetentionInDays", To::Int("retention_days")),
        p("KmsKeyId", To::Field("kms_key_id")),
        p("Tags", TAGS),
        p(
            "LogGroupClass",
            To::Refuse("agentfs makes log groups of the STANDARD class"),
        ),
        p(
            "DataProtectionPolicy",
            To::Refuse("agentfs does not manage log data protection policies"),
        ),
        p(
            "DeletionProtectionEnabled",
            To::Refuse("agentfs does not set deletion protection on log groups; use `prevent_destroy`"),
        ),
        p(
            "FieldIndexPolicies",
            To::Refuse("agentfs does not manage log field index policies"),
        ),
        p(
            "ResourcePolicyDocument",
            To::Refuse("agentfs does not manage log group resource policies"),
        ),
        p(
            "BearerTokenAuthenticationEnabled",
            To::Refuse("agentfs does not enable bearer-token log ingestion"),
        ),
    ],
)
.attributes(&[("Arn", "arn")])
.ref_attribute("name")
.generated_name("name", generated_name)];

/// CloudFormation names a log group without `LogGroupName` `STACK-LogicalId-RANDOM`; agentfs
/// gives the same name on every apply.
fn generated_name(id: &str) -> String {
    format!("${{stack}}-{}", crate::lang::cfn::clip(id, 255))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_follow_the_model() {
        assert!(group_name("/aws/bedrock-agentcore/runtimes/agent-abc-DEFAULT").is_ok());
        assert!(group_name("/agents/my stack").is_err());
        assert!(group_name("").is_err());
    }
}
