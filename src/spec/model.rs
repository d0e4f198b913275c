//! The TOML model of a spec: one struct per resource kind, as users write it.
//!
//! Fields that name another resource (`vpc = "main"`) hold that resource's name here;
//! lowering rewrites them to `${vpc.main.id}` templates so that, after evaluation,
//! the same structs carry live ids and the engine reads one shape throughout.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::addr::Kind;

pub type Tags = BTreeMap<String, String>;

/// A field of a resource that names another resource.
pub struct RefSlot<'a> {
    /// Field path as the user wrote it, e.g. `security_groups[1]`.
    pub field: String,
    pub target: Kind,
    /// Which attribute of the target the field needs (`id` or `arn`).
    pub attribute: &'static str,
    pub value: &'a mut String,
}

impl<'a> RefSlot<'a> {
    fn new(field: impl Into<String>, target: Kind, attribute: &'static str, value: &'a mut String) -> Self {
        RefSlot {
            field: field.into(),
            target,
            attribute,
            value,
        }
    }
}

fn list_refs<'a>(
    field: &str,
    target: Kind,
    attribute: &'static str,
    values: &'a mut [String],
) -> impl Iterator<Item = RefSlot<'a>> {
    values
        .iter_mut()
        .enumerate()
        .map(move |(i, v)| RefSlot::new(format!("{field}[{i}]"), target, attribute, v))
}

/// What every kind's struct provides to validation and lowering.
pub trait KindSpec {
    const KIND: Kind;
    fn refs(&mut self) -> Vec<RefSlot<'_>>;
    fn tags(&self) -> Option<&Tags> {
        None
    }
}

fn yes() -> bool {
    true
}

/// `[stack]`: the stack's name, region and tags every resource carries.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StackSettings {
    /// Stack name: `${stack}` in templates, and the `agentfs:stack` tag. Letters, digits, hyphens.
    pub name: String,
    /// AWS region, e.g. `us-east-1`: `${region}` in templates.
    pub region: String,
    /// Tags added to every taggable resource.
    #[serde(default)]
    pub tags: Tags,
}

