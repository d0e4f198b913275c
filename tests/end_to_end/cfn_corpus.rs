//! `agentfs convert` on public CloudFormation templates (`tests/cfn/corpus/`, sources and
//! licences in its SOURCES.md): every one converts with `--partial` into a spec that
//! validates once its variables are given; those whose types agentfs all manages convert
//! without `--partial`, and apply on the emulator with the template's properties (read back
//! through the AWS SDK, and by `drift`, which reads every resource), then destroy.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The corpus templates whose every resource type agentfs manages.
const FULL: &[&str] = &[
    "agentcore-ecs-agent-network.yaml",
    "agentcore-efs-coding-agent-vpc.yaml",
    "cfn-vpc-findinmap-azs.yaml",
];

fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cfn/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    files.sort();
    files
}

fn agentfs(dir: &Path, args: &[&str], env: &[(String, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(args)
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .output()
        .expect("agentfs runs")
}

/// A value for every variable the converted spec declares without a default, as a user
/// filling them in would give (`AGENTFS_VAR_NAME`).
fn fill_in(spec: &str) -> Vec<(String, String)> {
    let doc: toml::Table = spec.parse().expect("the converted spec is TOML");
    doc.get("variable")
        .and_then(|v| v.as_table())
        .map(|vars| {
            vars.iter()
                .filter(|(_, v)| v.get("default").is_none())
                .map(|(name, v)| {
                    let value = match v.get("type").and_then(|t| t.as_str()) {
                        Some("number") => "1".to_string(),
                        // Bucket names take hyphens, runtime names underscores.
                        _ if name.contains("bucket") => format!("given-{}", name.replace('_', "-")),
                        _ => format!("given_{name}"),
                    };
                    (format!("AGENTFS_VAR_{name}"), value)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_corpus_template_converts_with_partial_into_a_spec_that_validates() {
    let files = corpus();
    assert!(files.len() >= 15, "only {} corpus templates", files.len());
    let mut full = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let template = path.display().to_string();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A short stack name, as a deployment would give: names the templates build from the
        // stack name (a memory's `${StackName}_${MemoryName}`) must fit their limits.
        let out = agentfs(
            d,
            &[
                "convert",
                &template,
                "--partial",
                "-o",
                "agentfs.toml",
                "--stack",
                "corpus",
            ],
            &[],
        );
        assert!(out.status.success(), "{name}: {}", support::text(&out));
        let spec = std::fs::read_to_string(d.join("agentfs.toml")).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        // What was left out is said twice: on stderr, and at the top of the spec.
        for line in stderr.lines().filter(|l| l.starts_with("unsupported: ")) {
            let id = line["unsupported: ".len()..].split(' ').next().unwrap();
            assert!(
                spec.lines()
                    .take_while(|l| l.starts_with('#') || l.is_empty())
                    .any(|l| l.contains(id)),
                "{name}: `{id}` is not listed at the top of the spec"
            );
        }
        // Security findings (`AFS-*`) are the template's own choices (a load balancer open to
        // the internet), for its user to accept or fix; anything else is a conversion error.
        let validate = agentfs(d, &["validate"], &fill_in(&spec));
        let text = support::text(&validate);
        let errors: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(": error[") && !l.contains(": error[AFS-"))
            .collect();
        assert!(errors.is_empty(), "{name}: {text}\n{spec}");
        let whole = agentfs(d, &["convert", &template, "-o", "whole.toml"], &[]);
        if whole.status.success() {
            full.push(name);
        } else {
            assert!(
                String::from_utf8_lossy(&whole.stderr).contains("which agentfs does not manage"),
                "{name}: {}",
                support::text(&whole)
            );
        }
    }
    assert_eq!(full, FULL, "the templates that convert without --partial");
}

/// A field's text with `${var.NAME}` replaced by the variable's default.
fn resolved(spec: &toml::Table, value: Option<&toml::Value>) -> Option<String> {
    let mut text = value?.as_str()?.to_string();
    for (name, v) in spec.get("variable").and_then(|v| v.as_table()).into_iter().flatten() {
        if let Some(default) = v.get("default") {
            let default = default.as_str().map_or_else(|| default.to_string(), String::from);
            text = text.replace(&format!("${{var.{name}}}"), &default);
        }
    }
    Some(text)
}

#[tokio::test]
async fn the_fully_converted_corpus_templates_apply_with_their_properties_and_destroy() {
    let emu = support::Emulator::start();
    let config = emu.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    for name in FULL {
        let template = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/cfn/corpus")
            .join(name)
            .display()
            .to_string();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let out = emu.agentfs(d, &["convert", &template, "-o", "agentfs.toml", "--stack", "corpus"]);
        assert!(out.status.success(), "{name}: {}", support::text(&out));
        let spec_text = std::fs::read_to_string(d.join("agentfs.toml")).unwrap();
        let spec: toml::Table = spec_text.parse().unwrap();
        let out = emu.agentfs(d, &["apply", "--auto-approve"]);
        assert!(out.status.success(), "{name}: {}\n{spec_text}", support::text(&out));
        let state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join(".agentfs/corpus.state.json")).unwrap()).unwrap();
        let id = |addr: &str| {
            state["resources"][addr]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: {addr}"))
                .to_string()
        };

        // The template's CIDR blocks and public-IP settings, as EC2 reports them.
        let mut compared = 0;
        for (vpc, fields) in spec.get("vpc").and_then(|v| v.as_table()).into_iter().flatten() {
            let live = ec2
                .describe_vpcs()
                .vpc_ids(id(&format!("vpc.{vpc}")))
                .send()
                .await
                .unwrap();
            assert_eq!(
                live.vpcs()[0].cidr_block().map(String::from),
                resolved(&spec, fields.get("cidr_block")),
                "{name}: vpc.{vpc}"
            );
            compared += 1;
        }
        for (subnet, fields) in spec.get("subnet").and_then(|v| v.as_table()).into_iter().flatten() {
            let live = ec2
                .describe_subnets()
                .subnet_ids(id(&format!("subnet.{subnet}")))
                .send()
                .await
                .unwrap();
            let live = &live.subnets()[0];
            assert_eq!(
                live.cidr_block().map(String::from),
                resolved(&spec, fields.get("cidr_block")),
                "{name}: subnet.{subnet}"
            );
            assert_eq!(
                live.map_public_ip_on_launch(),
                Some(
                    fields
                        .get("map_public_ip_on_launch")
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false)
                ),
                "{name}: subnet.{subnet} map_public_ip_on_launch"
            );
            if let Some(zone_id) = resolved(&spec, fields.get("availability_zone_id")) {
                assert_eq!(
                    live.availability_zone_id(),
                    Some(zone_id.as_str()),
                    "{name}: subnet.{subnet}"
                );
            }
            compared += 1;
        }
        assert!(compared > 0, "{name}: nothing compared");
        // Every other property, read back by drift through the SDK: none differs.
        let drift = emu.agentfs(d, &["drift"]);
        assert_eq!(drift.status.code(), Some(0), "{name}: {}", support::text(&drift));
        let out = emu.agentfs(d, &["destroy", "--auto-approve"]);
        assert!(out.status.success(), "{name}: {}", support::text(&out));
        for addr in state["resources"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|a| a.starts_with("vpc."))
        {
            let gone = ec2.describe_vpcs().vpc_ids(id(addr)).send().await;
            assert!(
                gone.map(|o| o.vpcs().is_empty()).unwrap_or(true),
                "{name}: {addr} is still there after destroy"
            );
        }
    }
}
