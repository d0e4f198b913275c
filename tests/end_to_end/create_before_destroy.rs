//! Against the emulator: replacing an access point that the runtime mounts creates the new one
//! first, moves the runtime to it, and deletes the old one last (AWS refuses to delete an access
//! point in use). A run cut short in between keeps the old copy in state as deposed, and the next
//! apply, or destroy, deletes it.

use crate::support;

use serde_json::Value;
use support::text;

const REFERENCE: &str = include_str!("../../examples/s3files-runtime.toml");
const STACK: &str = "fsverify";
const ACCESS_POINT: &str = "s3files_access_point.agent";
const RUNTIME: &str = "agentcore_runtime.agent";

fn run(emu: &support::Emulator, dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = emu.agentfs(dir, args);
    (out.status.code(), text(&out))
}

fn state(dir: &std::path::Path) -> Value {
    let path = dir.join(".agentfs").join(format!("{STACK}.state.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The ids of every S3 Files access point the emulator holds.
fn access_points(emu: &support::Emulator) -> Vec<String> {
    let inventory = emu.inventory();
    let mut ids = Vec::new();
    for regions in inventory.as_object().unwrap().values() {
        for services in regions.as_object().unwrap().values() {
            for point in services["s3files"]["access_points"].as_array().into_iter().flatten() {
                ids.push(point["accessPointId"].as_str().unwrap().to_string());
            }
        }
    }
    ids
}

/// The successful mutating calls after the first `since`, in the order the emulator served them.
fn mutations(emu: &support::Emulator, since: usize) -> Vec<String> {
    emu.calls().as_array().unwrap()[since..]
        .iter()
        .filter(|c| c["mutating"] == Value::Bool(true) && c["status"].as_u64().is_some_and(|s| s < 300))
        .filter_map(|c| c["operation"].as_str().map(String::from))
        .collect()
}

/// The reference stack applied, and the spec changed so that the access point must be replaced.
fn applied_then_changed(emu: &support::Emulator, dir: &std::path::Path) -> String {
    std::fs::write(dir.join("agentfs.toml"), REFERENCE).unwrap();
    let (code, out) = run(emu, dir, &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let old = state(dir)["resources"][ACCESS_POINT]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let changed = REFERENCE.replace("path = \"/agent\"", "path = \"/agent-v2\"");
    assert_ne!(changed, REFERENCE, "the example's access point root moved");
    std::fs::write(dir.join("agentfs.toml"), changed).unwrap();
    old
}

#[test]
fn an_access_point_the_runtime_mounts_is_replaced_new_copy_first() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let old = applied_then_changed(&emu, dir.path());

    let out = emu.agentfs(dir.path(), &["plan", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Findings and warnings go to stderr: the plan is stdout alone.
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    let change = |address: &str| {
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == address)
            .unwrap_or_else(|| panic!("{address} in {plan:#}"))
            .clone()
    };
    assert_eq!(change(ACCESS_POINT)["action"], "replace");
    assert_eq!(change(ACCESS_POINT)["create_before_destroy"], true);
    assert_eq!(change(RUNTIME)["action"], "update");
    let (_, text) = run(&emu, dir.path(), &["plan"]);
    assert!(text.contains(&format!("+/- {ACCESS_POINT}")), "{text}");
    assert!(text.contains("the old copy is deleted last"), "{text}");

    let before = emu.calls().as_array().unwrap().len();
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let calls = mutations(&emu, before);
    let at = |op: &str| {
        calls
            .iter()
            .position(|c| c == op)
            .unwrap_or_else(|| panic!("{op} in {calls:?}"))
    };
    assert!(at("CreateAccessPoint") < at("UpdateAgentRuntime"), "{calls:?}");
    assert!(at("UpdateAgentRuntime") < at("DeleteAccessPoint"), "{calls:?}");

    let after = state(dir.path());
    let new = after["resources"][ACCESS_POINT]["id"].as_str().unwrap();
    assert_ne!(new, old);
    assert!(after.get("deposed").is_none(), "{after:#}");
    assert_eq!(
        access_points(&emu),
        [new.to_string()],
        "only the new access point is left"
    );
    let (code, out) = run(&emu, dir.path(), &["drift"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "converged:\n{out}");
}

/// The runtime fails to move: the apply stops with both access points alive, the old one
/// recorded as deposed and still mounted.
fn runtime_fails_to_move(emu: &support::Emulator, dir: &std::path::Path) -> String {
    let old = applied_then_changed(emu, dir);
    let reason = "Runtime update could not start the new version";
    emu.configure(&format!(r#"{{"fail": {{"runtime_update": "{reason}"}}}}"#));
    let (code, out) = run(emu, dir, &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(reason), "{out}");
    let recorded = state(dir);
    assert_eq!(recorded["deposed"][ACCESS_POINT][0]["id"], old.as_str(), "{recorded:#}");
    assert_eq!(access_points(emu).len(), 2, "the old copy is not deleted while in use");
    let (code, out) = run(emu, dir, &["state", "list"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("{ACCESS_POINT}\t{old}\tdeposed")), "{out}");
    emu.configure(r#"{"fail": null}"#);
    old
}

#[test]
fn a_deposed_copy_left_by_a_failed_run_is_deleted_by_the_next_apply() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let old = runtime_fails_to_move(&emu, dir.path());

    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains(&format!("the old copy {old}, left by an earlier replace")),
        "{out}"
    );
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let after = state(dir.path());
    assert!(after.get("deposed").is_none(), "{after:#}");
    let new = after["resources"][ACCESS_POINT]["id"].as_str().unwrap().to_string();
    assert_eq!(access_points(&emu), [new]);
    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "converged:\n{out}");
}

#[test]
fn destroy_deletes_deposed_copies_too() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    runtime_fails_to_move(&emu, dir.path());

    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(access_points(&emu).is_empty(), "{out}");
    assert!(
        !dir.path().join(".agentfs").join(format!("{STACK}.state.json")).exists(),
        "nothing is left to record"
    );
}
