//! Deploying into a network agentfs did not make (issue 20): a platform team's VPC, subnets in
//! two AZs, internet gateway, NAT, route tables with a NAT route, S3 gateway endpoint and
//! security group are made here with the SDK; an agent stack finds them by tags and by id,
//! puts its S3 Files file system, mount targets, access point and runtime into them, and
//! destroy leaves the network exactly as it was, tags included.

use crate::support;

use support::text;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, Filter, IpPermission, ResourceType, Tag, TagSpecification, UserIdGroupPair,
    VpcEndpointType,
};

struct Network {
    vpc: String,
    private_a: String,
    private_b: String,
    isolated: String,
    nfs: String,
}

fn named(kind: ResourceType, name: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .tags(Tag::builder().key("Name").value(name).build())
        .tags(Tag::builder().key("Team").value("platform").build())
        .build()
}

/// The platform team's network, made without agentfs.
async fn make_network(ec2: &aws_sdk_ec2::Client) -> Network {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.30.0.0/16")
        .tag_specifications(named(ResourceType::Vpc, "core-vpc"))
        .send()
        .await
        .unwrap()
        .vpc()
        .and_then(|v| v.vpc_id())
        .unwrap()
        .to_string();
    let on = || AttributeBooleanValue::builder().value(true).build();
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_support(on())
        .send()
        .await
        .unwrap();
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_hostnames(on())
        .send()
        .await
        .unwrap();
    let subnet = |cidr: &'static str, az: &'static str, name: &'static str| {
        let call = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(az)
            .tag_specifications(named(ResourceType::Subnet, name));
        async move {
            call.send()
                .await
                .unwrap()
                .subnet()
                .and_then(|s| s.subnet_id())
                .unwrap()
                .to_string()
        }
    };
    let public_a = subnet("10.30.101.0/24", "us-east-1a", "core-public-a").await;
    let private_a = subnet("10.30.1.0/24", "us-east-1a", "core-private-a").await;
    let private_b = subnet("10.30.2.0/24", "us-east-1b", "core-private-b").await;
    let isolated = subnet("10.30.3.0/24", "us-east-1a", "core-isolated").await;
    let igw = ec2
        .create_internet_gateway()
        .tag_specifications(named(ResourceType::InternetGateway, "core-igw"))
        .send()
        .await
        .unwrap()
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .unwrap()
        .to_string();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let eip = ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .unwrap()
        .allocation_id()
        .unwrap()
        .to_string();
    let nat = ec2
        .create_nat_gateway()
        .subnet_id(&public_a)
        .allocation_id(&eip)
        .tag_specifications(named(ResourceType::Natgateway, "core-nat"))
        .send()
        .await
        .unwrap()
        .nat_gateway()
        .and_then(|n| n.nat_gateway_id())
        .unwrap()
        .to_string();
    let table = |name: &'static str| {
        let call = ec2
            .create_route_table()
            .vpc_id(&vpc)
            .tag_specifications(named(ResourceType::RouteTable, name));
        async move {
            call.send()
                .await
                .unwrap()
                .route_table()
                .and_then(|t| t.route_table_id())
                .unwrap()
                .to_string()
        }
    };
    let public = table("core-public").await;
    let private = table("core-private").await;
    let closed = table("core-isolated").await;
    ec2.create_route()
        .route_table_id(&public)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .unwrap();
    ec2.create_route()
        .route_table_id(&private)
        .destination_cidr_block("0.0.0.0/0")
        .nat_gateway_id(&nat)
        .send()
        .await
        .unwrap();
    for (table, subnet) in [
        (&public, &public_a),
        (&private, &private_a),
        (&private, &private_b),
        (&closed, &isolated),
    ] {
        ec2.associate_route_table()
            .route_table_id(table)
            .subnet_id(subnet)
            .send()
            .await
            .unwrap();
    }
    ec2.create_vpc_endpoint()
        .vpc_id(&vpc)
        .service_name("com.amazonaws.us-east-1.s3")
        .vpc_endpoint_type(VpcEndpointType::Gateway)
        .route_table_ids(&private)
        .tag_specifications(named(ResourceType::VpcEndpoint, "core-s3"))
        .send()
        .await
        .unwrap();
    let nfs = ec2
        .create_security_group()
        .group_name("core-nfs")
        .description("NFS between runtimes and mount targets")
        .vpc_id(&vpc)
        .tag_specifications(named(ResourceType::SecurityGroup, "core-nfs"))
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    ec2.authorize_security_group_ingress()
        .group_id(&nfs)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(2049)
                .to_port(2049)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&nfs).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    Network {
        vpc,
        private_a,
        private_b,
        isolated,
        nfs,
    }
}

