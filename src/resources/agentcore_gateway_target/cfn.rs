//! `AWS::BedrockAgentCore::GatewayTarget` as `agentfs convert` reads it.

use super::*;

/// `AWS::BedrockAgentCore::GatewayTarget` (see [`crate::lang::cfn`]).
pub(super) const CFN: &[CfnType] = &[CfnType::new(
    "AWS::BedrockAgentCore::GatewayTarget",
    &[
        p("GatewayIdentifier", To::Ref("gateway", "agentcore_gateway")),
        p("Name", To::Field("name")),
        p("Description", To::Field("description")),
        p("TargetConfiguration.Mcp.Lambda.LambdaArn", To::Field("lambda_arn")),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.InlinePayload[].Name",
            To::Field("tools[].name"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.InlinePayload[].Description",
            To::Field("tools[].description"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.InlinePayload[].InputSchema.Type",
            To::Field("tools[].input_schema.type"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.InlinePayload[].InputSchema.Description",
            To::Field("tools[].input_schema.description"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.InlinePayload[].InputSchema.Properties",
            To::Field("tools[].input_schema.properties"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.InlinePayload[].InputSchema.Required",
            To::Field("tools[].input_schema.required"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.InlinePayload[].InputSchema.Items",
            To::Field("tools[].input_schema.items"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.InlinePayload[].OutputSchema.Type",
            To::Field("tools[].output_schema.type"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.InlinePayload[].OutputSchema.Description",
            To::Field("tools[].output_schema.description"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.InlinePayload[].OutputSchema.Properties",
            To::Field("tools[].output_schema.properties"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.InlinePayload[].OutputSchema.Required",
            To::Field("tools[].output_schema.required"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.InlinePayload[].OutputSchema.Items",
            To::Field("tools[].output_schema.items"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.S3.Uri",
            To::Field("tools_s3_uri"),
        ),
        p(
            "TargetConfiguration.Mcp.Lambda.ToolSchema.S3.BucketOwnerAccountId",
            To::Refuse("agentfs reads a Lambda target's tool schema from a bucket of the stack's account"),
        ),
        p(
            "TargetConfiguration.Mcp.OpenApiSchema.InlinePayload",
            To::Field("openapi_schema.inline"),
        ),
        p(
            "TargetConfiguration.Mcp.OpenApiSchema.S3.Uri",
            To::Field("openapi_schema.s3_uri"),
        ),
        p(
            "TargetConfiguration.Mcp.OpenApiSchema.S3.BucketOwnerAccountId",
            To::Field("openapi_schema.bucket_owner"),
        ),
        p(
            "TargetConfiguration.Mcp.SmithyModel.InlinePayload",
            To::Field("smithy_model.inline"),
        ),
        p(
            "TargetConfiguration.Mcp.SmithyModel.S3.Uri",
            To::Field("smithy_model.s3_uri"),
        ),
        p(
            "TargetConfiguration.Mcp.SmithyModel.S3.BucketOwnerAccountId",
            To::Field("smithy_model.bucket_owner"),
        ),
        p("TargetConfiguration.Mcp.McpServer.Endpoint", To::Field("mcp_server")),
        p("TargetConfiguration.Mcp.McpServer.ListingMode", To::Refuse(MCP_SERVER)),
        p(
            "TargetConfiguration.Mcp.McpServer.McpToolSchema",
            To::Refuse(MCP_SERVER),
        ),
        p(
            "TargetConfiguration.Mcp.McpServer.ResourcePriority",
            To::Refuse(MCP_SERVER),
        ),
        p("TargetConfiguration.Mcp.ApiGateway", To::Refuse(TARGETS)),
        p("TargetConfiguration.Mcp.Connector", To::Refuse(TARGETS)),
        p("TargetConfiguration.Http", To::Refuse(TARGETS)),
        p("TargetConfiguration.Inference", To::Refuse(TARGETS)),
        p(
            "CredentialProviderConfigurations[].CredentialProviderType",
            To::Field("credential_provider.type"),
        ),
        p(
            "CredentialProviderConfigurations[].CredentialProvider.OauthCredentialProvider.ProviderArn",
            To::Field("credential_provider.provider_arn"),
        ),
        p(
            "CredentialProviderConfigurations[].CredentialProvider.OauthCredentialProvider.Scopes",
            To::Field("credential_provider.scopes"),
        ),
        p(
            "CredentialProviderConfigurations[].CredentialProvider.OauthCredentialProvider.CustomParameters",
            To::Refuse(OAUTH),
        ),
        p(
            "CredentialProviderConfigurations[].CredentialProvider.OauthCredentialProvider.DefaultReturnUrl",
            To::Refuse(OAUTH),
        ),
        p(
            "CredentialProviderConfigurations[].CredentialProvider.OauthCredentialProvider.GrantType",
            To::Refuse(OAUTH),
        ),
        p(
            "CredentialProviderConfigurations[].CredentialProvider.ApiKeyCredentialProvider.ProviderArn",
            To::Field("credential_provider.provider_arn"),
        ),
        p(
            "CredentialProviderConfigurations[].CredentialProvider.ApiKeyCredentialProvider.CredentialParameterName",
            To::Field("credential_provider.parameter_name"),
        ),
        p(
            "CredentialProviderConfigurations[].CredentialProvider.ApiKeyCredentialProvider.CredentialPrefix",
            To::Field("credential_provider.prefix"),
        ),
        p(
            "CredentialProviderConfigurations[].CredentialProvider.ApiKeyCredentialProvider.CredentialLocation",
            To::Field("credential_provider.location"),
        ),
        p(
            "CredentialProviderConfigurations[].CredentialProvider.IamCredentialProvider",
            To::Refuse("agentfs's GATEWAY_IAM_ROLE provider signs for the target's own service and region"),
        ),
        p(
            "MetadataConfiguration",
            To::Refuse("agentfs does not pass request metadata to targets"),
        ),
        p(
            "PrivateEndpoint",
            To::Refuse("agentfs reaches targets over their public endpoints"),
        ),
    ],
)
.attributes(&[("TargetId", "target_id")])
.finish(tool_schema_keys)];

pub(super) const MCP_SERVER: &str = "agentfs's MCP server target has an endpoint only";
pub(super) const TARGETS: &str = "agentfs makes Lambda, OpenAPI, Smithy and MCP server targets only";
pub(super) const OAUTH: &str = "agentfs's OAuth credential provider has a provider ARN and scopes only";

/// A tool schema's nested definitions (under `properties` and `items`) keep CloudFormation's
/// key names when copied; agentfs spells them as the AgentCore model does.
pub(super) fn tool_schema_keys(fields: &mut toml::Table) -> Result<(), String> {
    let Some(toml::Value::Array(tools)) = fields.get_mut("tools") else {
        return Ok(());
    };
    for tool in tools.iter_mut().filter_map(toml::Value::as_table_mut) {
        for key in ["input_schema", "output_schema"] {
            if let Some(schema) = tool.get_mut(key) {
                schema_keys(schema);
            }
        }
    }
    Ok(())
}

pub(super) fn schema_keys(schema: &mut toml::Value) {
    let Some(table) = schema.as_table_mut() else {
        return;
    };
    for (key, mut value) in std::mem::take(table) {
        let key = match key.as_str() {
            "Type" => "type".to_string(),
            "Description" => "description".to_string(),
            "Properties" => "properties".to_string(),
            "Required" => "required".to_string(),
            "Items" => "items".to_string(),
            _ => key,
        };
        match key.as_str() {
            "properties" => {
                if let Some(properties) = value.as_table_mut() {
                    properties.iter_mut().for_each(|(_, p)| schema_keys(p));
                }
            }
            "items" => schema_keys(&mut value),
            _ => {}
        }
        table.insert(key, value);
    }
}
