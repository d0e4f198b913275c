//! Two stacks composed through outputs, against the emulator: a network stack records its
//! private subnets as a list output; an agent stack reads it through `[stack_ref.net]` (no
//! lock) into its runtime's `subnets`; each applies and destroys on its own.

use crate::support;

use support::text;

const NETWORK: &str = r#"
[stack]
name = "corenet"
region = "us-east-1"

[vpc.core]
cidr_block = "10.30.0.0/16"

[subnet.private_a]
vpc = "core"
cidr_block = "10.30.1.0/24"
az_index = 0

[subnet.private_b]
vpc = "core"
cidr_block = "10.30.2.0/24"
az_index = 1

[security_group.nfs]
vpc = "core"
description = "agents"

[output.private_subnets]
value = ["${subnet.private_a.id}", "${subnet.private_b.id}"]

[output.nfs_group]
value = "${security_group.nfs.id}"
"#;

const AGENT: &str = r#"
[stack]
name = "agentteam"
region = "us-east-1"

[stack_ref.net]
path = "../network/.agentfs/corenet.state.json"

[iam_role.runtime]
name = "${stack}-runtime"

[iam_role.runtime.assume_role_policy]
Version = "2012-10-17"

[[iam_role.runtime.assume_role_policy.Statement]]
Effect = "Allow"
Principal = { Service = "bedrock-agentcore.amazonaws.com" }
Action = "sts:AssumeRole"

[agentcore_runtime.agent]
name = "composed_agent"
container_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest"
role = "runtime"
network_mode = "VPC"
subnets = "${stack_ref.net.private_subnets}"
security_groups = ["${stack_ref.net.nfs_group}"]
"#;

fn run(emu: &support::Emulator, dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = emu.agentfs(dir, args);
    (out.status.code(), text(&out))
}

fn state(dir: &std::path::Path, stack: &str) -> serde_json::Value {
    let path = dir.join(".agentfs").join(format!("{stack}.state.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_network_stack_and_an_agent_stack_compose_through_a_list_output() {
    let emu = support::Emulator::start();
    emu.configure(r#"{"delays": {"runtime_create": 0.1, "runtime_update": 0.1, "runtime_delete": 0.1}}"#);
    let root = tempfile::tempdir().unwrap();
    let (network, agent) = (root.path().join("network"), root.path().join("agent"));
    std::fs::create_dir_all(&network).unwrap();
    std::fs::create_dir_all(&agent).unwrap();
    std::fs::write(network.join("agentfs.toml"), NETWORK).unwrap();
    std::fs::write(agent.join("agentfs.toml"), AGENT).unwrap();

    // Before the network exists: a clear error at the declaration, nothing planned.
    let (code, out) = run(&emu, &agent, &["plan"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("agentfs.toml:7:8") && out.contains("cannot read the state of `stack_ref.net`"),
        "{out}"
    );

    let (code, out) = run(&emu, &network, &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let net = state(&network, "corenet");
    let subnets = serde_json::json!([
        net["resources"]["subnet.private_a"]["id"],
        net["resources"]["subnet.private_b"]["id"]
    ]);
    assert_eq!(net["outputs"]["private_subnets"]["value"], subnets);
    let (code, out) = run(&emu, &network, &["output", "--json"]);
    assert_eq!(code, Some(0), "{out}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["private_subnets"]["value"], subnets);
    let (_, out) = run(&emu, &network, &["output", "private_subnets"]);
    assert!(out.trim().starts_with("[\"subnet-"), "{out}");

    let (code, out) = run(&emu, &agent, &["plan"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("Read from other stacks' recorded outputs")
            && out.contains(&format!("stack_ref.net.private_subnets = {subnets}")),
        "{out}"
    );
    let (code, out) = run(&emu, &agent, &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let runtime = &state(&agent, "agentteam")["resources"]["agentcore_runtime.agent"];
    assert_eq!(runtime["config"]["subnets"], subnets);
    assert_eq!(
        runtime["config"]["security_groups"][0],
        net["resources"]["security_group.nfs"]["id"]
    );
    // The agent stack records nothing of the network's and took no lock on it.
    assert!(
        state(&agent, "agentteam")["resources"]
            .get("subnet.private_a")
            .is_none()
    );
    assert!(!network.join(".agentfs/corenet.state.json.lock").exists());
    let (code, out) = run(&emu, &agent, &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "{out}");

    // Each goes on its own: the agent first, the network untouched by it.
    let (code, out) = run(&emu, &agent, &["destroy", "--auto-approve"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&emu, &network, &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "the network is as it was:\n{out}");
    let (code, out) = run(&emu, &network, &["destroy", "--auto-approve"]);
    assert_eq!(code, Some(0), "{out}");
}
