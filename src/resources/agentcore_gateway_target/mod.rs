//! `agentcore_gateway_target`: a target of an AgentCore Gateway, the tools it serves
//! (CreateGatewayTarget with the stack's client token): a Lambda function with its tool
//! definitions, an OpenAPI or Smithy schema (inline or in S3), or an MCP server. Waits until
//! READY; FAILED is an error with the service's reasons.
//!
//! UpdateGatewayTarget takes the whole configuration again, so everything but the gateway and
//! the name is updated in place. Targets cannot be tagged: the id is `<gateway id>/<target
//! id>`, and recover finds them through the gateways tagged with the stack (matched to the
//! spec by gateway and name).

mod cfn;

use cfn::*;

mod convert;

use convert::*;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::operation::get_gateway_target::GetGatewayTargetOutput;
use aws_sdk_bedrockagentcorecontrol::types::{
    ApiKeyCredentialLocation, ApiSchemaConfiguration, CredentialProvider, CredentialProviderConfiguration,
    CredentialProviderType, GatewayApiKeyCredentialProvider, McpLambdaTargetConfiguration,
    McpServerTargetConfiguration, McpTargetConfiguration, OAuthCredentialProvider, S3Configuration, SchemaDefinition,
    SchemaType, TargetConfiguration, TargetStatus as Status, ToolDefinition, ToolSchema,
};
use futures_util::future::try_join_all;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Kind;
use super::agentcore::{client_token, invalid};
use super::lookup::{absent, each};
use super::tags::{self, Owner};
use super::{Created, Found, Progress, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, Poll, api, delete_then_wait, wait_for};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, UniqueName};
use crate::lang::{Addr, Group};

const SERVICE: &str = "bedrock-agentcore-control";
const CREATE: &str = "bedrock-agentcore:CreateGatewayTarget";
const UPDATE: &str = "bedrock-agentcore:UpdateGatewayTarget";

/// `[agentcore_gateway_target.NAME]`: the tools one target gives a gateway.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentcoreGatewayTargetSpec {
    /// The `agentcore_gateway` (by name).
    pub gateway: String,
    /// Letters, digits and single hyphens; at most 100. Unique in the gateway.
    pub name: String,
    /// 1 to 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A Lambda function that serves `tools` (or the tool definitions at `tools_s3_uri`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_arn: Option<String>,
    /// The Lambda function's tools: `{ name, description, input_schema = { type = "object", ... } }`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolSpec>,
    /// The Lambda function's tool definitions as a JSON file in S3 (`s3://bucket/key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools_s3_uri: Option<String>,
    /// An OpenAPI schema: `{ inline = "..." }` or `{ s3_uri = "s3://..." }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openapi_schema: Option<ApiSchema>,
    /// A Smithy model: `{ inline = "..." }` or `{ s3_uri = "s3://..." }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smithy_model: Option<ApiSchema>,
    /// An MCP server's `https://` endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_server: Option<String>,
    /// How the gateway authenticates to the target. Lambda and Smithy targets use the gateway's
    /// role when this is left out; an OpenAPI target needs `OAUTH` or `API_KEY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_provider: Option<CredentialProviderSpec>,
}

/// One tool of a Lambda target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// A JSON Schema subset: `type`, `properties`, `required`, `items`, `description`.
    pub input_schema: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
}

/// An API schema, inline or in S3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiSchema {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_uri: Option<String>,
    /// The bucket owner's account id, when the bucket is another account's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_owner: Option<String>,
}

/// `credentialProviderConfigurations[0]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialProviderSpec {
    /// `GATEWAY_IAM_ROLE`, `OAUTH` or `API_KEY`.
    #[serde(rename = "type")]
    pub kind: String,
    /// OAuth or API-key credential provider ARN (AgentCore Identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_arn: Option<String>,
    /// OAuth scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// API key: the header or query parameter that carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_name: Option<String>,
    /// API key: written before the key (`Bearer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// API key: `HEADER` or `QUERY_PARAMETER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

