//! `agentcore_gateway`: an AgentCore Gateway, the MCP endpoint agents reach their tools
//! through (CreateGateway with the stack's client token). Waits until READY; FAILED is an error
//! with the service's reasons.
//!
//! UpdateGateway takes the whole configuration again (name, role, protocol, authorizer,
//! description, KMS key, MCP options), so every field is updated in place. Tags go through
//! TagResource/UntagResource on the ARN. A gateway's targets must go first: they depend on it,
//! so destroy deletes them before it. A name conflict on create is adopted when the gateway of
//! that name carries this stack's and address's tags, else refused.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::operation::get_gateway::GetGatewayOutput;
use aws_sdk_bedrockagentcorecontrol::types::{
    AuthorizerConfiguration, AuthorizerType, GatewayProtocolConfiguration, GatewayProtocolType,
    GatewayStatus as Status, McpGatewayConfiguration, SearchType,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Kind;
use super::agentcore::jwt::{self, JwtAuthorizer};
use super::agentcore::{claim, client_token, role_not_yet_usable};
use super::lookup::{absent, each, keep, owned, owned_by_tags};
use super::tags::{self, Tagged};
use super::{Created, Found, Progress, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, IAM_PROPAGATION, Poll, api, delete_then_wait, retry_transient, wait_for};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName};
use crate::lang::{Addr, Group};

const SERVICE: &str = "bedrock-agentcore-control";
const CREATE: &str = "bedrock-agentcore:CreateGateway";
const UPDATE: &str = "bedrock-agentcore:UpdateGateway";

/// `[agentcore_gateway.NAME]`: an AgentCore Gateway.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentcoreGatewaySpec {
    /// Letters, digits and single hyphens; at most 48 characters. Unique in the account and region.
    pub name: String,
    /// 1 to 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The `iam_role` (by name) the gateway assumes to call its targets.
    pub role: String,
    /// `MCP`, the only protocol AgentCore gateways speak.
    #[serde(default = "mcp")]
    pub protocol: String,
    /// How callers authenticate: `AWS_IAM` (SigV4; the default), `NONE` or `AUTHENTICATE_ONLY`;
    /// `CUSTOM_JWT` is implied by `jwt_authorizer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorizer: Option<String>,
    /// Inbound OAuth, as on a runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_authorizer: Option<JwtAuthorizer>,
    /// ARN of the KMS key that encrypts the gateway's data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
    /// MCP options: `{ instructions = "...", search_type = "SEMANTIC", supported_versions = ["2025-03-26"] }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<McpOptions>,
    #[serde(default)]
    pub tags: Tags,
}

/// `protocolConfiguration.mcp`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McpOptions {
    /// MCP protocol versions the gateway accepts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_versions: Vec<String>,
    /// Instructions the gateway gives clients, 1 to 2048 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// `SEMANTIC`: a tool-search tool over the targets' tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_type: Option<String>,
}

fn mcp() -> String {
    "MCP".into()
}

const AUTHORIZERS: &[&str] = &["CUSTOM_JWT", "AWS_IAM", "NONE", "AUTHENTICATE_ONLY"];
const NAME_PATTERN: &str = "([0-9a-zA-Z][-]?){1,48}";

impl AgentcoreGatewaySpec {
    /// The authorizer type the API is sent.
    fn authorizer_type(&self) -> &str {
        match (&self.jwt_authorizer, self.authorizer.as_deref()) {
            (Some(_), _) => "CUSTOM_JWT",
            (None, Some(a)) => a,
            (None, None) => "AWS_IAM",
        }
    }
}

