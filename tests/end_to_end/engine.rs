//! End to end against the emulator with its AWS-like delays: the agentfs binary applies
//! the reference stack, a second apply changes nothing, destroy leaves nothing, and a
//! killed apply is completed by the next one without duplicates. Every property is read
//! back through the AWS SDK, not through agentfs's own state.

use crate::support;

use support::text;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REFERENCE: &str = include_str!("../../examples/s3files-runtime.toml");

fn tag_filter(stack: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name("tag:agentfs:stack")
        .values(stack)
        .build()
}

/// Live counts of what the stack owns, found by tag (plus roles and buckets by name).
async fn live_counts(config: &aws_config::SdkConfig, stack: &str) -> [usize; 7] {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let vpcs = ec2
        .describe_vpcs()
        .filters(tag_filter(stack))
        .send()
        .await
        .unwrap()
        .vpcs()
        .len();
    let subnets = ec2
        .describe_subnets()
        .filters(tag_filter(stack))
        .send()
        .await
        .unwrap()
        .subnets()
        .len();
    let nats = ec2
        .describe_nat_gateways()
        .filter(tag_filter(stack))
        .send()
        .await
        .unwrap()
        .nat_gateways()
        .iter()
        .filter(|n| n.state().is_some_and(|s| s.as_str() != "deleted"))
        .count();
    let eips = ec2
        .describe_addresses()
        .filters(tag_filter(stack))
        .send()
        .await
        .unwrap()
        .addresses()
        .len();
    let sgs = ec2
        .describe_security_groups()
        .filters(tag_filter(stack))
        .send()
        .await
        .unwrap()
        .security_groups()
        .len();
    let fs = aws_sdk_s3files::Client::new(config)
        .list_file_systems()
        .send()
        .await
        .unwrap()
        .file_systems()
        .len();
    let runtimes = aws_sdk_bedrockagentcorecontrol::Client::new(config)
        .list_agent_runtimes()
        .send()
        .await
        .unwrap()
        .agent_runtimes()
        .len();
    [vpcs, subnets, nats, eips, sgs, fs, runtimes]
}

fn is_write(operation: &str) -> bool {
    !["Describe", "Get", "List", "Head"]
        .iter()
        .any(|p| operation.starts_with(p))
}

