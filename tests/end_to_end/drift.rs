//! `agentfs drift` against the emulator: each kind of hand-made change is found, named by
//! resource and attribute, repaired by apply; and the check costs at most one API call per
//! managed resource.

use crate::support;

use support::text;

use std::path::Path;

use aws_config::BehaviorVersion;
use serde_json::Value;

const REFERENCE: &str = include_str!("../../examples/s3files-runtime.toml");
const MANAGED: usize = 26;

fn drift_json(emu: &support::Emulator, dir: &Path) -> (Option<i32>, Value) {
    let out = emu.agentfs(dir, &["drift", "--json"]);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    (out.status.code(), report)
}

/// `(address, drift kind, attribute paths)` of every drifted resource.
fn findings(report: &Value) -> Vec<(String, String, Vec<String>)> {
    report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let paths = r["attributes"]
                .as_array()
                .map(|a| a.iter().map(|x| x["path"].as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (
                r["address"].as_str().unwrap().to_string(),
                r["drift"].as_str().unwrap().to_string(),
                paths,
            )
        })
        .collect()
}

fn tag_filter(stack: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name("tag:agentfs:stack")
        .values(stack)
        .build()
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_is_found_named_repaired_and_cheap() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), REFERENCE).unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));

    let before = emu.calls().as_array().unwrap().len();
    let (code, report) = drift_json(&emu, dir.path());
    let calls = emu.calls().as_array().unwrap().len() - before;
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["checked"], MANAGED);
    // One STS call finds the account; the rest are the reads.
    let per_resource = calls as f64 / MANAGED as f64;
    println!(
        "drift on the reference stack: {calls} API calls for {MANAGED} resources = {per_resource:.2} per resource"
    );
    assert!(per_resource <= 1.0, "{calls} calls for {MANAGED} resources");
    let out = emu.agentfs(dir.path(), &["drift"]);
    assert!(text(&out).contains("No drift"), "{}", text(&out));

    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emu.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let iam = aws_sdk_iam::Client::new(&config);
    let bucket = "fsverify-123456789012-us-east-1";
    let subnets = ec2
        .describe_subnets()
        .filters(tag_filter("fsverify"))
        .send()
        .await
        .unwrap();
    let private_a = subnets
        .subnets()
        .iter()
        .find(|s| s.cidr_block() == Some("10.20.1.0/24"))
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string();
    let sg = ec2
        .describe_security_groups()
        .filters(tag_filter("fsverify"))
        .send()
        .await
        .unwrap()
        .security_groups()[0]
        .group_id()
        .unwrap()
        .to_string();
    let private_table = ec2
        .describe_route_tables()
        .filters(tag_filter("fsverify"))
        .send()
        .await
        .unwrap()
        .route_tables()
        .iter()
        .find(|t| t.tags().iter().any(|tag| tag.value() == Some("fsverify-private")))
        .unwrap()
        .route_table_id()
        .unwrap()
        .to_string();

    // Each change behind agentfs's back, and the (resource, attribute) it must be reported as.
    let cases: Vec<(&str, &str, &str)> = vec![
        ("encryption removed", "s3_bucket.data", "encryption"),
        ("public IP flag flipped", "subnet.private_a", "map_public_ip_on_launch"),
        ("SG rule added", "security_group.nfs", "ingress[1]"),
        (
            "inline policy added",
            "iam_role.runtime",
            "inline_policies.added-by-hand",
        ),
        ("tag changed", "subnet.private_a", "tags.Name"),
        ("route deleted", "route.private_default", ""),
        ("trust policy edited", "iam_role.runtime", "assume_role_policy"),
        ("runtime file system unmounted", "agentcore_runtime.agent", "filesystem"),
    ];
    for (what, address, attribute) in cases {
        match what {
            "encryption removed" => {
                s3.delete_bucket_encryption().bucket(bucket).send().await.unwrap();
            }
            "public IP flag flipped" => {
                let on = aws_sdk_ec2::types::AttributeBooleanValue::builder().value(true).build();
                ec2.modify_subnet_attribute()
                    .subnet_id(&private_a)
                    .map_public_ip_on_launch(on)
                    .send()
                    .await
                    .unwrap();
            }
            "SG rule added" => {
                ec2.authorize_security_group_ingress()
                    .group_id(&sg)
                    .ip_protocol("tcp")
                    .from_port(22)
                    .to_port(22)
                    .cidr_ip("0.0.0.0/0")
                    .send()
                    .await
                    .unwrap();
            }
            "inline policy added" => {
                let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
                iam.put_role_policy()
                    .role_name("fsverify-runtime-role")
                    .policy_name("added-by-hand")
                    .policy_document(doc)
                    .send()
                    .await
                    .unwrap();
            }
            "tag changed" => {
                let tag = aws_sdk_ec2::types::Tag::builder().key("Name").value("renamed").build();
                ec2.create_tags().resources(&private_a).tags(tag).send().await.unwrap();
            }
            "route deleted" => {
                ec2.delete_route()
                    .route_table_id(&private_table)
                    .destination_cidr_block("0.0.0.0/0")
                    .send()
                    .await
                    .unwrap();
            }
            "trust policy edited" => {
                let open = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
                iam.update_assume_role_policy()
                    .role_name("fsverify-runtime-role")
                    .policy_document(open)
                    .send()
                    .await
                    .unwrap();
            }
            "runtime file system unmounted" => {
                let agentcore = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
                let id = agentcore.list_agent_runtimes().send().await.unwrap().agent_runtimes()[0]
                    .agent_runtime_id()
                    .to_string();
                let runtime = agentcore
                    .get_agent_runtime()
                    .agent_runtime_id(&id)
                    .send()
                    .await
                    .unwrap();
                agentcore
                    .update_agent_runtime()
                    .agent_runtime_id(&id)
                    .set_agent_runtime_artifact(runtime.agent_runtime_artifact().cloned())
                    .role_arn(runtime.role_arn())
                    .set_network_configuration(runtime.network_configuration().cloned())
                    .set_filesystem_configurations(Some(Vec::new()))
                    .send()
                    .await
                    .unwrap();
                // Wait for the update to settle, as a person would before looking.
                for _ in 0..100 {
                    let now = agentcore
                        .get_agent_runtime()
                        .agent_runtime_id(&id)
                        .send()
                        .await
                        .unwrap();
                    if now.status().as_str() == "READY" {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
            _ => unreachable!(),
        }
        let (code, report) = drift_json(&emu, dir.path());
        assert_eq!(code, Some(2), "{what}: {report:#}");
        let found = findings(&report);
        assert_eq!(found.len(), 1, "{what}: exactly one resource drifts: {found:?}");
        let (found_address, kind, paths) = &found[0];
        assert_eq!(found_address, address, "{what}");
        if attribute.is_empty() {
            assert_eq!(kind, "deleted", "{what}");
        } else {
            assert!(paths.iter().any(|p| p.starts_with(attribute)), "{what}: {paths:?}");
        }
        let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
        assert!(out.status.success(), "{what}: repair failed: {}", text(&out));
        let (code, report) = drift_json(&emu, dir.path());
        assert_eq!(code, Some(0), "{what}: still drifting after apply: {report:#}");
    }
    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_records_live_values_without_changing_aws() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), REFERENCE).unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emu.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpc = ec2
        .describe_vpcs()
        .filters(tag_filter("fsverify"))
        .send()
        .await
        .unwrap()
        .vpcs()[0]
        .vpc_id()
        .unwrap()
        .to_string();
    let tag = aws_sdk_ec2::types::Tag::builder().key("owner").value("ops").build();
    ec2.create_tags().resources(&vpc).tags(tag).send().await.unwrap();

    let before = emu.calls().as_array().unwrap().len();
    let out = emu.agentfs(dir.path(), &["refresh"]);
    assert!(
        out.status.success() && text(&out).contains("1 changed"),
        "{}",
        text(&out)
    );
    let calls = emu.calls();
    let writes: Vec<&str> = calls.as_array().unwrap()[before..]
        .iter()
        .filter_map(|c| c["operation"].as_str())
        .filter(|op| !["Describe", "Get", "List", "Head"].iter().any(|p| op.starts_with(p)))
        .collect();
    assert!(writes.is_empty(), "refresh wrote: {writes:?}");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(".agentfs/fsverify.state.json")).unwrap())
            .unwrap();
    assert_eq!(state["resources"]["vpc.main"]["config"]["tags"]["owner"], "ops");
}