/// A full describe of every network resource of the VPC (tags included), to compare.
async fn snapshot(ec2: &aws_sdk_ec2::Client, vpc: &str) -> String {
    let in_vpc = || Filter::builder().name("vpc-id").values(vpc).build();
    let vpcs = ec2.describe_vpcs().vpc_ids(vpc).send().await.unwrap();
    let subnets = ec2.describe_subnets().filters(in_vpc()).send().await.unwrap();
    let tables = ec2.describe_route_tables().filters(in_vpc()).send().await.unwrap();
    let gateways = ec2
        .describe_internet_gateways()
        .filters(Filter::builder().name("attachment.vpc-id").values(vpc).build())
        .send()
        .await
        .unwrap();
    let nats = ec2.describe_nat_gateways().filter(in_vpc()).send().await.unwrap();
    let endpoints = ec2.describe_vpc_endpoints().filters(in_vpc()).send().await.unwrap();
    let groups = ec2.describe_security_groups().filters(in_vpc()).send().await.unwrap();
    let addresses = ec2.describe_addresses().send().await.unwrap();
    let mut subnets: Vec<_> = subnets.subnets().to_vec();
    subnets.sort_by(|a, b| a.subnet_id().cmp(&b.subnet_id()));
    // A subnet's free address count is AWS's bookkeeping, not the subnet: the mount targets
    // and runtime interfaces held addresses while they lived.
    let subnets: Vec<_> = subnets
        .into_iter()
        .map(|s| {
            let mut s = s;
            s.available_ip_address_count = None;
            s
        })
        .collect();
    format!(
        "{:#?}\n{subnets:#?}\n{:#?}\n{:#?}\n{:#?}\n{:#?}\n{:#?}\n{:#?}",
        vpcs.vpcs(),
        tables.route_tables(),
        gateways.internet_gateways(),
        nats.nat_gateways(),
        endpoints.vpc_endpoints(),
        groups.security_groups(),
        addresses.addresses(),
    )
}

