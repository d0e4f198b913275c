//! The examples plan the way the reference stack says: every resource created, in a valid order.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use agentfs::graph::Graph;
use agentfs::plan::{self, Action};
use agentfs::spec::{self, Addr, Spec};

fn load(file: &str) -> Spec {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let loaded = spec::load(&text);
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {} ({:?})", d.code, d.message, d.field))
        .collect();
    assert!(errors.is_empty(), "{file} has errors: {errors:#?}");
    loaded.spec.unwrap_or_else(|| panic!("{file} did not load"))
}

/// Plans `file` with no state and checks every resource is created after all it depends on.
fn plan_creates_everything_in_order(file: &str, expected: usize) -> plan::Plan {
    let spec = load(file);
    let graph = Graph::from_spec(&spec).unwrap_or_else(|e| panic!("{file}: {e}"));
    let plan = plan::compute(&spec, &graph, None, &plan::Context::default()).unwrap();

    assert_eq!(plan.changes.len(), expected, "{file}: number of planned changes");
    assert_eq!(plan.summary.create, expected, "{file}: {:?}", plan.summary);
    assert!(!plan.summary.has_changes() || plan.summary.create == plan.changes.len());
    assert_eq!(plan.stack, spec.stack.name);

    let planned: HashSet<&Addr> = plan.changes.iter().map(|c| &c.address).collect();
    let declared: HashSet<&Addr> = spec.resources.keys().collect();
    assert_eq!(
        planned, declared,
        "{file}: the plan must list every declared resource once"
    );

    let position: HashMap<&Addr, usize> = plan.changes.iter().enumerate().map(|(i, c)| (&c.address, i)).collect();
    for (i, change) in plan.changes.iter().enumerate() {
        assert_eq!(change.action, Action::Create, "{}", change.address);
        for dep in &spec.resources[&change.address].deps {
            let at = position[dep];
            assert!(
                at < i,
                "{file}: `{}` (#{i}) is planned before its dependency `{dep}` (#{at})",
                change.address
            );
        }
        for dep in &change.depends_on {
            assert!(
                position[dep] < i,
                "{file}: plan's depends_on `{dep}` comes after `{}`",
                change.address
            );
            assert!(
                change.wave > plan.changes[position[dep]].wave,
                "{file}: wave of {}",
                change.address
            );
        }
    }
    plan
}

#[test]
fn reference_stack_plans_all_26_resources_in_dependency_order() {
    let plan = plan_creates_everything_in_order("s3files-runtime.toml", 26);
    let spec = load("s3files-runtime.toml");
    let at = |a: &str| {
        let addr: Addr = a.parse().unwrap();
        plan.changes.iter().position(|c| c.address == addr).unwrap()
    };
    // Orderings the reference stack spells out.
    assert!(
        at("internet_gateway.igw") < at("nat_gateway.nat"),
        "NAT after the IGW attachment"
    );
    assert!(at("iam_role.s3files_service") < at("s3files_file_system.data"));
    assert!(at("s3_bucket.data") < at("s3files_file_system.data"));
    for mt in ["s3files_mount_target.a", "s3files_mount_target.b"] {
        assert!(at(mt) < at("agentcore_runtime.agent"), "{mt} before the runtime");
    }
    assert_eq!(
        at("agentcore_runtime.agent"),
        plan.changes.len() - 1,
        "the runtime comes last"
    );
    assert_eq!(plan.outputs.len(), spec.outputs.len());
    // Nothing is known offline about AWS-assigned ids.
    assert!(
        plan.outputs
            .iter()
            .all(|o| o.value.is_none() && o.value_unknown.is_some())
    );
}

#[test]
fn efs_example_plans_every_resource_in_order() {
    let plan = plan_creates_everything_in_order("efs-runtime.toml", 24);
    assert!(plan.changes.iter().all(|c| !c.address.kind.key().starts_with("s3")));
}

#[test]
fn session_storage_example_is_only_a_role_and_a_runtime() {
    let plan = plan_creates_everything_in_order("session-storage.toml", 2);
    let order: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
    assert_eq!(order, ["iam_role.runtime", "agentcore_runtime.agent"]);
}

#[test]
fn private_agent_example_plans_memory_and_gateway_without_nat() {
    let plan = plan_creates_everything_in_order("private-agent.toml", 22);
    let kinds: Vec<&str> = plan.changes.iter().map(|c| c.address.kind.key()).collect();
    for kind in [
        "agentcore_memory",
        "agentcore_gateway",
        "agentcore_gateway_target",
        "agentcore_runtime",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing: {kinds:?}");
    }
    assert!(!kinds.contains(&"nat_gateway") && !kinds.contains(&"internet_gateway"));
    for kind in ["kms_key", "log_group", "iam_policy"] {
        assert!(kinds.contains(&kind), "{kind} missing: {kinds:?}");
    }
    let interface = plan
        .changes
        .iter()
        .filter(|c| c.address.kind.key() == "vpc_endpoint" && c.address.name != "s3")
        .count();
    assert_eq!(interface, 4, "ecr.api, ecr.dkr, logs and bedrock-runtime");
}

#[test]
fn keys_logs_and_policies_come_before_what_uses_them() {
    let plan = plan_creates_everything_in_order("keys-logs-policies.toml", 7);
    let order: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
    let at = |a: &str| order.iter().position(|o| o == a).unwrap();
    assert!(at("kms_key.data") < at("s3_bucket.data"));
    assert!(at("kms_key.data") < at("log_group.agent"));
    assert!(at("iam_policy.data") < at("iam_role.runtime"));
    assert!(at("agentcore_runtime.agent") < at("log_group.runtime"));
}

#[test]
fn examples_have_no_warnings() {
    for file in [
        "s3files-runtime.toml",
        "efs-runtime.toml",
        "session-storage.toml",
        "keys-logs-policies.toml",
    ] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples").join(file);
        let text = std::fs::read_to_string(path).unwrap();
        let warnings: Vec<String> = spec::load(&text)
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect();
        assert!(warnings.is_empty(), "{file}: {warnings:#?}");
    }
}
