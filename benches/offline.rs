//! Offline pipeline speed: load (parse + validate) -> graph -> plan, with no state and no AWS.
//!
//! Inputs: the reference example, and generated specs made of N renamed copies of the
//! reference stack (one VPC per copy), plus a 10-resource network-only spec.
//! Targets from the issue: example < 10 ms, 5,000 resources < 200 ms, growth close to linear.
//!
//! Run: `cargo bench --bench offline` (see benches/README.md).

use std::hint::black_box;
use std::time::Duration;

use agentfs::graph::Graph;
use agentfs::plan;
use agentfs::spec;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const REFERENCE: &str = include_str!("../examples/s3files-runtime.toml");

/// Resources in one copy of the reference stack (`stack_copy`).
const PER_COPY: usize = 26;

/// load -> Graph::from_spec -> plan::compute; returns the number of planned changes.
fn validate_and_plan(text: &str) -> usize {
    let loaded = spec::load(text);
    let spec = loaded.spec.expect("the spec has errors");
    let graph = Graph::from_spec(&spec).expect("the spec has a cycle");
    let plan = plan::compute(&spec, &graph, None, &plan::Context::default()).expect("plan failed");
    plan.changes.len()
}

fn header() -> String {
    "[stack]\nname = \"bench\"\nregion = \"us-east-1\"\n".to_string()
}

/// The network of one copy up to its first route: exactly 10 resources.
fn network_only() -> String {
    let mut text = header();
    let copy = stack_copy(0);
    let cut = copy
        .find("[route_table_association.public_a_0]")
        .expect("template changed");
    text.push_str(&copy[..cut]);
    text
}

/// The reference stack's 26 resources (and two outputs) with every name suffixed by `_{i}`,
/// in its own VPC `10.X.0.0/16`, X = i % 256 (VPCs may overlap each other: subnets are only
/// checked against the other subnets of their VPC). AWS-level names carry `i` too.
fn stack_copy(i: usize) -> String {
    let x = i % 256;
    format!(
        r#"
[vpc.main_{i}]
cidr_block = "10.{x}.0.0/16"
enable_dns_support = true
enable_dns_hostnames = true
tags = {{ Name = "${{stack}}-vpc-{i}" }}

[internet_gateway.igw_{i}]
vpc = "main_{i}"

[subnet.private_a_{i}]
vpc = "main_{i}"
cidr_block = "10.{x}.1.0/24"
az_index = 0

[subnet.private_b_{i}]
vpc = "main_{i}"
cidr_block = "10.{x}.2.0/24"
az_index = 1

[subnet.public_a_{i}]
vpc = "main_{i}"
cidr_block = "10.{x}.101.0/24"
az_index = 0
map_public_ip_on_launch = true

[subnet.public_b_{i}]
vpc = "main_{i}"
cidr_block = "10.{x}.102.0/24"
az_index = 1
map_public_ip_on_launch = true

[elastic_ip.nat_{i}]

[nat_gateway.nat_{i}]
subnet = "public_a_{i}"
elastic_ip = "nat_{i}"
depends_on = ["internet_gateway.igw_{i}"]

[route_table.public_{i}]
vpc = "main_{i}"

[route.public_default_{i}]
route_table = "public_{i}"
destination_cidr_block = "0.0.0.0/0"
internet_gateway = "igw_{i}"

[route_table_association.public_a_{i}]
route_table = "public_{i}"
subnet = "public_a_{i}"

[route_table_association.public_b_{i}]
route_table = "public_{i}"
subnet = "public_b_{i}"

[route_table.private_{i}]
vpc = "main_{i}"

[route.private_default_{i}]
route_table = "private_{i}"
destination_cidr_block = "0.0.0.0/0"
nat_gateway = "nat_{i}"

[route_table_association.private_a_{i}]
route_table = "private_{i}"
subnet = "private_a_{i}"

[route_table_association.private_b_{i}]
route_table = "private_{i}"
subnet = "private_b_{i}"

[security_group.nfs_{i}]
vpc = "main_{i}"
name = "${{stack}}-nfs-{i}"
description = "NFS between the AgentCore runtime and S3 Files mount targets"

[[security_group.nfs_{i}.ingress]]
protocol = "tcp"
from_port = 2049
to_port = 2049
self = true

[vpc_endpoint.s3_{i}]
vpc = "main_{i}"
service = "s3"
route_tables = ["private_{i}"]

[iam_role.s3files_service_{i}]
name = "${{stack}}-s3files-service-role-{i}"

[iam_role.s3files_service_{i}.assume_role_policy]
Version = "2012-10-17"

[[iam_role.s3files_service_{i}.assume_role_policy.Statement]]
Effect = "Allow"
Principal = {{ Service = "elasticfilesystem.amazonaws.com" }}
Action = "sts:AssumeRole"
Condition = {{ StringEquals = {{ "aws:SourceAccount" = "${{account_id}}" }}, ArnLike = {{ "aws:SourceArn" = "arn:aws:s3files:${{region}}:${{account_id}}:file-system/*" }} }}

[iam_role.s3files_service_{i}.inline_policies.s3files-bucket-access]
Version = "2012-10-17"

[[iam_role.s3files_service_{i}.inline_policies.s3files-bucket-access.Statement]]
Effect = "Allow"
Action = ["s3:ListBucket", "s3:ListBucketVersions"]
Resource = "${{s3_bucket.data_{i}.arn}}"
Condition = {{ StringEquals = {{ "aws:ResourceAccount" = "${{account_id}}" }} }}

[[iam_role.s3files_service_{i}.inline_policies.s3files-bucket-access.Statement]]
Effect = "Allow"
Action = ["s3:AbortMultipartUpload", "s3:DeleteObject*", "s3:GetObject*", "s3:List*", "s3:PutObject*"]
Resource = "${{s3_bucket.data_{i}.arn}}/*"
Condition = {{ StringEquals = {{ "aws:ResourceAccount" = "${{account_id}}" }} }}

[iam_role.runtime_{i}]
name = "${{stack}}-runtime-role-{i}"

[iam_role.runtime_{i}.assume_role_policy]
Version = "2012-10-17"

[[iam_role.runtime_{i}.assume_role_policy.Statement]]
Effect = "Allow"
Principal = {{ Service = "bedrock-agentcore.amazonaws.com" }}
Action = "sts:AssumeRole"
Condition = {{ StringEquals = {{ "aws:SourceAccount" = "${{account_id}}" }} }}

[iam_role.runtime_{i}.inline_policies.s3files-client]
Version = "2012-10-17"

[[iam_role.runtime_{i}.inline_policies.s3files-client.Statement]]
Effect = "Allow"
Action = ["s3files:ClientMount", "s3files:ClientWrite"]
Resource = "${{s3files_file_system.data_{i}.arn}}"

[s3_bucket.data_{i}]
name = "${{stack}}-{i}-${{account_id}}-${{region}}"
versioning = true
force_destroy = true

[s3files_file_system.data_{i}]
bucket = "data_{i}"
role = "s3files_service_{i}"
accept_bucket_warning = true

[s3files_mount_target.a_{i}]
file_system = "data_{i}"
subnet = "private_a_{i}"
security_groups = ["nfs_{i}"]

[s3files_mount_target.b_{i}]
file_system = "data_{i}"
subnet = "private_b_{i}"
security_groups = ["nfs_{i}"]

[s3files_access_point.agent_{i}]
file_system = "data_{i}"
posix_user = {{ uid = 1000, gid = 1000 }}
root_directory = {{ path = "/agent", creation_permissions = {{ owner_uid = 1000, owner_gid = 1000, permissions = "0755" }} }}

[agentcore_runtime.agent_{i}]
name = "bench_agent_{i}"
container_uri = "${{account_id}}.dkr.ecr.${{region}}.amazonaws.com/bench-agent:latest"
role = "runtime_{i}"
network_mode = "VPC"
subnets = ["private_a_{i}", "private_b_{i}"]
security_groups = ["nfs_{i}"]
environment_variables = {{ WORKSPACE = "/mnt/data" }}

[[agentcore_runtime.agent_{i}.filesystem]]
s3files_access_point = "agent_{i}"
mount_path = "/mnt/data"

[output.runtime_arn_{i}]
value = "${{agentcore_runtime.agent_{i}.arn}}"

[output.bucket_name_{i}]
value = "${{s3_bucket.data_{i}.name}}"
"#
    )
}

