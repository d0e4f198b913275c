//! `agentcore_runtime_endpoint`: a named endpoint of an AgentCore Runtime
//! (CreateAgentRuntimeEndpoint with the stack's client token), pinned to a runtime `version`
//! or, without one, following the runtime's newest version: created at it, and moved to it by
//! the next apply after the runtime gets a new version (a read reports the lag as drift).
//!
//! Its id is its ARN (`<runtime ARN>/runtime-endpoint/<name>`), which holds the runtime id and
//! the name every endpoint call takes. Waits until READY; delete waits until
//! GetAgentRuntimeEndpoint answers ResourceNotFoundException. Tags go through
//! TagResource/UntagResource on the ARN.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::operation::get_agent_runtime_endpoint::GetAgentRuntimeEndpointOutput;
use aws_sdk_bedrockagentcorecontrol::types::AgentRuntimeEndpointStatus as Status;
use futures_util::future::try_join_all;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Kind;
use super::agentcore::{client_token, list_runtimes};
use super::lookup::{absent, each, keep, owned, owned_by_tags};
use super::tags::{self, Tagged};
use super::{Created, Found, Progress, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, Poll, api, delete_then_wait, wait_for};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName};
use crate::lang::{Addr, Group, rules};

/// `[agentcore_runtime_endpoint.NAME]`: a named endpoint of an `agentcore_runtime`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentcoreRuntimeEndpointSpec {
    /// The `agentcore_runtime` (by name) the endpoint serves.
    pub runtime: String,
    /// Endpoint name: a letter, then letters, digits or underscores; at most 48. `DEFAULT` is
    /// the service's own.
    pub name: String,
    /// At most 256 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A runtime version to pin (`"3"`); without it the endpoint follows the newest version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for AgentcoreRuntimeEndpointSpec {
    fn check(&self, check: &mut Check<'_>) {
        check.rule(
            "agentfs::endpoint_name",
            "name",
            &self.name,
            rules::runtime_name,
            || format!("`{}` is not a valid endpoint name", self.name),
        );
        if self.name == "DEFAULT" {
            check.error(
                "agentfs::endpoint_name",
                "name",
                "`DEFAULT` is the endpoint AgentCore makes for every runtime",
                "choose another name, e.g. `prod`",
            );
        }
        if let Some(d) = &self.description
            && !(1..=256).contains(&d.chars().count())
        {
            check.error(
                "agentfs::endpoint_description",
                "description",
                format!("the description is {} characters", d.chars().count()),
                "use 1 to 256 characters, or leave it out",
            );
        }
        if let Some(v) = &self.version
            && !is_version(v)
        {
            check.error(
                "agentfs::endpoint_version",
                "version",
                format!("`{v}` is not a runtime version"),
                "a version number from 1 to 99999, e.g. `\"3\"`; leave it out to follow the newest",
            );
        }
    }

    fn unique_name(&self, _: &Addr) -> Option<UniqueName> {
        Some(UniqueName {
            scope: self.runtime.clone(),
            name: self.name.clone(),
        })
    }

    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![RefSlot::new("runtime", Kind::AgentcoreRuntime, "id", &mut self.runtime)]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// The model's AgentRuntimeVersion: `[1-9][0-9]{0,4}`.
fn is_version(v: &str) -> bool {
    (1..=5).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0')
}

pub struct AgentcoreRuntimeEndpoint;

