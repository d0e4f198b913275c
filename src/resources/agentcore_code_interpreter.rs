//! `agentcore_code_interpreter`: a custom AgentCore Code Interpreter (CreateCodeInterpreter
//! with the stack's client token): its network (PUBLIC, SANDBOX, or VPC with subnets and
//! security groups) and execution role. Waits until READY; CREATE_FAILED is an error with the
//! service's reason.
//!
//! AgentCore has no UpdateCodeInterpreter: every field but the tags replaces it. Tags go
//! through TagResource/UntagResource on the ARN. A name conflict on create is adopted when the
//! code interpreter of that name carries this stack's and address's tags, else refused.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::operation::get_code_interpreter::GetCodeInterpreterOutput;
use aws_sdk_bedrockagentcorecontrol::types::{
    CodeInterpreterNetworkConfiguration, CodeInterpreterNetworkMode, CodeInterpreterStatus as Status, VpcConfig,
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
const CREATE: &str = "bedrock-agentcore:CreateCodeInterpreter";
const NETWORK_MODES: &[&str] = &["PUBLIC", "SANDBOX", "VPC"];

/// `[agentcore_code_interpreter.NAME]`: a custom AgentCore Code Interpreter.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentcoreCodeInterpreterSpec {
    /// A letter, then letters, digits or underscores; at most 48. Unique in the account and region.
    pub name: String,
    /// 1 to 4096 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The `iam_role` (by name) the code runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role: Option<String>,
    /// `PUBLIC` (the default), `SANDBOX` (no network) or `VPC`.
    #[serde(default = "public")]
    pub network_mode: String,
    /// VPC mode: the `subnet`s (by name) the code interpreter's interfaces go in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<String>,
    /// VPC mode: the `security_group`s (by name) of those interfaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub tags: Tags,
}

fn public() -> String {
    "PUBLIC".into()
}

