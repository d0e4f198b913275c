//! The command line as users and CI drive it: exit codes, diagnostics, graph output.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const REFERENCE: &str = "examples/s3files-runtime.toml";

fn agentfs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("agentfs runs")
}

#[test]
fn graph_output_renders_with_graphviz() {
    let out = agentfs(&["graph", REFERENCE]);
    assert!(out.status.success());
    let mut dot = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("Graphviz `dot` is installed (.ci/run installs it)");
    dot.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let svg = dot.wait_with_output().unwrap();
    assert!(svg.status.success());
    let svg = String::from_utf8_lossy(&svg.stdout);
    assert!(svg.contains("<svg") && svg.contains("agentcore_runtime.agent"));
}

#[test]
fn plan_detailed_exitcode_is_two_when_there_are_changes() {
    let out = agentfs(&["plan", "--detailed-exitcode", REFERENCE]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Plan: 26 to create, 0 to update, 0 to replace, 0 to delete"),
        "{text}"
    );
    let out = agentfs(&["plan", REFERENCE]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn plan_json_has_the_documented_shape() {
    let out = agentfs(&["plan", "--json", REFERENCE]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["format_version"], 1);
    assert_eq!(plan["summary"]["create"], 26);
    let runtime = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "agentcore_runtime.agent")
        .unwrap();
    let role = runtime["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "role")
        .unwrap();
    assert_eq!(role["after_unknown"], "${iam_role.runtime.arn}");
}

#[test]
fn invalid_spec_exits_one_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bad.toml");
    std::fs::write(
        &spec,
        "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n\n[vpc.main]\ncidr_block = \"10.0.0.0/8\"\n",
    )
    .unwrap();
    let out = agentfs(&["validate", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.toml:6:14: error[agentfs::cidr]"), "{stderr}");
    assert!(stderr.contains("vpc.main.cidr_block"), "{stderr}");
}

#[test]
fn saved_plans_embed_the_spec_and_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let plan_file = dir.path().join("plan.json");
    let out = agentfs(&["plan", "-o", plan_file.to_str().unwrap(), REFERENCE]);
    assert!(out.status.success());
    let mode = std::fs::metadata(&plan_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    assert!(
        saved["spec_source"]["text"]
            .as_str()
            .unwrap()
            .contains("[agentcore_runtime.agent]")
    );
}
