//! Between the spec and the API's target configuration, schemas and credential providers, both
//! ways.

use super::*;

pub(super) fn s3(uri: &str, owner: Option<&String>) -> S3Configuration {
    S3Configuration::builder()
        .uri(uri)
        .set_bucket_owner_account_id(owner.cloned())
        .build()
}

pub(super) fn api_schema(schema: &ApiSchema) -> ApiSchemaConfiguration {
    match (&schema.inline, &schema.s3_uri) {
        (Some(inline), _) => ApiSchemaConfiguration::InlinePayload(inline.clone()),
        (None, uri) => ApiSchemaConfiguration::S3(s3(uri.as_deref().unwrap_or_default(), schema.bucket_owner.as_ref())),
    }
}

/// A tool schema (checked offline to hold only what SchemaDefinition has) as the SDK's type.
pub(super) fn schema_definition(value: &Value, op: &'static str) -> Result<SchemaDefinition, ApiError> {
    let kind = value.get("type").and_then(Value::as_str).unwrap_or("object");
    let mut b = SchemaDefinition::builder().r#type(SchemaType::from(kind));
    if let Some(props) = value.get("properties").and_then(Value::as_object) {
        let mut out = HashMap::new();
        for (name, p) in props {
            out.insert(name.clone(), schema_definition(p, op)?);
        }
        b = b.set_properties(Some(out));
    }
    if let Some(required) = value.get("required").and_then(Value::as_array) {
        b = b.set_required(Some(
            required.iter().filter_map(|r| r.as_str().map(String::from)).collect(),
        ));
    }
    if let Some(items) = value.get("items") {
        b = b.items(schema_definition(items, op)?);
    }
    if let Some(d) = value.get("description").and_then(Value::as_str) {
        b = b.description(d);
    }
    b.build().map_err(invalid(op))
}