impl KindSpec for AgentcoreCodeInterpreterSpec {
    fn check(&self, check: &mut Check<'_>) {
        check.rule(
            "agentfs::code_interpreter_name",
            "name",
            &self.name,
            rules::runtime_name,
            || format!("`{}` is not a valid code interpreter name", self.name),
        );
        check.one_of(
            "network_mode",
            &self.network_mode,
            "a code interpreter network mode",
            NETWORK_MODES,
        );
        check_network(
            check,
            "agentfs::code_interpreter_network",
            &self.network_mode,
            &self.subnets,
            &self.security_groups,
        );
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
        refs
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct AgentcoreCodeInterpreter;

impl Resource for AgentcoreCodeInterpreter {
    type Spec = AgentcoreCodeInterpreterSpec;
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
    ];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model(
                "name",
                SERVICE,
                "CreateCodeInterpreterRequest$name",
                Limits::NONE.pattern("[a-zA-Z][a-zA-Z0-9_]{0,47}"),
            ),
            ApiField::model(
                "description",
                SERVICE,
                "CreateCodeInterpreterRequest$description",
                Limits::len(1, 4096),
            ),
            ApiField::reference(
                "execution_role",
                SERVICE,
                "CreateCodeInterpreterRequest$executionRoleArn",
            ),
            ApiField::model(
                "network_mode",
                SERVICE,
                "CodeInterpreterNetworkConfiguration$networkMode",
                Limits::one_of(NETWORK_MODES),
            ),
            ApiField::model("subnets", SERVICE, "VpcConfig$subnets", Limits::len(1, 16)),
            ApiField::model(
                "security_groups",
                SERVICE,
                "VpcConfig$securityGroups",
                Limits::len(1, 16),
            ),
        ],
        tags: super::tags::rules::AGENTCORE,
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(900),
        update: Duration::from_secs(300),
        delete: Duration::from_secs(900),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, AgentcoreCodeInterpreterSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let network = network(spec)?;
        let tags: HashMap<String, String> = req.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let token = client_token(req.token);
        let created = retry_transient(
            IAM_PROPAGATION.min(req.timeout),
            req.progress,
            role_not_yet_usable,
            || async {
                ctx.clients
                    .agentcore
                    .create_code_interpreter()
                    .name(&spec.name)
                    .set_description(spec.description.clone())
                    .set_execution_role_arn(spec.execution_role.clone())
                    .network_configuration(network.clone())
                    .client_token(&token)
                    .set_tags(Some(tags.clone()))
                    .send()
                    .await
                    .map_err(api(CREATE))
            },
        )
        .await;
        let id = match created {
            Ok(out) => out.code_interpreter_id().to_string(),
            Err(e) if e.is("ConflictException") => {
                let Some((id, arn)) = named(ctx, &spec.name).await? else {
                    return Err(e);
                };
                let live_tags = claim(
                    ctx,
                    CREATE,
                    "a code interpreter",
                    &spec.name,
                    &arn,
                    req.address,
                    req.tags,
                )
                .await?;
                req.progress
                    .phase("adopting the code interpreter an earlier attempt created");
                tags::sync(ctx, Tagged::Agentcore(&arn), &live_tags, req.tags).await?;
                id
            }
            Err(e) => return Err(e),
        };
        let live = wait_ready(ctx, &id, req.timeout, req.progress)
            .await
            .map_err(|e| e.about(&id))?;
        Ok(attributes(
            live.code_interpreter_id(),
            live.code_interpreter_arn(),
            live.name(),
        ))
    }

    /// Only the tags can change in place.
    async fn update(
        ctx: &Ctx,
        req: &Request<'_, AgentcoreCodeInterpreterSpec>,
        prior: &Recorded<'_, AgentcoreCodeInterpreterSpec>,
    ) -> Result<Created, ApiError> {
        let arn = match prior.attributes.get("arn") {
            Some(arn) => arn.clone(),
            None => get(ctx, prior.id).await?.code_interpreter_arn().to_string(),
        };
        tags::sync(ctx, Tagged::Agentcore(&arn), prior.tags, req.tags).await?;
        Ok(attributes(prior.id, &arn, &req.spec.name))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, AgentcoreCodeInterpreterSpec>) -> Result<(), ApiError> {
        let id = prior.id;
        delete_then_wait(
            "bedrock-agentcore:DeleteCodeInterpreter",
            "the code interpreter",
            prior.timeout,
            prior.progress,
            || async {
                ctx.clients
                    .agentcore
                    .delete_code_interpreter()
                    .code_interpreter_id(id)
                    .send()
                    .await
                    .map_err(api("bedrock-agentcore:DeleteCodeInterpreter"))
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

    /// Import: GetCodeInterpreter per id. Recover: ListCodeInterpreters (custom ones, all pages), then
    /// ListTagsForResource per code interpreter, keeping those tagged with the stack.
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
                    Ok(c) if gone(c.status()) => Ok(None),
                    Ok(c) => Ok(Some((
                        c.code_interpreter_arn().to_string(),
                        attributes(c.code_interpreter_id(), c.code_interpreter_arn(), c.name()),
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

    /// Per code interpreter: GetCodeInterpreter and ListTagsForResource together.
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, AgentcoreCodeInterpreterSpec>],
    ) -> Result<Vec<Option<AgentcoreCodeInterpreterSpec>>, ApiError> {
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

fn network(spec: &AgentcoreCodeInterpreterSpec) -> Result<CodeInterpreterNetworkConfiguration, ApiError> {
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
    Ok(CodeInterpreterNetworkConfiguration::builder()
        .network_mode(CodeInterpreterNetworkMode::from(spec.network_mode.as_str()))
        .set_vpc_config(vpc)
        .build())
}

/// The recorded spec with what the live code interpreter reports in place of what was recorded.
fn live_spec(
    recorded: &AgentcoreCodeInterpreterSpec,
    live: &GetCodeInterpreterOutput,
    tags: &BTreeMap<String, String>,
) -> AgentcoreCodeInterpreterSpec {
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
    spec.tags = tags::user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    spec
}

async fn get(ctx: &Ctx, id: &str) -> Result<GetCodeInterpreterOutput, ApiError> {
    ctx.clients
        .agentcore
        .get_code_interpreter()
        .code_interpreter_id(id)
        .send()
        .await
        .map_err(api("bedrock-agentcore:GetCodeInterpreter"))
}

/// Every custom code interpreter of the account and region: (id, ARN, name, status).
async fn list(ctx: &Ctx) -> Result<Vec<(String, String, String, Status)>, ApiError> {
    let items = ctx
        .clients
        .agentcore
        .list_code_interpreters()
        .r#type(aws_sdk_bedrockagentcorecontrol::types::ResourceType::Custom)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("bedrock-agentcore:ListCodeInterpreters"))?;
    Ok(items
        .into_iter()
        .map(|c| {
            (
                c.code_interpreter_id().to_string(),
                c.code_interpreter_arn().to_string(),
                c.name().unwrap_or_default().to_string(),
                c.status().clone(),
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
) -> Result<GetCodeInterpreterOutput, ApiError> {
    wait_for(
        "bedrock-agentcore:GetCodeInterpreter",
        "the code interpreter to be READY",
        timeout,
        progress,
        || async {
            let c = get(ctx, id).await?;
            Ok(match c.status() {
                Status::Ready => Poll::Ready(c),
                s @ (Status::CreateFailed | Status::DeleteFailed | Status::Deleting | Status::Deleted) => {
                    Poll::Failed(with_reason(s.as_str(), c.failure_reason()))
                }
                other => Poll::Pending(other.as_str().to_string()),
            })
        },
    )
    .await
}

/// `AWS::BedrockAgentCore::CodeInterpreterCustom` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::BedrockAgentCore::CodeInterpreterCustom",
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
        // Tags are a plain map on this type, not a list of {Key, Value}.
        p("Tags", To::StringMap("tags")),
        p(
            "Certificates",
            To::Refuse("agentfs does not install custom certificates in code interpreters"),
        ),
    ],
)
.attributes(&[("CodeInterpreterId", "id"), ("CodeInterpreterArn", "arn")])];
