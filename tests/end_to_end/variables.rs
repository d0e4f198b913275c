//! Spec variables from the command line: `--var` beats `--var-file` beats `AGENTFS_VAR_NAME`
//! beats the default; sensitive values never appear in plans (text, JSON, saved) or the state,
//! and a saved plan is applied only with the values it was made with.

use crate::support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

const SECRET: &str = "s3cr3t-var-value-42";

const SPEC: &str = r#"
[variable.suffix]
description = "Appended to every name"
default = "from-default"

[variable.token]
sensitive = true

[stack]
name = "vars"
region = "us-east-1"

[vpc.main]
cidr_block = "10.0.0.0/16"
tags = { Name = "${stack}-${var.suffix}", Token = "${var.token}" }
"#;

fn agentfs(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(args)
        .current_dir(dir)
        .env_remove("AGENTFS_VAR_suffix")
        .env_remove("AGENTFS_VAR_token")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("agentfs runs")
}

fn text(out: &Output) -> String {
    support::text(out)
}

/// The planned `Name` tag of the VPC.
fn planned_name(out: &Output) -> String {
    assert!(out.status.success(), "{}", text(out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    plan["changes"][0]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "tags.Name")
        .map(|a| a["after"].as_str().unwrap().to_string())
        .expect("a Name tag")
}

fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), SPEC).unwrap();
    std::fs::write(dir.path().join("a.tfvars.toml"), "suffix = \"from-file-a\"\n").unwrap();
    std::fs::write(dir.path().join("b.tfvars.toml"), "suffix = \"from-file-b\"\n").unwrap();
    dir
}

#[test]
fn values_follow_terraforms_precedence() {
    let dir = workdir();
    let d = dir.path();
    let token = ("AGENTFS_VAR_token", SECRET);
    let env = ("AGENTFS_VAR_suffix", "from-env");
    let plan = ["plan", "--json"];
    assert_eq!(planned_name(&agentfs(d, &[token], &plan)), "vars-from-default");
    assert_eq!(planned_name(&agentfs(d, &[token, env], &plan)), "vars-from-env");
    let with_files = [
        "plan",
        "--json",
        "--var-file",
        "a.tfvars.toml",
        "--var-file",
        "b.tfvars.toml",
    ];
    assert_eq!(
        planned_name(&agentfs(d, &[token, env], &with_files)),
        "vars-from-file-b"
    );
    let mut with_cli = with_files.to_vec();
    with_cli.extend(["--var", "suffix=from-cli-1", "--var", "suffix=from-cli-2"]);
    assert_eq!(planned_name(&agentfs(d, &[token, env], &with_cli)), "vars-from-cli-2");
}

