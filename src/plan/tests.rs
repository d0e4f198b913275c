use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::state::ResourceState;

const SPEC: &str = r#"
[stack]
name = "s"
region = "us-east-1"
[vpc.main]
cidr_block = "10.0.0.0/16"
tags = { Name = "main" }
[subnet.a]
vpc = "main"
cidr_block = "10.0.1.0/24"
az_index = 0
[iam_role.r]
name = "r"
assume_role_policy = { Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "x.amazonaws.com" }, Condition = { StringEquals = { "aws:SourceAccount" = "1" } } }] }
[agentcore_runtime.agent]
name = "agent"
container_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/uri"
role = "r"
environment_variables = { TOKEN = "secret-value", LEVEL = "info" }
sensitive_environment_variables = ["TOKEN"]
[output.vpc]
value = "${vpc.main.id}"
"#;

fn compiled(text: &str) -> (Spec, Graph) {
    let loaded = crate::spec::load(text);
    let spec = loaded.spec.unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
    let graph = Graph::from_spec(&spec).unwrap();
    (spec, graph)
}

/// A state in which every resource of `spec` was applied as it is now.
fn applied(spec: &Spec, graph: &Graph) -> State {
    let mut state = State::new("s", "us-east-1");
    let plan = compute(spec, graph, None, &Context::default()).unwrap();
    for change in &plan.changes {
        let addr = &change.address;
        let id = format!("{}-id", addr.name);
        let mut attributes = BTreeMap::from([("id".to_string(), id.clone())]);
        attributes.insert("arn".into(), format!("arn:{}", addr.name));
        state.resources.insert(
            addr.clone(),
            ResourceState {
                phase: Phase::Created,
                id: Some(id),
                attributes,
                config: json!(null),
                deps: spec.resources[addr].deps.iter().cloned().collect(),
                late: spec.resources[addr].late.iter().cloned().collect(),
                generation: 0,
                prevent_destroy: false,
                delete_timeout: None,
                failed: None,
            },
        );
    }
    // Record each config as apply would: evaluated against the ids above.
    for addr in graph.create_order() {
        let lookup = PlanLookup {
            spec,
            context: &Context::default(),
            state: Some(&state),
            pending: &HashSet::new(),
        };
        let config = evaluate(
            &config_json(&spec.resources[addr].spec, &spec.resources[addr].sensitive),
            &lookup,
        )
        .value;
        state.resources.get_mut(addr).unwrap().config = config;
    }
    state
}

#[test]
fn offline_plan_creates_everything_with_unknowns_and_redacted_secrets() {
    let (spec, graph) = compiled(SPEC);
    let plan = compute(&spec, &graph, None, &Context::default()).unwrap();
    assert_eq!(plan.summary.create, 4);
    let subnet = plan.changes.iter().find(|c| c.address.kind.key() == "subnet").unwrap();
    let vpc = subnet.attributes.iter().find(|a| a.path == "vpc").unwrap();
    assert_eq!(
        vpc.after_unknown.as_ref().and_then(|v| v.as_str()),
        Some("${vpc.main.id}")
    );
    assert_eq!(subnet.wave, 1);
    let runtime = plan
        .changes
        .iter()
        .find(|c| c.address.kind.key() == "agentcore_runtime")
        .unwrap();
    let token = runtime
        .attributes
        .iter()
        .find(|a| a.path == "environment_variables.TOKEN")
        .unwrap();
    assert!(token.sensitive && token.after.is_none());
    let text = serde_json::to_string(&plan).unwrap();
    assert!(!text.contains("secret-value"));
    assert_eq!(plan.outputs[0].value_unknown.as_deref(), Some("${vpc.main.id}"));
}

#[test]
fn applied_stack_plans_no_changes_and_knows_outputs() {
    let (spec, graph) = compiled(SPEC);
    let state = applied(&spec, &graph);
    let plan = compute(&spec, &graph, Some(&state), &Context::default()).unwrap();
    assert!(!plan.summary.has_changes(), "{:#?}", plan.changes);
    assert_eq!(plan.outputs[0].value, Some(serde_json::json!("main-id")));
    assert_eq!(plan.prior_state.as_ref().unwrap().serial, 0);
}