const CREDENTIAL_TYPES: &[&str] = &["GATEWAY_IAM_ROLE", "OAUTH", "API_KEY"];
const SCHEMA_TYPES: &[&str] = &["string", "number", "object", "array", "boolean", "integer"];
const SCHEMA_KEYS: &[&str] = &["type", "properties", "required", "items", "description"];

impl AgentcoreGatewayTargetSpec {
    /// The target kinds the spec sets (exactly one is valid).
    fn sources(&self) -> Vec<&'static str> {
        [
            (self.lambda_arn.is_some(), "lambda_arn"),
            (self.openapi_schema.is_some(), "openapi_schema"),
            (self.smithy_model.is_some(), "smithy_model"),
            (self.mcp_server.is_some(), "mcp_server"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }
}

/// Problems of a tool schema (the model's SchemaDefinition), with the path below `at`.
fn schema_problems(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    let Some(map) = value.as_object() else {
        out.push((at.to_string(), "a schema is a table".into()));
        return;
    };
    for key in map.keys() {
        if !SCHEMA_KEYS.contains(&key.as_str()) {
            out.push((
                format!("{at}.{key}"),
                format!("`{key}` is not part of a gateway tool schema"),
            ));
        }
    }
    match map.get("type").and_then(Value::as_str) {
        Some(t) if SCHEMA_TYPES.contains(&t) => {}
        _ => out.push((format!("{at}.type"), "a schema needs a `type`".into())),
    }
    if let Some(props) = map.get("properties") {
        match props.as_object() {
            Some(props) => {
                for (name, p) in props {
                    schema_problems(p, &format!("{at}.properties.{name}"), out);
                }
            }
            None => out.push((format!("{at}.properties"), "`properties` is a table".into())),
        }
    }
    if let Some(items) = map.get("items") {
        schema_problems(items, &format!("{at}.items"), out);
    }
    if let Some(required) = map.get("required")
        && !required.as_array().is_some_and(|r| r.iter().all(Value::is_string))
    {
        out.push((
            format!("{at}.required"),
            "`required` is a list of property names".into(),
        ));
    }
}

impl KindSpec for AgentcoreGatewayTargetSpec {
    fn check(&self, check: &mut Check<'_>) {
        let sources = self.sources();
        if sources.len() != 1 {
            check.error(
                "agentfs::gateway_target",
                "",
                format!("a target serves exactly one of lambda_arn, openapi_schema, smithy_model, mcp_server; this one sets {}", if sources.is_empty() { "none".to_string() } else { sources.join(", ") }),
                "keep one; make a target per source",
            );
        }
        let lambda = self.lambda_arn.is_some();
        if lambda && self.tools.is_empty() == self.tools_s3_uri.is_none() {
            check.error(
                "agentfs::gateway_target",
                "tools",
                "a Lambda target needs its tools: `tools` or `tools_s3_uri`, one of them",
                "tools = [{ name = \"get_weather\", description = \"...\", input_schema = { type = \"object\" } }]",
            );
        }
        if !lambda && (!self.tools.is_empty() || self.tools_s3_uri.is_some()) {
            check.error(
                "agentfs::gateway_target",
                "tools",
                "`tools` and `tools_s3_uri` describe a Lambda target's tools",
                "set `lambda_arn`, or leave the tools out",
            );
        }
        for (field, schema) in [
            ("openapi_schema", &self.openapi_schema),
            ("smithy_model", &self.smithy_model),
        ] {
            if let Some(s) = schema
                && s.inline.is_some() == s.s3_uri.is_some()
            {
                check.error(
                    "agentfs::gateway_target",
                    field,
                    "a schema is either `inline` or at `s3_uri`, one of them",
                    format!("{field} = {{ s3_uri = \"s3://bucket/openapi.json\" }}"),
                );
            }
        }
        let mut problems = Vec::new();
        for (i, tool) in self.tools.iter().enumerate() {
            schema_problems(&tool.input_schema, &format!("tools[{i}].input_schema"), &mut problems);
            if let Some(out) = &tool.output_schema {
                schema_problems(out, &format!("tools[{i}].output_schema"), &mut problems);
            }
        }
        for (field, message) in problems {
            check.error(
                "agentfs::gateway_tool_schema",
                &field,
                message,
                format!(
                    "use `type` ({}), `properties`, `required`, `items` and `description`",
                    SCHEMA_TYPES.join(", ")
                ),
            );
        }
        let credential = self.credential_provider.as_ref();
        if let Some(c) = credential {
            check.one_of(
                "credential_provider.type",
                &c.kind,
                "a credential provider type",
                CREDENTIAL_TYPES,
            );
            if matches!(c.kind.as_str(), "OAUTH" | "API_KEY") && c.provider_arn.is_none() {
                check.error(
                    "agentfs::gateway_target",
                    "credential_provider.provider_arn",
                    format!("an {} credential provider names its `provider_arn`", c.kind),
                    "the ARN of an AgentCore Identity credential provider",
                );
            }
        }
        if self.openapi_schema.is_some() && !credential.is_some_and(|c| matches!(c.kind.as_str(), "OAUTH" | "API_KEY"))
        {
            check.error(
                "agentfs::gateway_target",
                "credential_provider",
                "an OpenAPI target authenticates with OAuth or an API key",
                "credential_provider = { type = \"API_KEY\", provider_arn = \"...\" }",
            );
        }
    }