/// `[backend]`: where the stack's state lives. Absent: `.agentfs/<stack>.state.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BackendSpec {
    /// State in S3, locked with S3 conditional writes; versioning on the bucket is recommended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3BackendSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3BackendSpec {
    pub bucket: String,
    /// Object key of the state; defaults to `agentfs/<stack>.state.json`. The lock is `<key>.lock`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Region of the state bucket; defaults to the stack's region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// `[vpc.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcSpec {
    /// IPv4 CIDR, prefix /16 to /28.
    pub cidr_block: String,
    #[serde(default = "yes")]
    pub enable_dns_support: bool,
    #[serde(default)]
    pub enable_dns_hostnames: bool,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for VpcSpec {
    const KIND: Kind = Kind::Vpc;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        Vec::new()
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[subnet.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetSpec {
    /// Name of the `vpc` the subnet belongs to.
    pub vpc: String,
    pub cidr_block: String,
    /// Index into the region's availability zones in name order (0 = first AZ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub az_index: Option<u8>,
    /// An explicit availability zone name; use either this or `az_index`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    #[serde(default)]
    pub map_public_ip_on_launch: bool,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for SubnetSpec {
    const KIND: Kind = Kind::Subnet;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![RefSlot::new("vpc", Kind::Vpc, "id", &mut self.vpc)]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[internet_gateway.NAME]`: created and attached to its VPC.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InternetGatewaySpec {
    /// The `vpc` to attach the gateway to.
    pub vpc: String,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for InternetGatewaySpec {
    const KIND: Kind = Kind::InternetGateway;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![RefSlot::new("vpc", Kind::Vpc, "id", &mut self.vpc)]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[elastic_ip.NAME]`: an Elastic IP in the `vpc` domain.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ElasticIpSpec {
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for ElasticIpSpec {
    const KIND: Kind = Kind::ElasticIp;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        Vec::new()
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[nat_gateway.NAME]`: a public NAT gateway.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NatGatewaySpec {
    /// The (public) `subnet` the NAT gateway lives in.
    pub subnet: String,
    /// The `elastic_ip` it uses.
    pub elastic_ip: String,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for NatGatewaySpec {
    const KIND: Kind = Kind::NatGateway;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![
            RefSlot::new("subnet", Kind::Subnet, "id", &mut self.subnet),
            RefSlot::new("elastic_ip", Kind::ElasticIp, "id", &mut self.elastic_ip),
        ]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[route_table.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteTableSpec {
    pub vpc: String,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for RouteTableSpec {
    const KIND: Kind = Kind::RouteTable;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![RefSlot::new("vpc", Kind::Vpc, "id", &mut self.vpc)]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[route.NAME]`: one route in a route table; set exactly one target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    pub route_table: String,
    /// e.g. `0.0.0.0/0`.
    pub destination_cidr_block: String,
    /// Target: an `internet_gateway` by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_gateway: Option<String>,
    /// Target: a `nat_gateway` by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_gateway: Option<String>,
}

impl KindSpec for RouteSpec {
    const KIND: Kind = Kind::Route;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        let mut refs = vec![RefSlot::new(
            "route_table",
            Kind::RouteTable,
            "id",
            &mut self.route_table,
        )];
        if let Some(igw) = &mut self.internet_gateway {
            refs.push(RefSlot::new("internet_gateway", Kind::InternetGateway, "id", igw));
        }
        if let Some(nat) = &mut self.nat_gateway {
            refs.push(RefSlot::new("nat_gateway", Kind::NatGateway, "id", nat));
        }
        refs
    }
}

/// `[route_table_association.NAME]`: associates a subnet with a route table.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteTableAssociationSpec {
    pub route_table: String,
    pub subnet: String,
}

impl KindSpec for RouteTableAssociationSpec {
    const KIND: Kind = Kind::RouteTableAssociation;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![
            RefSlot::new("route_table", Kind::RouteTable, "id", &mut self.route_table),
            RefSlot::new("subnet", Kind::Subnet, "id", &mut self.subnet),
        ]
    }
}

/// One security group rule. Sources: `cidr_blocks`, `source_security_group`, or `self = true`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupRule {
    /// `tcp`, `udp`, `icmp` or `-1` (all).
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cidr_blocks: Vec<String>,
    /// Another `security_group` by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_security_group: Option<String>,
    /// The group itself is the source (e.g. NFS between mount targets and clients).
    #[serde(default, rename = "self", skip_serializing_if = "std::ops::Not::not")]
    pub from_self: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `[security_group.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupSpec {
    pub vpc: String,
    /// Group name; defaults to `${stack}-NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub description: String,
    #[serde(default)]
    pub ingress: Vec<SecurityGroupRule>,
    /// Egress rules; absent means AWS's default allow-all egress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<SecurityGroupRule>>,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for SecurityGroupSpec {
    const KIND: Kind = Kind::SecurityGroup;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        let mut refs = vec![RefSlot::new("vpc", Kind::Vpc, "id", &mut self.vpc)];
        let egress = self
            .egress
            .iter_mut()
            .flatten()
            .enumerate()
            .map(|(i, r)| ("egress", i, r));
        for (list, i, rule) in self
            .ingress
            .iter_mut()
            .enumerate()
            .map(|(i, r)| ("ingress", i, r))
            .chain(egress)
        {
            if let Some(source) = &mut rule.source_security_group {
                refs.push(RefSlot::new(
                    format!("{list}[{i}].source_security_group"),
                    Kind::SecurityGroup,
                    "id",
                    source,
                ));
            }
        }
        refs
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[vpc_endpoint.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcEndpointSpec {
    pub vpc: String,
    /// Short service name such as `s3`; the endpoint serves `com.amazonaws.<region>.<service>`.
    pub service: String,
    /// `Gateway` or `Interface`.
    #[serde(default = "gateway", rename = "type")]
    pub endpoint_type: String,
    /// Route tables (by name) a gateway endpoint adds its routes to.
    #[serde(default)]
    pub route_tables: Vec<String>,
    #[serde(default)]
    pub tags: Tags,
}

fn gateway() -> String {
    "Gateway".into()
}

impl KindSpec for VpcEndpointSpec {
    const KIND: Kind = Kind::VpcEndpoint;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        let mut refs = vec![RefSlot::new("vpc", Kind::Vpc, "id", &mut self.vpc)];
        refs.extend(list_refs(
            "route_tables",
            Kind::RouteTable,
            "id",
            &mut self.route_tables,
        ));
        refs
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[s3_bucket.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3BucketSpec {
    /// Bucket name, e.g. `${stack}-${account_id}-${region}`.
    pub name: String,
    #[serde(default)]
    pub versioning: bool,
    /// Default encryption: `AES256` (SSE-S3) or `aws:kms`.
    #[serde(default = "aes256")]
    pub encryption: String,
    /// Let destroy delete every object version first; without it a non-empty bucket stops destroy.
    #[serde(default)]
    pub force_destroy: bool,
    #[serde(default)]
    pub tags: Tags,
}

fn aes256() -> String {
    "AES256".into()
}

impl KindSpec for S3BucketSpec {
    const KIND: Kind = Kind::S3Bucket;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        Vec::new()
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[iam_role.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamRoleSpec {
    /// Role name, e.g. `${stack}-runtime-role`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Trust policy as a TOML table in IAM's JSON shape (`Version`, `Statement`).
    pub assume_role_policy: serde_json::Value,
    /// Inline policies by policy name, each in IAM's JSON shape.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, serde_json::Value>,
    /// Managed policy ARNs to attach.
    #[serde(default)]
    pub managed_policy_arns: Vec<String>,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for IamRoleSpec {
    const KIND: Kind = Kind::IamRole;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        Vec::new()
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[s3files_file_system.NAME]`: an Amazon S3 Files file system over a bucket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3FilesFileSystemSpec {
    /// The `s3_bucket` behind the file system.
    pub bucket: String,
    /// The `iam_role` S3 Files assumes to reach the bucket.
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Acknowledge the API's warning about buckets with existing objects.
    #[serde(default)]
    pub accept_bucket_warning: bool,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for S3FilesFileSystemSpec {
    const KIND: Kind = Kind::S3FilesFileSystem;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![
            RefSlot::new("bucket", Kind::S3Bucket, "arn", &mut self.bucket),
            RefSlot::new("role", Kind::IamRole, "arn", &mut self.role),
        ]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[s3files_mount_target.NAME]` (S3 Files mount targets take no tags).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3FilesMountTargetSpec {
    pub file_system: String,
    pub subnet: String,
    #[serde(default)]
    pub security_groups: Vec<String>,
}

impl KindSpec for S3FilesMountTargetSpec {
    const KIND: Kind = Kind::S3FilesMountTarget;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        let mut refs = vec![
            RefSlot::new("file_system", Kind::S3FilesFileSystem, "id", &mut self.file_system),
            RefSlot::new("subnet", Kind::Subnet, "id", &mut self.subnet),
        ];
        refs.extend(list_refs(
            "security_groups",
            Kind::SecurityGroup,
            "id",
            &mut self.security_groups,
        ));
        refs
    }
}

/// The POSIX identity every request through an access point uses.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PosixUser {
    pub uid: i64,
    pub gid: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_gids: Vec<i64>,
}

/// Owner and mode of an access point's root directory when the service creates it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CreationPermissions {
    pub owner_uid: i64,
    pub owner_gid: i64,
    /// Octal mode as a string, e.g. `"0755"`.
    pub permissions: String,
}

/// The directory an access point exposes as `/`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RootDirectory {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_permissions: Option<CreationPermissions>,
}

/// `[s3files_access_point.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3FilesAccessPointSpec {
    pub file_system: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posix_user: Option<PosixUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_directory: Option<RootDirectory>,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for S3FilesAccessPointSpec {
    const KIND: Kind = Kind::S3FilesAccessPoint;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![RefSlot::new(
            "file_system",
            Kind::S3FilesFileSystem,
            "id",
            &mut self.file_system,
        )]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[efs_file_system.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EfsFileSystemSpec {
    /// `generalPurpose` or `maxIO`.
    #[serde(default = "general_purpose")]
    pub performance_mode: String,
    /// `bursting`, `provisioned` or `elastic`.
    #[serde(default = "elastic")]
    pub throughput_mode: String,
    #[serde(default = "yes")]
    pub encrypted: bool,
    #[serde(default)]
    pub tags: Tags,
}

fn general_purpose() -> String {
    "generalPurpose".into()
}

fn elastic() -> String {
    "elastic".into()
}

impl KindSpec for EfsFileSystemSpec {
    const KIND: Kind = Kind::EfsFileSystem;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        Vec::new()
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[efs_mount_target.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EfsMountTargetSpec {
    pub file_system: String,
    pub subnet: String,
    #[serde(default)]
    pub security_groups: Vec<String>,
}

impl KindSpec for EfsMountTargetSpec {
    const KIND: Kind = Kind::EfsMountTarget;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        let mut refs = vec![
            RefSlot::new("file_system", Kind::EfsFileSystem, "id", &mut self.file_system),
            RefSlot::new("subnet", Kind::Subnet, "id", &mut self.subnet),
        ];
        refs.extend(list_refs(
            "security_groups",
            Kind::SecurityGroup,
            "id",
            &mut self.security_groups,
        ));
        refs
    }
}

/// `[efs_access_point.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EfsAccessPointSpec {
    pub file_system: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posix_user: Option<PosixUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_directory: Option<RootDirectory>,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for EfsAccessPointSpec {
    const KIND: Kind = Kind::EfsAccessPoint;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![RefSlot::new(
            "file_system",
            Kind::EfsFileSystem,
            "id",
            &mut self.file_system,
        )]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// One `filesystemConfigurations` entry: set exactly one of the three sources.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilesystemMount {
    /// Where the runtime sees the file system: `/mnt/<name>` with an optional trailing slash.
    pub mount_path: String,
    /// An `s3files_access_point` by name (shared by all sessions; VPC mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3files_access_point: Option<String>,
    /// An `efs_access_point` by name (shared by all sessions; VPC mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efs_access_point: Option<String>,
    /// AgentCore-managed storage, one volume per session.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub session_storage: bool,
}

/// `[agentcore_runtime.NAME]`: an Amazon Bedrock AgentCore Runtime.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentcoreRuntimeSpec {
    /// Runtime name: a letter, then letters, digits or underscores; at most 48.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Container image URI in ECR (linux/arm64).
    pub container_uri: String,
    /// The `iam_role` the runtime runs as.
    pub role: String,
    /// `PUBLIC` or `VPC`.
    #[serde(default = "public")]
    pub network_mode: String,
    /// Subnets (by name) for VPC mode.
    #[serde(default)]
    pub subnets: Vec<String>,
    /// Security groups (by name) for VPC mode.
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub environment_variables: BTreeMap<String, String>,
    /// Names of `environment_variables` whose values never appear in output, logs or state.
    #[serde(default)]
    pub sensitive_environment_variables: Vec<String>,
    /// Up to 5 file systems to mount.
    #[serde(default)]
    pub filesystem: Vec<FilesystemMount>,
    #[serde(default)]
    pub tags: Tags,
}

fn public() -> String {
    "PUBLIC".into()
}

impl KindSpec for AgentcoreRuntimeSpec {
    const KIND: Kind = Kind::AgentcoreRuntime;
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        let mut refs = vec![RefSlot::new("role", Kind::IamRole, "arn", &mut self.role)];
        refs.extend(list_refs("subnets", Kind::Subnet, "id", &mut self.subnets));
        refs.extend(list_refs(
            "security_groups",
            Kind::SecurityGroup,
            "id",
            &mut self.security_groups,
        ));
        for (i, mount) in self.filesystem.iter_mut().enumerate() {
            if let Some(ap) = &mut mount.s3files_access_point {
                refs.push(RefSlot::new(
                    format!("filesystem[{i}].s3files_access_point"),
                    Kind::S3FilesAccessPoint,
                    "arn",
                    ap,
                ));
            }
            if let Some(ap) = &mut mount.efs_access_point {
                refs.push(RefSlot::new(
                    format!("filesystem[{i}].efs_access_point"),
                    Kind::EfsAccessPoint,
                    "arn",
                    ap,
                ));
            }
        }
        refs
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

/// `[output.NAME]`: a value printed after apply and by `agentfs output`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// A template, usually one attribute: `${vpc.main.id}`.
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Hide the value in plain output.
    #[serde(default)]
    pub sensitive: bool,
}

/// Settings every resource accepts besides its kind's own fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Explicit dependencies as `kind.name`, where no field reference exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    #[serde(default, skip_serializing_if = "Lifecycle::is_default")]
    pub lifecycle: Lifecycle,
    /// Per-resource waits, e.g. `{ create = "15m", delete = "45m" }`.
    #[serde(default, skip_serializing_if = "Timeouts::is_default")]
    pub timeouts: Timeouts,
}

/// Terraform-style lifecycle rules.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Refuse to destroy or replace this resource.
    #[serde(default)]
    pub prevent_destroy: bool,
    /// Attributes (e.g. `tags`) whose live changes are neither drift nor updates.
    #[serde(default)]
    pub ignore_changes: Vec<String>,
}

impl Lifecycle {
    fn is_default(&self) -> bool {
        self == &Lifecycle::default()
    }
}

/// Waiter time limits as durations (`90s`, `10m`, `1h`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<String>,
}

impl Timeouts {
    fn is_default(&self) -> bool {
        self == &Timeouts::default()
    }
}

/// Parses `90s`, `10m`, `2h` (or a bare number of seconds).
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number.checked_mul(60)?,
        "h" => number.checked_mul(3600)?,
        _ => return None,
    };
    Some(std::time::Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("10m").unwrap().as_secs(), 600);
        assert_eq!(parse_duration("2h").unwrap().as_secs(), 7200);
        assert_eq!(parse_duration("45").unwrap().as_secs(), 45);
        assert!(parse_duration("10 minutes").is_none());
        assert!(parse_duration("m").is_none());
    }
}
