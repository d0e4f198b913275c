//! `agentfs init`: every template is written, validates and plans offline as written, and an
//! existing agentfs.toml is only replaced with --force.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const TEMPLATES: [&str; 5] = ["s3files", "efs", "session-storage", "agent", "private-agent"];

fn agentfs(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(args)
        .current_dir(dir)
        // No AWS: a plan without state is computed offline and must not need credentials.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .stdin(Stdio::null())
        .output()
        .expect("agentfs runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn every_template_validates_and_plans_offline() {
    for template in TEMPLATES {
        let dir = tempfile::tempdir().unwrap();
        let out = agentfs(dir.path(), &["init", "--template", template, "stack"]);
        assert!(out.status.success(), "{template}: {}", text(&out));
        let stack = dir.path().join("stack");
        let written = std::fs::read_to_string(stack.join("agentfs.toml")).unwrap();
        assert!(written.starts_with(&format!(
            "# agentfs.toml, written by `agentfs init --template {template}`"
        )));
        assert!(
            written.contains("# How to read this file:"),
            "{template}: no teaching comments"
        );
        assert!(
            !written.contains("../schemas"),
            "{template}: a path into agentfs's repository"
        );
        let validate = agentfs(&stack, &["validate"]);
        assert!(validate.status.success(), "{template}: {}", text(&validate));
        let plan = agentfs(&stack, &["plan", "--json"]);
        assert!(plan.status.success(), "{template}: {}", text(&plan));
        let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        let creates = plan["summary"]["create"].as_u64().unwrap();
        assert!(creates >= 2, "{template}: {creates} creates");
        assert_eq!(plan["summary"]["delete"], 0);
    }
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("agentfs.toml"), "# mine\n").unwrap();
    let out = agentfs(d, &["init"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("--force"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(d.join("agentfs.toml")).unwrap(), "# mine\n");
    let out = agentfs(d, &["init", "--force", "--template", "session-storage"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        std::fs::read_to_string(d.join("agentfs.toml"))
            .unwrap()
            .contains("session_storage = true")
    );
}

#[test]
fn list_names_each_template_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = agentfs(dir.path(), &["init", "--list"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = stdout.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(names, TEMPLATES);
    assert!(!dir.path().join("agentfs.toml").exists(), "--list wrote a file");
}

/// The example agent's code, as `examples/agent/src` holds it (every file of it).
fn example_agent() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/agent/src");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_agent_template_writes_the_example_agent_and_refuses_to_overwrite_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = agentfs(d, &["init", "--template", "agent"]);
    assert!(out.status.success(), "{}", text(&out));
    let spec = std::fs::read_to_string(d.join("agentfs.toml")).unwrap();
    assert!(spec.contains("[agentcore_runtime.agent.code]"), "{spec}");
    assert!(spec.contains("source = \"agent\""), "{spec}");
    // The same files as the example agent, and what was written is said.
    for (name, content) in example_agent() {
        let written = std::fs::read_to_string(d.join("agent").join(&name))
            .unwrap_or_else(|e| panic!("agent/{name} not written: {e}"));
        assert_eq!(written, content, "agent/{name} differs from examples/agent/src/{name}");
        assert!(text_of(&out).contains(&format!("agent/{name}")), "{}", text(&out));
    }
    let validate = agentfs(d, &["validate"]);
    assert!(validate.status.success(), "{}", text(&validate));

    // Again: every file exists, nothing is overwritten, and the error names them.
    std::fs::write(d.join("agent/server.py"), "# mine\n").unwrap();
    std::fs::remove_file(d.join("agentfs.toml")).unwrap();
    let out = agentfs(d, &["init", "--template", "agent"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("server.py"), "{}", text(&out));
    assert!(text(&out).contains("--force"), "{}", text(&out));
    assert!(
        !d.join("agentfs.toml").exists(),
        "agentfs.toml written although agent/ exists"
    );
    assert_eq!(std::fs::read_to_string(d.join("agent/server.py")).unwrap(), "# mine\n");
    let out = agentfs(d, &["init", "--template", "agent", "--force"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_ne!(std::fs::read_to_string(d.join("agent/server.py")).unwrap(), "# mine\n");
}

fn text_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
