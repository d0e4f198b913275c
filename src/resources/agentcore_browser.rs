//! `agentcore_browser`: a custom AgentCore Browser (CreateBrowser with the stack's client
//! token): its network (PUBLIC, or VPC with subnets and security groups), execution role and
//! session recording to an S3 bucket and prefix. Waits until READY; CREATE_FAILED is an error
//! with the service's reason.
//!
//! AgentCore has no UpdateBrowser: every field but the tags replaces the browser. Tags go
//! through TagResource/UntagResource on the ARN. A name conflict on create is adopted when the
//! browser of that name carries this stack's and address's tags, else refused.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::operation::get_browser::GetBrowserOutput;
use aws_sdk_bedrockagentcorecontrol::types::{
    BrowserNetworkConfiguration, BrowserNetworkMode, BrowserStatus as Status, RecordingConfig, S3Location, VpcConfig,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Kind;
use super::agentcore::{check_network, claim, client_token, invalid, role_not_yet_usable};
use super::lookup::{absent, each, keep, owned, owned_by_tags};
use super::tags::{self, Tagged};
use super::{Created, Found, Progress, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, IAM_PROPAGATION, Poll, api, delete_then_wait, retry_transient, wait_for};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName, list_refs};
use crate::lang::{Addr, Group, rules};

const SERVICE: &str = "bedrock-agentcore-control";
const CREATE: &str = "bedrock-agentcore:CreateBrowser";
const NETWORK_MODES: &[&str] = &["PUBLIC", "VPC"];

/// `[agentcore_browser.NAME]`: a custom AgentCore Browser.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentcoreBrowserSpec {
    /// A letter, then letters, digits or underscores; at most 48. Unique in the account and region.
    pub name: String,
    /// 1 to 4096 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The `iam_role` (by name) the browser runs as (needed for recording to S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role: Option<String>,
    /// `PUBLIC` (the default) or `VPC`.
    #[serde(default = "public")]
    pub network_mode: String,
    /// VPC mode: the `subnet`s (by name) the browser's interfaces go in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<String>,
    /// VPC mode: the `security_group`s (by name) of those interfaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// Session recordings: `{ bucket = "recordings", prefix = "browser/" }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<Recording>,
    #[serde(default)]
    pub tags: Tags,
}

/// Where a browser's session recordings go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recording {
    /// The `s3_bucket` (by name).
    pub bucket: String,
    /// The key prefix, 1 to 1024 characters.
    pub prefix: String,
}

fn public() -> String {
    "PUBLIC".into()
}