#[tokio::test(flavor = "multi_thread")]
async fn reference_stack_applies_exactly_is_stable_and_destroys_cleanly() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), REFERENCE).unwrap();

    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "apply failed:\n{}", text(&out));
    assert!(
        text(&out).contains("runtime_arn = arn:aws:bedrock-agentcore:us-east-1:"),
        "{}",
        text(&out)
    );

    let config = emu.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpc = &ec2
        .describe_vpcs()
        .filters(tag_filter("fsverify"))
        .send()
        .await
        .unwrap()
        .vpcs()[0]
        .clone();
    assert_eq!(vpc.cidr_block(), Some("10.20.0.0/16"));
    let vpc_id = vpc.vpc_id().unwrap();
    for attribute in [
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport,
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames,
    ] {
        let attr = ec2
            .describe_vpc_attribute()
            .vpc_id(vpc_id)
            .attribute(attribute.clone())
            .send()
            .await
            .unwrap();
        let on = attr
            .enable_dns_support()
            .or(attr.enable_dns_hostnames())
            .and_then(|v| v.value());
        assert_eq!(on, Some(true), "{attribute:?}");
    }
    let subnets = ec2
        .describe_subnets()
        .filters(tag_filter("fsverify"))
        .send()
        .await
        .unwrap();
    let mut layout: Vec<(String, bool)> = subnets
        .subnets()
        .iter()
        .map(|s| {
            (
                s.cidr_block().unwrap().to_string(),
                s.map_public_ip_on_launch().unwrap_or(false),
            )
        })
        .collect();
    layout.sort();
    assert_eq!(
        layout,
        [
            ("10.20.1.0/24", false),
            ("10.20.101.0/24", true),
            ("10.20.102.0/24", true),
            ("10.20.2.0/24", false)
        ]
        .map(|(c, p)| (c.to_string(), p))
    );
    let groups = ec2
        .describe_security_groups()
        .filters(tag_filter("fsverify"))
        .send()
        .await
        .unwrap();
    let sg = &groups.security_groups()[0];
    let nfs = &sg.ip_permissions()[0];
    assert_eq!((nfs.from_port(), nfs.to_port()), (Some(2049), Some(2049)));
    assert_eq!(nfs.user_id_group_pairs()[0].group_id(), sg.group_id());
    let endpoints = ec2
        .describe_vpc_endpoints()
        .filters(tag_filter("fsverify"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        endpoints.vpc_endpoints()[0].service_name(),
        Some("com.amazonaws.us-east-1.s3")
    );

    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let bucket = "fsverify-123456789012-us-east-1";
    let versioning = s3.get_bucket_versioning().bucket(bucket).send().await.unwrap();
    assert_eq!(versioning.status().map(|s| s.as_str()), Some("Enabled"));

    let iam = aws_sdk_iam::Client::new(&config);
    let role = iam.get_role().role_name("fsverify-runtime-role").send().await.unwrap();
    assert!(role.role().unwrap().arn().ends_with(":role/fsverify-runtime-role"));
    let policies = iam
        .list_role_policies()
        .role_name("fsverify-runtime-role")
        .send()
        .await
        .unwrap();
    assert_eq!(policies.policy_names().len(), 4);

    let s3files = aws_sdk_s3files::Client::new(&config);
    let fs = &s3files.list_file_systems().send().await.unwrap().file_systems()[0].clone();
    let fs_id = fs.file_system_id();
    let targets = s3files.list_mount_targets().file_system_id(fs_id).send().await.unwrap();
    assert_eq!(targets.mount_targets().len(), 2);
    let aps = s3files.list_access_points().file_system_id(fs_id).send().await.unwrap();
    let ap = s3files
        .get_access_point()
        .access_point_id(aps.access_points()[0].access_point_id())
        .send()
        .await
        .unwrap();
    assert_eq!(ap.posix_user().map(|u| (u.uid(), u.gid())), Some((1000, 1000)));
    assert_eq!(ap.root_directory().and_then(|r| r.path()), Some("/agent"));

    let agentcore = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let listed = agentcore.list_agent_runtimes().send().await.unwrap();
    let runtime = agentcore
        .get_agent_runtime()
        .agent_runtime_id(listed.agent_runtimes()[0].agent_runtime_id())
        .send()
        .await
        .unwrap();
    assert_eq!(runtime.status().as_str(), "READY");
    let mount = runtime.filesystem_configurations()[0]
        .as_s3_files_access_point()
        .unwrap();
    assert_eq!(mount.mount_path(), "/mnt/data");
    assert_eq!(live_counts(&config, "fsverify").await, [1, 4, 1, 1, 1, 1, 1]);

    // A second apply: no changes, and not a single write call.
    let before = emu.calls().as_array().unwrap().len();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(
        out.status.success() && text(&out).contains("No changes"),
        "{}",
        text(&out)
    );
    let calls = emu.calls();
    let writes: Vec<&str> = calls.as_array().unwrap()[before..]
        .iter()
        .filter_map(|c| c["operation"].as_str())
        .filter(|op| is_write(op))
        .collect();
    assert!(writes.is_empty(), "second apply wrote: {writes:?}");

    let out = emu.agentfs(dir.path(), &["output", "vpc_id"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), vpc_id);

    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "destroy failed:\n{}", text(&out));
    assert_eq!(live_counts(&config, "fsverify").await, [0; 7]);
    assert!(iam.get_role().role_name("fsverify-runtime-role").send().await.is_err());
    assert!(s3.head_bucket().bucket(bucket).send().await.is_err());
    assert!(!dir.path().join(".agentfs/fsverify.state.json").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_apply_is_completed_by_the_next_without_duplicates() {
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 0.5}}"#);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), REFERENCE).unwrap();
    let state = dir.path().join(".agentfs/fsverify.state.json");

    // Kill -9 at several points: once the state records 3, 10 and 20 resources.
    for records in [3, 10, 20] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_agentfs"))
            .args(["apply", "--auto-approve", "--output", "plain"])
            .current_dir(dir.path())
            .envs(emu.env())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            let recorded = std::fs::read_to_string(&state)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
            let count = recorded
                .as_ref()
                .and_then(|s| s["resources"].as_object().map(|r| r.len()))
                .unwrap_or(0);
            if count >= records || child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        // The killed process cannot release its lock.
        let lock = dir.path().join(".agentfs/fsverify.lock");
        if lock.exists() {
            let info: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
            let out = emu.agentfs(dir.path(), &["force-unlock", info["id"].as_str().unwrap()]);
            assert!(out.status.success(), "{}", text(&out));
        }
    }
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "resumed apply failed:\n{}", text(&out));
    let config = emu.sdk_config().await;
    assert_eq!(live_counts(&config, "fsverify").await, [1, 4, 1, 1, 1, 1, 1]);

    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "destroy failed:\n{}", text(&out));
    assert_eq!(live_counts(&config, "fsverify").await, [0; 7]);
}