impl KindSpec for AgentcoreGatewaySpec {
    fn check(&self, check: &mut Check<'_>) {
        match (&self.jwt_authorizer, self.authorizer.as_deref()) {
            (Some(jwt), None | Some("CUSTOM_JWT")) => {
                jwt::check(jwt, "jwt_authorizer", "agentfs::gateway_authorizer", check);
            }
            (Some(_), Some(other)) => check.error(
                "agentfs::gateway_authorizer",
                "authorizer",
                format!("`authorizer = \"{other}\"` and `jwt_authorizer` contradict each other"),
                "keep `jwt_authorizer` (a custom JWT authorizer) or the other authorizer, not both",
            ),
            (None, Some("CUSTOM_JWT")) => check.error(
                "agentfs::gateway_authorizer",
                "authorizer",
                "a CUSTOM_JWT authorizer needs `jwt_authorizer`",
                "add jwt_authorizer = { discovery_url = \"https://.../.well-known/openid-configuration\", allowed_clients = [...] }",
            ),
            (None, _) => {}
        }
    }

    fn unique_name(&self, _: &Addr) -> Option<UniqueName> {
        Some(UniqueName {
            scope: String::new(),
            name: self.name.to_ascii_lowercase(),
        })
    }

    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![RefSlot::new("role", Kind::IamRole, "arn", &mut self.role)]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct AgentcoreGateway;

impl Resource for AgentcoreGateway {
    type Spec = AgentcoreGatewaySpec;
    const GROUP: Group = Group::Compute;
    const CREATE_CALL: &'static str = CREATE;
    /// `url` is the MCP endpoint clients connect to.
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "name", "url"];
    const REPLACE_ON: &'static [&'static str] = &[];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model(
                "name",
                SERVICE,
                "CreateGatewayRequest$name",
                Limits::NONE.pattern(NAME_PATTERN),
            ),
            ApiField::model(
                "description",
                SERVICE,
                "CreateGatewayRequest$description",
                Limits::len(1, 200),
            ),
            ApiField::reference("role", SERVICE, "CreateGatewayRequest$roleArn"),
            ApiField::model(
                "protocol",
                SERVICE,
                "CreateGatewayRequest$protocolType",
                Limits::one_of(&["MCP"]),
            ),
            ApiField::model(
                "authorizer",
                SERVICE,
                "CreateGatewayRequest$authorizerType",
                Limits::one_of(AUTHORIZERS),
            ),
            ApiField::model(
                "jwt_authorizer",
                SERVICE,
                "AuthorizerConfiguration$customJWTAuthorizer",
                Limits::NONE,
            ),
            ApiField::model(
                "jwt_authorizer.discovery_url",
                SERVICE,
                "CustomJWTAuthorizerConfiguration$discoveryUrl",
                Limits::NONE.pattern(jwt::DISCOVERY_URL),
            ),
            ApiField::model(
                "kms_key",
                SERVICE,
                "CreateGatewayRequest$kmsKeyArn",
                Limits::len(1, 2048).pattern("arn:aws(|-cn|-us-gov):kms:[a-zA-Z0-9-]*:[0-9]{12}:key/[a-zA-Z0-9-]{36}"),
            ),
            ApiField::model(
                "mcp.instructions",
                SERVICE,
                "MCPGatewayConfiguration$instructions",
                Limits::len(1, 2048),
            ),
            ApiField::model(
                "mcp.search_type",
                SERVICE,
                "MCPGatewayConfiguration$searchType",
                Limits::one_of(&["SEMANTIC"]),
            ),
            ApiField::model(
                "mcp.supported_versions",
                SERVICE,
                "MCPGatewayConfiguration$supportedVersions",
                Limits::NONE,
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

    async fn create(ctx: &Ctx, req: &Request<'_, AgentcoreGatewaySpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let sent = Sent::of(spec)?;
        let tags: HashMap<String, String> = req.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let token = client_token(req.token);
        let created = retry_transient(
            IAM_PROPAGATION.min(req.timeout),
            req.progress,
            role_not_yet_usable,
            || async {
                ctx.clients
                    .agentcore
                    .create_gateway()
                    .name(&spec.name)
                    .set_description(spec.description.clone())
                    .role_arn(&spec.role)
                    .protocol_type(GatewayProtocolType::from(spec.protocol.as_str()))
                    .set_protocol_configuration(sent.protocol.clone())
                    .authorizer_type(AuthorizerType::from(spec.authorizer_type()))
                    .set_authorizer_configuration(sent.authorizer.clone())
                    .set_kms_key_arn(spec.kms_key.clone())
                    .client_token(&token)
                    .set_tags(Some(tags.clone()))
                    .send()
                    .await
                    .map_err(api(CREATE))
            },
        )
        .await;
        let id = match created {
            Ok(out) => out.gateway_id().to_string(),
            Err(e) if e.is("ConflictException") => {
                let Some(id) = named(ctx, &spec.name).await? else {
                    return Err(e);
                };
                let arn = get(ctx, &id).await?.gateway_arn().to_string();
                let live_tags = claim(ctx, CREATE, "a gateway", &spec.name, &arn, req.address, req.tags).await?;
                req.progress.phase("adopting the gateway an earlier attempt created");
                wait_ready(ctx, &id, req.timeout, req.progress).await?;
                send_update(ctx, &id, spec, req.timeout, req.progress).await?;
                tags::sync(ctx, Tagged::Agentcore(&arn), &live_tags, req.tags).await?;
                id
            }
            Err(e) => return Err(e),
        };
        let live = wait_ready(ctx, &id, req.timeout, req.progress)
            .await
            .map_err(|e| e.about(&id))?;
        Ok(described(&live))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, AgentcoreGatewaySpec>,
        prior: &Recorded<'_, AgentcoreGatewaySpec>,
    ) -> Result<Created, ApiError> {
        let id = prior.id;
        let live = wait_ready(ctx, id, req.timeout, req.progress).await?;
        let live = if live_spec(req.spec, &live, &BTreeMap::new()).same_config(req.spec) {
            live
        } else {
            send_update(ctx, id, req.spec, req.timeout, req.progress).await?
        };
        tags::sync(ctx, Tagged::Agentcore(live.gateway_arn()), prior.tags, req.tags).await?;
        Ok(described(&live))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, AgentcoreGatewaySpec>) -> Result<(), ApiError> {
        let id = prior.id;
        delete_then_wait(
            "bedrock-agentcore:DeleteGateway",
            "the gateway",
            prior.timeout,
            prior.progress,
            || async {
                ctx.clients
                    .agentcore
                    .delete_gateway()
                    .gateway_identifier(id)
                    .send()
                    .await
                    .map_err(api("bedrock-agentcore:DeleteGateway"))
            },
            || async { Ok(Poll::Pending(get(ctx, id).await?.status().as_str().to_string())) },
        )
        .await
    }

    /// Import: GetGateway per id. Recover: ListGateways (all pages), then GetGateway and
    /// ListTagsForResource per gateway, keeping those tagged with the stack.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let to_read = if ids.is_empty() {
            list(ctx)
                .await?
                .into_iter()
                .filter(|(_, _, status)| !matches!(status, Status::Deleting))
                .map(|(id, _, _)| id)
                .collect()
        } else {
            owned(ids)
        };
        let looked_up = each(to_read, |id| async move {
            match get(ctx, &id).await {
                Ok(g) if matches!(g.status(), Status::Deleting) => Ok(None),
                Ok(g) => Ok(Some((g.gateway_arn().to_string(), described(&g)))),
                Err(e) if absent(&e) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
        let found = owned_by_tags(looked_up.into_iter().flatten().collect(), |arn| async move {
            tags::agentcore(ctx, &arn).await
        })
        .await?;
        Ok(keep(ctx, ids, found))
    }

    /// Per gateway: GetGateway and ListTagsForResource together.
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, AgentcoreGatewaySpec>],
    ) -> Result<Vec<Option<AgentcoreGatewaySpec>>, ApiError> {
        super::agentcore::read_with_tags(
            ctx,
            records,
            get,
            |live| matches!(live.status(), Status::Deleting),
            live_spec,
        )
        .await
    }
}

