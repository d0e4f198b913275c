//! The table of CloudFormation resource types agentfs expresses, and how each one's properties
//! become the kind's fields. A property without a field here is an error naming its line:
//! nothing is dropped silently.

use toml::Value as Toml;

use super::ConvertError;
use super::intrinsics::{Scope, Val};
use super::yaml::Node;

/// CloudFormation type -> agentfs kind, for the types that are a resource of their own.
pub const KINDS: &[(&str, &str)] = &[
    ("AWS::EC2::VPC", "vpc"),
    ("AWS::EC2::Subnet", "subnet"),
    ("AWS::EC2::InternetGateway", "internet_gateway"),
    ("AWS::EC2::EIP", "elastic_ip"),
    ("AWS::EC2::NatGateway", "nat_gateway"),
    ("AWS::EC2::RouteTable", "route_table"),
    ("AWS::EC2::Route", "route"),
    ("AWS::EC2::SubnetRouteTableAssociation", "route_table_association"),
    ("AWS::EC2::SecurityGroup", "security_group"),
    ("AWS::EC2::VPCEndpoint", "vpc_endpoint"),
    ("AWS::IAM::Role", "iam_role"),
    ("AWS::S3::Bucket", "s3_bucket"),
    ("AWS::S3Files::FileSystem", "s3files_file_system"),
    ("AWS::S3Files::MountTarget", "s3files_mount_target"),
    ("AWS::S3Files::AccessPoint", "s3files_access_point"),
    ("AWS::EFS::FileSystem", "efs_file_system"),
    ("AWS::EFS::MountTarget", "efs_mount_target"),
    ("AWS::EFS::AccessPoint", "efs_access_point"),
    ("AWS::BedrockAgentCore::Runtime", "agentcore_runtime"),
];

/// Types folded into another resource rather than converted on their own.
pub const FOLDED: &[&str] = &[
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
];

/// Reads one resource's properties, remembering which were used.
pub struct Props<'a> {
    pub scope: &'a Scope,
    pub node: Option<&'a Node>,
    pub cfn_type: &'a str,
    used: Vec<&'a str>,
    /// Resources this one references through a field (for `DependsOn` already implied).
    pub refs: Vec<String>,
}

pub fn err(line: usize, message: impl Into<String>) -> ConvertError {
    ConvertError {
        line,
        message: message.into(),
    }
}

impl<'a> Props<'a> {
    pub fn new(scope: &'a Scope, node: Option<&'a Node>, cfn_type: &'a str) -> Self {
        Props {
            scope,
            node,
            cfn_type,
            used: Vec::new(),
            refs: Vec::new(),
        }
    }