    fn unique_name(&self, _: &Addr) -> Option<UniqueName> {
        Some(UniqueName {
            scope: self.gateway.clone(),
            name: self.name.clone(),
        })
    }

    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![RefSlot::new("gateway", Kind::AgentcoreGateway, "id", &mut self.gateway)]
    }
}

pub struct AgentcoreGatewayTarget;

const S3_URI: &str = "s3://.{1,2043}";

impl Resource for AgentcoreGatewayTarget {
    type Spec = AgentcoreGatewayTargetSpec;
    const GROUP: Group = Group::Compute;
    const CREATE_CALL: &'static str = CREATE;
    const ATTRIBUTES: &'static [&'static str] = &["id", "target_id", "gateway_id", "name"];
    // The name identifies an untaggable target when a state is recovered.
    const REPLACE_ON: &'static [&'static str] = &["gateway", "name"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::reference("gateway", SERVICE, "CreateGatewayTargetRequest$gatewayIdentifier"),
            ApiField::model(
                "name",
                SERVICE,
                "CreateGatewayTargetRequest$name",
                Limits::NONE.pattern("([0-9a-zA-Z][-]?){1,100}"),
            ),
            ApiField::model(
                "description",
                SERVICE,
                "CreateGatewayTargetRequest$description",
                Limits::len(1, 200),
            ),
            ApiField::model(
                "lambda_arn",
                SERVICE,
                "McpLambdaTargetConfiguration$lambdaArn",
                Limits::len(1, 170).pattern(
                    r"arn:(aws[a-zA-Z-]*)?:lambda:([a-z]{2}(-gov)?-[a-z]+-\d{1}):(\d{12}):function:([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?",
                ),
            ),
            ApiField::model("tools", SERVICE, "ToolSchema$inlinePayload", Limits::NONE),
            ApiField::model("tools_s3_uri", SERVICE, "S3Configuration$uri", Limits::NONE.pattern(S3_URI)),
            ApiField::model(
                "openapi_schema",
                SERVICE,
                "McpTargetConfiguration$openApiSchema",
                Limits::NONE,
            ),
            ApiField::model(
                "openapi_schema.s3_uri",
                SERVICE,
                "S3Configuration$uri",
                Limits::NONE.pattern(S3_URI),
            ),
            ApiField::model(
                "openapi_schema.bucket_owner",
                SERVICE,
                "S3Configuration$bucketOwnerAccountId",
                Limits::NONE.pattern("[0-9]{12}"),
            ),
            ApiField::model("smithy_model", SERVICE, "McpTargetConfiguration$smithyModel", Limits::NONE),
            ApiField::model(
                "smithy_model.s3_uri",
                SERVICE,
                "S3Configuration$uri",
                Limits::NONE.pattern(S3_URI),
            ),
            ApiField::model(
                "smithy_model.bucket_owner",
                SERVICE,
                "S3Configuration$bucketOwnerAccountId",
                Limits::NONE.pattern("[0-9]{12}"),
            ),
            ApiField::model(
                "mcp_server",
                SERVICE,
                "McpServerTargetConfiguration$endpoint",
                Limits::NONE.pattern("https://.*"),
            ),
            ApiField::model(
                "credential_provider",
                SERVICE,
                "CredentialProviderConfigurations$member",
                Limits::NONE,
            ),
            ApiField::model(
                "credential_provider.type",
                SERVICE,
                "CredentialProviderConfiguration$credentialProviderType",
                Limits::one_of(&[
                    "GATEWAY_IAM_ROLE",
                    "OAUTH",
                    "API_KEY",
                    "CALLER_IAM_CREDENTIALS",
                    "JWT_PASSTHROUGH",
                ]),
            ),
            ApiField::model(
                "credential_provider.provider_arn",
                SERVICE,
                "OAuthCredentialProvider$providerArn",
                Limits::NONE.pattern("arn:([^:]*):([^:]*):([^:]*):([0-9]{12})?:(.+)"),
            ),
            ApiField::model(
                "credential_provider.scopes",
                SERVICE,
                "OAuthCredentialProvider$scopes",
                Limits::len(0, 100),
            ),
            ApiField::model(
                "credential_provider.parameter_name",
                SERVICE,
                "ApiKeyCredentialProvider$credentialParameterName",
                Limits::len(1, 64),
            ),
            ApiField::model(
                "credential_provider.prefix",
                SERVICE,
                "ApiKeyCredentialProvider$credentialPrefix",
                Limits::len(1, 64),
            ),
            ApiField::model(
                "credential_provider.location",
                SERVICE,
                "ApiKeyCredentialProvider$credentialLocation",
                Limits::one_of(&["HEADER", "QUERY_PARAMETER"]),
            ),
        ],
        tags: &[],
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(600),
        update: Duration::from_secs(600),
        delete: Duration::from_secs(600),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, AgentcoreGatewayTargetSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let configuration = target_configuration(spec, CREATE)?;
        let credentials = credentials(spec, CREATE)?;
        let out = ctx
            .clients
            .agentcore
            .create_gateway_target()
            .gateway_identifier(&spec.gateway)
            .name(&spec.name)
            .set_description(spec.description.clone())
            .target_configuration(configuration)
            .set_credential_provider_configurations(credentials)
            .client_token(client_token(req.token))
            .send()
            .await
            .map_err(api(CREATE))?;
        let target_id = out.target_id().to_string();
        let id = format!("{}/{target_id}", spec.gateway);
        wait_ready(ctx, &spec.gateway, &target_id, req.timeout, req.progress)
            .await
            .map_err(|e| e.about(&id))?;
        Ok(attributes(&spec.gateway, &target_id, &spec.name))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, AgentcoreGatewayTargetSpec>,
        prior: &Recorded<'_, AgentcoreGatewayTargetSpec>,
    ) -> Result<Created, ApiError> {
        let spec = req.spec;
        let Some((gateway, target_id)) = prior.id.split_once('/') else {
            return Err(ApiError::new(
                UPDATE,
                "InvalidRequest",
                format!("`{}` is not a target id", prior.id),
            ));
        };
        let live = wait_ready(ctx, gateway, target_id, req.timeout, req.progress).await?;
        if !same(&live_spec(spec, &live), spec) {
            ctx.clients
                .agentcore
                .update_gateway_target()
                .gateway_identifier(gateway)
                .target_id(target_id)
                .name(&spec.name)
                .set_description(spec.description.clone())
                .target_configuration(target_configuration(spec, UPDATE)?)
                .set_credential_provider_configurations(credentials(spec, UPDATE)?)
                .send()
                .await
                .map_err(api(UPDATE))?;
            wait_ready(ctx, gateway, target_id, req.timeout, req.progress).await?;
        }
        Ok(attributes(gateway, target_id, &spec.name))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, AgentcoreGatewayTargetSpec>) -> Result<(), ApiError> {
        let Some((gateway, target_id)) = prior.id.split_once('/') else {
            return Ok(());
        };
        delete_then_wait(
            "bedrock-agentcore:DeleteGatewayTarget",
            "the gateway target",
            prior.timeout,
            prior.progress,
            || async {
                ctx.clients
                    .agentcore
                    .delete_gateway_target()
                    .gateway_identifier(gateway)
                    .target_id(target_id)
                    .send()
                    .await
                    .map_err(api("bedrock-agentcore:DeleteGatewayTarget"))
            },
            || async {
                Ok(Poll::Pending(
                    get(ctx, gateway, target_id).await?.status().as_str().to_string(),
                ))
            },
        )
        .await
    }

    /// Import: GetGatewayTarget per id. Recover: ListGateways, ListTagsForResource per gateway,
    /// and ListGatewayTargets of those tagged with the stack (targets carry no tags).
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let pairs: Vec<(String, String)> = if ids.is_empty() {
            let gateways = ctx
                .clients
                .agentcore
                .list_gateways()
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(api("bedrock-agentcore:ListGateways"))?;
            let per_gateway = each(gateways, |g| async move {
                let id = g.gateway_id().to_string();
                let arn = match ctx.clients.agentcore.get_gateway().gateway_identifier(&id).send().await {
                    Ok(out) => out.gateway_arn().to_string(),
                    Err(e) => {
                        let e = api("bedrock-agentcore:GetGateway")(e);
                        return if e.is_not_found() { Ok(Vec::new()) } else { Err(e) };
                    }
                };
                let owner = match tags::agentcore(ctx, &arn).await {
                    Ok(t) => Owner::of(t.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                    Err(e) if e.is_not_found() => return Ok(Vec::new()),
                    Err(e) => return Err(e),
                };
                if !owner.belongs_to(&ctx.stack) {
                    return Ok(Vec::new());
                }
                let targets = ctx
                    .clients
                    .agentcore
                    .list_gateway_targets()
                    .gateway_identifier(&id)
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Result<Vec<_>, _>>()
                    .await
                    .map_err(api("bedrock-agentcore:ListGatewayTargets"));
                match targets {
                    Ok(targets) => Ok(targets
                        .iter()
                        .filter(|t| !matches!(t.status(), Status::Deleting))
                        .map(|t| (id.clone(), t.target_id().to_string()))
                        .collect()),
                    Err(e) if e.is_not_found() => Ok(Vec::new()),
                    Err(e) => Err(e),
                }
            })
            .await?;
            per_gateway.into_iter().flatten().collect()
        } else {
            ids.iter()
                .filter_map(|id| id.split_once('/'))
                .map(|(g, t)| (g.to_string(), t.to_string()))
                .collect()
        };
        let looked_up = each(pairs, |(gateway, target)| async move {
            match get(ctx, &gateway, &target).await {
                Ok(t) if matches!(t.status(), Status::Deleting) => Ok(None),
                Ok(t) => Ok(Some(Found {
                    owner: Owner::default(),
                    created: attributes(&gateway, t.target_id(), t.name()),
                })),
                Err(e) if absent(&e) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
        Ok(looked_up.into_iter().flatten().collect())
    }

    /// Per target: GetGatewayTarget.
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, AgentcoreGatewayTargetSpec>],
    ) -> Result<Vec<Option<AgentcoreGatewayTargetSpec>>, ApiError> {
        try_join_all(records.iter().map(|r| async move {
            let Some((gateway, target_id)) = r.id.split_once('/') else {
                return Ok(None);
            };
            match get(ctx, gateway, target_id).await {
                Ok(live) if matches!(live.status(), Status::Deleting) => Ok(None),
                Ok(live) => {
                    let mut spec = live_spec(r.spec, &live);
                    spec.gateway = gateway.to_string();
                    Ok(Some(spec))
                }
                Err(e) if e.is_not_found() => Ok(None),
                Err(e) => Err(e),
            }
        }))
        .await
    }
}

