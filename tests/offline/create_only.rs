//! Fields AWS can only set at creation are never updated in place: for each kind, the
//! CloudFormation resource schema's `createOnlyProperties` (cfn-lint's copy, in the emulator's
//! venv) for the properties agentfs's fields map to must be in the kind's `REPLACE_ON`, or be
//! local-only (never sent after the create).

use std::path::PathBuf;

use agentfs::spec::Kind;

fn site_packages() -> PathBuf {
    let venv = std::env::var_os("AGENTFS_EMULATOR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("emulator/.venv"));
    let lib = venv.join("lib");
    let python = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| {
            panic!(
                "no emulator venv at {} ({e}); run `emulator/serve --dev` once",
                venv.display()
            )
        })
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("python"))
        .expect("a python directory in the venv");
    python.path().join("site-packages")
}

/// The createOnlyProperties of a CloudFormation type, from cfn-lint's us-east-1 schemas.
fn create_only(type_name: &str) -> Vec<String> {
    let schemas = site_packages().join("cfnlint/data/schemas");
    let index: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(schemas.join("providers/us-east-1.json"))
            .expect("cfn-lint is installed (emulator/requirements-dev.txt)"),
    )
    .expect("provider index");
    let file = index[type_name]
        .as_str()
        .unwrap_or_else(|| panic!("no schema for {type_name}"));
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schemas.join(format!("resources/{file}.json"))).expect("schema"))
            .expect("schema JSON");
    schema["createOnlyProperties"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str())
                .map(|p| p.trim_start_matches("/properties/").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// agentfs field and the CloudFormation property it sets.
type FieldToProperty = (&'static str, &'static str);

/// agentfs field -> CloudFormation property, per kind.
const MAPPED: &[(Kind, &str, &[FieldToProperty])] = &[
    (
        Kind::Vpc,
        "AWS::EC2::VPC",
        &[
            ("cidr_block", "CidrBlock"),
            ("enable_dns_support", "EnableDnsSupport"),
            ("enable_dns_hostnames", "EnableDnsHostnames"),
            ("tags", "Tags"),
        ],
    ),
    (
        Kind::Subnet,
        "AWS::EC2::Subnet",
        &[
            ("vpc", "VpcId"),
            ("cidr_block", "CidrBlock"),
            ("availability_zone", "AvailabilityZone"),
            ("map_public_ip_on_launch", "MapPublicIpOnLaunch"),
            ("tags", "Tags"),
        ],
    ),
    (Kind::ElasticIp, "AWS::EC2::EIP", &[("tags", "Tags")]),
    (
        Kind::NatGateway,
        "AWS::EC2::NatGateway",
        &[("subnet", "SubnetId"), ("elastic_ip", "AllocationId"), ("tags", "Tags")],
    ),
    (
        Kind::RouteTable,
        "AWS::EC2::RouteTable",
        &[("vpc", "VpcId"), ("tags", "Tags")],
    ),
    (
        Kind::Route,
        "AWS::EC2::Route",
        &[
            ("route_table", "RouteTableId"),
            ("destination_cidr_block", "DestinationCidrBlock"),
            ("internet_gateway", "GatewayId"),
            ("nat_gateway", "NatGatewayId"),
        ],
    ),
    (
        Kind::RouteTableAssociation,
        "AWS::EC2::SubnetRouteTableAssociation",
        &[("route_table", "RouteTableId"), ("subnet", "SubnetId")],
    ),
    (
        Kind::SecurityGroup,
        "AWS::EC2::SecurityGroup",
        &[
            ("vpc", "VpcId"),
            ("name", "GroupName"),
            ("description", "GroupDescription"),
            ("ingress", "SecurityGroupIngress"),
            ("egress", "SecurityGroupEgress"),
            ("tags", "Tags"),
        ],
    ),
    (
        Kind::VpcEndpoint,
        "AWS::EC2::VPCEndpoint",
        &[
            ("vpc", "VpcId"),
            ("service", "ServiceName"),
            ("type", "VpcEndpointType"),
            ("route_tables", "RouteTableIds"),
            ("tags", "Tags"),
        ],
    ),
    (
        Kind::IamRole,
        "AWS::IAM::Role",
        &[
            ("name", "RoleName"),
            ("description", "Description"),
            ("assume_role_policy", "AssumeRolePolicyDocument"),
            ("inline_policies", "Policies"),
            ("managed_policy_arns", "ManagedPolicyArns"),
            ("tags", "Tags"),
        ],
    ),
    (
        Kind::S3Bucket,
        "AWS::S3::Bucket",
        &[
            ("name", "BucketName"),
            ("versioning", "VersioningConfiguration"),
            ("encryption", "BucketEncryption"),
            ("tags", "Tags"),
        ],
    ),
    (
        Kind::S3FilesFileSystem,
        "AWS::S3Files::FileSystem",
        &[
            ("bucket", "Bucket"),
            ("role", "RoleArn"),
            ("prefix", "Prefix"),
            ("kms_key_id", "KmsKeyId"),
            ("accept_bucket_warning", "AcceptBucketWarning"),
            ("tags", "Tags"),
        ],
    ),
    (
        Kind::S3FilesMountTarget,
        "AWS::S3Files::MountTarget",
        &[
            ("file_system", "FileSystemId"),
            ("subnet", "SubnetId"),
            ("security_groups", "SecurityGroups"),
        ],
    ),
    (
        Kind::S3FilesAccessPoint,
        "AWS::S3Files::AccessPoint",
        &[
            ("file_system", "FileSystemId"),
            ("posix_user", "PosixUser"),
            ("root_directory", "RootDirectory"),
            ("tags", "Tags"),
        ],
    ),
    (
        Kind::EfsFileSystem,
        "AWS::EFS::FileSystem",
        &[
            ("performance_mode", "PerformanceMode"),
            ("throughput_mode", "ThroughputMode"),
            ("provisioned_throughput_mibps", "ProvisionedThroughputInMibps"),
            ("encrypted", "Encrypted"),
            ("tags", "FileSystemTags"),
        ],
    ),
    (
        Kind::EfsMountTarget,
        "AWS::EFS::MountTarget",
        &[
            ("file_system", "FileSystemId"),
            ("subnet", "SubnetId"),
            ("security_groups", "SecurityGroups"),
        ],
    ),
    (
        Kind::EfsAccessPoint,
        "AWS::EFS::AccessPoint",
        &[
            ("file_system", "FileSystemId"),
            ("posix_user", "PosixUser"),
            ("root_directory", "RootDirectory"),
            ("tags", "AccessPointTags"),
        ],
    ),
    (
        Kind::AgentcoreRuntime,
        "AWS::BedrockAgentCore::Runtime",
        &[
            ("name", "AgentRuntimeName"),
            ("description", "Description"),
            ("container_uri", "AgentRuntimeArtifact"),
            ("role", "RoleArn"),
            ("network_mode", "NetworkConfiguration"),
            ("environment_variables", "EnvironmentVariables"),
            ("filesystem", "FilesystemConfigurations"),
            ("tags", "Tags"),
            ("code", "AgentRuntimeArtifact"),
            ("protocol", "ProtocolConfiguration"),
            ("jwt_authorizer", "AuthorizerConfiguration"),
            ("session_lifecycle", "LifecycleConfiguration"),
            ("request_header_allowlist", "RequestHeaderConfiguration"),
        ],
    ),
    (
        Kind::AgentcoreRuntimeEndpoint,
        "AWS::BedrockAgentCore::RuntimeEndpoint",
        &[
            ("runtime", "AgentRuntimeId"),
            ("name", "Name"),
            ("description", "Description"),
            ("version", "AgentRuntimeVersion"),
            ("tags", "Tags"),
        ],
    ),
    (
        Kind::EcrRepository,
        "AWS::ECR::Repository",
        &[
            ("name", "RepositoryName"),
            ("image_tag_mutability", "ImageTagMutability"),
            ("scan_on_push", "ImageScanningConfiguration"),
            ("encryption", "EncryptionConfiguration"),
            ("kms_key", "EncryptionConfiguration"),
            ("force_delete", "EmptyOnDelete"),
            ("tags", "Tags"),
        ],
    ),
    (
        Kind::AgentcoreMemory,
        "AWS::BedrockAgentCore::Memory",
        &[
            ("name", "Name"),
            ("description", "Description"),
            ("event_expiry_days", "EventExpiryDuration"),
            ("strategies", "MemoryStrategies"),
            ("encryption_key", "EncryptionKeyArn"),
            ("execution_role", "MemoryExecutionRoleArn"),
            ("tags", "Tags"),
        ],
    ),
    (
        Kind::AgentcoreGateway,
        "AWS::BedrockAgentCore::Gateway",
        &[
            ("name", "Name"),
            ("description", "Description"),
            ("role", "RoleArn"),
            ("protocol", "ProtocolType"),
            ("mcp", "ProtocolConfiguration"),
            ("authorizer", "AuthorizerType"),
            ("jwt_authorizer", "AuthorizerConfiguration"),
            ("kms_key", "KmsKeyArn"),
            ("tags", "Tags"),
        ],
    ),
    (
        Kind::AgentcoreGatewayTarget,
        "AWS::BedrockAgentCore::GatewayTarget",
        &[
            ("gateway", "GatewayIdentifier"),
            ("name", "Name"),
            ("description", "Description"),
            ("lambda_arn", "TargetConfiguration"),
            ("tools", "TargetConfiguration"),
            ("tools_s3_uri", "TargetConfiguration"),
            ("openapi_schema", "TargetConfiguration"),
            ("smithy_model", "TargetConfiguration"),
            ("mcp_server", "TargetConfiguration"),
            ("credential_provider", "CredentialProviderConfigurations"),
        ],
    ),
    (
        Kind::AgentcoreBrowser,
        "AWS::BedrockAgentCore::BrowserCustom",
        &[
            ("name", "Name"),
            ("description", "Description"),
            ("execution_role", "ExecutionRoleArn"),
            ("network_mode", "NetworkConfiguration"),
            ("subnets", "NetworkConfiguration"),
            ("security_groups", "NetworkConfiguration"),
            ("recording", "RecordingConfig"),
            ("tags", "Tags"),
        ],
    ),
    (
        Kind::AgentcoreCodeInterpreter,
        "AWS::BedrockAgentCore::CodeInterpreterCustom",
        &[
            ("name", "Name"),
            ("description", "Description"),
            ("execution_role", "ExecutionRoleArn"),
            ("network_mode", "NetworkConfiguration"),
            ("subnets", "NetworkConfiguration"),
            ("security_groups", "NetworkConfiguration"),
            ("tags", "Tags"),
        ],
    ),
];

#[test]
fn no_create_only_property_is_updated_in_place() {
    let mut wrong = Vec::new();
    let mut compared = 0;
    for (kind, cfn, fields) in MAPPED {
        let create_only = create_only(cfn);
        for (field, property) in *fields {
            assert!(kind.fields().iter().any(|f| f == field), "{kind} has no field {field}");
            compared += 1;
            let only_at_creation = create_only.iter().any(|p| p == property);
            let replaced = kind.replace_on().contains(field) || kind.local_only().contains(field);
            if only_at_creation && !replaced {
                wrong.push(format!(
                    "{kind}.{field} ({cfn} {property}) is create-only but agentfs updates it in place"
                ));
            }
        }
    }
    println!("{compared} fields compared with createOnlyProperties");
    assert!(wrong.is_empty(), "{wrong:#?}");
}