impl KindSpec for AgentcoreBrowserSpec {
    fn check(&self, check: &mut Check<'_>) {
        check.rule("agentfs::browser_name", "name", &self.name, rules::runtime_name, || {
            format!("`{}` is not a valid browser name", self.name)
        });
        check.one_of(
            "network_mode",
            &self.network_mode,
            "a browser network mode",
            NETWORK_MODES,
        );
        check_network(
            check,
            "agentfs::browser_network",
            &self.network_mode,
            &self.subnets,
            &self.security_groups,
        );
        if self.recording.is_some() && self.execution_role.is_none() {
            check.error(
                "agentfs::browser_recording",
                "recording",
                "recording to S3 needs an `execution_role` that may write to the bucket",
                "add execution_role = \"<an iam_role allowed s3:PutObject on the prefix>\"",
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
        let mut refs: Vec<RefSlot<'_>> = list_refs("subnets", Kind::Subnet, "id", &mut self.subnets)
            .chain(list_refs(
                "security_groups",
                Kind::SecurityGroup,
                "id",
                &mut self.security_groups,
            ))
            .collect();
        if let Some(role) = &mut self.execution_role {
            refs.push(RefSlot::new("execution_role", Kind::IamRole, "arn", role));
        }
        if let Some(recording) = &mut self.recording {
            refs.push(RefSlot::new(
                "recording.bucket",
                Kind::S3Bucket,
                "name",
                &mut recording.bucket,
            ));
        }
        refs
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct AgentcoreBrowser;

impl Resource for AgentcoreBrowser {
    type Spec = AgentcoreBrowserSpec;
    const GROUP: Group = Group::Compute;
    const CREATE_CALL: &'static str = CREATE;
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "name"];
    const REPLACE_ON: &'static [&'static str] = &[
        "name",
        "description",
        "execution_role",
        "network_mode",
        "subnets",
        "security_groups",
        "recording",
    ];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model(
                "name",
                SERVICE,
                "CreateBrowserRequest$name",
                Limits::NONE.pattern("[a-zA-Z][a-zA-Z0-9_]{0,47}"),
            ),
            ApiField::model(
                "description",
                SERVICE,
                "CreateBrowserRequest$description",
                Limits::len(1, 4096),
            ),
            ApiField::reference("execution_role", SERVICE, "CreateBrowserRequest$executionRoleArn"),
            ApiField::model(
                "network_mode",
                SERVICE,
                "BrowserNetworkConfiguration$networkMode",
                Limits::one_of(NETWORK_MODES),
            ),
            ApiField::model("subnets", SERVICE, "VpcConfig$subnets", Limits::len(1, 16)),
            ApiField::model(
                "security_groups",
                SERVICE,
                "VpcConfig$securityGroups",
                Limits::len(1, 16),
            ),
            ApiField::model("recording", SERVICE, "CreateBrowserRequest$recording", Limits::NONE),
            ApiField::reference("recording.bucket", SERVICE, "S3Location$bucket"),
            ApiField::model("recording.prefix", SERVICE, "S3Location$prefix", Limits::len(1, 1024)),
        ],
        tags: super::tags::rules::AGENTCORE,
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(900),
        update: Duration::from_secs(300),
        delete: Duration::from_secs(900),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, AgentcoreBrowserSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let network = network(spec)?;
        let recording = recording(spec)?;
        let tags: HashMap<String, String> = req.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let token = client_token(req.token);
        let created = retry_transient(
            IAM_PROPAGATION.min(req.timeout),
            req.progress,
            role_not_yet_usable,
            || async {
                ctx.clients
                    .agentcore
                    .create_browser()
                    .name(&spec.name)
                    .set_description(spec.description.clone())
                    .set_execution_role_arn(spec.execution_role.clone())
                    .network_configuration(network.clone())
                    .set_recording(recording.clone())
                    .client_token(&token)
                    .set_tags(Some(tags.clone()))
                    .send()
                    .await
                    .map_err(api(CREATE))
            },
        )
        .await;
        let id = match created {
            Ok(out) => out.browser_id().to_string(),
            Err(e) if e.is("ConflictException") => {
                let Some((id, arn)) = named(ctx, &spec.name).await? else {
                    return Err(e);
                };
                let live_tags = claim(ctx, CREATE, "a browser", &spec.name, &arn, req.address, req.tags).await?;
                req.progress.phase("adopting the browser an earlier attempt created");
                tags::sync(ctx, Tagged::Agentcore(&arn), &live_tags, req.tags).await?;
                id
            }
            Err(e) => return Err(e),
        };
        let live = wait_ready(ctx, &id, req.timeout, req.progress)
            .await
            .map_err(|e| e.about(&id))?;
        Ok(attributes(live.browser_id(), live.browser_arn(), live.name()))
    }

    /// Only the tags can change in place.
    async fn update(
        ctx: &Ctx,
        req: &Request<'_, AgentcoreBrowserSpec>,
        prior: &Recorded<'_, AgentcoreBrowserSpec>,
    ) -> Result<Created, ApiError> {
        let arn = match prior.attributes.get("arn") {
            Some(arn) => arn.clone(),
            None => get(ctx, prior.id).await?.browser_arn().to_string(),
        };
        tags::sync(ctx, Tagged::Agentcore(&arn), prior.tags, req.tags).await?;
        Ok(attributes(prior.id, &arn, &req.spec.name))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, AgentcoreBrowserSpec>) -> Result<(), ApiError> {
        let id = prior.id;
        delete_then_wait(
            "bedrock-agentcore:DeleteBrowser",
            "the browser",
            prior.timeout,
            prior.progress,
            || async {
                ctx.clients
                    .agentcore
                    .delete_browser()
                    .browser_id(id)
                    .send()
                    .await
                    .map_err(api("bedrock-agentcore:DeleteBrowser"))
            },
            || async {
                let out = get(ctx, id).await?;
                Ok(match out.status() {
                    Status::Deleted => Poll::Ready(()),
                    Status::DeleteFailed => Poll::Failed(with_reason(out.status().as_str(), out.failure_reason())),
                    other => Poll::Pending(other.as_str().to_string()),
                })
            },
        )
        .await
    }

