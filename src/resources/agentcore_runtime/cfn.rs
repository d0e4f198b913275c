//! How CloudFormation's `AWS::BedrockAgentCore::Runtime` becomes an `agentcore_runtime`.

use crate::lang::cfn::{CfnType, To, p};

/// `AWS::BedrockAgentCore::Runtime` (see [`crate::lang::cfn`]).
pub(super) const CFN: &[CfnType] = &[CfnType::new(
    "AWS::BedrockAgentCore::Runtime",
    &[
        p("AgentRuntimeName", To::Field("name")),
        p("Description", To::Field("description")),
        p("AgentRuntimeArtifact.ContainerConfiguration.ContainerUri", To::Field("container_uri")),
        p(
            "AgentRuntimeArtifact.CodeConfiguration",
            To::Refuse("agentfs uploads a runtime's code from a local directory (`code.source`); a code object already in S3 cannot be expressed"),
        ),
        p("RoleArn", To::Ref("role", "iam_role")),
        p("NetworkConfiguration.NetworkMode", To::Field("network_mode")),
        p("NetworkConfiguration.NetworkModeConfig.Subnets[]", To::Ref("subnets[]", "subnet")),
        p(
            "NetworkConfiguration.NetworkModeConfig.SecurityGroups[]",
            To::Ref("security_groups[]", "security_group"),
        ),
        p("EnvironmentVariables", To::StringMap("environment_variables")),
        p("FilesystemConfigurations[].SessionStorage", To::Flag("filesystem[].session_storage")),
        p("FilesystemConfigurations[].SessionStorage.MountPath", To::Field("filesystem[].mount_path")),
        p(
            "FilesystemConfigurations[].S3FilesAccessPoint.AccessPointArn",
            To::Ref("filesystem[].s3files_access_point", "s3files_access_point"),
        ),
        p("FilesystemConfigurations[].S3FilesAccessPoint.MountPath", To::Field("filesystem[].mount_path")),
        p(
            "FilesystemConfigurations[].EfsAccessPoint.AccessPointArn",
            To::Ref("filesystem[].efs_access_point", "efs_access_point"),
        ),
        p("FilesystemConfigurations[].EfsAccessPoint.MountPath", To::Field("filesystem[].mount_path")),
        p(
            "FilesystemConfigurations[].CapacityProviderVolume",
            To::Refuse("agentfs does not manage capacity providers"),
        ),
        p("CapacityProviderConfiguration", To::Refuse("agentfs does not manage capacity providers")),
        p("ProtocolConfiguration", To::Field("protocol.server_protocol")),
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
            "AuthorizerConfiguration.CustomJWTAuthorizer.AllowedWorkloadConfiguration",
            To::Refuse(JWT_EXTRAS),
        ),
        p("AuthorizerConfiguration.CustomJWTAuthorizer.PrivateEndpoint", To::Refuse(JWT_EXTRAS)),
        p(
            "AuthorizerConfiguration.CustomJWTAuthorizer.PrivateEndpointOverrides",
            To::Refuse(JWT_EXTRAS),
        ),
        p(
            "LifecycleConfiguration.IdleRuntimeSessionTimeout",
            To::Int("session_lifecycle.idle_timeout"),
        ),
        p("LifecycleConfiguration.MaxLifetime", To::Int("session_lifecycle.max_lifetime")),
        p(
            "RequestHeaderConfiguration.RequestHeaderAllowlist",
            To::Field("request_header_allowlist"),
        ),
        p("PlatformVersion", To::Refuse("agentfs uses the service's current platform version")),
        // Tags are a plain map on this type, not a list of {Key, Value}.
        p("Tags", To::StringMap("tags")),
    ],
)
.attributes(&[
    ("AgentRuntimeId", "id"),
    ("AgentRuntimeArn", "arn"),
    ("AgentRuntimeVersion", "version"),
])
.ref_attribute("id")];

const JWT_EXTRAS: &str =
    "agentfs's `jwt_authorizer` has a discovery URL, audiences, clients, scopes and custom claims only";
