//! Which runtime field becomes which AgentCore API member, and what the model says it accepts.

use super::spec::CODE_RUNTIMES;
use crate::lang::api::{ApiField, ApiMap, Limits};

pub(super) const CONTAINER_URI: &str = r"(([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?|public\.ecr\.aws)/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::([^:@]{1,300}))?(?:@(.+))?";

pub(super) const API: ApiMap = ApiMap {
    fields: &[
        ApiField::model(
            "name",
            "bedrock-agentcore-control",
            "CreateAgentRuntimeRequest$agentRuntimeName",
            Limits::NONE.pattern("[a-zA-Z][a-zA-Z0-9_]{0,47}"),
        ),
        ApiField::model(
            "description",
            "bedrock-agentcore-control",
            "CreateAgentRuntimeRequest$description",
            Limits::len(1, 4096),
        ),
        ApiField::model(
            "container_uri",
            "bedrock-agentcore-control",
            "ContainerConfiguration$containerUri",
            Limits::len(1, 1024).pattern(CONTAINER_URI),
        ),
        ApiField::reference("role", "bedrock-agentcore-control", "CreateAgentRuntimeRequest$roleArn"),
        ApiField::model(
            "network_mode",
            "bedrock-agentcore-control",
            "NetworkConfiguration$networkMode",
            Limits::one_of(&["PUBLIC", "VPC"]),
        ),
        ApiField::model(
            "subnets",
            "bedrock-agentcore-control",
            "VpcConfig$subnets",
            Limits::len(1, 16),
        ),
        ApiField::model(
            "security_groups",
            "bedrock-agentcore-control",
            "VpcConfig$securityGroups",
            Limits::len(1, 16),
        ),
        ApiField::model(
            "environment_variables",
            "bedrock-agentcore-control",
            "CreateAgentRuntimeRequest$environmentVariables",
            Limits::len(0, 50),
        ),
        ApiField::model(
            "environment_variables{key}",
            "bedrock-agentcore-control",
            "EnvironmentVariablesMap$key",
            Limits::len(1, 100),
        ),
        ApiField::model(
            "environment_variables{}",
            "bedrock-agentcore-control",
            "EnvironmentVariablesMap$value",
            Limits::len(0, 5000),
        ),
        ApiField::model(
            "filesystem",
            "bedrock-agentcore-control",
            "CreateAgentRuntimeRequest$filesystemConfigurations",
            Limits::len(0, 5),
        ),
        ApiField::model(
            "filesystem[].mount_path",
            "bedrock-agentcore-control",
            "S3FilesAccessPointConfiguration$mountPath",
            Limits::len(6, 200).pattern("/mnt/[a-zA-Z0-9._-]+/?"),
        ),
        ApiField::reference(
            "filesystem[].s3files_access_point",
            "bedrock-agentcore-control",
            "S3FilesAccessPointConfiguration$accessPointArn",
        ),
        ApiField::reference(
            "filesystem[].efs_access_point",
            "bedrock-agentcore-control",
            "EfsAccessPointConfiguration$accessPointArn",
        ),
        ApiField::model(
            "filesystem[].session_storage",
            "bedrock-agentcore-control",
            "FilesystemConfiguration$sessionStorage",
            Limits::NONE,
        ),
        ApiField::model(
            "code",
            "bedrock-agentcore-control",
            "AgentRuntimeArtifact$codeConfiguration",
            Limits::NONE,
        ),
        ApiField::model(
            "code.runtime",
            "bedrock-agentcore-control",
            "CodeConfiguration$runtime",
            Limits::one_of(CODE_RUNTIMES),
        ),
        ApiField::model(
            "code.entry_point",
            "bedrock-agentcore-control",
            "CodeConfiguration$entryPoint",
            Limits::len(1, 2),
        ),
        ApiField::reference("code.bucket", "bedrock-agentcore-control", "S3Location$bucket"),
        ApiField::model(
            "protocol",
            "bedrock-agentcore-control",
            "CreateAgentRuntimeRequest$protocolConfiguration",
            Limits::NONE,
        ),
        ApiField::model(
            "protocol.server_protocol",
            "bedrock-agentcore-control",
            "ProtocolConfiguration$serverProtocol",
            Limits::one_of(&["MCP", "HTTP", "A2A", "AGUI"]),
        ),
        ApiField::model(
            "protocol.port",
            "bedrock-agentcore-control",
            "ProtocolConfiguration$port",
            Limits::range(8000.0, Some(12000.0)),
        ),
        ApiField::model(
            "protocol.path",
            "bedrock-agentcore-control",
            "ProtocolConfiguration$path",
            Limits::len(1, 2048).pattern("/[A-Za-z0-9\\-._~/%]*"),
        ),
        ApiField::model(
            "jwt_authorizer",
            "bedrock-agentcore-control",
            "AuthorizerConfiguration$customJWTAuthorizer",
            Limits::NONE,
        ),
        ApiField::model(
            "jwt_authorizer.discovery_url",
            "bedrock-agentcore-control",
            "CustomJWTAuthorizerConfiguration$discoveryUrl",
            Limits::NONE
                .pattern(r"[^\s?#]+/\.well-known/(openid-configuration|oauth-authorization-server)(/[^\s?#]+)?"),
        ),
        ApiField::model(
            "session_lifecycle",
            "bedrock-agentcore-control",
            "CreateAgentRuntimeRequest$lifecycleConfiguration",
            Limits::NONE,
        ),
        ApiField::model(
            "session_lifecycle.idle_timeout",
            "bedrock-agentcore-control",
            "LifecycleConfiguration$idleRuntimeSessionTimeout",
            Limits::range(60.0, Some(1_209_600.0)),
        ),
        ApiField::model(
            "session_lifecycle.max_lifetime",
            "bedrock-agentcore-control",
            "LifecycleConfiguration$maxLifetime",
            Limits::range(60.0, Some(1_209_600.0)),
        ),
        ApiField::model(
            "request_header_allowlist",
            "bedrock-agentcore-control",
            "RequestHeaderConfiguration$requestHeaderAllowlist",
            Limits::len(1, 20),
        ),
        ApiField::model(
            "allowed_ports",
            "bedrock-agentcore-control",
            "CreateAgentRuntimeRequest$allowedPorts",
            Limits::len(1, 5),
        ),
    ],
    tags: super::tags::rules::AGENTCORE,
    // `image` is built and pushed by agentfs; what AWS receives is the pushed digest as the
    // container URI, which is not chosen in the spec.
    not_sent: &["sensitive_environment_variables", "image"],
};