impl Resource for AgentcoreRuntimeEndpoint {
    type Spec = AgentcoreRuntimeEndpointSpec;
    const GROUP: Group = Group::Compute;
    const CREATE_CALL: &'static str = "bedrock-agentcore:CreateAgentRuntimeEndpoint";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "name", "runtime_id"];
    const REPLACE_ON: &'static [&'static str] = &["runtime", "name"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::reference(
                "runtime",
                "bedrock-agentcore-control",
                "CreateAgentRuntimeEndpointRequest$agentRuntimeId",
            ),
            ApiField::model(
                "name",
                "bedrock-agentcore-control",
                "CreateAgentRuntimeEndpointRequest$name",
                Limits::NONE.pattern("[a-zA-Z][a-zA-Z0-9_]{0,47}"),
            ),
            ApiField::model(
                "description",
                "bedrock-agentcore-control",
                "CreateAgentRuntimeEndpointRequest$description",
                Limits::len(1, 256),
            ),
            // A version number AWS assigned to the runtime, pinned by the spec.
            ApiField::model(
                "version",
                "bedrock-agentcore-control",
                "CreateAgentRuntimeEndpointRequest$agentRuntimeVersion",
                Limits::len(1, 5).pattern("([1-9][0-9]{0,4})"),
            ),
        ],
        tags: super::tags::rules::AGENTCORE,
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(900),
        update: Duration::from_secs(900),
        delete: Duration::from_secs(900),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, AgentcoreRuntimeEndpointSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let tags: HashMap<String, String> = req.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let out = ctx
            .clients
            .agentcore
            .create_agent_runtime_endpoint()
            .agent_runtime_id(&spec.runtime)
            .name(&spec.name)
            .set_agent_runtime_version(spec.version.clone())
            .set_description(spec.description.clone())
            .client_token(client_token(req.token))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(api("bedrock-agentcore:CreateAgentRuntimeEndpoint"))?;
        let arn = out.agent_runtime_endpoint_arn().to_string();
        wait_ready(ctx, &spec.runtime, &spec.name, req.timeout, req.progress).await?;
        Ok(attributes(&arn, &spec.name, &spec.runtime))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, AgentcoreRuntimeEndpointSpec>,
        prior: &Recorded<'_, AgentcoreRuntimeEndpointSpec>,
    ) -> Result<Created, ApiError> {
        let spec = req.spec;
        let arn = prior.id;
        // Following the newest version: whatever it is now.
        let version = match &spec.version {
            Some(v) => v.clone(),
            None => newest_version(ctx, &spec.runtime).await?,
        };
        let live = get(ctx, &spec.runtime, &spec.name).await?;
        let differs = live.target_version() != Some(version.as_str())
            || live.description().unwrap_or_default() != spec.description.as_deref().unwrap_or_default();
        if differs {
            wait_ready(ctx, &spec.runtime, &spec.name, req.timeout, req.progress).await?;
            ctx.clients
                .agentcore
                .update_agent_runtime_endpoint()
                .agent_runtime_id(&spec.runtime)
                .endpoint_name(&spec.name)
                .agent_runtime_version(version)
                .set_description(spec.description.clone())
                .send()
                .await
                .map_err(api("bedrock-agentcore:UpdateAgentRuntimeEndpoint"))?;
            wait_ready(ctx, &spec.runtime, &spec.name, req.timeout, req.progress).await?;
        }
        tags::sync(ctx, Tagged::Agentcore(arn), prior.tags, req.tags).await?;
        Ok(attributes(arn, &spec.name, &spec.runtime))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, AgentcoreRuntimeEndpointSpec>) -> Result<(), ApiError> {
        let Some((runtime, name)) = parse_arn(prior.id) else {
            return Ok(());
        };
        delete_then_wait(
            "bedrock-agentcore:DeleteAgentRuntimeEndpoint",
            "the endpoint",
            prior.timeout,
            prior.progress,
            || async {
                ctx.clients
                    .agentcore
                    .delete_agent_runtime_endpoint()
                    .agent_runtime_id(runtime)
                    .endpoint_name(name)
                    .send()
                    .await
                    .map_err(api("bedrock-agentcore:DeleteAgentRuntimeEndpoint"))
            },
            || async {
                let out = get(ctx, runtime, name).await?;
                Ok(match out.status() {
                    Status::DeleteFailed => Poll::Failed(with_reason(out.status(), out.failure_reason())),
                    other => Poll::Pending(other.as_str().to_string()),
                })
            },
        )
        .await
    }

    /// Import: GetAgentRuntimeEndpoint per ARN. Recover: ListAgentRuntimes, then
    /// ListAgentRuntimeEndpoints per runtime; then ListTagsForResource per endpoint, keeping
    /// those tagged with the stack. Endpoints being deleted, and DEFAULT, are left out.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let candidates: Vec<Created> = if ids.is_empty() {
            let runtimes = list_runtimes(ctx).await?;
            let per_runtime = each(runtimes, |r| async move {
                let id = r.agent_runtime_id().to_string();
                let listed = ctx
                    .clients
                    .agentcore
                    .list_agent_runtime_endpoints()
                    .agent_runtime_id(&id)
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Result<Vec<_>, _>>()
                    .await
                    .map_err(api("bedrock-agentcore:ListAgentRuntimeEndpoints"));
                match listed {
                    Ok(endpoints) => Ok(endpoints
                        .iter()
                        .filter(|e| e.name() != "DEFAULT" && !matches!(e.status(), Status::Deleting))
                        .map(|e| attributes(e.agent_runtime_endpoint_arn(), e.name(), &id))
                        .collect::<Vec<_>>()),
                    // The runtime went between the two calls.
                    Err(e) if e.is_not_found() => Ok(Vec::new()),
                    Err(e) => Err(e),
                }
            })
            .await?;
            per_runtime.into_iter().flatten().collect()
        } else {
            let looked_up = each(owned(ids), |arn| async move {
                let Some((runtime, name)) = parse_arn(&arn) else {
                    return Ok(None);
                };
                match get(ctx, runtime, name).await {
                    Ok(out) if matches!(out.status(), Status::Deleting) => Ok(None),
                    Ok(out) => Ok(Some(attributes(out.agent_runtime_endpoint_arn(), out.name(), runtime))),
                    Err(e) if absent(&e) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?;
            looked_up.into_iter().flatten().collect()
        };
        let candidates = candidates.into_iter().map(|c| (c.id.clone(), c)).collect();
        let found = owned_by_tags(candidates, |arn| async move { tags::agentcore(ctx, &arn).await }).await?;
        Ok(keep(ctx, ids, found))
    }

    /// Per endpoint: GetAgentRuntimeEndpoint and ListTagsForResource together, and
    /// GetAgentRuntime for the newest version when the endpoint follows it.
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, AgentcoreRuntimeEndpointSpec>],
    ) -> Result<Vec<Option<AgentcoreRuntimeEndpointSpec>>, ApiError> {
        try_join_all(records.iter().map(|r| async move {
            let Some((runtime, name)) = parse_arn(r.id) else {
                return Ok(None);
            };
            let (live, tags) = tokio::join!(get(ctx, runtime, name), tags::agentcore(ctx, r.id));
            let live = match live {
                Ok(live) if matches!(live.status(), Status::Deleting) => return Ok(None),
                Ok(live) => live,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
            let tags = match tags {
                Ok(tags) => tags,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
            let mut spec = r.spec.clone();
            spec.description = live.description().map(String::from).filter(|d| !d.is_empty());
            let target = live.target_version().map(String::from);
            spec.version = match &r.spec.version {
                Some(_) => target,
                // Following: in step unless the runtime has moved on since.
                None => {
                    let newest = newest_version(ctx, runtime).await?;
                    target.filter(|t| *t != newest)
                }
            };
            spec.tags = tags::user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Ok(Some(spec))
        }))
        .await
    }
}

fn attributes(arn: &str, name: &str, runtime_id: &str) -> Created {
    Created::new(arn)
        .with("arn", arn)
        .with("name", name)
        .with("runtime_id", runtime_id)
}

/// `(runtime id, endpoint name)` from `...:runtime/<id>/runtime-endpoint/<name>`.
fn parse_arn(arn: &str) -> Option<(&str, &str)> {
    let (_, rest) = arn.split_once(":runtime/")?;
    let (runtime, name) = rest.split_once("/runtime-endpoint/")?;
    (!runtime.is_empty() && !name.is_empty() && !name.contains('/')).then_some((runtime, name))
}

fn with_reason(status: &Status, reason: Option<&str>) -> String {
    match reason {
        Some(r) if !r.is_empty() => format!("{}: {r}", status.as_str()),
        _ => status.as_str().to_string(),
    }
}

async fn get(ctx: &Ctx, runtime: &str, name: &str) -> Result<GetAgentRuntimeEndpointOutput, ApiError> {
    ctx.clients
        .agentcore
        .get_agent_runtime_endpoint()
        .agent_runtime_id(runtime)
        .endpoint_name(name)
        .send()
        .await
        .map_err(api("bedrock-agentcore:GetAgentRuntimeEndpoint"))
}

async fn newest_version(ctx: &Ctx, runtime: &str) -> Result<String, ApiError> {
    let out = ctx
        .clients
        .agentcore
        .get_agent_runtime()
        .agent_runtime_id(runtime)
        .send()
        .await
        .map_err(api("bedrock-agentcore:GetAgentRuntime"))?;
    Ok(out.agent_runtime_version().to_string())
}

async fn wait_ready(
    ctx: &Ctx,
    runtime: &str,
    name: &str,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), ApiError> {
    wait_for(
        "bedrock-agentcore:GetAgentRuntimeEndpoint",
        "the endpoint to be READY",
        timeout,
        progress,
        || async {
            let out = get(ctx, runtime, name).await?;
            Ok(match out.status() {
                Status::Ready => Poll::Ready(()),
                s @ (Status::CreateFailed | Status::UpdateFailed | Status::DeleteFailed | Status::Deleting) => {
                    Poll::Failed(with_reason(s, out.failure_reason()))
                }
                other => Poll::Pending(other.as_str().to_string()),
            })
        },
    )
    .await
}

/// `AWS::BedrockAgentCore::RuntimeEndpoint` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::BedrockAgentCore::RuntimeEndpoint",
    &[
        p("AgentRuntimeId", To::Ref("runtime", "agentcore_runtime")),
        p("Name", To::Field("name")),
        p("Description", To::Field("description")),
        p("AgentRuntimeVersion", To::Field("version")),
        // A plain map on this type, not a list of {Key, Value}.
        p("Tags", To::StringMap("tags")),
    ],
)
.attributes(&[
    ("AgentRuntimeEndpointArn", "arn"),
    ("Id", "id"),
    ("AgentRuntimeId", "runtime_id"),
])
.ref_attribute("arn")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_arns_give_runtime_and_name() {
        let arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agent-AbCdE12345/runtime-endpoint/prod";
        assert_eq!(parse_arn(arn), Some(("agent-AbCdE12345", "prod")));
        assert_eq!(parse_arn("arn:aws:bedrock-agentcore:us-east-1:1:runtime/agent-x"), None);
    }

    #[test]
    fn versions_follow_the_model_pattern() {
        assert!(is_version("1") && is_version("99999"));
        assert!(!is_version("0") && !is_version("01") && !is_version("100000") && !is_version("v1"));
    }
}
