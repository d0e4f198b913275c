//! Against the emulator: resources that AWS leaves in a failure state (the `fail` knob) stop the
//! apply with AWS's reason, are recorded as failed with their id, and are replaced by the next
//! apply; and a create intent whose spec changed since is retried with a new client token.

mod support;

use support::text;

fn write(dir: &std::path::Path, spec: &str) {
    std::fs::write(dir.join("agentfs.toml"), spec).unwrap();
}

fn run(emu: &support::Emulator, dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = emu.agentfs(dir, args);
    (out.status.code(), text(&out))
}

fn state_path(dir: &std::path::Path, stack: &str) -> std::path::PathBuf {
    dir.join(".agentfs").join(format!("{stack}.state.json"))
}

fn state(dir: &std::path::Path, stack: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(state_path(dir, stack)).unwrap()).unwrap()
}

const NAT: &str = r#"[stack]
name = "natfail"
region = "us-east-1"

[vpc.main]
cidr_block = "10.31.0.0/16"

[subnet.a]
vpc = "main"
cidr_block = "10.31.1.0/24"
az_index = 0

[elastic_ip.nat]
[internet_gateway.igw]
vpc = "main"

[nat_gateway.nat]
subnet = "a"
elastic_ip = "nat"
depends_on = ["internet_gateway.igw"]
"#;

const RUNTIME: &str = include_str!("../examples/session-storage.toml");

/// The failure flow for one resource: apply fails with `reason`, the state records the failed
/// resource with its id, the plan replaces it, and once AWS behaves apply converges.
fn fails_then_is_replaced(spec: &str, stack: &str, address: &str, knob: &str, reason: &str) {
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 0.2}}"#);
    emu.configure(&format!(r#"{{"fail": {{"{knob}": "{reason}"}}}}"#));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), spec);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(reason), "the apply error carries AWS's reason:\n{out}");

    let recorded = &state(dir.path(), stack)["resources"][address];
    let failed = recorded["failed"].as_str().unwrap_or_default();
    assert!(failed.contains(reason), "state records it as failed: {recorded:#}");
    let id = recorded["id"]
        .as_str()
        .expect("the failed resource's id is recorded")
        .to_string();

    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("failed: ") && out.contains(reason), "{out}");
    let (_, json) = run(&emu, dir.path(), &["plan", "--json"]);
    let plan: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let change = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("{address} in {plan:#}"));
    assert_eq!(change["action"], "replace", "{change:#}");
    assert!(
        change["reasons"][0]
            .as_str()
            .is_some_and(|r| r.starts_with("failed: ") && r.contains(reason)),
        "{change:#}"
    );

    emu.configure(r#"{"fail": null}"#);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let recorded = &state(dir.path(), stack)["resources"][address];
    assert!(recorded.get("failed").is_none(), "{recorded:#}");
    assert_ne!(
        recorded["id"].as_str(),
        Some(id.as_str()),
        "a new one replaced the failed one"
    );
    let (code, out) = run(&emu, dir.path(), &["drift"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "converged:\n{out}");
}

#[test]
fn a_failed_nat_gateway_stops_apply_and_is_replaced_next_time() {
    fails_then_is_replaced(
        NAT,
        "natfail",
        "nat_gateway.nat",
        "nat_gateway_create",
        "Subnet has insufficient free addresses",
    );
}

#[test]
fn a_runtime_in_create_failed_stops_apply_and_is_replaced_next_time() {
    fails_then_is_replaced(
        RUNTIME,
        "sessverify",
        "agentcore_runtime.agent",
        "runtime_create",
        "Container image could not be pulled",
    );
}

#[test]
fn a_create_intent_whose_spec_changed_since_gets_a_new_token() {
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 0.2}}"#);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), RUNTIME);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");

    // As a crash right after the create call leaves it: the intent with the token AWS has seen.
    let address = "agentcore_runtime.agent";
    let mut recorded = state(dir.path(), "sessverify");
    let lineage = recorded["lineage"].as_str().unwrap().to_string();
    let token = {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{lineage}/{address}/0").as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("agentfs-{hex}")
    };
    let runtime = &mut recorded["resources"][address];
    runtime["phase"] = "creating".into();
    runtime["client_token"] = token.into();
    runtime.as_object_mut().unwrap().remove("id");
    runtime["attributes"] = serde_json::json!({});
    std::fs::write(state_path(dir.path(), "sessverify"), recorded.to_string()).unwrap();

    // The spec changes before the retry: the same token would be a mismatch at AWS.
    write(
        dir.path(),
        &RUNTIME.replace(
            "description = \"Agent with per-session storage at /mnt/workspace\"",
            "description = \"Agent, described anew\"",
        ),
    );
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(!out.contains("IdempotentParameterMismatch"), "{out}");
    assert_eq!(code, Some(0), "{out}");
    let after = state(dir.path(), "sessverify");
    assert_eq!(after["resources"][address]["phase"], "created", "{after:#}");
    assert_eq!(after["resources"][address]["generation"], 1, "{after:#}");
    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "converged:\n{out}");
}

#[test]
fn a_runtime_in_update_failed_stops_apply_and_is_replaced_next_time() {
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 0.2}}"#);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), RUNTIME);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let address = "agentcore_runtime.agent";
    let id = state(dir.path(), "sessverify")["resources"][address]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let reason = "Runtime update could not start the new version";
    emu.configure(&format!(r#"{{"fail": {{"runtime_update": "{reason}"}}}}"#));
    let changed = RUNTIME.replace(
        "WORKSPACE = \"/mnt/workspace\"",
        "WORKSPACE = \"/mnt/workspace\", MODE = \"two\"",
    );
    write(dir.path(), &changed);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(reason), "{out}");
    let recorded = &state(dir.path(), "sessverify")["resources"][address];
    assert!(
        recorded["failed"].as_str().is_some_and(|f| f.contains(reason)),
        "{recorded:#}"
    );
    assert_eq!(recorded["id"].as_str(), Some(id.as_str()), "{recorded:#}");
    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("failed: ") && out.contains(reason), "{out}");

    emu.configure(r#"{"fail": null}"#);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let recorded = &state(dir.path(), "sessverify")["resources"][address];
    assert!(recorded.get("failed").is_none(), "{recorded:#}");
    assert_ne!(
        recorded["id"].as_str(),
        Some(id.as_str()),
        "a new runtime replaced the failed one"
    );
    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "converged:\n{out}");
}
