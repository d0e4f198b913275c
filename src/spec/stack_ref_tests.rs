//! `[stack_ref.*]` through the loader: values filled in, and the errors when they cannot be.

use std::collections::BTreeMap;

use crate::lang::stack_ref::*;
use crate::spec::vars::Inputs;

const AGENT: &str = r#"
[stack]
name = "agent"
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
name = "agent_runtime"
container_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest"
role = "runtime"
network_mode = "VPC"
subnets = "${stack_ref.net.private_subnets}"
security_groups = ["${stack_ref.net.nfs_group}"]
"#;

fn inputs(state: StackRefState) -> Inputs {
    Inputs {
        stack_refs: BTreeMap::from([("net".to_string(), state)]),
        ..Inputs::default()
    }
}

fn read(outputs: &[(&str, serde_json::Value)]) -> StackRefState {
    StackRefState::Read {
        from: "../network/.agentfs/corenet.state.json".into(),
        outputs: outputs
            .iter()
            .map(|(n, v)| (n.to_string(), (v.clone(), false)))
            .collect(),
    }
}

fn errors(loaded: &crate::spec::Loaded) -> Vec<String> {
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{} {}", d.field.clone().unwrap_or_default(), d.message))
        .collect()
}

#[test]
fn a_list_output_fills_a_list_field_and_ids_stay_as_they_are() {
    let loaded = crate::spec::load_with(
        AGENT,
        &inputs(read(&[
            ("private_subnets", serde_json::json!(["subnet-0a", "subnet-0b"])),
            ("nfs_group", serde_json::json!("sg-0c")),
        ])),
    );
    assert!(errors(&loaded).is_empty(), "{:?}", errors(&loaded));
    let spec = loaded.spec.unwrap();
    let runtime = &spec.resources[&"agentcore_runtime.agent".parse::<crate::spec::Addr>().unwrap()];
    let json = serde_json::to_value(&runtime.spec).unwrap();
    assert_eq!(json["subnets"], serde_json::json!(["subnet-0a", "subnet-0b"]));
    assert_eq!(json["security_groups"], serde_json::json!(["sg-0c"]));
    // No edge to anything of this spec but the role.
    let deps: Vec<String> = runtime.deps.iter().map(|a| a.to_string()).collect();
    assert_eq!(deps, ["iam_role.runtime"]);
    let used: Vec<&str> = spec.stack_ref_uses.iter().map(|u| u.reference.as_str()).collect();
    assert_eq!(used, ["stack_ref.net.private_subnets", "stack_ref.net.nfs_group"]);
}

#[test]
fn a_missing_state_or_output_is_an_error_at_its_place() {
    let missing_state = crate::spec::load_with(
        AGENT,
        &inputs(StackRefState::Failed {
            from: "../network/.agentfs/corenet.state.json".into(),
            reason: "no such file (has that stack been applied?)".into(),
        }),
    );
    let found = errors(&missing_state);
    assert!(
        found.len() == 1 && found[0].starts_with("stack_ref.net.path cannot read the state"),
        "{found:?}"
    );
    let d = &missing_state.diagnostics[0];
    assert!(d.span.is_some());
    let missing_output = crate::spec::load_with(AGENT, &inputs(read(&[("nfs_group", serde_json::json!("sg-0c"))])));
    let found = errors(&missing_output);
    assert!(
        found.len() == 1
            && found[0].starts_with("agentcore_runtime.agent.subnets ")
            && found[0].contains("records no output `private_subnets`"),
        "{found:?}"
    );
    let undeclared = crate::spec::load_with(
        &AGENT.replace("stack_ref.net.nfs", "stack_ref.other.nfs"),
        &inputs(read(&[])),
    );
    assert!(errors(&undeclared).iter().any(|e| e.contains("no `[stack_ref.other]`")));
    let inside = crate::spec::load_with(
        &AGENT.replace(
            "\"${stack_ref.net.private_subnets}\"",
            "[\"x-${stack_ref.net.private_subnets}\"]",
        ),
        &inputs(read(&[
            ("private_subnets", serde_json::json!(["subnet-0a"])),
            ("nfs_group", serde_json::json!("sg-0c")),
        ])),
    );
    assert!(
        errors(&inside).iter().any(|e| e.contains("is a list")),
        "{:?}",
        errors(&inside)
    );
}
