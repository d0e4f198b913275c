//! `agentfs convert`: the project's CloudFormation templates in `tests/cfn/` convert to specs
//! that validate; unsupported types are listed and fail the command unless --partial;
//! unmappable values name their line; and the converted S3 Files stack, applied on the
//! emulator, has the template's properties, compared one by one through the AWS SDK.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn agentfs(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(args)
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .stdin(Stdio::null())
        .output()
        .expect("agentfs runs")
}

fn template(name: &str) -> String {
    root().join("tests/cfn").join(name).display().to_string()
}

/// Converts `name` into `dir/agentfs.toml` and returns the spec text.
fn convert(dir: &Path, name: &str) -> String {
    let out = agentfs(
        dir,
        &["convert", &template(name), "-o", "agentfs.toml", "--stack", "conv"],
    );
    assert!(out.status.success(), "{name}: {}", support::text(&out));
    std::fs::read_to_string(dir.join("agentfs.toml")).unwrap()
}

#[test]
fn the_project_templates_convert_to_specs_that_validate_and_plan() {
    for (name, resources) in [
        ("s3files-stack.yaml", 22),
        ("efs-stack.json", 8),
        ("session-storage-stack.yaml", 2),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let spec = convert(dir.path(), name);
        let validate = agentfs(dir.path(), &["validate", "--json"]);
        assert!(
            validate.status.success(),
            "{name}: {}\n{spec}",
            support::text(&validate)
        );
        let report: serde_json::Value = serde_json::from_slice(&validate.stdout).unwrap();
        assert_eq!(report["resources"], resources, "{name}");
        let plan = agentfs(dir.path(), &["plan"]);
        assert!(plan.status.success(), "{name}: {}", support::text(&plan));
    }
}

#[test]
fn intrinsics_and_folding_read_as_agentfs() {
    let dir = tempfile::tempdir().unwrap();
    let spec = convert(dir.path(), "s3files-stack.yaml");
    for expected in [
        "[variable.suffix]",                                         // Parameters -> variables
        "Name = \"${stack}-vpc-${var.suffix}\"",                     // !Sub with a pseudo parameter and a parameter
        "Name = \"${stack}-igw\"",                                   // !Join
        "az_index = 1",                                              // !Select [1, !GetAZs ""]
        "cidr_block = \"10.30.2.0/24\"",                             // !Select over !Split
        "Tier = \"private\"",                                        // !If decided from the parameter's default
        "# `GatewayAttachment` (VPCGatewayAttachment) is folded in", // attachment -> IGW's vpc
        "self = true",                                               // separate ingress -> the group's rule
        "depends_on = [\"internet_gateway.internet_gateway\"]",      // DependsOn an attachment
        "prevent_destroy = true",                                    // DeletionPolicy Retain
        "# DeletionPolicy Retain:",
        "Resource = \"${s3_bucket.data_bucket.arn}/*\"", // ${Resource.Attr} in !Sub
        "value = \"${s3files_file_system.file_system.id}\"", // Outputs
        "# The stack's network: one VPC, two AZs.",      // comments carried over
    ] {
        assert!(spec.contains(expected), "missing {expected:?} in\n{spec}");
    }
    // DependsOn already implied by a reference is not repeated.
    let nat = spec.split("[nat_gateway.nat_gateway]").nth(1).unwrap();
    let nat = nat.split("\n\n").next().unwrap();
    assert!(!nat.contains("subnet.public_subnet_a"), "{nat}");
}