    /// Import: GetBrowser per id. Recover: ListBrowsers (custom ones, all pages), then
    /// ListTagsForResource per browser, keeping those tagged with the stack.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let candidates: Vec<(String, Created)> = if ids.is_empty() {
            list(ctx)
                .await?
                .into_iter()
                .filter(|(_, _, _, status)| !gone(status))
                .map(|(id, arn, name, _)| (arn.clone(), attributes(&id, &arn, &name)))
                .collect()
        } else {
            let looked_up = each(owned(ids), |id| async move {
                match get(ctx, &id).await {
                    Ok(b) if gone(b.status()) => Ok(None),
                    Ok(b) => Ok(Some((
                        b.browser_arn().to_string(),
                        attributes(b.browser_id(), b.browser_arn(), b.name()),
                    ))),
                    Err(e) if absent(&e) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?;
            looked_up.into_iter().flatten().collect()
        };
        let found = owned_by_tags(candidates, |arn| async move { tags::agentcore(ctx, &arn).await }).await?;
        Ok(keep(ctx, ids, found))
    }

    /// Per browser: GetBrowser and ListTagsForResource together.
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, AgentcoreBrowserSpec>],
    ) -> Result<Vec<Option<AgentcoreBrowserSpec>>, ApiError> {
        super::agentcore::read_with_tags(ctx, records, get, |live| gone(live.status()), live_spec).await
    }
}

fn attributes(id: &str, arn: &str, name: &str) -> Created {
    Created::new(id).with("arn", arn).with("name", name)
}

fn gone(status: &Status) -> bool {
    matches!(status, Status::Deleting | Status::Deleted)
}

fn with_reason(status: &str, reason: Option<&str>) -> String {
    match reason {
        Some(r) if !r.is_empty() => format!("{status}: {r}"),
        _ => status.to_string(),
    }
}

fn network(spec: &AgentcoreBrowserSpec) -> Result<BrowserNetworkConfiguration, ApiError> {
    let vpc = if spec.network_mode == "VPC" {
        Some(
            VpcConfig::builder()
                .set_subnets(Some(spec.subnets.clone()))
                .set_security_groups(Some(spec.security_groups.clone()))
                .build()
                .map_err(invalid(CREATE))?,
        )
    } else {
        None
    };
    Ok(BrowserNetworkConfiguration::builder()
        .network_mode(BrowserNetworkMode::from(spec.network_mode.as_str()))
        .set_vpc_config(vpc)
        .build())
}

fn recording(spec: &AgentcoreBrowserSpec) -> Result<Option<RecordingConfig>, ApiError> {
    let Some(r) = &spec.recording else {
        return Ok(None);
    };
    let location = S3Location::builder()
        .bucket(&r.bucket)
        .prefix(&r.prefix)
        .build()
        .map_err(invalid(CREATE))?;
    Ok(Some(
        RecordingConfig::builder().enabled(true).s3_location(location).build(),
    ))
}

/// The recorded spec with what the live browser reports in place of what was recorded.
fn live_spec(
    recorded: &AgentcoreBrowserSpec,
    live: &GetBrowserOutput,
    tags: &BTreeMap<String, String>,
) -> AgentcoreBrowserSpec {
    let mut spec = recorded.clone();
    spec.name = live.name().to_string();
    spec.description = live.description().map(String::from);
    spec.execution_role = live.execution_role_arn().map(String::from);
    if let Some(network) = live.network_configuration() {
        spec.network_mode = network.network_mode().as_str().to_string();
        let vpc = network.vpc_config();
        spec.subnets =
            super::lookup::set_or_recorded(&recorded.subnets, vpc.map(|v| v.subnets().to_vec()).unwrap_or_default());
        spec.security_groups = super::lookup::set_or_recorded(
            &recorded.security_groups,
            vpc.map(|v| v.security_groups().to_vec()).unwrap_or_default(),
        );
    }
    spec.recording = live
        .recording()
        .filter(|r| r.enabled())
        .and_then(|r| r.s3_location())
        .map(|l| Recording {
            bucket: l.bucket().to_string(),
            prefix: l.prefix().to_string(),
        });
    spec.tags = tags::user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    spec
}

async fn get(ctx: &Ctx, id: &str) -> Result<GetBrowserOutput, ApiError> {
    ctx.clients
        .agentcore
        .get_browser()
        .browser_id(id)
        .send()
        .await
        .map_err(api("bedrock-agentcore:GetBrowser"))
}