#[test]
fn missing_and_unknown_variables_fail_before_any_call() {
    let dir = workdir();
    let d = dir.path();
    // Like `terraform validate`, validate needs no value: `token` is checked as unknown.
    let out = agentfs(d, &[], &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("checked as unknown: token"), "{}", text(&out));
    let out = agentfs(d, &[], &["plan"]);
    assert_eq!(out.status.code(), Some(1));
    let printed = text(&out);
    assert!(printed.contains("agentfs.toml:15:"), "{printed}");
    assert!(printed.contains("variable `token` has no value"), "{printed}");
    let out = agentfs(d, &[("AGENTFS_VAR_token", SECRET)], &["plan", "--var", "tokn=x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("did you mean `token`?"), "{}", text(&out));
}

#[test]
fn validate_checks_the_type_and_shape_of_unknown_variables_but_not_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = |zone_type: &str| {
        format!(
            "[variable.cidr]\n[variable.zone]\ntype = \"{zone_type}\"\n\n[stack]\nname = \"vars\"\nregion = \"us-east-1\"\n\n[vpc.main]\ncidr_block = \"${{var.cidr}}\"\n\n[subnet.a]\nvpc = \"main\"\ncidr_block = \"10.0.1.0/24\"\naz_index = \"${{var.zone}}\"\n"
        )
    };
    std::fs::write(d.join("agentfs.toml"), spec("number")).unwrap();
    let out = agentfs(d, &[], &["validate", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["unknown_variables"], serde_json::json!(["cidr", "zone"]));
    // A value the CIDR check refuses is still refused once given.
    let out = agentfs(d, &[], &["validate", "--var", "cidr=10.0.0.0/99"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("vpc.main.cidr_block"), "{}", text(&out));
    // A string cannot fill an integer field, whatever its value.
    std::fs::write(d.join("agentfs.toml"), spec("string")).unwrap();
    let out = agentfs(d, &[], &["validate"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("subnet.a.az_index"), "{}", text(&out));
    let out = agentfs(d, &[], &["plan"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("variable `cidr` has no value"), "{}", text(&out));
}

#[test]
fn a_stack_name_from_a_variable_without_value_is_refused_by_state_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("agentfs.toml"),
        "[variable.env]\n\n[stack]\nname = \"app-${var.env}\"\nregion = \"us-east-1\"\n",
    )
    .unwrap();
    let out = agentfs(d, &[], &["state", "list"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("variable `env`"), "{}", text(&out));
    let out = agentfs(d, &[("AGENTFS_VAR_env", "dev")], &["state", "list"]);
    assert!(text(&out).contains("app-dev"), "{}", text(&out));
}

#[test]
fn sensitive_values_stay_out_of_plans_and_saved_plans() {
    let dir = workdir();
    let d = dir.path();
    let token = ("AGENTFS_VAR_token", SECRET);
    for args in [
        &["plan"][..],
        &["plan", "--json"],
        &["plan", "-o", "plan.json"],
        &["validate"],
    ] {
        let out = agentfs(d, &[token], args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(!text(&out).contains(SECRET), "{args:?} printed the secret");
    }
    let saved = std::fs::read_to_string(d.join("plan.json")).unwrap();
    assert!(!saved.contains(SECRET), "the saved plan holds the secret");
    let plan: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(plan["variables"]["suffix"]["value"], "from-default");
    assert!(
        plan["variables"]["token"]["value"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let shown = agentfs(d, &[token], &["plan"]);
    assert!(text(&shown).contains("tags.Token") && text(&shown).contains("(sensitive value)"));
}

#[test]
fn a_saved_plan_needs_its_own_values() {
    let dir = workdir();
    let d = dir.path();
    let out = agentfs(
        d,
        &[("AGENTFS_VAR_token", SECRET)],
        &["plan", "--var", "suffix=planned", "-o", "plan.json"],
    );
    assert!(out.status.success(), "{}", text(&out));
    // No AWS is reachable here: each refusal must come before any call.
    let apply = |env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec!["apply", "plan.json", "--auto-approve"];
        args.extend(extra);
        let mut env = env.to_vec();
        env.extend([
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ACCESS_KEY_ID", "x"),
            ("AWS_SECRET_ACCESS_KEY", "y"),
        ]);
        text(&agentfs(d, &env, &args))
    };
    let missing = apply(&[], &[]);
    assert!(missing.contains("variable `token` has no value"), "{missing}");
    let other_secret = apply(&[("AGENTFS_VAR_token", "another")], &[]);
    assert!(
        other_secret.contains("token") && other_secret.contains("differ"),
        "{other_secret}"
    );
    let other_suffix = apply(&[("AGENTFS_VAR_token", SECRET)], &["--var", "suffix=other"]);
    assert!(
        other_suffix.contains("suffix") && other_suffix.contains("differ"),
        "{other_suffix}"
    );
    // The plan's own suffix beats the environment's.
    let same = apply(&[("AGENTFS_VAR_token", SECRET), ("AGENTFS_VAR_suffix", "env")], &[]);
    assert!(!same.contains("differ"), "{same}");
}

#[tokio::test]
async fn a_sensitive_variable_reaches_aws_but_not_the_state() {
    let emu = support::Emulator::start();
    let dir = workdir();
    let d = dir.path();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_agentfs"))
            .args(args)
            .current_dir(d)
            .envs(emu.env())
            .env("AGENTFS_VAR_token", SECRET)
            .stdin(Stdio::null())
            .output()
            .expect("agentfs runs");
        assert!(!text(&out).contains(SECRET), "{args:?} printed the secret");
        out
    };
    let out = run(&["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out));
    let state = std::fs::read_to_string(d.join(".agentfs/vars.state.json")).unwrap();
    assert!(!state.contains(SECRET), "the state holds the secret");
    assert!(state.contains("from-default"));
    let ec2 = aws_sdk_ec2::Client::new(&emu.sdk_config().await);
    let vpcs = ec2.describe_vpcs().send().await.unwrap();
    let tags: Vec<(String, String)> = vpcs
        .vpcs()
        .iter()
        .flat_map(|v| v.tags())
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(tags.contains(&("Token".into(), SECRET.into())), "{tags:?}");
    // Read back from AWS, the value is compared and recorded as its digest: no drift, no change.
    let drift = run(&["drift"]);
    assert_eq!(drift.status.code(), Some(0), "{}", text(&drift));
    let plan = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let refresh = run(&["refresh"]);
    assert!(refresh.status.success(), "{}", text(&refresh));
    let state = std::fs::read_to_string(d.join(".agentfs/vars.state.json")).unwrap();
    assert!(!state.contains(SECRET), "refresh wrote the secret into the state");
    // The state alone says what to list, show and delete: no variable is needed.
    let without_token = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_agentfs"))
            .args(args)
            .current_dir(d)
            .envs(emu.env())
            .env_remove("AGENTFS_VAR_token")
            .stdin(Stdio::null())
            .output()
            .expect("agentfs runs");
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        out
    };
    assert!(text(&without_token(&["state", "list"])).contains("vpc.main"));
    without_token(&["output"]);
    without_token(&["destroy", "--auto-approve"]);
    let vpcs = ec2.describe_vpcs().send().await.unwrap();
    assert!(
        vpcs.vpcs()
            .iter()
            .all(|v| v.tags().iter().all(|t| t.key() != Some("Token"))),
        "destroy left the VPC"
    );
}