impl AgentcoreGatewaySpec {
    /// Equal in everything UpdateGateway sends (tags aside).
    fn same_config(&self, other: &AgentcoreGatewaySpec) -> bool {
        let strip = |s: &AgentcoreGatewaySpec| AgentcoreGatewaySpec {
            tags: Tags::new(),
            ..s.clone()
        };
        serde_json::to_value(strip(self)).ok() == serde_json::to_value(strip(other)).ok()
    }
}

/// The spec's nested configuration as the SDK takes it.
struct Sent {
    protocol: Option<GatewayProtocolConfiguration>,
    authorizer: Option<AuthorizerConfiguration>,
}

impl Sent {
    fn of(spec: &AgentcoreGatewaySpec) -> Result<Sent, ApiError> {
        let authorizer = match &spec.jwt_authorizer {
            Some(j) => Some(AuthorizerConfiguration::CustomJwtAuthorizer(
                jwt::to_sdk(j).map_err(|e| ApiError::new(CREATE, "InvalidRequest", e.to_string()))?,
            )),
            None => None,
        };
        let protocol = spec.mcp.as_ref().map(|m| {
            GatewayProtocolConfiguration::Mcp(
                McpGatewayConfiguration::builder()
                    .set_supported_versions((!m.supported_versions.is_empty()).then(|| m.supported_versions.clone()))
                    .set_instructions(m.instructions.clone())
                    .set_search_type(m.search_type.as_deref().map(SearchType::from))
                    .build(),
            )
        });
        Ok(Sent { protocol, authorizer })
    }
}

