//! Resource kinds as the engine sees them: what each kind's API lets change in place.

use crate::spec::Kind;

/// Top-level fields whose change the API cannot apply in place: the resource is replaced.
pub fn replace_triggers(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Vpc => &["cidr_block"],
        Kind::Subnet => &["vpc", "cidr_block", "az_index", "availability_zone"],
        Kind::InternetGateway => &["vpc"],
        Kind::ElasticIp => &[],
        Kind::NatGateway => &["subnet", "elastic_ip"],
        Kind::RouteTable => &["vpc"],
        Kind::Route => &["route_table", "destination_cidr_block"],
        Kind::RouteTableAssociation => &["route_table", "subnet"],
        Kind::SecurityGroup => &["vpc", "name", "description"],
        Kind::VpcEndpoint => &["vpc", "service", "type"],
        Kind::S3Bucket => &["name"],
        Kind::IamRole => &["name"],
        Kind::S3FilesFileSystem => &["bucket", "role", "prefix", "kms_key_id"],
        Kind::S3FilesMountTarget => &["file_system", "subnet"],
        Kind::S3FilesAccessPoint => &["file_system", "posix_user", "root_directory"],
        Kind::EfsFileSystem => &["performance_mode", "encrypted"],
        Kind::EfsMountTarget => &["file_system", "subnet"],
        Kind::EfsAccessPoint => &["file_system", "posix_user", "root_directory"],
        Kind::AgentcoreRuntime => &["name"],
    }
}

/// Fields that only steer agentfs (never sent to AWS); changing them updates state alone.
pub fn local_only_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::S3Bucket => &["force_destroy"],
        Kind::AgentcoreRuntime => &["sensitive_environment_variables"],
        _ => &[],
    }
}
