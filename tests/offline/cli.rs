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

/// A spec whose runtime `image` is built from `agent/` and pushed to `ecr_repository.images`,
/// written into a fresh directory with that context.
fn image_stack() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let spec = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/bad-specs/runtime-image-valid.toml"
    ))
    .unwrap()
    .replace(", dockerfile = \"Dockerfile.arm\"", "");
    std::fs::write(dir.path().join("spec.toml"), spec).unwrap();
    std::fs::create_dir(dir.path().join("agent")).unwrap();
    std::fs::write(dir.path().join("agent/Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::create_dir(dir.path().join("bin")).unwrap();
    dir
}

/// Runs agentfs in `dir` with PATH set to `dir/bin` only (no docker or podman unless put there)
/// and AWS pointed at a closed port, so any AWS call would fail differently.
fn agentfs_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(args)
        .current_dir(dir)
        .env("PATH", dir.join("bin"))
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .expect("agentfs runs")
}

#[test]
fn image_without_a_container_tool_is_refused_before_any_aws_call() {
    let dir = image_stack();
    for command in ["plan", "apply"] {
        let mut args = vec![command, "spec.toml"];
        if command == "apply" {
            args.push("--auto-approve");
        }
        let out = agentfs_in(dir.path(), &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        assert!(
            stderr.contains("spec.toml:29:9: error[agentfs::image_tool]"),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("no working `docker` (with buildx) or `podman`"),
            "{command}: {stderr}"
        );
        assert!(stderr.contains("[agentcore_runtime.NAME.code]"), "{command}: {stderr}");
        assert!(!stderr.contains("127.0.0.1:9"), "{command} called AWS: {stderr}");
    }
    // Nothing was written: no state, no lock.
    assert!(!dir.path().join(".agentfs").exists());
    // `validate` checks the spec, not the machine.
    let out = agentfs_in(dir.path(), &["validate", "spec.toml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn image_with_a_container_tool_plans_the_context_digest() {
    let dir = image_stack();
    let fake = dir.path().join("bin/docker");
    std::fs::write(&fake, "#!/bin/sh\nexit 0\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let digest = |dir: &std::path::Path| {
        let out = agentfs_in(dir, &["plan", "spec.toml"]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            stdout.contains("(known after apply: ${ecr_repository.images.url})"),
            "{stdout}"
        );
        stdout
            .lines()
            .find(|l| l.contains("image.sha256"))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no image digest in the plan: {stdout}"))
    };
    let before = digest(dir.path());
    assert_eq!(before, digest(dir.path()), "same context, same digest");
    std::fs::write(dir.path().join("agent/Dockerfile"), "FROM scratch\nCOPY . /\n").unwrap();
    assert_ne!(before, digest(dir.path()), "a changed context changes the digest");
}

#[test]
fn image_repository_is_a_graph_edge() {
    let dir = image_stack();
    let out = agentfs_in(dir.path(), &["graph", "spec.toml"]);
    let dot = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        dot.contains("\"ecr_repository.images\" -> \"agentcore_runtime.agent\""),
        "{dot}"
    );
}