async fn send_update(
    ctx: &Ctx,
    id: &str,
    spec: &AgentcoreGatewaySpec,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<GetGatewayOutput, ApiError> {
    let sent = Sent::of(spec)?;
    retry_transient(IAM_PROPAGATION.min(timeout), progress, role_not_yet_usable, || async {
        ctx.clients
            .agentcore
            .update_gateway()
            .gateway_identifier(id)
            .name(&spec.name)
            .set_description(spec.description.clone())
            .role_arn(&spec.role)
            .protocol_type(GatewayProtocolType::from(spec.protocol.as_str()))
            .set_protocol_configuration(sent.protocol.clone())
            .authorizer_type(AuthorizerType::from(spec.authorizer_type()))
            .set_authorizer_configuration(sent.authorizer.clone())
            .set_kms_key_arn(spec.kms_key.clone())
            .send()
            .await
            .map_err(api(UPDATE))
    })
    .await?;
    wait_ready(ctx, id, timeout, progress).await
}

fn described(g: &GetGatewayOutput) -> Created {
    Created::new(g.gateway_id())
        .with("arn", g.gateway_arn())
        .with("name", g.name())
        .with("url", g.gateway_url().unwrap_or_default())
}

/// The recorded spec with what the live gateway reports in place of what was recorded.
fn live_spec(
    recorded: &AgentcoreGatewaySpec,
    live: &GetGatewayOutput,
    tags: &BTreeMap<String, String>,
) -> AgentcoreGatewaySpec {
    let mut spec = recorded.clone();
    spec.name = live.name().to_string();
    spec.description = live.description().map(String::from);
    if let Some(role) = live.role_arn() {
        spec.role = role.to_string();
    }
    spec.protocol = live.protocol_type().as_str().to_string();
    spec.jwt_authorizer = match live.authorizer_configuration() {
        Some(AuthorizerConfiguration::CustomJwtAuthorizer(c)) => Some(jwt::from_sdk(c)),
        _ => None,
    };
    let live_type = live.authorizer_type().as_str();
    // `authorizer` stays as written when it says the same as the live type (left out for
    // AWS_IAM, or CUSTOM_JWT implied by `jwt_authorizer`).
    spec.authorizer = if recorded.authorizer_type() == live_type {
        recorded.authorizer.clone()
    } else {
        Some(live_type.to_string())
    };
    spec.kms_key = live.kms_key_arn().map(String::from);
    spec.mcp = match live.protocol_configuration() {
        Some(GatewayProtocolConfiguration::Mcp(m)) => {
            let options = McpOptions {
                supported_versions: m.supported_versions().to_vec(),
                instructions: m.instructions().map(String::from),
                search_type: m.search_type().map(|s| s.as_str().to_string()),
            };
            // An empty configuration reads as none given.
            (options != McpOptions::default() || recorded.mcp.is_some()).then_some(options)
        }
        _ => None,
    };
    spec.tags = tags::user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    spec
}

async fn get(ctx: &Ctx, id: &str) -> Result<GetGatewayOutput, ApiError> {
    ctx.clients
        .agentcore
        .get_gateway()
        .gateway_identifier(id)
        .send()
        .await
        .map_err(api("bedrock-agentcore:GetGateway"))
}

/// Every gateway of the account and region: (id, name, status).
async fn list(ctx: &Ctx) -> Result<Vec<(String, String, Status)>, ApiError> {
    let items = ctx
        .clients
        .agentcore
        .list_gateways()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("bedrock-agentcore:ListGateways"))?;
    Ok(items
        .into_iter()
        .map(|g| (g.gateway_id().to_string(), g.name().to_string(), g.status().clone()))
        .collect())
}

