//! Against the emulator: what a new user hit with lifecycle settings, timeouts and creates
//! that never reached AWS, and the order AWS needs between a runtime and what it uses.

use crate::support;

use support::text;

fn write(dir: &std::path::Path, spec: &str) {
    std::fs::write(dir.join("agentfs.toml"), spec).unwrap();
}

fn run(emu: &support::Emulator, dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = emu.agentfs(dir, args);
    (out.status.code(), text(&out))
}

fn state(dir: &std::path::Path, stack: &str) -> serde_json::Value {
    let path = dir.join(".agentfs").join(format!("{stack}.state.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const VPC: &str = "[stack]\nname = \"guard\"\nregion = \"us-east-1\"\n\n[vpc.main]\ncidr_block = \"10.9.0.0/16\"\n";

#[test]
fn adding_and_removing_prevent_destroy_is_planned_recorded_and_honoured() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), VPC);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");

    // Protect it after the first apply: the plan shows a change, apply records it.
    write(dir.path(), &format!("{VPC}lifecycle = {{ prevent_destroy = true }}\n"));
    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(2), "the lifecycle change is a change:\n{out}");
    assert!(out.contains("lifecycle.prevent_destroy"), "{out}");
    let before = emu.calls().as_array().map_or(0, Vec::len);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        state(dir.path(), "guard")["resources"]["vpc.main"]["prevent_destroy"],
        true
    );
    let mutating: Vec<String> = emu.calls().as_array().unwrap()[before..]
        .iter()
        .filter_map(|c| c["operation"].as_str().map(String::from))
        .filter(|op| !op.starts_with("Describe") && !op.starts_with("Get") && !op.starts_with("List"))
        .collect();
    assert!(
        mutating.is_empty(),
        "a lifecycle change makes no AWS write: {mutating:?}"
    );
    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve"]);
    assert_eq!(code, Some(1), "destroy refuses a protected resource:\n{out}");

    // Remove the guard: recorded too, and destroy then goes ahead.
    write(dir.path(), VPC);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve"]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_create_refused_before_any_call_leaves_nothing_to_destroy() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("{VPC}\n[subnet.far]\nvpc = \"main\"\ncidr_block = \"10.9.1.0/24\"\naz_index = 40\n");
    write(dir.path(), &spec);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("az_index 40"), "{out}");
    let recorded = state(dir.path(), "guard");
    assert!(
        recorded["resources"].get("subnet.far").is_none(),
        "no intent is left for a create that never reached AWS: {recorded}"
    );
    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve"]);
    assert_eq!(code, Some(0), "destroy is not wedged:\n{out}");
}

#[test]
fn the_spec_delete_timeout_is_recorded_and_bounds_destroy() {
    // A network interface left in the subnet keeps the subnet (or, where the subnet goes, its
    // VPC) busy; each delete may wait for it only as long as the spec says.
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 0.2}, "runtime_eni_linger_seconds": 60}"#);
    let dir = tempfile::tempdir().unwrap();
    let spec = "[stack]\nname = \"quick\"\nregion = \"us-east-1\"\n\n[vpc.main]\ncidr_block = \"10.9.0.0/16\"\ntimeouts = { delete = \"3s\" }\n\n[subnet.a]\nvpc = \"main\"\ncidr_block = \"10.9.1.0/24\"\naz_index = 0\ntimeouts = { delete = \"3s\" }\n";
    write(dir.path(), spec);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(state(dir.path(), "quick")["resources"]["subnet.a"]["delete_timeout"], 3);
    let subnet = state(dir.path(), "quick")["resources"]["subnet.a"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A managed interface of a runtime, as AgentCore leaves it, keeps the subnet busy.
    let config = tokio::runtime::Runtime::new().unwrap().block_on(emu.sdk_config());
    let ec2 = aws_sdk_ec2::Client::new(&config);
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(
            ec2.create_network_interface()
                .subnet_id(&subnet)
                .description("agentic_ai lingering")
                .send(),
        )
        .unwrap();
    let started = std::time::Instant::now();
    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    let took = started.elapsed();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("subnet.a") || out.contains("vpc.main"), "{out}");
    assert!(
        took < std::time::Duration::from_secs(60),
        "destroy gave up after the spec's 3s, not the default 30m (took {took:?}):\n{out}"
    );
}