/// A spec of about `resources` resources: whole copies of the reference stack.
fn generated(resources: usize) -> String {
    if resources <= 10 {
        return network_only();
    }
    let copies = resources.div_ceil(PER_COPY);
    let mut text = header();
    for i in 0..copies {
        text.push_str(&stack_copy(i));
    }
    text
}

/// Every input must validate without errors (or warnings) and plan every resource.
fn check_inputs(inputs: &[(String, String)]) {
    for (name, text) in inputs {
        let loaded = spec::load(text);
        let shown: Vec<String> = loaded
            .diagnostics
            .iter()
            .take(5)
            .map(|d| format!("{}: {} ({:?})", d.code, d.message, d.field))
            .collect();
        assert!(loaded.diagnostics.is_empty(), "{name}: {shown:#?}");
    }
}

fn offline(c: &mut Criterion) {
    let mut inputs = vec![("reference".to_string(), REFERENCE.to_string())];
    for size in [10, 100, 1000, 5000] {
        inputs.push((format!("generated-{size}"), generated(size)));
    }
    check_inputs(&inputs);

    let mut group = c.benchmark_group("validate_plan");
    group.warm_up_time(Duration::from_millis(500));
    for (name, text) in &inputs {
        let resources = validate_and_plan(text);
        let big = resources > 500;
        group.sample_size(if big { 10 } else { 30 });
        group.measurement_time(Duration::from_secs(if big { 8 } else { 3 }));
        group.throughput(Throughput::Elements(resources as u64));
        group.bench_with_input(BenchmarkId::new(name.as_str(), resources), text, |b, text| {
            b.iter(|| validate_and_plan(black_box(text)))
        });
    }
    group.finish();

    // Where the time goes for the largest spec: load (parse + validate) alone.
    let mut group = c.benchmark_group("load_only");
    group.warm_up_time(Duration::from_millis(500));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    let (_, largest) = inputs.last().expect("inputs");
    group.bench_function("generated-5000", |b| {
        b.iter(|| spec::load(black_box(largest)).diagnostics.len())
    });
    group.finish();
}

criterion_group!(benches, offline);
criterion_main!(benches);