/// The snapshot once nothing is pending any more (the NAT gateway and the endpoint take a
/// moment to become available).
async fn settled(ec2: &aws_sdk_ec2::Client, vpc: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let now = snapshot(ec2, vpc).await;
        if !now.contains("\"pending\"") && !now.contains("Pending") {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the network never settled:\n{now}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

const ROLES: &str = r#"
[iam_role.s3files_service]
name = "${stack}-s3files-service-role"
[iam_role.s3files_service.assume_role_policy]
Version = "2012-10-17"
[[iam_role.s3files_service.assume_role_policy.Statement]]
Effect = "Allow"
Principal = { Service = "elasticfilesystem.amazonaws.com" }
Action = "sts:AssumeRole"
Condition = { StringEquals = { "aws:SourceAccount" = "${account_id}" } }
[iam_role.s3files_service.inline_policies.bucket]
Version = "2012-10-17"
[[iam_role.s3files_service.inline_policies.bucket.Statement]]
Effect = "Allow"
Action = ["s3:ListBucket", "s3:GetObject*", "s3:PutObject*"]
Resource = ["${s3_bucket.data.arn}", "${s3_bucket.data.arn}/*"]

[iam_role.runtime]
name = "${stack}-runtime-role"
[iam_role.runtime.assume_role_policy]
Version = "2012-10-17"
[[iam_role.runtime.assume_role_policy.Statement]]
Effect = "Allow"
Principal = { Service = "bedrock-agentcore.amazonaws.com" }
Action = "sts:AssumeRole"
Condition = { StringEquals = { "aws:SourceAccount" = "${account_id}" } }
"#;

/// The agent team's stack: the network by tags (the VPC, subnet a, the NFS group) and by id
/// (subnet b; the group again as a literal id), everything else its own.
fn agent_spec(net: &Network) -> String {
    format!(
        r#"
[stack]
name = "brownagent"
region = "us-east-1"

[vpc.core]
existing = {{ tags = {{ Name = "core-vpc", Team = "platform" }} }}

[subnet.private_a]
existing = {{ tags = {{ Name = "core-private-a" }}, vpc = "core" }}

[subnet.private_b]
existing = {{ id = "{private_b}" }}

[security_group.nfs]
existing = {{ tags = {{ Name = "core-nfs" }}, vpc = "core" }}
{ROLES}
[s3_bucket.data]
name = "${{stack}}-${{account_id}}-${{region}}"
versioning = true
force_destroy = true

[s3files_file_system.data]
bucket = "data"
role = "s3files_service"
accept_bucket_warning = true

[s3files_mount_target.a]
file_system = "data"
subnet = "private_a"
security_groups = ["nfs"]

[s3files_mount_target.b]
file_system = "data"
subnet = "private_b"
security_groups = ["{nfs}"]

[s3files_access_point.agent]
file_system = "data"
posix_user = {{ uid = 1000, gid = 1000 }}
root_directory = {{ path = "/agent", creation_permissions = {{ owner_uid = 1000, owner_gid = 1000, permissions = "0755" }} }}

[agentcore_runtime.agent]
name = "brownagent_agent"
container_uri = "${{account_id}}.dkr.ecr.${{region}}.amazonaws.com/agent:latest"
role = "runtime"
network_mode = "VPC"
subnets = ["private_a", "private_b"]
security_groups = ["nfs"]

[[agentcore_runtime.agent.filesystem]]
s3files_access_point = "agent"
mount_path = "/mnt/data"

[output.subnets]
value = "${{subnet.private_a.availability_zone}} ${{subnet.private_b.availability_zone}}"
"#,
        private_b = net.private_b,
        nfs = net.nfs,
    )
}

fn state_of(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(".agentfs/brownagent.state.json")).expect("a state");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_stack_deploys_into_an_existing_network_and_leaves_it_as_it_was() {
    let emu = support::Emulator::start();
    let config = emu.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let net = make_network(&ec2).await;
    let before = settled(&ec2, &net.vpc).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), agent_spec(&net)).unwrap();

    let out = emu.agentfs(dir.path(), &["plan"]);
    let plan = text(&out);
    assert!(out.status.success(), "plan failed:\n{plan}");
    for read in [
        format!("<= vpc.core  read: {}", net.vpc),
        format!("<= subnet.private_a  read: {}", net.private_a),
        format!("<= subnet.private_b  read: {}", net.private_b),
        format!("<= security_group.nfs  read: {}", net.nfs),
        format!("<= security_group.{}  read: {}  (literal id)", net.nfs, net.nfs),
    ] {
        assert!(plan.contains(&read), "`{read}` missing from the plan:\n{plan}");
    }
    assert!(plan.contains("found by tags Name=core-private-a in vpc.core"), "{plan}");
    assert!(plan.contains("availability_zone = \"us-east-1b\""), "{plan}");
    assert!(plan.contains("Plan: 8 to create, 0 to update"), "{plan}");
    // The lints saw the private subnets' NAT route and S3 endpoint.
    assert!(!plan.contains("agentfs::lint::"), "{plan}");

    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "apply failed:\n{}", text(&out));
    assert!(text(&out).contains("subnets = us-east-1a us-east-1b"), "{}", text(&out));
    let state = state_of(dir.path());
    assert_eq!(state["reads"]["subnet.private_a"]["id"], net.private_a.as_str());
    assert_eq!(state["reads"]["subnet.private_a"]["mode"], "read");
    assert!(
        state["resources"].get("subnet.private_a").is_none(),
        "existing resources are never managed"
    );
    let runtime = &state["resources"]["agentcore_runtime.agent"]["config"];
    assert_eq!(runtime["subnets"], serde_json::json!([net.private_a, net.private_b]));
    assert_eq!(runtime["security_groups"], serde_json::json!([net.nfs]));
    let fs = state["resources"]["s3files_file_system.data"]["id"].as_str().unwrap();
    let s3files = aws_sdk_s3files::Client::new(&config);
    let targets = s3files.list_mount_targets().file_system_id(fs).send().await.unwrap();
    let mut subnets: Vec<&str> = targets.mount_targets().iter().map(|t| t.subnet_id()).collect();
    subnets.sort();
    let mut expected = vec![net.private_a.as_str(), net.private_b.as_str()];
    expected.sort();
    assert_eq!(subnets, expected);

    // A second apply changes nothing.
    let out = emu.agentfs(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["drift"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["state", "list"]);
    assert!(
        text(&out).contains(&format!("subnet.private_a\t{}\tread", net.private_a)),
        "{}",
        text(&out)
    );
    // Never adopted: import refuses an existing address.
    let out = emu.agentfs(
        dir.path(),
        &["import", "agentfs.toml", "subnet.private_a", net.private_a.as_str()],
    );
    assert!(
        !out.status.success() && text(&out).contains("only read, never adopted"),
        "{}",
        text(&out)
    );

    let out = emu.agentfs(dir.path(), &["plan", "--destroy"]);
    assert!(
        text(&out).contains(&format!("<= subnet.private_a  ({})", net.private_a)),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("- subnet.private_a"), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "destroy failed:\n{}", text(&out));
    assert_eq!(snapshot(&ec2, &net.vpc).await, before, "the network changed");
    assert!(!dir.path().join(".agentfs/brownagent.state.json").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn lints_read_an_existing_subnets_routes_at_plan_time() {
    let emu = support::Emulator::start();
    let config = emu.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let net = make_network(&ec2).await;
    // The platform's role and bucket too: a role by its ARN, a bucket by its name.
    let role = aws_sdk_iam::Client::new(&config)
        .create_role()
        .role_name("agent-runtime")
        .path("/platform/")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap()
        .role()
        .map(|r| r.arn().to_string())
        .unwrap();
    aws_sdk_s3::Client::new(&config)
        .create_bucket()
        .bucket("platform-artifacts-bucket")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spec = format!(
        r#"
[stack]
name = "isolated"
region = "us-east-1"

[s3_bucket.artifacts]
existing = {{ name = "platform-artifacts-bucket" }}

[agentcore_runtime.agent]
name = "isolated_agent"
container_uri = "${{account_id}}.dkr.ecr.${{region}}.amazonaws.com/agent:latest"
role = "{role}"
network_mode = "VPC"
subnets = ["{isolated}"]
security_groups = ["{nfs}"]

[output.artifacts]
value = "${{s3_bucket.artifacts.arn}}"
"#,
        isolated = net.isolated,
        nfs = net.nfs,
    );
    std::fs::write(dir.path().join("agentfs.toml"), spec).unwrap();
    // Offline the subnet is unknown: no guess either way.
    let out = emu.agentfs(dir.path(), &["validate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("agentfs::lint::"), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["plan"]);
    assert!(out.status.success(), "{}", text(&out));
    let found = String::from_utf8_lossy(&out.stderr);
    assert!(
        found.contains("warning[agentfs::lint::runtime_no_egress]")
            && found.contains(&format!("existing subnet `{}`", net.isolated)),
        "{found}"
    );
    assert!(found.contains("agentfs::lint::runtime_no_s3_path"), "{found}");
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(
        plan.contains(
            "<= s3_bucket.artifacts  read: platform-artifacts-bucket  (found by name `platform-artifacts-bucket`)"
        ),
        "{plan}"
    );
    assert!(
        plan.contains("artifacts = \"arn:aws:s3:::platform-artifacts-bucket\""),
        "{plan}"
    );
    assert!(
        plan.contains(&format!("arn = {role:?}")),
        "the role, by its ARN:\n{plan}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_resource_that_matches_nothing_or_several_stops_the_plan() {
    let emu = support::Emulator::start();
    let config = emu.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let net = make_network(&ec2).await;
    let dir = tempfile::tempdir().unwrap();
    let spec = |selector: &str| {
        format!(
            "[stack]\nname = \"probe\"\nregion = \"us-east-1\"\n[subnet.x]\nexisting = {selector}\n[security_group.g]\nvpc = \"{vpc}\"\ndescription = \"g\"\n",
            vpc = net.vpc
        )
    };
    std::fs::write(
        dir.path().join("agentfs.toml"),
        spec("{ tags = { Team = \"platform\" } }"),
    )
    .unwrap();
    let out = emu.agentfs(dir.path(), &["plan"]);
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains("existing `subnet.x` (tags Team=platform) matches 4 resources"),
        "{said}"
    );
    assert!(said.contains(&net.private_a) && said.contains(&net.isolated), "{said}");
    std::fs::write(dir.path().join("agentfs.toml"), spec("{ tags = { Name = \"nope\" } }")).unwrap();
    let out = emu.agentfs(dir.path(), &["plan"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("existing `subnet.x` (tags Name=nope) was not found"),
        "{}",
        text(&out)
    );
    std::fs::write(
        dir.path().join("agentfs.toml"),
        spec("{ id = \"subnet-0123456789abcdef0\" }"),
    )
    .unwrap();
    let out = emu.agentfs(dir.path(), &["plan"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("existing `subnet.x` (id `subnet-0123456789abcdef0`) was not found"),
        "{}",
        text(&out)
    );
    // Nothing was made by the refused plans.
    assert!(!dir.path().join(".agentfs/probe.state.json").exists());
}
