//! Against the emulator: resources that AWS leaves in a failure state (the `fail` knob) stop the
//! apply with AWS's reason, are recorded as failed with their id, and are replaced by the next
//! apply; and a create intent whose spec changed since adopts what the interrupted create made
//! (found by its tags), or, when AWS has nothing of it, is retried with a new client token.

use crate::support;

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

const RUNTIME: &str = include_str!("../../examples/session-storage.toml");

/// The smallest S3 Files stack: a file system over a versioned bucket, one mount target and
/// one access point.
const S3FILES: &str = r#"[stack]
name = "fsfail"
region = "us-east-1"

[vpc.main]
cidr_block = "10.32.0.0/16"

[subnet.a]
vpc = "main"
cidr_block = "10.32.1.0/24"
az_index = 0

[s3_bucket.data]
name = "${stack}-${account_id}-${region}"
versioning = true
encryption = "AES256"
force_destroy = true

[iam_role.s3files]
name = "${stack}-s3files-service-role"

[iam_role.s3files.assume_role_policy]
Version = "2012-10-17"

[[iam_role.s3files.assume_role_policy.Statement]]
Effect = "Allow"
Principal = { Service = "elasticfilesystem.amazonaws.com" }
Action = "sts:AssumeRole"

[s3files_file_system.data]
bucket = "data"
role = "s3files"
accept_bucket_warning = true

[s3files_mount_target.a]
file_system = "data"
subnet = "a"

[s3files_access_point.agent]
file_system = "data"
posix_user = { uid = 1000, gid = 1000 }
root_directory = { path = "/agent", creation_permissions = { owner_uid = 1000, owner_gid = 1000, permissions = "0755" } }
tags = { Name = "agent" }
"#;

const ACCOUNT: &str = "123456789012";

/// How many resources the emulator holds under `path` (`us-east-1/s3files/access_points`).
fn count(emu: &support::Emulator, path: &str) -> usize {
    let inventory = emu.inventory();
    let node = path.split('/').fold(&inventory[ACCOUNT], |node, key| &node[key]);
    node.as_array().map_or(0, Vec::len)
}

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
    // The plan from stdout alone: the spec's lint warnings go to stderr.
    let json = String::from_utf8(emu.agentfs(dir.path(), &["plan", "--json"]).stdout).unwrap();
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

/// The crash between AWS making a resource and the state recording it: `address` applied,
/// then its record put back to the intent with the token AWS has seen (generation 0).
fn interrupt_after_create(dir: &std::path::Path, stack: &str, address: &str) {
    let mut recorded = state(dir, stack);
    let lineage = recorded["lineage"].as_str().unwrap().to_string();
    let token = {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{lineage}/{address}/0").as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("agentfs-{hex}")
    };
    let resource = &mut recorded["resources"][address];
    assert_eq!(resource["generation"], 0, "{resource:#}");
    resource["phase"] = "creating".into();
    resource["client_token"] = token.into();
    resource.as_object_mut().unwrap().remove("id");
    resource["attributes"] = serde_json::json!({});
    std::fs::write(state_path(dir, stack), recorded.to_string()).unwrap();
}

/// A create that reached AWS before a crash, then a change of the spec: the next apply adopts
/// what the crashed create made instead of making a second one with a new token, brings it to
/// the spec, and converges. `inventory` is where the emulator lists the kind.
fn changed_intent_is_adopted(
    spec: &str,
    changed: &str,
    stack: &str,
    address: &str,
    inventory: &str,
) -> serde_json::Value {
    assert_ne!(spec, changed, "the change must change the spec");
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 0.2}}"#);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), spec);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(count(&emu, inventory), 1, "{inventory}");
    let made = state(dir.path(), stack)["resources"][address]["id"]
        .as_str()
        .unwrap()
        .to_string();
    interrupt_after_create(dir.path(), stack, address);

    write(dir.path(), changed);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(!out.contains("IdempotentParameterMismatch"), "{out}");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("adopting {made}")), "{out}");
    assert_eq!(
        count(&emu, inventory),
        1,
        "exactly one {address}, not a second one beside the first: {:#}",
        emu.inventory()
    );
    let after = state(dir.path(), stack)["resources"][address].clone();
    assert_eq!(after["phase"], "created", "{after:#}");
    let (code, out) = run(&emu, dir.path(), &["drift"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "converged:\n{out}");
    let mut after = after;
    after["made"] = made.into();
    after
}