    pub fn raw(&mut self, key: &'a str) -> Option<&'a Node> {
        let node = self.node?.get(key)?;
        self.used.push(key);
        Some(node)
    }

    pub fn val(&mut self, key: &'a str) -> Result<Option<(Val, usize)>, ConvertError> {
        match self.raw(key) {
            Some(node) => Ok(Some((self.scope.value(node)?, node.line))),
            None => Ok(None),
        }
    }

    /// A plain field: string, number, bool (strings may carry templates).
    pub fn plain(&mut self, key: &'a str) -> Result<Option<Toml>, ConvertError> {
        match self.val(key)? {
            Some((v, line)) => Ok(Some(self.to_toml(&v, line)?)),
            None => Ok(None),
        }
    }

    pub fn to_toml(&mut self, v: &Val, line: usize) -> Result<Toml, ConvertError> {
        Ok(match v {
            Val::Int(i) => Toml::Integer(*i),
            Val::Float(f) => Toml::Float(*f),
            Val::Bool(b) => Toml::Boolean(*b),
            Val::List(items) => Toml::Array(items.iter().map(|i| self.to_toml(i, line)).collect::<Result<_, _>>()?),
            Val::Map(entries) => {
                let mut t = toml::Table::new();
                for (k, v) in entries {
                    t.insert(k.clone(), self.to_toml(v, line)?);
                }
                Toml::Table(t)
            }
            Val::AzIndex(_) => {
                return Err(err(
                    line,
                    "`!Select [N, !GetAZs]` only converts as a subnet's AvailabilityZone",
                ));
            }
            other => Toml::String(self.scope.text(other, line)?),
        })
    }

    /// A field naming another resource of `kind`: `Ref` (or `GetAtt` of its id) -> its name.
    pub fn reference(&mut self, v: &Val, line: usize, kind: &str) -> Result<Toml, ConvertError> {
        let id = match v {
            Val::Ref(id, _) => id,
            Val::Attr(id, attribute, _)
                if matches!(
                    attribute.as_str(),
                    "GroupId" | "AllocationId" | "FileSystemId" | "Id" | "VpcId" | "Arn"
                ) =>
            {
                id
            }
            _ => {
                return Err(err(
                    line,
                    format!("{}: expected a `Ref` to a {kind} of this template", self.cfn_type),
                ));
            }
        };
        let (target_kind, name) = &self.scope.resources[id];
        if target_kind != kind {
            return Err(err(
                line,
                format!("`{id}` is a {target_kind}, but a {kind} is needed here"),
            ));
        }
        self.refs.push(id.clone());
        Ok(Toml::String(name.clone()))
    }

    pub fn reference_field(&mut self, key: &'a str, kind: &str) -> Result<Option<Toml>, ConvertError> {
        match self.val(key)? {
            Some((v, line)) => Ok(Some(self.reference(&v, line, kind)?)),
            None => Ok(None),
        }
    }

    pub fn references(&mut self, key: &'a str, kind: &str) -> Result<Option<Toml>, ConvertError> {
        match self.val(key)? {
            Some((Val::List(items), line)) => Ok(Some(Toml::Array(
                items
                    .iter()
                    .map(|i| self.reference(i, line, kind))
                    .collect::<Result<_, _>>()?,
            ))),
            Some((_, line)) => Err(err(line, format!("`{key}` must be a list"))),
            None => Ok(None),
        }
    }

    /// `Tags: [{Key, Value}]` -> a table.
    pub fn tags(&mut self, key: &'a str) -> Result<Option<Toml>, ConvertError> {
        let Some((v, line)) = self.val(key)? else {
            return Ok(None);
        };
        let Val::List(items) = v else {
            return Err(err(line, "tags must be a list of {Key, Value}"));
        };
        let mut table = toml::Table::new();
        for item in items {
            let Val::Map(entries) = item else {
                return Err(err(line, "tags must be a list of {Key, Value}"));
            };
            let get = |k: &str| entries.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let (Some(k), Some(v)) = (get("Key"), get("Value")) else {
                return Err(err(line, "each tag needs Key and Value"));
            };
            table.insert(self.scope.text(&k, line)?, Toml::String(self.scope.text(&v, line)?));
        }
        Ok(Some(Toml::Table(table)))
    }

    /// Properties present but not read: each is an error naming its line.
    pub fn unused(&self) -> Vec<ConvertError> {
        self.node
            .map(|n| n.entries())
            .unwrap_or_default()
            .iter()
            .filter(|(k, _)| !self.used.contains(&k.as_str()))
            .map(|(k, v)| {
                err(
                    v.line,
                    format!("property `{k}` of {} has no agentfs field", self.cfn_type),
                )
            })
            .collect()
    }
}

fn put(table: &mut toml::Table, key: &str, value: Option<Toml>) {
    if let Some(v) = value {
        table.insert(key.to_string(), v);
    }
}

/// The fields of one resource of a type in [`KINDS`].
pub fn fields(p: &mut Props<'_>) -> Result<toml::Table, ConvertError> {
    let mut t = toml::Table::new();
    match p.cfn_type {
        "AWS::EC2::VPC" => {
            put(&mut t, "cidr_block", p.plain("CidrBlock")?);
            put(&mut t, "enable_dns_support", p.plain("EnableDnsSupport")?);
            put(&mut t, "enable_dns_hostnames", p.plain("EnableDnsHostnames")?);
            put(&mut t, "tags", p.tags("Tags")?);
        }
        "AWS::EC2::Subnet" => {
            put(&mut t, "vpc", p.reference_field("VpcId", "vpc")?);
            put(&mut t, "cidr_block", p.plain("CidrBlock")?);
            match p.val("AvailabilityZone")? {
                Some((Val::AzIndex(i), _)) => put(&mut t, "az_index", Some(Toml::Integer(i64::from(i)))),
                Some((v, line)) => put(&mut t, "availability_zone", Some(p.to_toml(&v, line)?)),
                None => {}
            }
            put(&mut t, "map_public_ip_on_launch", p.plain("MapPublicIpOnLaunch")?);
            put(&mut t, "tags", p.tags("Tags")?);
        }
        "AWS::EC2::InternetGateway" => put(&mut t, "tags", p.tags("Tags")?),
        "AWS::EC2::EIP" => {
            if let Some((v, line)) = p.val("Domain")?
                && v != Val::Str("vpc".into())
            {
                return Err(err(line, "an EIP's Domain must be `vpc`"));
            }
            put(&mut t, "tags", p.tags("Tags")?);
        }
        "AWS::EC2::NatGateway" => {
            put(&mut t, "subnet", p.reference_field("SubnetId", "subnet")?);
            put(&mut t, "elastic_ip", p.reference_field("AllocationId", "elastic_ip")?);
            put(&mut t, "tags", p.tags("Tags")?);
        }
        "AWS::EC2::RouteTable" => {
            put(&mut t, "vpc", p.reference_field("VpcId", "vpc")?);
            put(&mut t, "tags", p.tags("Tags")?);
        }
        "AWS::EC2::Route" => {
            put(&mut t, "route_table", p.reference_field("RouteTableId", "route_table")?);
            put(&mut t, "destination_cidr_block", p.plain("DestinationCidrBlock")?);
            put(
                &mut t,
                "internet_gateway",
                p.reference_field("GatewayId", "internet_gateway")?,
            );
            put(&mut t, "nat_gateway", p.reference_field("NatGatewayId", "nat_gateway")?);
        }
        "AWS::EC2::SubnetRouteTableAssociation" => {
            put(&mut t, "route_table", p.reference_field("RouteTableId", "route_table")?);
            put(&mut t, "subnet", p.reference_field("SubnetId", "subnet")?);
        }
        "AWS::EC2::SecurityGroup" => {
            put(&mut t, "vpc", p.reference_field("VpcId", "vpc")?);
            put(&mut t, "name", p.plain("GroupName")?);
            put(&mut t, "description", p.plain("GroupDescription")?);
            for (key, field) in [("SecurityGroupIngress", "ingress"), ("SecurityGroupEgress", "egress")] {
                if let Some(rules) = p.raw(key) {
                    let items = match &rules.value {
                        super::yaml::Value::Seq(items) => items.iter().collect::<Vec<_>>(),
                        _ => return Err(err(rules.line, format!("`{key}` must be a list"))),
                    };
                    let mut out = Vec::new();
                    for rule in items {
                        out.push(Toml::Table(security_group_rule(p.scope, rule, None, &mut p.refs)?));
                    }
                    t.insert(field.into(), Toml::Array(out));
                }
            }
            put(&mut t, "tags", p.tags("Tags")?);
        }
        "AWS::EC2::VPCEndpoint" => {
            put(&mut t, "vpc", p.reference_field("VpcId", "vpc")?);
            if let Some((v, line)) = p.val("ServiceName")? {
                let text = p.scope.text(&v, line)?;
                let service = text
                    .strip_prefix("com.amazonaws.${region}.")
                    .or_else(|| text.strip_prefix("com.amazonaws.us-east-1."))
                    .ok_or_else(|| {
                        err(
                            line,
                            format!("service name `{text}` is not com.amazonaws.REGION.SERVICE"),
                        )
                    })?;
                t.insert("service".into(), Toml::String(service.to_string()));
            }
            put(&mut t, "type", p.plain("VpcEndpointType")?);
            put(&mut t, "route_tables", p.references("RouteTableIds", "route_table")?);
        }
        "AWS::IAM::Role" => {
            put(&mut t, "name", p.plain("RoleName")?);
            put(&mut t, "description", p.plain("Description")?);
            put(&mut t, "assume_role_policy", p.plain("AssumeRolePolicyDocument")?);
            put(&mut t, "managed_policy_arns", p.plain("ManagedPolicyArns")?);
            if let Some((Val::List(policies), line)) = p.val("Policies")? {
                let mut inline = toml::Table::new();
                for policy in policies {
                    let Val::Map(entries) = policy else {
                        return Err(err(line, "each policy needs PolicyName and PolicyDocument"));
                    };
                    let get = |k: &str| entries.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                    let (Some(name), Some(doc)) = (get("PolicyName"), get("PolicyDocument")) else {
                        return Err(err(line, "each policy needs PolicyName and PolicyDocument"));
                    };
                    inline.insert(p.scope.text(&name, line)?, p.to_toml(&doc, line)?);
                }
                t.insert("inline_policies".into(), Toml::Table(inline));
            }
            put(&mut t, "tags", p.tags("Tags")?);
        }
        "AWS::S3::Bucket" => {
            put(&mut t, "name", p.plain("BucketName")?);
            if let Some(node) = p.raw("VersioningConfiguration") {
                let status = node.get("Status").and_then(Node::as_str);
                t.insert("versioning".into(), Toml::Boolean(status == Some("Enabled")));
            }
            if let Some(node) = p.raw("BucketEncryption") {
                let algorithm = node
                    .get("ServerSideEncryptionConfiguration")
                    .and_then(|c| match &c.value {
                        super::yaml::Value::Seq(items) => items.first(),
                        _ => None,
                    })
                    .and_then(|r| r.get("ServerSideEncryptionByDefault"))
                    .and_then(|d| d.get("SSEAlgorithm"))
                    .and_then(Node::as_str)
                    .ok_or_else(|| err(node.line, "only ServerSideEncryptionByDefault.SSEAlgorithm converts"))?;
                t.insert("encryption".into(), Toml::String(algorithm.into()));
            }
            put(&mut t, "tags", p.tags("Tags")?);
        }
        "AWS::S3Files::FileSystem" => {
            put(&mut t, "bucket", p.reference_field("Bucket", "s3_bucket")?);
            put(&mut t, "prefix", p.plain("Prefix")?);
            put(&mut t, "role", p.reference_field("RoleArn", "iam_role")?);
            put(&mut t, "kms_key_id", p.plain("KmsKeyId")?);
            put(&mut t, "accept_bucket_warning", p.plain("AcceptBucketWarning")?);
            put(&mut t, "tags", p.tags("Tags")?);
        }
        "AWS::S3Files::MountTarget" => {
            put(
                &mut t,
                "file_system",
                p.reference_field("FileSystemId", "s3files_file_system")?,
            );
            put(&mut t, "subnet", p.reference_field("SubnetId", "subnet")?);
            put(
                &mut t,
                "security_groups",
                p.references("SecurityGroups", "security_group")?,
            );
        }
        "AWS::S3Files::AccessPoint" => {
            put(
                &mut t,
                "file_system",
                p.reference_field("FileSystemId", "s3files_file_system")?,
            );
            if let Some(node) = p.raw("PosixUser") {
                t.insert("posix_user".into(), posix_user(p.scope, node)?);
            }
            if let Some(node) = p.raw("RootDirectory") {
                t.insert("root_directory".into(), root_directory(p.scope, node)?);
            }
            put(&mut t, "tags", p.tags("Tags")?);
        }
        "AWS::EFS::FileSystem" => {
            put(&mut t, "encrypted", p.plain("Encrypted")?);
            put(&mut t, "performance_mode", p.plain("PerformanceMode")?);
            put(&mut t, "throughput_mode", p.plain("ThroughputMode")?);
            put(&mut t, "tags", p.tags("FileSystemTags")?);
        }
        "AWS::EFS::MountTarget" => {
            put(
                &mut t,
                "file_system",
                p.reference_field("FileSystemId", "efs_file_system")?,
            );
            put(&mut t, "subnet", p.reference_field("SubnetId", "subnet")?);
            put(
                &mut t,
                "security_groups",
                p.references("SecurityGroups", "security_group")?,
            );
        }
        "AWS::EFS::AccessPoint" => {
            put(
                &mut t,
                "file_system",
                p.reference_field("FileSystemId", "efs_file_system")?,
            );
            if let Some(node) = p.raw("PosixUser") {
                t.insert("posix_user".into(), posix_user(p.scope, node)?);
            }
            if let Some(node) = p.raw("RootDirectory") {
                t.insert("root_directory".into(), root_directory(p.scope, node)?);
            }
            put(&mut t, "tags", p.tags("AccessPointTags")?);
        }
        "AWS::BedrockAgentCore::Runtime" => runtime(p, &mut t)?,
        other => return Err(err(0, format!("{other} has no mapping"))),
    }
    Ok(t)
}

/// AgentCore Runtime: the artifact, network and file systems are nested in CloudFormation.
fn runtime(p: &mut Props<'_>, t: &mut toml::Table) -> Result<(), ConvertError> {
    put(t, "name", p.plain("AgentRuntimeName")?);
    put(t, "description", p.plain("Description")?);
    if let Some(artifact) = p.raw("AgentRuntimeArtifact") {
        let uri = artifact
            .get("ContainerConfiguration")
            .and_then(|c| c.get("ContainerUri"))
            .ok_or_else(|| {
                err(
                    artifact.line,
                    "only AgentRuntimeArtifact.ContainerConfiguration.ContainerUri converts",
                )
            })?;
        let v = p.scope.value(uri)?;
        t.insert("container_uri".into(), Toml::String(p.scope.text(&v, uri.line)?));
    }
    put(t, "role", p.reference_field("RoleArn", "iam_role")?);
    if let Some(network) = p.raw("NetworkConfiguration") {
        if let Some(mode) = network.get("NetworkMode") {
            let v = p.scope.value(mode)?;
            t.insert("network_mode".into(), Toml::String(p.scope.text(&v, mode.line)?));
        }
        if let Some(config) = network.get("NetworkModeConfig") {
            for (key, field, kind) in [
                ("Subnets", "subnets", "subnet"),
                ("SecurityGroups", "security_groups", "security_group"),
            ] {
                if let Some(list) = config.get(key) {
                    let Val::List(items) = p.scope.value(list)? else {
                        return Err(err(list.line, format!("`{key}` must be a list")));
                    };
                    let refs = items
                        .iter()
                        .map(|i| p.reference(i, list.line, kind))
                        .collect::<Result<Vec<_>, _>>()?;
                    t.insert(field.into(), Toml::Array(refs));
                }
            }
        }
    }
    put(t, "environment_variables", p.plain("EnvironmentVariables")?);
    if let Some(list) = p.raw("FilesystemConfigurations") {
        let super::yaml::Value::Seq(items) = &list.value else {
            return Err(err(list.line, "`FilesystemConfigurations` must be a list"));
        };
        let mut mounts = Vec::new();
        for item in items {
            let mut m = toml::Table::new();
            let [(source, config)] = item.entries() else {
                return Err(err(item.line, "each filesystem configuration has exactly one source"));
            };
            let mount_path = config
                .get("MountPath")
                .ok_or_else(|| err(config.line, "a filesystem configuration needs MountPath"))?;
            let (field, kind) = match source.as_str() {
                "SessionStorage" => ("session_storage", None),
                "S3FilesAccessPoint" => ("s3files_access_point", Some("s3files_access_point")),
                "EfsAccessPoint" => ("efs_access_point", Some("efs_access_point")),
                other => {
                    return Err(err(
                        config.line,
                        format!("filesystem source `{other}` has no agentfs field"),
                    ));
                }
            };
            match kind {
                None => {
                    m.insert(field.into(), Toml::Boolean(true));
                }
                Some(kind) => {
                    let arn = config
                        .get("AccessPointArn")
                        .ok_or_else(|| err(config.line, "an access point mount needs AccessPointArn"))?;
                    let v = p.scope.value(arn)?;
                    let target = match &v {
                        Val::Attr(id, _, _) => Val::Ref(id.clone(), arn.line),
                        other => other.clone(),
                    };
                    m.insert(field.into(), p.reference(&target, arn.line, kind)?);
                }
            }
            let v = p.scope.value(mount_path)?;
            m.insert("mount_path".into(), Toml::String(p.scope.text(&v, mount_path.line)?));
            mounts.push(Toml::Table(m));
        }
        t.insert("filesystem".into(), Toml::Array(mounts));
    }
    // Tags are a plain map on this type, not a list of {Key, Value}.
    put(t, "tags", p.plain("Tags")?);
    Ok(())
}

fn int(scope: &Scope, node: Option<&Node>, what: &str, line: usize) -> Result<Toml, ConvertError> {
    match node.map(|n| scope.value(n)).transpose()? {
        Some(Val::Int(i)) => Ok(Toml::Integer(i)),
        Some(Val::Str(s)) => s
            .parse()
            .map(Toml::Integer)
            .map_err(|_| err(line, format!("`{what}` must be a number"))),
        _ => Err(err(line, format!("`{what}` must be a number"))),
    }
}

fn posix_user(scope: &Scope, node: &Node) -> Result<Toml, ConvertError> {
    let mut t = toml::Table::new();
    t.insert("uid".into(), int(scope, node.get("Uid"), "Uid", node.line)?);
    t.insert("gid".into(), int(scope, node.get("Gid"), "Gid", node.line)?);
    Ok(Toml::Table(t))
}

fn root_directory(scope: &Scope, node: &Node) -> Result<Toml, ConvertError> {
    let mut t = toml::Table::new();
    if let Some(path) = node.get("Path") {
        t.insert("path".into(), Toml::String(scope.text(&scope.value(path)?, path.line)?));
    }
    if let Some(info) = node.get("CreationInfo") {
        let mut c = toml::Table::new();
        c.insert(
            "owner_uid".into(),
            int(scope, info.get("OwnerUid"), "OwnerUid", info.line)?,
        );
        c.insert(
            "owner_gid".into(),
            int(scope, info.get("OwnerGid"), "OwnerGid", info.line)?,
        );
        if let Some(perm) = info.get("Permissions") {
            c.insert(
                "permissions".into(),
                Toml::String(scope.text(&scope.value(perm)?, perm.line)?),
            );
        }
        t.insert("creation_permissions".into(), Toml::Table(c));
    }
    Ok(Toml::Table(t))
}

/// One ingress or egress rule; `group` is the logical id of the group it belongs to (for
/// separate SecurityGroupIngress resources), so a source of the same group becomes `self`.
pub fn security_group_rule(
    scope: &Scope,
    rule: &Node,
    group: Option<&str>,
    refs: &mut Vec<String>,
) -> Result<toml::Table, ConvertError> {
    let mut t = toml::Table::new();
    for (key, node) in rule.entries() {
        let line = node.line;
        let v = scope.value(node)?;
        match key.as_str() {
            "IpProtocol" => {
                t.insert("protocol".into(), Toml::String(scope.text(&v, line)?));
            }
            "FromPort" | "ToPort" => {
                let field = if key == "FromPort" { "from_port" } else { "to_port" };
                t.insert(field.into(), int(scope, Some(node), key, line)?);
            }
            "CidrIp" => {
                t.insert(
                    "cidr_blocks".into(),
                    Toml::Array(vec![Toml::String(scope.text(&v, line)?)]),
                );
            }
            "Description" => {
                t.insert("description".into(), Toml::String(scope.text(&v, line)?));
            }
            "SourceSecurityGroupId" | "DestinationSecurityGroupId" => {
                let id = match &v {
                    Val::Ref(id, _) | Val::Attr(id, _, _) => id.clone(),
                    _ => {
                        return Err(err(
                            line,
                            format!("`{key}` must name a security group of this template"),
                        ));
                    }
                };
                if Some(id.as_str()) == group {
                    t.insert("self".into(), Toml::Boolean(true));
                } else {
                    let (kind, name) = scope
                        .resources
                        .get(&id)
                        .ok_or_else(|| err(line, format!("`{id}` is not a resource of this template")))?;
                    if kind != "security_group" {
                        return Err(err(line, format!("`{id}` is not a security group")));
                    }
                    refs.push(id.clone());
                    t.insert("source_security_group".into(), Toml::String(name.clone()));
                }
            }
            "GroupId" if group.is_some() => {}
            other => {
                return Err(err(
                    line,
                    format!("security group rule property `{other}` has no agentfs field"),
                ));
            }
        }
    }
    Ok(t)
}