#[test]
fn tag_change_updates_and_cidr_change_replaces_with_dependents() {
    let (spec, graph) = compiled(SPEC);
    let state = applied(&spec, &graph);
    let changed = SPEC.replace("tags = { Name = \"main\" }", "tags = { Name = \"other\" }");
    let (spec2, graph2) = compiled(&changed);
    let plan = compute(&spec2, &graph2, Some(&state), &Context::default()).unwrap();
    assert_eq!((plan.summary.update, plan.summary.replace), (1, 0));
    let update = plan.changes.iter().find(|c| c.action == Action::Update).unwrap();
    assert_eq!(update.attributes[0].path, "tags.Name");
    assert_eq!(update.attributes[0].before, Some(json!("main")));

    let changed = SPEC
        .replace("10.0.0.0/16", "10.1.0.0/16")
        .replace("10.0.1.0/24", "10.1.1.0/24");
    let (spec3, graph3) = compiled(&changed);
    let plan = compute(&spec3, &graph3, Some(&state), &Context::default()).unwrap();
    let actions: BTreeMap<String, Action> = plan.changes.iter().map(|c| (c.address.to_string(), c.action)).collect();
    assert_eq!(actions["vpc.main"], Action::Replace);
    // The subnet's own CIDR and its VPC id both change: it is replaced too.
    assert_eq!(actions["subnet.a"], Action::Replace);
    assert!(plan.changes[0].reasons[0].contains("cidr_block"));
}

#[test]
fn removed_resources_are_deleted_dependents_first_and_protected_ones_refused() {
    let (spec, graph) = compiled(SPEC);
    let mut state = applied(&spec, &graph);
    let (empty, empty_graph) = compiled("[stack]\nname = \"s\"\nregion = \"us-east-1\"\n");
    let plan = compute(&empty, &empty_graph, Some(&state), &Context::default()).unwrap();
    let deleted: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
    let pos = |a: &str| deleted.iter().position(|d| d == a).unwrap();
    assert!(pos("subnet.a") < pos("vpc.main"));
    assert!(pos("agentcore_runtime.agent") < pos("iam_role.r"));
    state
        .resources
        .get_mut(&"vpc.main".parse().unwrap())
        .unwrap()
        .prevent_destroy = true;
    let err = compute(&empty, &empty_graph, Some(&state), &Context::default()).unwrap_err();
    assert!(err.to_string().contains("vpc.main"));
}

#[test]
fn policies_compare_semantically() {
    let (spec, graph) = compiled(SPEC);
    let mut state = applied(&spec, &graph);
    let role = state.resources.get_mut(&"iam_role.r".parse().unwrap()).unwrap();
    // IAM hands documents back with one-element lists where the spec wrote strings.
    role.config["assume_role_policy"]["Statement"][0]["Action"] = json!(["sts:AssumeRole"]);
    let plan = compute(&spec, &graph, Some(&state), &Context::default()).unwrap();
    assert!(!plan.summary.has_changes(), "{:#?}", plan.changes);
    let role = state.resources.get_mut(&"iam_role.r".parse().unwrap()).unwrap();
    role.config["assume_role_policy"]["Statement"][0]["Action"] = json!(["sts:AssumeRole", "sts:TagSession"]);
    let plan = compute(&spec, &graph, Some(&state), &Context::default()).unwrap();
    assert_eq!(plan.summary.update, 1);
}

#[test]
fn sensitive_changes_show_without_values() {
    let (spec, graph) = compiled(SPEC);
    let state = applied(&spec, &graph);
    let (spec2, graph2) = compiled(&SPEC.replace("secret-value", "rotated"));
    let plan = compute(&spec2, &graph2, Some(&state), &Context::default()).unwrap();
    let change = plan.changes.iter().find(|c| c.action == Action::Update).unwrap();
    assert!(
        change.attributes[0].sensitive && change.attributes[0].before.is_none() && change.attributes[0].after.is_none()
    );
    assert!(!serde_json::to_string(&plan).unwrap().contains("rotated"));
}

#[test]
fn ignore_changes_hides_an_attribute() {
    let with_ignore = SPEC.replace(
        "tags = { Name = \"main\" }",
        "tags = { Name = \"main\" }\nlifecycle = { ignore_changes = [\"tags\"] }",
    );
    let (spec, graph) = compiled(&with_ignore);
    let mut state = applied(&spec, &graph);
    state.resources.get_mut(&"vpc.main".parse().unwrap()).unwrap().config["tags"]["Name"] = json!("by hand");
    let plan = compute(&spec, &graph, Some(&state), &Context::default()).unwrap();
    assert!(!plan.summary.has_changes());
}

#[test]
fn plan_json_round_trips() {
    let (spec, graph) = compiled(SPEC);
    let plan = compute(&spec, &graph, None, &Context::default()).unwrap();
    let back: Plan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
    assert_eq!(back, plan);
}