/// Every custom browser of the account and region: (id, ARN, name, status).
async fn list(ctx: &Ctx) -> Result<Vec<(String, String, String, Status)>, ApiError> {
    let items = ctx
        .clients
        .agentcore
        .list_browsers()
        .r#type(aws_sdk_bedrockagentcorecontrol::types::ResourceType::Custom)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("bedrock-agentcore:ListBrowsers"))?;
    Ok(items
        .into_iter()
        .map(|b| {
            (
                b.browser_id().to_string(),
                b.browser_arn().to_string(),
                b.name().unwrap_or_default().to_string(),
                b.status().clone(),
            )
        })
        .collect())
}

async fn named(ctx: &Ctx, name: &str) -> Result<Option<(String, String)>, ApiError> {
    Ok(list(ctx)
        .await?
        .into_iter()
        .find(|(_, _, n, status)| n == name && !gone(status))
        .map(|(id, arn, _, _)| (id, arn)))
}

async fn wait_ready(
    ctx: &Ctx,
    id: &str,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<GetBrowserOutput, ApiError> {
    wait_for(
        "bedrock-agentcore:GetBrowser",
        "the browser to be READY",
        timeout,
        progress,
        || async {
            let b = get(ctx, id).await?;
            Ok(match b.status() {
                Status::Ready => Poll::Ready(b),
                s @ (Status::CreateFailed | Status::DeleteFailed | Status::Deleting | Status::Deleted) => {
                    Poll::Failed(with_reason(s.as_str(), b.failure_reason()))
                }
                other => Poll::Pending(other.as_str().to_string()),
            })
        },
    )
    .await
}

/// `AWS::BedrockAgentCore::BrowserCustom` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::BedrockAgentCore::BrowserCustom",
    &[
        p("Name", To::Field("name")),
        p("Description", To::Field("description")),
        p("ExecutionRoleArn", To::Ref("execution_role", "iam_role")),
        p("NetworkConfiguration.NetworkMode", To::Field("network_mode")),
        p(
            "NetworkConfiguration.VpcConfig.Subnets[]",
            To::Ref("subnets[]", "subnet"),
        ),
        p(
            "NetworkConfiguration.VpcConfig.SecurityGroups[]",
            To::Ref("security_groups[]", "security_group"),
        ),
        // Read by `recording_enabled` once every property is mapped.
        p("RecordingConfig.Enabled", To::Bool("recording.enabled")),
        p(
            "RecordingConfig.S3Location.Bucket",
            To::Ref("recording.bucket", "s3_bucket"),
        ),
        p("RecordingConfig.S3Location.Prefix", To::Field("recording.prefix")),
        // Tags are a plain map on this type, not a list of {Key, Value}.
        p("Tags", To::StringMap("tags")),
        p(
            "BrowserSigning",
            To::Refuse("agentfs does not enable browser request signing"),
        ),
        p(
            "Certificates",
            To::Refuse("agentfs does not install custom certificates in browsers"),
        ),
        p(
            "EnterprisePolicies",
            To::Refuse("agentfs does not apply enterprise browser policies"),
        ),
    ],
)
.attributes(&[("BrowserId", "id"), ("BrowserArn", "arn")])
.finish(recording_enabled)];

/// A disabled recording configuration is no recording; an enabled one is `recording`.
fn recording_enabled(fields: &mut toml::Table) -> Result<(), String> {
    let Some(toml::Value::Table(recording)) = fields.get_mut("recording") else {
        return Ok(());
    };
    match recording.remove("enabled") {
        Some(toml::Value::Boolean(false)) => {
            fields.remove("recording");
            Ok(())
        }
        Some(toml::Value::Boolean(true)) => Ok(()),
        None => Err("`RecordingConfig` needs `Enabled`".into()),
        Some(_) => Err("`RecordingConfig.Enabled` must be true or false, not a parameter".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disabled_cloudformation_recording_is_no_recording() {
        let mut off: toml::Table = toml::from_str("recording = { enabled = false }").unwrap();
        recording_enabled(&mut off).unwrap();
        assert!(off.is_empty());
        let mut on: toml::Table =
            toml::from_str(r#"recording = { enabled = true, bucket = "b", prefix = "p/" }"#).unwrap();
        recording_enabled(&mut on).unwrap();
        assert_eq!(on["recording"].as_table().unwrap().len(), 2);
    }
}