#[test]
fn a_changed_runtime_intent_adopts_the_runtime_its_crashed_create_made() {
    let changed = RUNTIME.replace(
        "description = \"Agent with per-session storage at /mnt/workspace\"",
        "description = \"Agent, described anew\"",
    );
    let after = changed_intent_is_adopted(
        RUNTIME,
        &changed,
        "sessverify",
        "agentcore_runtime.agent",
        "us-east-1/bedrock-agentcore-control/agent_runtimes",
    );
    assert_eq!(after["id"], after["made"], "updated in place: {after:#}");
    assert_eq!(after["config"]["description"], "Agent, described anew", "{after:#}");
}

#[test]
fn a_changed_access_point_intent_adopts_and_updates_what_its_crashed_create_made() {
    let changed = S3FILES.replace(
        "tags = { Name = \"agent\" }",
        "tags = { Name = \"agent\", Team = \"a\" }",
    );
    let after = changed_intent_is_adopted(
        S3FILES,
        &changed,
        "fsfail",
        "s3files_access_point.agent",
        "us-east-1/s3files/access_points",
    );
    assert_eq!(after["id"], after["made"], "updated in place: {after:#}");
    assert_eq!(after["generation"], 0, "{after:#}");
}

#[test]
fn a_changed_access_point_intent_replaces_what_its_crashed_create_made_when_it_cannot_update() {
    let changed = S3FILES.replace("path = \"/agent\"", "path = \"/agent2\"");
    let after = changed_intent_is_adopted(
        S3FILES,
        &changed,
        "fsfail",
        "s3files_access_point.agent",
        "us-east-1/s3files/access_points",
    );
    assert_ne!(after["id"], after["made"], "a new one instead: {after:#}");
    assert_eq!(after["generation"], 1, "{after:#}");
    assert_eq!(after["config"]["root_directory"]["path"], "/agent2", "{after:#}");
}

#[test]
fn a_file_system_in_error_stops_apply_and_is_replaced_next_time() {
    fails_then_is_replaced(
        S3FILES,
        "fsfail",
        "s3files_file_system.data",
        "file_system_create",
        "The bucket could not be reached with the given role",
    );
}

#[test]
fn a_mount_target_in_error_stops_apply_and_is_replaced_next_time() {
    fails_then_is_replaced(
        S3FILES,
        "fsfail",
        "s3files_mount_target.a",
        "mount_target_create",
        "Insufficient free IP addresses in the subnet",
    );
}

#[test]
fn a_changed_intent_that_made_nothing_creates_with_a_new_token() {
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 0.2}}"#);
    let dir = tempfile::tempdir().unwrap();
    let address = "s3files_access_point.agent";
    write(dir.path(), S3FILES);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let intent = state(dir.path(), "fsfail")["resources"][address].clone();
    // The access point goes, and its intent comes back as a crash before the call leaves it.
    let without = &S3FILES[..S3FILES.find("[s3files_access_point.agent]").unwrap()];
    write(dir.path(), without);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(count(&emu, "us-east-1/s3files/access_points"), 0);
    let mut recorded = state(dir.path(), "fsfail");
    recorded["resources"][address] = intent;
    std::fs::write(state_path(dir.path(), "fsfail"), recorded.to_string()).unwrap();
    interrupt_after_create(dir.path(), "fsfail", address);

    write(dir.path(), &S3FILES.replace("path = \"/agent\"", "path = \"/agent2\""));
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("adopting"), "{out}");
    assert_eq!(count(&emu, "us-east-1/s3files/access_points"), 1);
    let after = state(dir.path(), "fsfail");
    assert_eq!(after["resources"][address]["phase"], "created", "{after:#}");
    assert_eq!(after["resources"][address]["generation"], 1, "a new token: {after:#}");
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