#[test]
fn every_item_of_a_list_of_references_is_shown_and_offline_values_are_filled_in() {
    let text = format!(
        "{SPEC}[subnet.b]\nvpc = \"main\"\ncidr_block = \"10.0.2.0/24\"\naz_index = 1\n[vpc_endpoint.s3]\nvpc = \"main\"\nservice = \"s3\"\nroute_tables = []\ntags = {{ Name = \"${{stack}}-${{region}}-${{account_id}}\" }}\n"
    )
    .replace("container_uri = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/uri\"", "container_uri = \"${account_id}.dkr.ecr.${region}.amazonaws.com/a\"")
    .replace(
        "sensitive_environment_variables = [\"TOKEN\"]",
        "sensitive_environment_variables = [\"TOKEN\"]\nnetwork_mode = \"VPC\"\nsubnets = [\"a\", \"b\"]\nsecurity_groups = [\"g\"]",
    ) + "[security_group.g]\nvpc = \"main\"\ndescription = \"g\"\n";
    let (spec, graph) = compiled(&text);
    let plan = compute(&spec, &graph, None, &Context::default()).unwrap();
    let runtime = plan
        .changes
        .iter()
        .find(|c| c.address.kind.key() == "agentcore_runtime")
        .unwrap();
    let subnets = runtime.attributes.iter().find(|a| a.path == "subnets").unwrap();
    assert_eq!(subnets.after_unknown, Some(json!(["${subnet.a.id}", "${subnet.b.id}"])));
    assert_eq!(subnets.after, Some(json!([null, null])));
    let uri = runtime.attributes.iter().find(|a| a.path == "container_uri").unwrap();
    assert_eq!(
        uri.after_unknown,
        Some(json!("${account_id}.dkr.ecr.us-east-1.amazonaws.com/a")),
        "the region is known offline"
    );
    let shown = render::text(&plan, false);
    assert!(
        shown.contains("[(known after apply: ${subnet.a.id}), (known after apply: ${subnet.b.id})]"),
        "{shown}"
    );
}

#[test]
fn a_replace_that_deletes_data_says_so() {
    let with_bucket = format!("{SPEC}[s3_bucket.data]\nname = \"s-data-one\"\n");
    let (spec, graph) = compiled(&with_bucket);
    let state = applied(&spec, &graph);
    let (spec2, graph2) = compiled(&with_bucket.replace("s-data-one", "s-data-two"));
    let plan = compute(&spec2, &graph2, Some(&state), &Context::default()).unwrap();
    let bucket = plan
        .changes
        .iter()
        .find(|c| c.address.kind.key() == "s3_bucket")
        .unwrap();
    assert_eq!(bucket.action, Action::Replace);
    assert!(
        bucket.reasons.iter().any(|r| r.contains("deletes every object")),
        "{:?}",
        bucket.reasons
    );
    // A replace that loses nothing but the resource does not claim otherwise.
    let (spec3, graph3) = compiled(
        &with_bucket
            .replace("10.0.0.0/16", "10.1.0.0/16")
            .replace("10.0.1.0/24", "10.1.1.0/24"),
    );
    let plan = compute(&spec3, &graph3, Some(&state), &Context::default()).unwrap();
    let vpc = plan.changes.iter().find(|c| c.address.kind.key() == "vpc").unwrap();
    assert_eq!(vpc.action, Action::Replace);
    assert!(vpc.reasons.iter().all(|r| !r.contains("deletes")), "{:?}", vpc.reasons);
}

#[test]
fn accept_bucket_warning_never_shows_as_an_update() {
    let fs = "[s3_bucket.data]\nname = \"data-123456789012\"\nversioning = true\n[iam_role.fs]\nname = \"fs\"\nassume_role_policy = { Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Principal = { Service = \"elasticfilesystem.amazonaws.com\" }, Action = \"sts:AssumeRole\" }] }\n[s3files_file_system.fs]\nbucket = \"data\"\nrole = \"fs\"\n";
    let before = format!("{SPEC}{fs}");
    let (spec, graph) = compiled(&before);
    let state = applied(&spec, &graph);
    let (spec2, graph2) = compiled(&format!("{before}accept_bucket_warning = true\n"));
    let plan = compute(&spec2, &graph2, Some(&state), &Context::default()).unwrap();
    assert!(!plan.summary.has_changes(), "{:#?}", plan.changes);
}

/// The operations of `changes` in the order apply starts them.
#[derive(Debug)]
struct OpOrder(Vec<String>);

impl OpOrder {
    fn of(changes: &[ResourceChange], state: &State) -> OpOrder {
        let graph = operations(changes, Some(state)).unwrap();
        OpOrder(graph.create_order().map(|op| op.to_string()).collect())
    }

    fn at(&self, op: &str) -> usize {
        self.0
            .iter()
            .position(|o| o == op)
            .unwrap_or_else(|| panic!("{op} in {self:?}"))
    }
}

/// The reference stack with a fixed account, so that only what a test changes differs.
fn reference() -> String {
    include_str!("../../examples/s3files-runtime.toml").replace("${account_id}", "123456789012")
}