async fn named(ctx: &Ctx, name: &str) -> Result<Option<String>, ApiError> {
    Ok(list(ctx)
        .await?
        .into_iter()
        .find(|(_, n, status)| n == name && !matches!(status, Status::Deleting))
        .map(|(id, _, _)| id))
}

async fn wait_ready(
    ctx: &Ctx,
    id: &str,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<GetGatewayOutput, ApiError> {
    wait_for(
        "bedrock-agentcore:GetGateway",
        "the gateway to be READY",
        timeout,
        progress,
        || async {
            let g = get(ctx, id).await?;
            Ok(match g.status() {
                Status::Ready => Poll::Ready(g),
                s @ (Status::Failed | Status::UpdateUnsuccessful | Status::Deleting) => {
                    let reasons = g.status_reasons().join("; ");
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

/// `AWS::BedrockAgentCore::Gateway` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::BedrockAgentCore::Gateway",
    &[
        p("Name", To::Field("name")),
        p("Description", To::Field("description")),
        p("RoleArn", To::Ref("role", "iam_role")),
        p("ProtocolType", To::Field("protocol")),
        p("ProtocolConfiguration.Mcp.SupportedVersions", To::Field("mcp.supported_versions")),
        p("ProtocolConfiguration.Mcp.Instructions", To::Field("mcp.instructions")),
        p("ProtocolConfiguration.Mcp.SearchType", To::Field("mcp.search_type")),
        p(
            "ProtocolConfiguration.Mcp.SessionConfiguration",
            To::Refuse("agentfs keeps the gateway's default MCP session timeout"),
        ),
        p(
            "ProtocolConfiguration.Mcp.StreamingConfiguration",
            To::Refuse("agentfs keeps the gateway's default MCP response streaming"),
        ),
        // `CUSTOM_JWT` is what `jwt_authorizer` implies; the spec accepts it said as well.
        p("AuthorizerType", To::Field("authorizer")),
        p(
            "AuthorizerConfiguration.CustomJWTAuthorizer.DiscoveryUrl",
            To::Field("jwt_authorizer.discovery_url"),
        ),
        p(
            "AuthorizerConfiguration.CustomJWTAuthorizer.AllowedAudience",
            To::Field("jwt_authorizer.allowed_audience"),
        ),
        p(
            "AuthorizerConfiguration.CustomJWTAuthorizer.AllowedClients",
            To::Field("jwt_authorizer.allowed_clients"),
        ),
        p(
            "AuthorizerConfiguration.CustomJWTAuthorizer.AllowedScopes",
            To::Field("jwt_authorizer.allowed_scopes"),
        ),
        p(
            "AuthorizerConfiguration.CustomJWTAuthorizer.CustomClaims[].InboundTokenClaimName",
            To::Field("jwt_authorizer.custom_claims[].name"),
        ),
        p(
            "AuthorizerConfiguration.CustomJWTAuthorizer.CustomClaims[].InboundTokenClaimValueType",
            To::Field("jwt_authorizer.custom_claims[].value_type"),
        ),
        p(
            "AuthorizerConfiguration.CustomJWTAuthorizer.CustomClaims[].AuthorizingClaimMatchValue.ClaimMatchOperator",
            To::Field("jwt_authorizer.custom_claims[].operator"),
        ),
        p(
            "AuthorizerConfiguration.CustomJWTAuthorizer.CustomClaims[].AuthorizingClaimMatchValue.ClaimMatchValue.MatchValueString",
            To::Field("jwt_authorizer.custom_claims[].value"),
        ),
        p(
            "AuthorizerConfiguration.CustomJWTAuthorizer.CustomClaims[].AuthorizingClaimMatchValue.ClaimMatchValue.MatchValueStringList",
            To::Field("jwt_authorizer.custom_claims[].values"),
        ),
        p(
            "AuthorizerConfiguration.CustomJWTAuthorizer.AdvertisedScopeMapping",
            To::Refuse(JWT_EXTRAS),
        ),
        p("AuthorizerConfiguration.CustomJWTAuthorizer.PrivateEndpoint", To::Refuse(JWT_EXTRAS)),
        p("KmsKeyArn", To::Field("kms_key")),
        // Tags are a plain map on this type, not a list of {Key, Value}.
        p("Tags", To::StringMap("tags")),
        p(
            "InterceptorConfigurations",
            To::Refuse("agentfs does not configure gateway interceptors"),
        ),
        p(
            "PolicyEngineConfiguration",
            To::Refuse("agentfs does not attach policy engines to gateways"),
        ),
        p(
            "ExceptionLevel",
            To::Refuse("agentfs keeps the gateway's default error detail"),
        ),
        p("WafConfiguration", To::Refuse("agentfs does not put gateways behind AWS WAF")),
    ],
)
.attributes(&[("GatewayIdentifier", "id"), ("GatewayArn", "arn"), ("GatewayUrl", "url")])];

const JWT_EXTRAS: &str =
    "agentfs's `jwt_authorizer` has a discovery URL, audiences, clients, scopes and custom claims only";

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway() -> AgentcoreGatewaySpec {
        AgentcoreGatewaySpec {
            name: "tools".into(),
            description: None,
            role: "arn:aws:iam::123456789012:role/gw".into(),
            protocol: "MCP".into(),
            authorizer: None,
            jwt_authorizer: None,
            kms_key: None,
            mcp: None,
            tags: Tags::new(),
        }
    }

    #[test]
    fn the_authorizer_type_follows_the_fields() {
        let mut g = gateway();
        assert_eq!(g.authorizer_type(), "AWS_IAM");
        g.authorizer = Some("NONE".into());
        assert_eq!(g.authorizer_type(), "NONE");
        g.authorizer = None;
        g.jwt_authorizer = Some(JwtAuthorizer {
            discovery_url: "https://idp.example.com/.well-known/openid-configuration".into(),
            allowed_audience: Vec::new(),
            allowed_clients: vec!["app".into()],
            allowed_scopes: Vec::new(),
            custom_claims: Vec::new(),
        });
        assert_eq!(g.authorizer_type(), "CUSTOM_JWT");
        assert!(Sent::of(&g).unwrap().authorizer.is_some());
    }
}