pub(super) fn schema_json(s: &SchemaDefinition) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("type".into(), json!(s.r#type().as_str()));
    if let Some(props) = s.properties() {
        let sorted: BTreeMap<&String, Value> = props.iter().map(|(k, v)| (k, schema_json(v))).collect();
        out.insert("properties".into(), json!(sorted));
    }
    if !s.required().is_empty() {
        out.insert("required".into(), json!(s.required()));
    }
    if let Some(items) = s.items() {
        out.insert("items".into(), schema_json(items));
    }
    if let Some(d) = s.description() {
        out.insert("description".into(), json!(d));
    }
    Value::Object(out)
}

pub(super) fn target_configuration(
    spec: &AgentcoreGatewayTargetSpec,
    op: &'static str,
) -> Result<TargetConfiguration, ApiError> {
    let mcp = if let Some(arn) = &spec.lambda_arn {
        let tools = match &spec.tools_s3_uri {
            Some(uri) => ToolSchema::S3(s3(uri, None)),
            None => ToolSchema::InlinePayload(
                spec.tools
                    .iter()
                    .map(|t| {
                        ToolDefinition::builder()
                            .name(&t.name)
                            .description(&t.description)
                            .input_schema(schema_definition(&t.input_schema, op)?)
                            .set_output_schema(t.output_schema.as_ref().map(|o| schema_definition(o, op)).transpose()?)
                            .build()
                            .map_err(invalid(op))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        McpTargetConfiguration::Lambda(
            McpLambdaTargetConfiguration::builder()
                .lambda_arn(arn)
                .tool_schema(tools)
                .build()
                .map_err(invalid(op))?,
        )
    } else if let Some(schema) = &spec.openapi_schema {
        McpTargetConfiguration::OpenApiSchema(api_schema(schema))
    } else if let Some(schema) = &spec.smithy_model {
        McpTargetConfiguration::SmithyModel(api_schema(schema))
    } else if let Some(endpoint) = &spec.mcp_server {
        McpTargetConfiguration::McpServer(
            McpServerTargetConfiguration::builder()
                .endpoint(endpoint)
                .build()
                .map_err(invalid(op))?,
        )
    } else {
        return Err(ApiError::new(op, "InvalidRequest", "the target names no source"));
    };
    Ok(TargetConfiguration::Mcp(mcp))
}

pub(super) fn credentials(
    spec: &AgentcoreGatewayTargetSpec,
    op: &'static str,
) -> Result<Option<Vec<CredentialProviderConfiguration>>, ApiError> {
    let Some(c) = &spec.credential_provider else {
        return Ok(None);
    };
    let provider = match c.kind.as_str() {
        "OAUTH" => Some(CredentialProvider::OauthCredentialProvider(
            OAuthCredentialProvider::builder()
                .provider_arn(c.provider_arn.clone().unwrap_or_default())
                .set_scopes(Some(c.scopes.clone()))
                .build()
                .map_err(invalid(op))?,
        )),
        "API_KEY" => Some(CredentialProvider::ApiKeyCredentialProvider(
            GatewayApiKeyCredentialProvider::builder()
                .provider_arn(c.provider_arn.clone().unwrap_or_default())
                .set_credential_parameter_name(c.parameter_name.clone())
                .set_credential_prefix(c.prefix.clone())
                .set_credential_location(c.location.as_deref().map(ApiKeyCredentialLocation::from))
                .build()
                .map_err(invalid(op))?,
        )),
        _ => None,
    };
    Ok(Some(vec![
        CredentialProviderConfiguration::builder()
            .credential_provider_type(CredentialProviderType::from(c.kind.as_str()))
            .set_credential_provider(provider)
            .build()
            .map_err(invalid(op))?,
    ]))
}

// ---- SDK -> spec ------------------------------------------------------------------------------

pub(super) fn schema_spec(live: &ApiSchemaConfiguration) -> Option<ApiSchema> {
    match live {
        ApiSchemaConfiguration::InlinePayload(p) => Some(ApiSchema {
            inline: Some(p.clone()),
            s3_uri: None,
            bucket_owner: None,
        }),
        ApiSchemaConfiguration::S3(s) => Some(ApiSchema {
            inline: None,
            s3_uri: s.uri().map(String::from),
            bucket_owner: s.bucket_owner_account_id().map(String::from),
        }),
        _ => None,
    }
}

/// The recorded spec with what the live target reports in its place.
pub(super) fn live_spec(
    recorded: &AgentcoreGatewayTargetSpec,
    live: &GetGatewayTargetOutput,
) -> AgentcoreGatewayTargetSpec {
    let mut spec = AgentcoreGatewayTargetSpec {
        gateway: recorded.gateway.clone(),
        name: live.name().to_string(),
        description: live.description().map(String::from),
        lambda_arn: None,
        tools: Vec::new(),
        tools_s3_uri: None,
        openapi_schema: None,
        smithy_model: None,
        mcp_server: None,
        credential_provider: None,
    };
    if let Some(TargetConfiguration::Mcp(mcp)) = live.target_configuration() {
        match mcp {
            McpTargetConfiguration::Lambda(l) => {
                spec.lambda_arn = Some(l.lambda_arn().to_string());
                match l.tool_schema() {
                    Some(ToolSchema::InlinePayload(tools)) => {
                        spec.tools = tools
                            .iter()
                            .zip(recorded.tools.iter().map(Some).chain(std::iter::repeat(None)))
                            .map(|(t, was)| tool_spec(t, was))
                            .collect();
                    }
                    Some(ToolSchema::S3(s)) => spec.tools_s3_uri = s.uri().map(String::from),
                    _ => {}
                }
            }
            McpTargetConfiguration::OpenApiSchema(s) => spec.openapi_schema = schema_spec(s),
            McpTargetConfiguration::SmithyModel(s) => spec.smithy_model = schema_spec(s),
            McpTargetConfiguration::McpServer(m) => spec.mcp_server = Some(m.endpoint().to_string()),
            _ => {}
        }
    }
    let live_credential = live.credential_provider_configurations().first().map(credential_spec);
    spec.credential_provider = match (&recorded.credential_provider, live_credential) {
        // The gateway's own role is what Lambda and Smithy targets get when none is given.
        (None, Some(c)) if c.kind == "GATEWAY_IAM_ROLE" => None,
        (_, live) => live,
    };
    spec
}

/// A live tool; its schemas keep the recorded JSON when they say the same (key order, and
/// integers written as floats, aside).
pub(super) fn tool_spec(t: &ToolDefinition, was: Option<&ToolSpec>) -> ToolSpec {
    let same_as = |live: Value, recorded: Option<&Value>| -> Value {
        match recorded {
            Some(r) if schema_definition(r, UPDATE).ok().map(|d| schema_json(&d)) == Some(live.clone()) => r.clone(),
            _ => live,
        }
    };
    ToolSpec {
        name: t.name().to_string(),
        description: t.description().to_string(),
        input_schema: same_as(
            t.input_schema().map(schema_json).unwrap_or(Value::Null),
            was.map(|w| &w.input_schema),
        ),
        output_schema: t
            .output_schema()
            .map(|o| same_as(schema_json(o), was.and_then(|w| w.output_schema.as_ref()))),
    }
}

pub(super) fn credential_spec(c: &CredentialProviderConfiguration) -> CredentialProviderSpec {
    let mut spec = CredentialProviderSpec {
        kind: c.credential_provider_type().as_str().to_string(),
        provider_arn: None,
        scopes: Vec::new(),
        parameter_name: None,
        prefix: None,
        location: None,
    };
    match c.credential_provider() {
        Some(CredentialProvider::OauthCredentialProvider(o)) => {
            spec.provider_arn = Some(o.provider_arn().to_string());
            spec.scopes = o.scopes().to_vec();
        }
        Some(CredentialProvider::ApiKeyCredentialProvider(k)) => {
            spec.provider_arn = Some(k.provider_arn().to_string());
            spec.parameter_name = k.credential_parameter_name().map(String::from);
            spec.prefix = k.credential_prefix().map(String::from);
            spec.location = k.credential_location().map(|l| l.as_str().to_string());
        }
        _ => {}
    }
    spec
}