/// Applies `spec` in a fresh directory and returns it.
fn applied(emu: &support::Emulator, spec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), spec).unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "apply failed:\n{}", text(&out));
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_update_in_place_replace_and_delete() {
    let emu = support::Emulator::start();
    let dir = applied(&emu, REFERENCE);
    let changed = REFERENCE
        .replace(
            "tags = { Name = \"${stack}-vpc\" }",
            "tags = { Name = \"${stack}-vpc\", team = \"agents\" }",
        )
        .replace("10.20.102.0/24", "10.20.103.0/24");
    let start = changed.find("[vpc_endpoint.s3]").unwrap();
    let end = changed
        .find("# ---------------------------------------------------------------- identity")
        .unwrap();
    let changed = format!("{}{}", &changed[..start], &changed[end..]);
    std::fs::write(dir.path().join("agentfs.toml"), &changed).unwrap();

    let out = emu.agentfs(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let plan = text(&out);
    for line in [
        "~ vpc.main",
        "-/+ subnet.public_b",
        "-/+ route_table_association.public_b",
        "- vpc_endpoint.s3",
    ] {
        assert!(plan.contains(line), "plan lacks `{line}`:\n{plan}");
    }
    assert!(plan.contains("cidr_block cannot change in place"), "{plan}");

    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "apply failed:\n{}", text(&out));
    let config = emu.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpc = ec2
        .describe_vpcs()
        .filters(tag_filter("fsverify"))
        .send()
        .await
        .unwrap()
        .vpcs()[0]
        .clone();
    assert!(
        vpc.tags()
            .iter()
            .any(|t| t.key() == Some("team") && t.value() == Some("agents"))
    );
    let subnets = ec2
        .describe_subnets()
        .filters(tag_filter("fsverify"))
        .send()
        .await
        .unwrap();
    let cidrs: Vec<&str> = subnets.subnets().iter().filter_map(|s| s.cidr_block()).collect();
    assert_eq!(cidrs.len(), 4);
    assert!(
        cidrs.contains(&"10.20.103.0/24") && !cidrs.contains(&"10.20.102.0/24"),
        "{cidrs:?}"
    );
    let new_subnet = subnets
        .subnets()
        .iter()
        .find(|s| s.cidr_block() == Some("10.20.103.0/24"))
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string();
    let tables = ec2
        .describe_route_tables()
        .filters(tag_filter("fsverify"))
        .send()
        .await
        .unwrap();
    let associated: Vec<&str> = tables
        .route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .filter_map(|a| a.subnet_id())
        .collect();
    assert!(associated.contains(&new_subnet.as_str()), "{associated:?}");
    assert!(
        ec2.describe_vpc_endpoints()
            .filters(tag_filter("fsverify"))
            .send()
            .await
            .unwrap()
            .vpc_endpoints()
            .is_empty()
    );

    let out = emu.agentfs(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(live_counts(&config, "fsverify").await, [0; 7]);
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_stops_cleanly_on_lingering_runtime_interfaces_and_finishes_later() {
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 0.2}, "runtime_eni_linger_seconds": 8}"#);
    let dir = applied(&emu, REFERENCE);
    let out = emu.agentfs(
        dir.path(),
        &["destroy", "--auto-approve", "--output", "plain", "--blocked-wait", "1s"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let message = text(&out);
    assert!(
        message.contains("DependencyViolation") && message.contains("agentfs destroy` again later"),
        "{message}"
    );

    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(".agentfs/fsverify.state.json")).unwrap())
            .unwrap();
    let mut left: Vec<&str> = state["resources"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["security_group.nfs", "subnet.private_a", "subnet.private_b", "vpc.main"]
    );
    let config = emu.sdk_config().await;
    let [_, _, nats, eips, _, fs, runtimes] = live_counts(&config, "fsverify").await;
    assert_eq!([nats, eips, fs, runtimes], [0; 4]);

    tokio::time::sleep(Duration::from_secs(8)).await;
    let out = emu.agentfs(
        dir.path(),
        &["destroy", "--auto-approve", "--output", "plain", "--blocked-wait", "1m"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(live_counts(&config, "fsverify").await, [0; 7]);
}

#[tokio::test(flavor = "multi_thread")]
async fn non_empty_versioned_bucket_needs_force_destroy() {
    let emu = support::Emulator::start();
    let spec = "[stack]\nname = \"bucketonly\"\nregion = \"us-east-1\"\n\n[s3_bucket.data]\nname = \"${stack}-${account_id}-${region}\"\nversioning = true\n";
    let dir = applied(&emu, spec);
    let config = emu.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let bucket = "bucketonly-123456789012-us-east-1";
    s3.put_object()
        .bucket(bucket)
        .key("notes.txt")
        .body(b"kept".to_vec().into())
        .send()
        .await
        .unwrap();

    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("force_destroy = true"), "{}", text(&out));
    assert!(s3.head_bucket().bucket(bucket).send().await.is_ok());

    std::fs::write(
        dir.path().join("agentfs.toml"),
        spec.replace("versioning = true\n", "versioning = true\nforce_destroy = true\n"),
    )
    .unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(s3.head_bucket().bucket(bucket).send().await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn efs_and_session_storage_examples_apply_and_destroy() {
    let emu = support::Emulator::start();
    let config = emu.sdk_config().await;
    for (spec, stack, counts) in [
        (
            include_str!("../../examples/efs-runtime.toml"),
            "efsverify",
            [1, 4, 1, 1, 1, 0, 1],
        ),
        (
            include_str!("../../examples/session-storage.toml"),
            "sessverify",
            [0, 0, 0, 0, 0, 0, 1],
        ),
    ] {
        let dir = applied(&emu, spec);
        assert_eq!(live_counts(&config, stack).await, counts, "{stack}");
        let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(live_counts(&config, stack).await, [0; 7], "{stack}");
    }
}

/// The private example (no NAT; a memory, a gateway and its target beside the runtime)
/// applies, is what the SDK reads back, shows no drift, and destroys leaving nothing.
#[tokio::test(flavor = "multi_thread")]
async fn private_agent_example_applies_without_drift_and_destroys() {
    let emu = support::Emulator::start();
    let config = emu.sdk_config().await;
    let dir = applied(&emu, include_str!("../../examples/private-agent.toml"));
    let agentcore = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let ec2 = aws_sdk_ec2::Client::new(&config);

    let nats = ec2.describe_nat_gateways().send().await.unwrap();
    assert!(nats.nat_gateways().is_empty(), "the private stack has no NAT gateway");
    let memories = agentcore.list_memories().send().await.unwrap();
    let [memory] = memories.memories() else {
        panic!("one memory expected: {memories:?}")
    };
    let memory = agentcore
        .get_memory()
        .memory_id(memory.id().unwrap())
        .send()
        .await
        .unwrap()
        .memory
        .unwrap();
    assert_eq!(memory.name(), "privagent_memory");
    assert_eq!(memory.event_expiry_duration(), 30);
    let mut strategies: Vec<&str> = memory.strategies().iter().map(|s| s.name()).collect();
    strategies.sort();
    assert_eq!(strategies, ["facts", "preferences", "summaries"]);
    let gateways = agentcore.list_gateways().send().await.unwrap();
    let [gateway] = gateways.items() else {
        panic!("one gateway expected: {gateways:?}")
    };
    assert_eq!(gateway.name(), "privagent-tools");
    let targets = agentcore
        .list_gateway_targets()
        .gateway_identifier(gateway.gateway_id())
        .send()
        .await
        .unwrap();
    assert_eq!(targets.items().len(), 1);
    let runtimes = agentcore.list_agent_runtimes().send().await.unwrap();
    let runtime = agentcore
        .get_agent_runtime()
        .agent_runtime_id(runtimes.agent_runtimes()[0].agent_runtime_id())
        .send()
        .await
        .unwrap();
    let env = runtime.environment_variables().unwrap();
    assert_eq!(env["MEMORY_ID"], memory.id());
    assert!(env["GATEWAY_URL"].starts_with(&format!("https://{}.", gateway.gateway_id())));

    let out = emu.agentfs(dir.path(), &["drift"]);
    assert_eq!(out.status.code(), Some(0), "drift after apply:\n{}", text(&out));
    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let left = &emu.inventory()["123456789012"]["us-east-1"]["bedrock-agentcore-control"];
    for kind in ["memories", "gateways", "gateway_targets", "agent_runtimes"] {
        assert_eq!(left[kind], serde_json::json!([]), "{kind} left after destroy");
    }
    assert_eq!(live_counts(&config, "privagent").await, [0; 7]);
    // All that stays is the key, pending deletion for its window; its log group is gone.
    let kms = aws_sdk_kms::Client::new(&config);
    let keys = kms.list_keys().send().await.unwrap();
    let [key] = keys.keys() else {
        panic!("one key expected: {keys:?}")
    };
    let key = kms.describe_key().key_id(key.key_id().unwrap()).send().await.unwrap();
    assert_eq!(
        key.key_metadata().unwrap().key_state(),
        Some(&aws_sdk_kms::types::KeyState::PendingDeletion)
    );
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/agents/")
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty(), "{groups:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn prevent_destroy_refuses_destroy_and_removal() {
    let emu = support::Emulator::start();
    let spec = "[stack]\nname = \"kept\"\nregion = \"us-east-1\"\n\n[vpc.main]\ncidr_block = \"10.9.0.0/16\"\nlifecycle = { prevent_destroy = true }\n";
    let dir = applied(&emu, spec);
    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("prevent_destroy"), "{}", text(&out));
    std::fs::write(
        dir.path().join("agentfs.toml"),
        "[stack]\nname = \"kept\"\nregion = \"us-east-1\"\n",
    )
    .unwrap();
    let out = emu.agentfs(dir.path(), &["plan"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("vpc.main` has lifecycle.prevent_destroy"),
        "{}",
        text(&out)
    );
    let config = emu.sdk_config().await;
    assert_eq!(live_counts(&config, "kept").await[0], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_unavailability_and_iam_propagation_do_not_break_apply_or_destroy() {
    let emu = support::Emulator::start_with(
        r#"{"delays": {"*": 0.2}, "throttle_rate": 0.2, "unavailable_rate": 0.05, "fault_seed": 11, "iam_propagation_seconds": 20}"#,
    );
    let dir = applied(&emu, REFERENCE);
    let config = emu.sdk_config().await;
    emu.configure(r#"{"throttle_rate": 0, "unavailable_rate": 0}"#);
    assert_eq!(live_counts(&config, "fsverify").await, [1, 4, 1, 1, 1, 1, 1]);
    emu.configure(r#"{"throttle_rate": 0.2, "unavailable_rate": 0.05}"#);
    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "destroy failed:\n{}", text(&out));
    let calls = emu.calls();
    let faulted = calls
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["faulted"].is_null())
        .count();
    println!(
        "faults injected and retried: {faulted} of {} calls",
        calls.as_array().unwrap().len()
    );
    assert!(faulted > 10, "the fault knobs did not fire ({faulted})");
    emu.configure(r#"{"throttle_rate": 0, "unavailable_rate": 0}"#);
    assert_eq!(live_counts(&config, "fsverify").await, [0; 7]);
}

#[tokio::test(flavor = "multi_thread")]
async fn saved_plan_applies_exactly_and_goes_stale_when_state_moves() {
    let emu = support::Emulator::start();
    let spec = "[stack]\nname = \"saved\"\nregion = \"us-east-1\"\n\n[vpc.main]\ncidr_block = \"10.8.0.0/16\"\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), spec).unwrap();
    let out = emu.agentfs(dir.path(), &["plan", "-o", "first.json"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["apply", "first.json", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    std::fs::write(
        dir.path().join("agentfs.toml"),
        spec.replace("[vpc.main]", "[vpc.main]\ntags = { team = \"a\" }"),
    )
    .unwrap();
    let out = emu.agentfs(dir.path(), &["plan", "-o", "second.json"]);
    assert!(out.status.success(), "{}", text(&out));
    std::fs::write(
        dir.path().join("agentfs.toml"),
        spec.replace("[vpc.main]", "[vpc.main]\ntags = { team = \"b\" }"),
    )
    .unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["apply", "second.json", "--output", "plain"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("state changed since this plan was made"),
        "{}",
        text(&out)
    );
}