fn attributes(gateway: &str, target_id: &str, name: &str) -> Created {
    Created::new(format!("{gateway}/{target_id}"))
        .with("target_id", target_id)
        .with("gateway_id", gateway)
        .with("name", name)
}

fn same(a: &AgentcoreGatewayTargetSpec, b: &AgentcoreGatewayTargetSpec) -> bool {
    serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
}

// ---- spec -> SDK ------------------------------------------------------------------------------

async fn get(ctx: &Ctx, gateway: &str, target_id: &str) -> Result<GetGatewayTargetOutput, ApiError> {
    ctx.clients
        .agentcore
        .get_gateway_target()
        .gateway_identifier(gateway)
        .target_id(target_id)
        .send()
        .await
        .map_err(api("bedrock-agentcore:GetGatewayTarget"))
}

async fn wait_ready(
    ctx: &Ctx,
    gateway: &str,
    target_id: &str,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<GetGatewayTargetOutput, ApiError> {
    wait_for(
        "bedrock-agentcore:GetGatewayTarget",
        "the gateway target to be READY",
        timeout,
        progress,
        || async {
            let t = get(ctx, gateway, target_id).await?;
            Ok(match t.status() {
                Status::Ready => Poll::Ready(t),
                s @ (Status::Failed
                | Status::UpdateUnsuccessful
                | Status::SynchronizeUnsuccessful
                | Status::Deleting) => {
                    let reasons = t.status_reasons().join("; ");
                    Poll::Failed(if reasons.is_empty() {
                        s.as_str().to_string()
                    } else {
                        format!("{}: {reasons}", s.as_str())
                    })
                }
                other => Poll::Pending(other.as_str().to_string()),
            })
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudformation_tool_schemas_nested_keys_follow_the_model() {
        let mut fields: toml::Table = toml::from_str(
            r#"tools = [{ name = "t", input_schema = { type = "object", properties = { city = { Type = "array", Items = { Type = "string", Description = "d" } } } } }]"#,
        )
        .unwrap();
        tool_schema_keys(&mut fields).unwrap();
        let city = &fields["tools"][0]["input_schema"]["properties"]["city"];
        assert_eq!(city["type"].as_str(), Some("array"));
        assert_eq!(city["items"]["type"].as_str(), Some("string"));
        assert_eq!(city["items"]["description"].as_str(), Some("d"));
        assert!(city.get("Type").is_none());
    }

    #[test]
    fn tool_schemas_round_trip_through_the_sdk_shape() {
        let schema = json!({"type": "object", "description": "a city",
            "properties": {"city": {"type": "string"}, "days": {"type": "array", "items": {"type": "integer"}}},
            "required": ["city"]});
        let sdk = schema_definition(&schema, CREATE).unwrap();
        assert_eq!(schema_json(&sdk), schema);
    }

    #[test]
    fn schema_problems_name_the_path() {
        let mut out = Vec::new();
        schema_problems(
            &json!({"type": "object", "properties": {"a": {"type": "date"}}, "additionalProperties": false}),
            "tools[0].input_schema",
            &mut out,
        );
        let paths: Vec<&str> = out.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "tools[0].input_schema.additionalProperties",
                "tools[0].input_schema.properties.a.type"
            ]
        );
    }
}