#[test]
fn an_access_point_in_use_is_replaced_new_copy_first() {
    let (spec, graph) = compiled(&reference());
    let state = applied(&spec, &graph);
    let (spec, graph) = compiled(&reference().replace("path = \"/agent\"", "path = \"/agent-v2\""));
    let plan = compute(&spec, &graph, Some(&state), &Context::default()).unwrap();
    let change = |address: &str| plan.changes.iter().find(|c| c.address.to_string() == address).unwrap();
    let point = change("s3files_access_point.agent");
    assert_eq!(point.action, Action::Replace);
    assert!(point.create_before_destroy, "{point:?}");
    assert_eq!(change("agentcore_runtime.agent").action, Action::Update);

    let order = OpOrder::of(&plan.changes, &state);
    let at = |op: &str| order.at(op);
    assert!(
        at("s3files_access_point.agent") < at("agentcore_runtime.agent"),
        "{order:?}"
    );
    assert!(
        at("agentcore_runtime.agent") < at("delete the old copy of s3files_access_point.agent"),
        "{order:?}"
    );
    assert!(
        !order.0.contains(&"delete s3files_access_point.agent".to_string()),
        "{order:?}"
    );
}

#[test]
fn an_access_point_whose_file_system_is_replaced_goes_first() {
    // Without the runtime and the role that names the file system, which would have to move
    // off the old file system before it goes (a cycle the plan refuses on its own).
    let text = reference();
    let cut = |from: &str, to: &str| {
        format!(
            "{}{}",
            &text[..text.find(from).unwrap()],
            &text[text.find(to).unwrap()..]
        )
    };
    let text = cut("[iam_role.runtime.inline_policies.s3files-client]", "[s3_bucket.data]");
    let storage_only = &text[..text
        .find("# ---------------------------------------------------------------- compute")
        .unwrap()];
    let (spec, graph) = compiled(storage_only);
    let state = applied(&spec, &graph);
    let (spec, graph) = compiled(&storage_only.replace(
        "[s3files_file_system.data]\nbucket = \"data\"",
        "[s3files_file_system.data]\nbucket = \"data\"\nprefix = \"fs/\"",
    ));
    let plan = compute(&spec, &graph, Some(&state), &Context::default()).unwrap();
    let point = plan
        .changes
        .iter()
        .find(|c| c.address.to_string() == "s3files_access_point.agent")
        .unwrap();
    assert_eq!(point.action, Action::Replace, "{point:?}");
    assert!(!point.create_before_destroy, "{point:?}");
}

#[test]
fn deposed_copies_are_planned_as_deletes_after_their_users_move() {
    let (spec, graph) = compiled(&reference());
    let mut state = applied(&spec, &graph);
    let point: Addr = "s3files_access_point.agent".parse().unwrap();
    let mut old = state.resources[&point].clone();
    old.id = Some("fsap-old".into());
    state.deposed.insert(point.clone(), vec![old]);
    let plan = compute(&spec, &graph, Some(&state), &Context::default()).unwrap();
    let change = plan.changes.iter().find(|c| c.address == point).unwrap();
    assert_eq!(change.deposed, ["fsap-old"]);
    assert_eq!(plan.summary.delete, 1);
    assert!(plan.summary.has_changes());
    assert!(render::text(&plan, false).contains("the old copy fsap-old, left by an earlier replace"));

    let destroy = destroy_changes(&state);
    let order = OpOrder::of(&destroy, &state);
    let at = |op: &str| order.at(op);
    assert!(
        at("delete agentcore_runtime.agent") < at("delete the old copy of s3files_access_point.agent"),
        "{order:?}"
    );
    assert!(
        at("delete the old copy of s3files_access_point.agent") < at("delete s3files_file_system.data"),
        "{order:?}"
    );
}

/// A KMS key is never reported deleted: the plan of its removal, and destroy's, say that its
/// deletion is scheduled for the recorded window.
#[test]
fn a_kms_key_is_planned_as_scheduled_for_deletion() {
    let text = "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n[kms_key.data]\ndeletion_window_days = 7\n";
    let (spec, graph) = compiled(text);
    let state = applied(&spec, &graph);
    let (empty, empty_graph) = compiled("[stack]\nname = \"s\"\nregion = \"us-east-1\"\n");
    let removed = compute(&empty, &empty_graph, Some(&state), &Context::default()).unwrap();
    let destroy = destroy_changes(&state);
    for change in [&removed.changes[0], &destroy[0]] {
        assert_eq!(change.action, Action::Delete);
        assert!(
            change
                .reasons
                .iter()
                .any(|r| r.contains("scheduled for deletion in 7 days")),
            "{:?}",
            change.reasons
        );
    }
    let text = render::text(&removed, false);
    assert!(text.contains("scheduled for deletion in 7 days"), "{text}");
}