#[test]
fn unsupported_types_are_listed_and_fail_unless_partial() {
    let dir = tempfile::tempdir().unwrap();
    let out = agentfs(dir.path(), &["convert", &template("unsupported-types.yaml")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Notifications (AWS::SNS::Topic)"), "{stderr}");
    assert!(stderr.contains("Handler (AWS::Lambda::Function)"), "{stderr}");
    assert!(out.stdout.is_empty(), "a spec was written without --partial");
    let out = agentfs(
        dir.path(),
        &[
            "convert",
            &template("unsupported-types.yaml"),
            "--partial",
            "-o",
            "agentfs.toml",
        ],
    );
    assert!(out.status.success(), "{}", support::text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Notifications"));
    let validate = agentfs(dir.path(), &["validate"]);
    assert!(validate.status.success(), "{}", support::text(&validate));
}

#[test]
fn unmappable_values_are_errors_naming_the_template_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = agentfs(dir.path(), &["convert", &template("unmappable-property.yaml")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "unmappable-property.yaml:6: error: `InstanceTenancy` of AWS::EC2::VPC is `dedicated`; agentfs does only `default`",
        "unmappable-property.yaml:11: error: `Fn::ImportValue`",
        // S3 Files' name for it, not EFS's: an unknown key inside a nested property is an
        // error at its line, never dropped.
        "unmappable-property.yaml:20: error: property `RootDirectory.CreationPermissions` is not a property of AWS::EFS::AccessPoint",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in\n{stderr}");
    }
}

#[test]
fn properties_agentfs_cannot_express_are_refused_with_the_reason_or_left_out_as_comments_with_partial() {
    let dir = tempfile::tempdir().unwrap();
    let out = agentfs(dir.path(), &["convert", &template("refused-property.yaml")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let refusal = "property `LifecyclePolicies` of AWS::EFS::FileSystem cannot be expressed: agentfs does not manage this file system setting";
    assert!(
        stderr.contains(&format!("refused-property.yaml:6: error: {refusal}")),
        "{stderr}"
    );
    let out = agentfs(
        dir.path(),
        &[
            "convert",
            &template("refused-property.yaml"),
            "--partial",
            "-o",
            "agentfs.toml",
        ],
    );
    assert!(out.status.success(), "{}", support::text(&out));
    let spec = std::fs::read_to_string(dir.path().join("agentfs.toml")).unwrap();
    assert!(
        spec.contains(&format!("# Left out (template line 6): {refusal}")),
        "{spec}"
    );
    // CloudFormation reads "true" as a boolean, and so does the converted spec.
    assert!(spec.contains("encrypted = true"), "{spec}");
    let validate = agentfs(dir.path(), &["validate"]);
    assert!(validate.status.success(), "{}", support::text(&validate));
}

#[test]
fn conditions_are_decided_from_parameter_defaults_and_the_spec_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = agentfs(
        dir.path(),
        &[
            "convert",
            &template("conditions.yaml"),
            "-o",
            "agentfs.toml",
            "--stack",
            "conv",
        ],
    );
    assert!(out.status.success(), "{}", support::text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A false resource Condition leaves the resource out, listed with why; not an error.
    assert!(
        stderr.contains("left out: ProdSubnet (AWS::EC2::Subnet): condition IsProd is false (Env=dev)"),
        "{stderr}"
    );
    let spec = std::fs::read_to_string(dir.path().join("agentfs.toml")).unwrap();
    assert!(
        !spec.contains("10.50.1.0/24"),
        "the left-out subnet was converted:\n{spec}"
    );
    assert!(!spec.contains("prod_subnet"), "{spec}");
    // A true one converts the resource, with a comment above it naming the condition and value.
    let vpc = spec.split("[vpc.vpc]").next().unwrap();
    assert!(
        vpc.contains("# `VPC` has Condition IsDefault: condition IsDefault is true (Suffix=cfn)"),
        "{spec}"
    );
    // Each Fn::If choice is named, with its condition and the branch taken, above its resource.
    for expected in [
        "# Fn::If at template line 18: condition IsProd is false (Env=dev), so its second value was taken.\n",
        "# Fn::If at template line 21: condition IsDefault is true (Suffix=cfn), so its first value was taken.\n",
        "# Fn::If at template line 39: condition IsProd is false (Env=dev), so its second value was taken.\n[subnet.subnet]",
        "cidr_block = \"10.60.0.0/16\"",
        "Tier = \"standard\"",
        // A reference to the left-out subnet guarded by its own condition resolves to the other branch.
        "Peer = \"none\"",
    ] {
        assert!(spec.contains(expected), "missing {expected:?} in\n{spec}");
    }
    // An output under the false condition is left out with its resource, and listed.
    assert!(!spec.contains("[output.prod_subnet_id]"), "{spec}");
    assert!(
        stderr.contains("left out: ProdSubnetId (output): condition IsProd is false (Env=dev)"),
        "{stderr}"
    );
    // One under a true condition, with an Fn::If, says both above it.
    assert!(
        spec.contains(
            "# Output `SubnetId` has Condition IsDefault: condition IsDefault is true (Suffix=cfn), so it is converted (unconditionally).\n\
             # Fn::If at template line 46: condition IsProd is false (Env=dev), so its second value was taken.\n\
             [output.subnet_id]\nvalue = \"${subnet.subnet.id}\""
        ),
        "{spec}"
    );
    let validate = agentfs(dir.path(), &["validate", "--json"]);
    assert!(validate.status.success(), "{}", support::text(&validate));
    let report: serde_json::Value = serde_json::from_slice(&validate.stdout).unwrap();
    assert_eq!(report["resources"], 2);
    // The existing template's Fn::If is traced too.
    let dir = tempfile::tempdir().unwrap();
    let spec = convert(dir.path(), "s3files-stack.yaml");
    assert!(
        spec.contains(
            "# Fn::If at template line 48: condition IsDefault is true (Suffix=cfn), so its first value was taken.\n[subnet.private_subnet_a]"
        ),
        "{spec}"
    );
}

#[test]
fn references_to_left_out_resources_and_undecidable_conditions_are_errors_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = agentfs(dir.path(), &["convert", &template("conditions-unresolvable.yaml")]);
    assert_eq!(out.status.code(), Some(1), "{}", support::text(&out));
    assert!(out.stdout.is_empty(), "a spec was written");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        // !GetAtt of the resource IsProd leaves out, outside any Fn::If.
        "conditions-unresolvable.yaml:33: error: reference to `ProdSubnet`, which is left out because condition IsProd is false (Env=dev)",
        // DependsOn it.
        "conditions-unresolvable.yaml:36: error: reference to `ProdSubnet`, which is left out because condition IsProd is false (Env=dev)",
        // A Condition on a parameter without a default cannot be decided at conversion.
        "conditions-unresolvable.yaml:41: error: `PeerSubnet` has Condition HasPeer, which cannot be decided at conversion: the condition depends on `Peer`, which has no default",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in\n{stderr}");
    }
}

/// One property compared: what the template says and what AWS has.
struct Compared(usize);

impl Compared {
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, live: T, template: T) {
        assert_eq!(live, template, "{what}");
        self.0 += 1;
    }
}

#[tokio::test]
async fn the_converted_s3files_stack_applies_with_the_templates_properties() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    convert(d, "s3files-stack.yaml");
    let out = emu.agentfs(d, &["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", support::text(&out));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join(".agentfs/conv.state.json")).unwrap()).unwrap();
    let id = |addr: &str| {
        state["resources"][addr]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{addr}"))
            .to_string()
    };
    let config = emu.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let mut c = Compared(0);

    let vpc_id = id("vpc.vpc");
    let vpc = ec2.describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap().vpcs()[0].clone();
    c.eq("VPC CidrBlock", vpc.cidr_block(), Some("10.30.0.0/16"));
    let tag = |tags: &[aws_sdk_ec2::types::Tag], key: &str| {
        tags.iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
            .map(String::from)
    };
    c.eq("VPC Tags.Name", tag(vpc.tags(), "Name"), Some("conv-vpc-cfn".into()));
    for (attribute, name) in [
        (
            aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport,
            "EnableDnsSupport",
        ),
        (
            aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames,
            "EnableDnsHostnames",
        ),
    ] {
        let a = ec2
            .describe_vpc_attribute()
            .vpc_id(&vpc_id)
            .attribute(attribute)
            .send()
            .await
            .unwrap();
        let value = a
            .enable_dns_support()
            .or(a.enable_dns_hostnames())
            .and_then(|v| v.value());
        c.eq(&format!("VPC {name}"), value, Some(true));
    }

    let azs = ec2.describe_availability_zones().send().await.unwrap();
    let az = |i: usize| azs.availability_zones()[i].zone_name().map(String::from);
    for (addr, cidr, az_index, public, tier) in [
        ("subnet.public_subnet_a", "10.30.101.0/24", 0, Some(true), None),
        (
            "subnet.private_subnet_a",
            "10.30.1.0/24",
            0,
            Some(false),
            Some("private"),
        ),
        ("subnet.private_subnet_b", "10.30.2.0/24", 1, Some(false), None),
    ] {
        let s = ec2
            .describe_subnets()
            .subnet_ids(id(addr))
            .send()
            .await
            .unwrap()
            .subnets()[0]
            .clone();
        c.eq(
            &format!("{addr} VpcId"),
            s.vpc_id().map(String::from),
            Some(vpc_id.clone()),
        );
        c.eq(&format!("{addr} CidrBlock"), s.cidr_block(), Some(cidr));
        c.eq(
            &format!("{addr} AvailabilityZone"),
            s.availability_zone().map(String::from),
            az(az_index),
        );
        c.eq(
            &format!("{addr} MapPublicIpOnLaunch"),
            s.map_public_ip_on_launch(),
            public,
        );
        if let Some(tier) = tier {
            c.eq(&format!("{addr} Tags.Tier"), tag(s.tags(), "Tier"), Some(tier.into()));
        }
    }

    let igw = ec2
        .describe_internet_gateways()
        .internet_gateway_ids(id("internet_gateway.internet_gateway"))
        .send()
        .await
        .unwrap()
        .internet_gateways()[0]
        .clone();
    c.eq(
        "IGW attachment VpcId",
        igw.attachments()[0].vpc_id().map(String::from),
        Some(vpc_id.clone()),
    );
    c.eq("IGW Tags.Name", tag(igw.tags(), "Name"), Some("conv-igw".into()));

    let nat = ec2
        .describe_nat_gateways()
        .nat_gateway_ids(id("nat_gateway.nat_gateway"))
        .send()
        .await
        .unwrap()
        .nat_gateways()[0]
        .clone();
    c.eq(
        "NAT SubnetId",
        nat.subnet_id().map(String::from),
        Some(id("subnet.public_subnet_a")),
    );
    c.eq(
        "NAT AllocationId",
        nat.nat_gateway_addresses()[0].allocation_id().map(String::from),
        Some(id("elastic_ip.nat_eip")),
    );

    for (table, target, subnets) in [
        (
            "route_table.public",
            id("internet_gateway.internet_gateway"),
            vec!["subnet.public_subnet_a"],
        ),
        (
            "route_table.private",
            id("nat_gateway.nat_gateway"),
            vec!["subnet.private_subnet_a", "subnet.private_subnet_b"],
        ),
    ] {
        let rt = ec2
            .describe_route_tables()
            .route_table_ids(id(table))
            .send()
            .await
            .unwrap()
            .route_tables()[0]
            .clone();
        c.eq(
            &format!("{table} VpcId"),
            rt.vpc_id().map(String::from),
            Some(vpc_id.clone()),
        );
        let default = rt
            .routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            .expect("a default route");
        let via = default.gateway_id().or(default.nat_gateway_id()).map(String::from);
        c.eq(&format!("{table} 0.0.0.0/0 target"), via, Some(target));
        let mut associated: Vec<String> = rt
            .associations()
            .iter()
            .filter_map(|a| a.subnet_id().map(String::from))
            .collect();
        associated.sort();
        let mut expected: Vec<String> = subnets.iter().map(|s| id(s)).collect();
        expected.sort();
        c.eq(&format!("{table} associations"), associated, expected);
    }

    let endpoint = ec2
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(id("vpc_endpoint.s3_gateway_endpoint"))
        .send()
        .await
        .unwrap()
        .vpc_endpoints()[0]
        .clone();
    c.eq(
        "Endpoint ServiceName",
        endpoint.service_name(),
        Some("com.amazonaws.us-east-1.s3"),
    );
    c.eq(
        "Endpoint VpcEndpointType",
        endpoint.vpc_endpoint_type().map(|t| t.as_str().to_string()),
        Some("Gateway".into()),
    );
    c.eq(
        "Endpoint RouteTableIds",
        endpoint.route_table_ids().to_vec(),
        vec![id("route_table.private")],
    );

    let sg_id = id("security_group.nfs");
    let sg = ec2
        .describe_security_groups()
        .group_ids(&sg_id)
        .send()
        .await
        .unwrap()
        .security_groups()[0]
        .clone();
    c.eq("SG GroupName", sg.group_name(), Some("conv-nfs"));
    c.eq("SG GroupDescription", sg.description(), Some("NFS for S3 Files"));
    c.eq("SG VpcId", sg.vpc_id().map(String::from), Some(vpc_id.clone()));
    let rule = sg
        .ip_permissions()
        .iter()
        .find(|p| p.from_port() == Some(2049))
        .expect("the NFS rule")
        .clone();
    c.eq("Ingress IpProtocol", rule.ip_protocol(), Some("tcp"));
    c.eq("Ingress ToPort", rule.to_port(), Some(2049));
    let pair = rule.user_id_group_pairs()[0].clone();
    c.eq(
        "Ingress SourceSecurityGroupId",
        pair.group_id().map(String::from),
        Some(sg_id.clone()),
    );
    c.eq(
        "Ingress Description",
        pair.description(),
        Some("NFS from members of this group"),
    );

    let s3 = aws_sdk_s3::Client::new(&config);
    let bucket = id("s3_bucket.data_bucket");
    c.eq(
        "Bucket BucketName",
        bucket.starts_with("conv-") && bucket.ends_with("-us-east-1"),
        true,
    );
    let versioning = s3.get_bucket_versioning().bucket(&bucket).send().await.unwrap();
    c.eq(
        "Bucket VersioningConfiguration.Status",
        versioning.status().map(|s| s.as_str().to_string()),
        Some("Enabled".into()),
    );
    let encryption = s3.get_bucket_encryption().bucket(&bucket).send().await.unwrap();
    let algorithm = encryption
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .map(|d| d.sse_algorithm().as_str().to_string());
    c.eq("Bucket SSEAlgorithm", algorithm, Some("AES256".into()));

    let iam = aws_sdk_iam::Client::new(&config);
    let role = iam.get_role().role_name("conv-s3files-cfn").send().await.unwrap();
    let role = role.role().unwrap();
    c.eq(
        "Role Description",
        role.description(),
        Some("Lets Amazon S3 Files sync the file system with its bucket"),
    );
    let trust = urlencoding::decode(role.assume_role_policy_document().unwrap_or_default())
        .unwrap()
        .to_string();
    let trust: serde_json::Value = serde_json::from_str(&trust).unwrap();
    c.eq(
        "Role AssumeRolePolicyDocument Principal",
        trust["Statement"][0]["Principal"]["Service"].clone(),
        serde_json::json!("elasticfilesystem.amazonaws.com"),
    );
    let policy = iam
        .get_role_policy()
        .role_name("conv-s3files-cfn")
        .policy_name("bucket-access")
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&urlencoding::decode(policy.policy_document()).unwrap()).unwrap();
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    c.eq(
        "Policy bucket-access Statement[0].Resource",
        doc["Statement"][0]["Resource"].clone(),
        serde_json::json!(bucket_arn),
    );
    c.eq(
        "Policy bucket-access Statement[1].Resource",
        doc["Statement"][1]["Resource"].clone(),
        serde_json::json!(format!("{bucket_arn}/*")),
    );

    let s3files = aws_sdk_s3files::Client::new(&config);
    let fs_id = id("s3files_file_system.file_system");
    let fs = s3files.get_file_system().file_system_id(&fs_id).send().await.unwrap();
    c.eq(
        "FileSystem Bucket",
        fs.bucket().unwrap_or_default().contains(&bucket),
        true,
    );
    c.eq(
        "FileSystem RoleArn",
        fs.role_arn().unwrap_or_default().to_string(),
        state["resources"]["iam_role.s3_files_service_role"]["attributes"]["arn"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    let targets = s3files
        .list_mount_targets()
        .file_system_id(&fs_id)
        .send()
        .await
        .unwrap();
    let mut subnets: Vec<String> = targets
        .mount_targets()
        .iter()
        .map(|t| t.subnet_id().to_string())
        .collect();
    subnets.sort();
    let mut expected = vec![id("subnet.private_subnet_a"), id("subnet.private_subnet_b")];
    expected.sort();
    c.eq("MountTargets SubnetId", subnets, expected);
    let ap = s3files
        .get_access_point()
        .access_point_id(id("s3files_access_point.agent_access_point"))
        .send()
        .await
        .unwrap();
    c.eq(
        "AccessPoint PosixUser",
        ap.posix_user().map(|u| (u.uid(), u.gid())),
        Some((1000, 1000)),
    );
    c.eq(
        "AccessPoint RootDirectory.Path",
        ap.root_directory().and_then(|r| r.path()),
        Some("/agent"),
    );
    c.eq(
        "AccessPoint CreationInfo.Permissions",
        ap.root_directory()
            .and_then(|r| r.creation_permissions())
            .map(|p| p.permissions().to_string()),
        Some("0755".into()),
    );

    println!("properties compared: {}", c.0);
    assert!(c.0 >= 40, "only {} properties compared", c.0);
}

#[tokio::test]
async fn the_converted_session_storage_stack_applies_with_the_templates_properties() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = convert(d, "session-storage-stack.yaml");
    assert!(
        spec.contains("sensitive = true"),
        "NoEcho did not make the variable sensitive"
    );
    let out = emu.agentfs(d, &["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", support::text(&out));
    assert!(
        !support::text(&out).contains("not-a-real-token"),
        "the NoEcho value was printed"
    );
    let state_text = std::fs::read_to_string(d.join(".agentfs/conv.state.json")).unwrap();
    assert!(
        !state_text.contains("not-a-real-token"),
        "the NoEcho value is in the state"
    );
    let state: serde_json::Value = serde_json::from_str(&state_text).unwrap();
    let config = emu.sdk_config().await;
    let mut c = Compared(0);
    let iam = aws_sdk_iam::Client::new(&config);
    let role = iam.get_role().role_name("conv-runtime-role").send().await.unwrap();
    let role_arn = role.role().map(|r| r.arn().to_string());
    c.eq(
        "Role RoleName",
        role.role().map(|r| r.role_name().to_string()),
        Some("conv-runtime-role".into()),
    );
    let policy = iam
        .get_role_policy()
        .role_name("conv-runtime-role")
        .policy_name("ecr-pull")
        .send()
        .await;
    c.eq("Role Policies[0].PolicyName", policy.is_ok(), true);
    let agentcore = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let id = state["resources"]["agentcore_runtime.agent"]["id"].as_str().unwrap();
    let runtime = agentcore.get_agent_runtime().agent_runtime_id(id).send().await.unwrap();
    c.eq("AgentRuntimeName", runtime.agent_runtime_name(), "sessconv_agent");
    c.eq("Description", runtime.description(), Some("Agent with session storage"));
    c.eq("RoleArn", Some(runtime.role_arn().to_string()), role_arn);
    let uri = runtime
        .agent_runtime_artifact()
        .and_then(|a| a.as_container_configuration().ok())
        .map(|c| c.container_uri().to_string());
    c.eq(
        "ContainerUri",
        uri,
        Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest".into()),
    );
    c.eq(
        "NetworkMode",
        runtime
            .network_configuration()
            .map(|n| n.network_mode().as_str().to_string()),
        Some("PUBLIC".into()),
    );
    let env = runtime.environment_variables().cloned().unwrap_or_default();
    c.eq(
        "EnvironmentVariables.WORKSPACE",
        env.get("WORKSPACE").cloned(),
        Some("/mnt/workspace".into()),
    );
    c.eq(
        "EnvironmentVariables.API_TOKEN",
        env.get("API_TOKEN").cloned(),
        Some("not-a-real-token".into()),
    );
    let mount = runtime.filesystem_configurations()[0]
        .as_session_storage()
        .map(|s| s.mount_path().to_string());
    c.eq(
        "FilesystemConfigurations[0].SessionStorage.MountPath",
        mount.ok(),
        Some("/mnt/workspace".into()),
    );
    println!("properties compared: {}", c.0);
}

#[test]
fn cloudformation_semantics_convert_and_partial_fills_in_what_agentfs_does_not_manage() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Without --partial: the real reason, and the unsupported list even though it fails.
    let out = agentfs(d, &["convert", &template("cfn-semantics.yaml")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "unsupported: Cluster (AWS::ECS::Cluster): `Cluster` is an `AWS::ECS::Cluster`, which agentfs does not manage",
        "cfn-semantics.yaml:52: error: `Cluster` is an `AWS::ECS::Cluster`, which agentfs does not manage",
        "cfn-semantics.yaml:54: error: `Fn::ImportValue` of `shared-network-id`",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in\n{stderr}");
    }
    let out = agentfs(
        d,
        &[
            "convert",
            &template("cfn-semantics.yaml"),
            "--partial",
            "--stack",
            "team-stack",
            "-o",
            "agentfs.toml",
        ],
    );
    assert!(out.status.success(), "{}", support::text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported: Cluster (AWS::ECS::Cluster)"));
    let spec = std::fs::read_to_string(d.join("agentfs.toml")).unwrap();
    for expected in [
        // What was left out, at the top.
        "#   AWS::ECS::Cluster  Cluster  line 55",
        // References to it: variables saying what to give.
        "Cluster = \"${var.cluster_arn}\"",
        "[variable.cluster_arn]",
        "`Cluster` is an `AWS::ECS::Cluster`, which agentfs does not manage: give its `Arn`",
        "# DependsOn `Cluster` dropped: it is an `AWS::ECS::Cluster`",
        "[variable.import_shared_network_id]",
        // Typed parameters: variables saying what to give.
        "was a parameter of type AWS::EC2::Subnet::Id: give the value of an existing EC2 Subnet Id",
        "was an SSM parameter of type AWS::EC2::Image::Id",
        // Fn::FindInMap by the spec's region, Fn::Cidr with real CIDR math, Fn::Split of the
        // stack name, an AZ id, strings read as booleans and numbers.
        "cidr_block = \"10.60.0.0/16\"",
        "cidr_block = \"10.60.1.0/24\"",
        "Stack = \"team\"",
        "availability_zone_id = \"use1-az4\"",
        "enable_dns_support = true",
        "from_port = 8080",
        // An all-protocols rule without ports, a CDK hash dropped, a generated role name.
        "protocol = \"-1\"",
        "[security_group.agent]",
        "name = \"${stack}-TaskRole\"",
    ] {
        assert!(spec.contains(expected), "missing {expected:?} in\n{spec}");
    }
    let validate = agentfs(d, &["validate"]);
    // The variables to fill in have no value yet: validate says so, and nothing else.
    let text = support::text(&validate);
    assert!(
        text.lines()
            .filter(|l| l.contains(": error["))
            .all(|l| l.contains("error[agentfs::variable_unset]")),
        "{text}"
    );
}

#[test]
fn a_sam_template_is_one_error_saying_to_transform_it_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = agentfs(dir.path(), &["convert", &template("sam.yaml")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sam.yaml:2: error: this is a SAM template (`Transform: AWS::Serverless-2016-10-31`); transform it to CloudFormation first"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("error:").count(), 2, "{stderr}");
}

/// The neighbours of an AgentCore stack convert field by field: a key with its alias folded
/// in, a log group encrypted with it, managed policies a role takes (its `ManagedPolicyArns`, or
/// a policy's `Roles`, which agentfs says from the role's side), an interface endpoint, a
/// memory whose strategies are CloudFormation's one-of objects, and a gateway with a Lambda
/// target whose tool schema keeps its nested definitions; the spec validates and plans.
#[test]
fn agentcore_neighbours_convert_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = convert(dir.path(), "neighbours.yaml");
    let spec: toml::Table = toml::from_str(&text).unwrap();
    let at = |path: &str| -> toml::Value {
        let mut v = toml::Value::Table(spec.clone());
        for key in path.split('.') {
            v = match key.parse::<usize>() {
                Ok(i) => v.get(i).cloned(),
                Err(_) => v.get(key).cloned(),
            }
            .unwrap_or_else(|| panic!("no `{path}` in\n{text}"));
        }
        v
    };
    let s = |v: &str| toml::Value::String(v.into());
    for (path, expected) in [
        ("kms_key.data_key.alias", s("alias/nbconv-data")),
        ("kms_key.data_key.enable_rotation", toml::Value::Boolean(true)),
        ("kms_key.data_key.deletion_window_days", toml::Value::Integer(7)),
        ("kms_key.data_key.tags.Team", s("agents")),
        ("log_group.agent_logs.name", s("/agents/${stack}")),
        ("log_group.agent_logs.retention_days", toml::Value::Integer(30)),
        ("log_group.agent_logs.kms_key_id", s("${kms_key.data_key.arn}")),
        ("iam_policy.tools_policy.name", s("${stack}-tools")),
        (
            "iam_policy.tools_policy.document.Statement.0.Action",
            s("lambda:InvokeFunction"),
        ),
        (
            "iam_role.gateway_role.managed_policy_arns.0",
            s("${iam_policy.tools_policy.arn}"),
        ),
        (
            "iam_role.gateway_role.managed_policy_arns.1",
            s("${iam_policy.logs_policy.arn}"),
        ),
        ("iam_policy.logs_policy.name", s("${stack}-LogsPolicy")),
        ("vpc_endpoint.logs_endpoint.type", s("Interface")),
        ("vpc_endpoint.logs_endpoint.subnets.0", s("private")),
        ("vpc_endpoint.logs_endpoint.security_groups.0", s("endpoint")),
        ("vpc_endpoint.logs_endpoint.private_dns", toml::Value::Boolean(true)),
        (
            "vpc_endpoint.logs_endpoint.policy.Statement.0.Action",
            s("logs:PutLogEvents"),
        ),
        (
            "agentcore_memory.agent_memory.event_expiry_days",
            toml::Value::Integer(30),
        ),
        ("agentcore_memory.agent_memory.tags.Team", s("agents")),
        ("agentcore_memory.agent_memory.strategies.0.type", s("semantic")),
        (
            "agentcore_memory.agent_memory.strategies.0.namespaces.0",
            s("/facts/{actorId}"),
        ),
        ("agentcore_memory.agent_memory.strategies.1.type", s("custom")),
        ("agentcore_memory.agent_memory.strategies.1.base", s("semantic")),
        (
            "agentcore_memory.agent_memory.strategies.1.extraction_prompt",
            s("Keep each fact short."),
        ),
        (
            "agentcore_memory.agent_memory.strategies.1.model_id",
            s("anthropic.claude-3-haiku-20240307-v1:0"),
        ),
        ("agentcore_gateway.tool_gateway.role", s("gateway_role")),
        ("agentcore_gateway.tool_gateway.authorizer", s("AWS_IAM")),
        ("agentcore_gateway.tool_gateway.mcp.search_type", s("SEMANTIC")),
        ("agentcore_gateway_target.weather_target.gateway", s("tool_gateway")),
        (
            "agentcore_gateway_target.weather_target.lambda_arn",
            s("arn:aws:lambda:${region}:${account_id}:function:weather"),
        ),
        ("agentcore_gateway_target.weather_target.tools.0.name", s("get_weather")),
        (
            "agentcore_gateway_target.weather_target.tools.0.input_schema.type",
            s("object"),
        ),
        (
            "agentcore_gateway_target.weather_target.tools.0.input_schema.properties.city.type",
            s("string"),
        ),
        (
            "agentcore_gateway_target.weather_target.tools.0.input_schema.required.0",
            s("city"),
        ),
        (
            "agentcore_gateway_target.weather_target.credential_provider.type",
            s("GATEWAY_IAM_ROLE"),
        ),
        ("output.gateway_url.value", s("${agentcore_gateway.tool_gateway.url}")),
        ("output.memory_id.value", s("${agentcore_memory.agent_memory.id}")),
        ("output.key_id.value", s("${kms_key.data_key.id}")),
    ] {
        assert_eq!(at(path), expected, "{path} in\n{text}");
    }
    // The alias is part of the key, not a resource of its own; the strategy objects' flags
    // are gone once they became `type` and `base`.
    assert!(text.contains("# `DataKeyAlias` (Alias) is folded in."), "{text}");
    assert!(
        at("agentcore_memory.agent_memory.strategies.0")
            .get("semantic")
            .is_none()
    );
    let validate = agentfs(dir.path(), &["validate", "--json"]);
    assert!(validate.status.success(), "{}\n{text}", support::text(&validate));
    let report: serde_json::Value = serde_json::from_slice(&validate.stdout).unwrap();
    assert_eq!(report["resources"], 12, "{report}");
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");
    let plan = agentfs(dir.path(), &["plan"]);
    assert!(plan.status.success(), "{}", support::text(&plan));
}
