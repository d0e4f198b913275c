//! The engine's semantics against the in-process fake provider: ordering, crash adoption,
//! refused creates, destroy without creates, ownership, failed states, create-before-destroy.
//! Each runs in milliseconds; the suites under `tests/` keep what only real SDK calls prove.

use super::*;
use crate::apply::progress::{OutputMode, Reporter};
use crate::graph::Graph;
use crate::lang::SourceFile;
use crate::provider::fake::{Fake, Fault, Verb};
use crate::resources::Kind;
use crate::state::local::LocalBackend;

/// A spec and its graph, as the pipeline compiles them (the pipeline sits above the engine).
struct Compiled {
    spec: Spec,
    graph: Graph,
}

fn compile_source(source: SourceFile) -> (Result<Compiled, ()>, Vec<crate::lang::Diagnostic>) {
    let loaded = crate::spec::load(&source.text);
    match loaded.spec {
        Some(spec) => {
            let graph = Graph::from_spec(&spec).expect("acyclic");
            (Ok(Compiled { spec, graph }), loaded.diagnostics)
        }
        None => (Err(()), loaded.diagnostics),
    }
}

const NETWORK: &str = r#"
[stack]
name = "unit"
region = "us-east-1"

[vpc.main]
cidr_block = "10.1.0.0/16"

[subnet.a]
vpc = "main"
cidr_block = "10.1.1.0/24"
az_index = 0

[security_group.app]
vpc = "main"
description = "app"

[route_table.private]
vpc = "main"
"#;

struct Harness {
    _dir: tempfile::TempDir,
    store: Store,
    fake: Fake,
    reporter: Reporter,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::Local(LocalBackend::new(dir.path(), "unit"));
        Harness {
            _dir: dir,
            store,
            fake: Fake::new("unit"),
            reporter: Reporter::new(OutputMode::Json),
        }
    }

    async fn recorded(&self) -> Option<State> {
        self.store.load().await.unwrap()
    }

    /// Plan (refreshed from the fake account when a state exists) and apply `text`.
    async fn apply(&self, text: &str) -> (Report, State) {
        let (plan, report, state) = self.apply_selected(text, plan::targeting::Selection::default()).await;
        let _ = plan;
        (report, state)
    }

    /// [`Harness::apply`] limited by `--target` / `--exclude` / `--replace`.
    async fn apply_selected(&self, text: &str, selection: plan::targeting::Selection) -> (Plan, Report, State) {
        let loaded = crate::spec::load(text);
        let spec = loaded.spec.unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
        let graph = Graph::from_spec(&spec).expect("acyclic");
        let state = match self.recorded().await {
            Some(recorded) => {
                let live = crate::drift::read_live(&self.fake, &recorded).await.unwrap();
                Some(crate::drift::refreshed(&recorded, &live))
            }
            None => None,
        };
        let existing = plan::reads::read_existing(&self.fake, &spec, state.as_ref())
            .await
            .unwrap();
        let context = plan::Context {
            account_id: Some(self.fake.account_id().to_string()),
            existing: existing.clone(),
            facts: None,
            selection,
        };
        let plan = plan::compute(&spec, &graph, state.as_ref(), &context).unwrap();
        let mut state = state.unwrap_or_else(|| State::new("unit", "us-east-1"));
        state.reads = existing;
        let engine = Engine::new(&self.fake, &self.store, state, &self.reporter, options());
        let report = engine.apply(&spec, &plan).await;
        (plan, report, engine.state().await)
    }

    async fn destroy(&self) -> Report {
        let state = self.recorded().await.expect("a state to destroy");
        let engine = Engine::new(&self.fake, &self.store, state, &self.reporter, options());
        engine.destroy().await
    }

    /// The `create …` / `delete …` calls, in order.
    fn writes(&self) -> Vec<String> {
        self.fake
            .calls()
            .into_iter()
            .filter(|c| !c.starts_with("find ") && !c.starts_with("lookup "))
            .collect()
    }
}

fn options() -> Options {
    Options {
        parallelism: 4,
        blocked_wait: None,
    }
}

fn addr(text: &str) -> Addr {
    text.parse().unwrap()
}

fn position(calls: &[String], call: &str) -> usize {
    calls
        .iter()
        .position(|c| c == call)
        .unwrap_or_else(|| panic!("no `{call}` in {calls:?}"))
}

#[tokio::test]
async fn apply_creates_what_a_resource_names_before_it_and_records_every_one() {
    let h = Harness::new();
    let (report, state) = h.apply(NETWORK).await;
    assert!(report.ok(), "{report:?}");
    let calls = h.writes();
    assert!(position(&calls, "create vpc.main") < position(&calls, "create subnet.a"));
    assert!(position(&calls, "create vpc.main") < position(&calls, "create security_group.app"));
    assert_eq!(state.resources.len(), 4);
    assert!(
        state
            .resources
            .values()
            .all(|r| r.phase == Phase::Created && r.id.is_some())
    );
    let subnet = &state.resources[&addr("subnet.a")];
    assert_eq!(subnet.deps, vec![addr("vpc.main")]);
    assert_eq!(h.fake.live().len(), 4);
    // Converged: a second apply calls nothing that writes.
    let before = h.writes().len();
    let (report, _) = h.apply(NETWORK).await;
    assert!(report.ok() && report.done == 0, "{report:?}");
    assert_eq!(h.writes().len(), before);
}

#[tokio::test]
async fn every_resource_carries_its_stack_and_address_tags_from_the_create() {
    let h = Harness::new();
    let (report, state) = h.apply(NETWORK).await;
    assert!(report.ok());
    for (address, recorded) in &state.resources {
        let live = &h.fake.live()[recorded.id.as_deref().unwrap()];
        assert_eq!(live.tags.get(TAG_STACK).map(String::as_str), Some("unit"));
        assert_eq!(live.tags.get(TAG_RESOURCE), Some(&address.to_string()));
    }
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_finished_by_the_next_apply_without_a_second_copy() {
    let h = Harness::new();
    h.fake.inject(Verb::Create, "subnet.a", Fault::LostAnswer);
    let (report, state) = h.apply(NETWORK).await;
    assert!(!report.ok());
    assert!(matches!(
        state.resources[&addr("subnet.a")].phase,
        Phase::Creating { .. }
    ));
    assert_eq!(h.fake.ids(Kind::Subnet).len(), 1, "the lost create took effect");

    let (report, state) = h.apply(NETWORK).await;
    assert!(report.ok(), "{report:?}");
    assert_eq!(
        h.fake.ids(Kind::Subnet).len(),
        1,
        "the same token found the same subnet"
    );
    assert_eq!(
        state.resources[&addr("subnet.a")].id.as_deref(),
        Some(h.fake.ids(Kind::Subnet)[0].as_str())
    );
}

#[tokio::test]
async fn a_create_aws_refuses_leaves_no_intent_and_nothing_else_starts() {
    let h = Harness::new();
    h.fake
        .inject(Verb::Create, "vpc.main", Fault::Refuse("VpcLimitExceeded"));
    let (report, state) = h.apply(NETWORK).await;
    assert!(!report.ok());
    assert!(state.resources.is_empty(), "{:?}", state.resources);
    assert!(
        !report.skipped.is_empty(),
        "what needs the VPC never started: {report:?}"
    );
    assert!(h.fake.live().is_empty());
}

#[tokio::test]
async fn destroy_never_creates_and_deletes_what_an_interrupted_create_made() {
    let h = Harness::new();
    // The subnet's create took effect but its answer was lost; `route_table.extra`'s intent
    // was recorded by a run that died before its call.
    h.fake.inject(Verb::Create, "subnet.a", Fault::LostAnswer);
    let (report, _) = h.apply(NETWORK).await;
    assert!(!report.ok());
    let mut state = h.recorded().await.unwrap();
    state.resources.insert(
        addr("route_table.extra"),
        ResourceState {
            phase: Phase::Creating {
                client_token: resources::fresh_token(),
            },
            id: None,
            attributes: BTreeMap::new(),
            config: serde_json::json!({"vpc": "vpc-gone"}),
            deps: vec![],
            late: vec![],
            generation: 0,
            prevent_destroy: false,
            delete_timeout: None,
            failed: None,
        },
    );
    h.store.save(&state).await.unwrap();
    let creates_before = h.writes().iter().filter(|c| c.starts_with("create ")).count();

    let report = h.destroy().await;
    assert!(report.ok(), "{report:?}");
    let creates_after = h.writes().iter().filter(|c| c.starts_with("create ")).count();
    assert_eq!(creates_before, creates_after, "destroy sent a create: {:?}", h.writes());
    assert!(h.writes().contains(&"delete subnet.a".to_string()), "{:?}", h.writes());
    assert!(
        !h.writes().contains(&"delete route_table.extra".to_string()),
        "nothing was made, so nothing is deleted"
    );
    assert!(h.fake.live().is_empty(), "{:?}", h.fake.live());
    assert!(h.recorded().await.is_none(), "the state is gone with the stack");
}

#[tokio::test]
async fn a_changed_intent_adopts_what_the_interrupted_create_made() {
    let h = Harness::new();
    h.fake.inject(Verb::Create, "security_group.app", Fault::LostAnswer);
    let (report, _) = h.apply(NETWORK).await;
    assert!(!report.ok());
    let changed = NETWORK.replace(
        "description = \"app\"",
        "description = \"app\"\ntags = { team = \"a\" }",
    );
    let (report, state) = h.apply(&changed).await;
    assert!(report.ok(), "{report:?}");
    assert_eq!(h.fake.ids(Kind::SecurityGroup).len(), 1, "no second group");
    let id = state.resources[&addr("security_group.app")].id.clone().unwrap();
    assert_eq!(h.fake.live()[&id].tags.get("team").map(String::as_str), Some("a"));
    assert!(h.writes().contains(&"update security_group.app".to_string()));
}

#[tokio::test]
async fn a_resource_deleted_outside_is_made_again_with_a_new_token() {
    let h = Harness::new();
    let (report, state) = h.apply(NETWORK).await;
    assert!(report.ok());
    let first = state.resources[&addr("route_table.private")].id.clone().unwrap();
    h.fake.delete_outside(&first);
    let (report, state) = h.apply(NETWORK).await;
    assert!(report.ok(), "{report:?}");
    let second = state.resources[&addr("route_table.private")].id.clone().unwrap();
    assert_ne!(first, second, "a token sent before answered the deleted copy");
    assert!(h.fake.live().contains_key(&second));
}

#[tokio::test]
async fn a_resource_left_failed_is_recorded_with_its_id_and_replaced_next_time() {
    let h = Harness::new();
    h.fake
        .inject(Verb::Create, "route_table.private", Fault::FailedState("InternalError"));
    let (report, state) = h.apply(NETWORK).await;
    assert!(!report.ok());
    let failed = &state.resources[&addr("route_table.private")];
    let failed_id = failed.id.clone().expect("the failed copy is recorded, not orphaned");
    assert_eq!(failed.failed.as_deref(), Some("InternalError"));

    let (report, state) = h.apply(NETWORK).await;
    assert!(report.ok(), "{report:?}");
    let now = &state.resources[&addr("route_table.private")];
    assert!(now.failed.is_none() && now.id.as_deref() != Some(failed_id.as_str()));
    assert!(!h.fake.live().contains_key(&failed_id), "the failed copy was deleted");
    assert_eq!(now.generation, 1);
}

#[tokio::test]
async fn destroy_deletes_dependents_first_and_never_another_stacks_resource() {
    let h = Harness::new();
    let (report, state) = h.apply(NETWORK).await;
    assert!(report.ok());
    let group = state.resources[&addr("security_group.app")].id.clone().unwrap();
    h.fake.tag(&group, TAG_STACK, "platform");

    let report = h.destroy().await;
    assert!(!report.ok());
    let message = report
        .failures
        .iter()
        .map(|(_, e)| e.clone())
        .collect::<Vec<_>>()
        .join("; ");
    assert!(message.contains("`platform`"), "{message}");
    assert!(
        h.fake.live().contains_key(&group),
        "the other stack's group is still there"
    );
    let calls = h.writes();
    assert!(!calls.contains(&"delete security_group.app".to_string()));
    assert!(calls.contains(&"delete subnet.a".to_string()), "{calls:?}");
    // The VPC waits on the group, which stays: it is not deleted either.
    assert!(!calls.contains(&"delete vpc.main".to_string()), "{calls:?}");
    assert!(
        h.recorded()
            .await
            .unwrap()
            .resources
            .contains_key(&addr("security_group.app"))
    );
}

#[tokio::test]
async fn a_delete_of_what_is_already_gone_reports_it_as_gone() {
    let h = Harness::new();
    let (report, state) = h.apply(NETWORK).await;
    assert!(report.ok());
    let subnet = state.resources[&addr("subnet.a")].id.clone().unwrap();
    h.fake.delete_outside(&subnet);
    let engine = Engine::new(&h.fake, &h.store, state, &h.reporter, options());
    let outcome = engine.delete_one(&addr("subnet.a"), false, None).await.unwrap();
    assert_eq!(outcome, Deleted::AlreadyGone);
    let outcome = engine
        .delete_one(&addr("route_table.private"), false, None)
        .await
        .unwrap();
    assert_eq!(outcome, Deleted::Deleted);
}

#[tokio::test]
async fn a_refused_delete_leaves_the_resource_recorded_as_created() {
    let h = Harness::new();
    let (report, _) = h.apply(NETWORK).await;
    assert!(report.ok());
    h.fake.inject(Verb::Delete, "vpc.main", Fault::InUse);
    let report = h.destroy().await;
    assert!(!report.ok());
    let state = h.recorded().await.unwrap();
    assert_eq!(state.resources.len(), 1, "{:?}", state.resources.keys());
    assert_eq!(state.resources[&addr("vpc.main")].phase, Phase::Created);
    // The next destroy finishes the job.
    let report = h.destroy().await;
    assert!(report.ok(), "{report:?}");
    assert!(h.fake.live().is_empty());
}

#[tokio::test]
async fn an_access_point_in_use_is_replaced_new_copy_first_and_the_old_one_goes_last() {
    let reference =
        include_str!("../../examples/s3files-runtime.toml").replace("name = \"fsverify\"", "name = \"unit\"");
    let h = Harness::new();
    let (report, state) = h.apply(&reference).await;
    assert!(report.ok(), "{report:?}");
    let old = state.resources[&addr("s3files_access_point.agent")].id.clone().unwrap();

    let moved = reference.replace("path = \"/agent\"", "path = \"/agent2\"");
    let before = h.writes().len();
    let (report, state) = h.apply(&moved).await;
    assert!(report.ok(), "{report:?}");
    let calls: Vec<String> = h.writes().split_off(before);
    let created = position(&calls, "create s3files_access_point.agent");
    let updated = position(&calls, "update agentcore_runtime.agent");
    let deleted = position(&calls, "delete s3files_access_point.agent");
    assert!(created < updated && updated < deleted, "{calls:?}");
    assert!(!h.fake.live().contains_key(&old));
    assert!(state.deposed.is_empty());
    let new = state.resources[&addr("s3files_access_point.agent")].id.clone().unwrap();
    let runtime = &h.fake.live()[state.resources[&addr("agentcore_runtime.agent")].id.as_deref().unwrap()];
    assert!(
        runtime.config.to_string().contains(&new),
        "the runtime mounts the new copy: {}",
        runtime.config
    );
}

#[tokio::test]
async fn existing_resources_are_read_never_written_and_destroy_forgets_them() {
    let h = Harness::new();
    let vpc = h.fake.make_outside(Kind::Vpc, &[("Name", "core")]);
    let subnet = h.fake.make_outside(Kind::Subnet, &[("Name", "core-a")]);
    let before = h.fake.live();
    let text = format!(
        r#"
[stack]
name = "unit"
region = "us-east-1"

[vpc.core]
existing = {{ tags = {{ Name = "core" }} }}

[subnet.a]
existing = {{ id = "{subnet}" }}

[security_group.app]
vpc = "core"
description = "app"

[route_table.private]
vpc = "{vpc}"
"#
    );
    let (report, state) = h.apply(&text).await;
    assert!(report.ok(), "{report:?}");
    assert_eq!(h.writes(), ["create security_group.app", "create route_table.private"]);
    assert_eq!(state.reads[&addr("vpc.core")].id, vpc);
    assert_eq!(state.reads[&addr("subnet.a")].id, subnet);
    assert!(
        state.reads.contains_key(&Addr::new(Kind::Vpc, vpc.clone())),
        "the literal id is read too"
    );
    assert!(!state.resources.contains_key(&addr("vpc.core")));
    let group = h.fake.live()[state.resources[&addr("security_group.app")].id.as_deref().unwrap()].clone();
    assert_eq!(group.config["vpc"], vpc.as_str());
    // The reads are recorded, and a second apply changes nothing.
    assert_eq!(h.recorded().await.unwrap().reads.len(), 3);
    let (report, _) = h.apply(&text).await;
    assert!(report.ok() && report.done == 0, "{report:?}");
    let report = h.destroy().await;
    assert!(report.ok(), "{report:?}");
    let deletes: Vec<String> = h.writes().into_iter().filter(|c| c.starts_with("delete")).collect();
    assert_eq!(deletes.len(), 2, "{deletes:?}");
    assert!(deletes.iter().all(|d| !d.contains("vpc") && !d.contains("subnet")));
    let after = h.fake.live();
    assert_eq!(
        after.get(&vpc),
        before.get(&vpc),
        "the existing VPC is untouched, tags included"
    );
    assert_eq!(after.get(&subnet), before.get(&subnet));
    assert!(h.recorded().await.is_none(), "destroy forgot the reads with the rest");
}

const GROUPS_NAMING_EACH_OTHER: &str = r#"
[stack]
name = "unit"
region = "us-east-1"

[vpc.main]
cidr_block = "10.1.0.0/16"

[security_group.app]
vpc = "main"
description = "app"
ingress = [{ protocol = "tcp", from_port = 8080, to_port = 8080, source_security_group = "db" }]

[security_group.db]
vpc = "main"
description = "db"
ingress = [
  { protocol = "tcp", from_port = 5432, to_port = 5432, source_security_group = "app" },
  { protocol = "tcp", from_port = 22, to_port = 22, cidr_blocks = ["10.1.0.0/16"] },
]
"#;

#[tokio::test]
async fn security_groups_that_name_each_other_are_made_then_completed_and_detached_before_destroy() {
    let h = Harness::new();
    let (report, state) = h.apply(GROUPS_NAMING_EACH_OTHER).await;
    assert!(report.ok(), "{report:?}");
    let id = |name: &str| state.resources[&addr(name)].id.clone().unwrap();
    let source = |group: &str, rule: usize| {
        state.resources[&addr(group)].config["ingress"][rule]["source_security_group"]
            .as_str()
            .map(String::from)
    };
    assert_eq!(source("security_group.app", 0), Some(id("security_group.db")));
    assert_eq!(source("security_group.db", 0), Some(id("security_group.app")));
    // What AWS has is what the state records.
    for group in ["security_group.app", "security_group.db"] {
        assert_eq!(
            h.fake.live()[&id(group)].config["ingress"],
            state.resources[&addr(group)].config["ingress"],
            "{group}"
        );
    }
    assert_eq!(
        state.resources[&addr("security_group.app")].late,
        vec![addr("security_group.db")]
    );
    // Converged: nothing more to do.
    let (report, _) = h.apply(GROUPS_NAMING_EACH_OTHER).await;
    assert!(report.ok() && report.done == 0, "{report:?}");
    let report = h.destroy().await;
    assert!(report.ok(), "{report:?}");
    assert!(h.fake.live().is_empty(), "{:?}", h.fake.live());
    let calls = h.writes();
    let deletes = position(&calls, "delete security_group.app").min(position(&calls, "delete security_group.db"));
    let updates: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.starts_with("update security_group."))
        .map(|(i, _)| i)
        .collect();
    // The group made first is completed once the other exists; on destroy both are detached
    // before either is deleted (the fake, as EC2, refuses to delete a group a rule names).
    assert!(position(&calls, "create security_group.db") < updates[0], "{calls:?}");
    assert_eq!(updates.len(), 3, "{calls:?}");
    assert!(updates.iter().all(|&u| u < deletes), "{calls:?}");
}

#[tokio::test]
async fn a_moved_resource_keeps_its_id_and_nothing_is_replaced() {
    let h = Harness::new();
    let (report, before) = h.apply(NETWORK).await;
    assert!(report.ok(), "{report:?}");
    let renamed = NETWORK.replace("[subnet.a]", "[subnet.primary]")
        + "\n[[moved]]\nfrom = \"subnet.a\"\nto = \"subnet.primary\"\n";
    let (compiled, _) = compile_source(SourceFile::new("unit.toml", renamed.clone()));
    let compiled = compiled.unwrap_or_else(|_| panic!("loads"));
    let plan = plan::compute(
        &compiled.spec,
        &compiled.graph,
        Some(&before),
        &plan::Context::default(),
    )
    .unwrap();
    let moved = plan
        .changes
        .iter()
        .find(|c| c.address == addr("subnet.primary"))
        .unwrap();
    assert_eq!(moved.action, Action::NoOp);
    assert_eq!(moved.moved_from, Some(addr("subnet.a")));
    assert_eq!(
        (plan.summary.moved, plan.summary.create, plan.summary.delete),
        (1, 0, 0)
    );
    assert!(plan::render::text(&plan, false).contains("-> subnet.primary  (moved"));
    let writes = h.writes().len();
    let (report, after) = h.apply(&renamed).await;
    assert!(report.ok(), "{report:?}");
    assert_eq!(h.writes().len(), writes, "a move makes no AWS call: {:?}", h.writes());
    assert_eq!(
        after.resources[&addr("subnet.primary")].id,
        before.resources[&addr("subnet.a")].id
    );
    assert!(!after.resources.contains_key(&addr("subnet.a")));
    // The block may stay: the move is done, and the next plan has nothing to do.
    let (report, _) = h.apply(&renamed).await;
    assert!(report.ok() && report.done == 0, "{report:?}");
}

#[tokio::test]
async fn a_move_onto_a_recorded_address_or_from_nothing_is_refused() {
    let h = Harness::new();
    let (report, state) = h.apply(NETWORK).await;
    assert!(report.ok(), "{report:?}");
    let plan_of = |text: String| {
        let (compiled, diagnostics) = compile_source(SourceFile::new("unit.toml", text));
        let compiled = compiled.unwrap_or_else(|_| panic!("{diagnostics:?}"));
        plan::compute(&compiled.spec, &compiled.graph, Some(&state), &plan::Context::default())
    };
    // Both the old and the new address are recorded: the move would overwrite one.
    let mut both = state.clone();
    let copy = both.resources[&addr("subnet.a")].clone();
    both.resources.insert(addr("subnet.primary"), copy);
    let renamed = NETWORK.replace("[subnet.a]", "[subnet.primary]")
        + "\n[[moved]]\nfrom = \"subnet.a\"\nto = \"subnet.primary\"\n";
    let (compiled, _) = compile_source(SourceFile::new("unit.toml", renamed));
    let compiled = compiled.unwrap_or_else(|_| panic!("loads"));
    let taken = plan::compute(&compiled.spec, &compiled.graph, Some(&both), &plan::Context::default()).unwrap_err();
    assert!(
        taken
            .to_string()
            .contains("moved[0]: `subnet.primary` is already in the state"),
        "{taken}"
    );
    // Neither is recorded: a typo, not a move already made.
    let nothing = NETWORK.replace("[subnet.a]", "[subnet.primary]")
        + "\n[[moved]]\nfrom = \"subnet.typo\"\nto = \"subnet.primary\"\n";
    let missing = plan_of(nothing).unwrap_err();
    assert!(
        missing.to_string().contains("`subnet.typo` is not in the state"),
        "{missing}"
    );
}

#[tokio::test]
async fn a_removed_resource_is_forgotten_and_left_in_aws() {
    let h = Harness::new();
    let (report, before) = h.apply(NETWORK).await;
    assert!(report.ok(), "{report:?}");
    let id = before.resources[&addr("route_table.private")].id.clone().unwrap();
    let forgotten = NETWORK.replace("[route_table.private]\nvpc = \"main\"\n", "")
        + "\n[[removed]]\nfrom = \"route_table.private\"\n";
    let (compiled, _) = compile_source(SourceFile::new("unit.toml", forgotten.clone()));
    let compiled = compiled.unwrap_or_else(|_| panic!("loads"));
    let plan = plan::compute(
        &compiled.spec,
        &compiled.graph,
        Some(&before),
        &plan::Context::default(),
    )
    .unwrap();
    let change = plan
        .changes
        .iter()
        .find(|c| c.address == addr("route_table.private"))
        .unwrap();
    assert_eq!(change.action, Action::Forget);
    assert_eq!((plan.summary.forget, plan.summary.delete), (1, 0));
    let text = plan::render::text(&plan, false);
    assert!(text.contains("will no longer be managed"), "{text}");
    let (report, after) = h.apply(&forgotten).await;
    assert!(report.ok(), "{report:?}");
    assert!(!h.writes().iter().any(|c| c.starts_with("delete")), "{:?}", h.writes());
    assert!(!after.resources.contains_key(&addr("route_table.private")));
    let live = &h.fake.live()[&id];
    // Untouched, its tags included.
    assert_eq!(
        live.tags.get(TAG_RESOURCE).map(String::as_str),
        Some("route_table.private")
    );
    let (report, _) = h.apply(&forgotten).await;
    assert!(report.ok() && report.done == 0, "{report:?}");
}

fn selection(targets: &[&str], excludes: &[&str], replace: &[&str]) -> plan::targeting::Selection {
    let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    plan::targeting::Selection::parse(&own(targets), &own(excludes), &own(replace)).unwrap()
}

#[tokio::test]
async fn a_target_brings_what_it_depends_on_and_the_plan_names_what_it_leaves_out() {
    let h = Harness::new();
    let (plan, report, state) = h.apply_selected(NETWORK, selection(&["subnet.a"], &[], &[])).await;
    assert!(report.ok(), "{report:?}");
    let mut made: Vec<String> = state.resources.keys().map(|a| a.to_string()).collect();
    made.sort();
    assert_eq!(made, ["subnet.a", "vpc.main"]);
    assert_eq!(plan.left_out, [addr("route_table.private"), addr("security_group.app")]);
    let text = plan::render::text(&plan, false);
    assert!(
        text.contains("Left out because of --target / --exclude") && text.contains("security_group.app"),
        "{text}"
    );
    // The rest follows without the flag.
    let (report, state) = h.apply(NETWORK).await;
    assert!(report.ok() && state.resources.len() == 4, "{report:?}");
}

#[tokio::test]
async fn an_exclusion_takes_what_depends_on_it_along() {
    let h = Harness::new();
    let (plan, report, state) = h.apply_selected(NETWORK, selection(&[], &["vpc.main"], &[])).await;
    assert!(report.ok(), "{report:?}");
    assert!(state.resources.is_empty(), "{:?}", state.resources.keys());
    assert_eq!(plan.left_out.len(), 4);
    let (_, report, state) = h.apply_selected(NETWORK, selection(&[], &["subnet.a"], &[])).await;
    assert!(report.ok(), "{report:?}");
    assert!(!state.resources.contains_key(&addr("subnet.a")) && state.resources.len() == 3);
}

#[tokio::test]
async fn replace_forces_a_replacement_and_unknown_addresses_are_errors() {
    let h = Harness::new();
    let (_, before) = h.apply(NETWORK).await;
    let (plan, report, after) = h
        .apply_selected(NETWORK, selection(&[], &[], &["security_group.app"]))
        .await;
    assert!(report.ok(), "{report:?}");
    let change = plan
        .changes
        .iter()
        .find(|c| c.address == addr("security_group.app"))
        .unwrap();
    assert_eq!(change.action, Action::Replace);
    assert!(
        change.reasons.iter().any(|r| r.contains("--replace")),
        "{:?}",
        change.reasons
    );
    assert_ne!(
        after.resources[&addr("security_group.app")].id,
        before.resources[&addr("security_group.app")].id
    );
    let (compiled, _) = compile_source(SourceFile::new("unit.toml", NETWORK.to_string()));
    let compiled = compiled.unwrap_or_else(|_| panic!("loads"));
    for bad in [
        selection(&["subnet.nope"], &[], &[]),
        selection(&[], &["vpc.nope"], &[]),
        selection(&[], &[], &["subnet.nope"]),
    ] {
        let context = plan::Context {
            selection: bad,
            ..Default::default()
        };
        let err = plan::compute(&compiled.spec, &compiled.graph, Some(&after), &context).unwrap_err();
        assert!(err.to_string().contains("no such resource"), "{err}");
    }
}

#[tokio::test]
async fn a_targeted_destroy_deletes_the_target_and_what_depends_on_it_only() {
    let h = Harness::new();
    let (report, state) = h.apply(NETWORK).await;
    assert!(report.ok(), "{report:?}");
    let limited = crate::plan::destroy_plan(&state, &selection(&["subnet.a"], &[], &[])).unwrap();
    let engine = Engine::new(&h.fake, &h.store, state.clone(), &h.reporter, options());
    let report = engine.destroy_these(&limited.changes, true).await;
    assert!(report.ok(), "{report:?}");
    let mut left: Vec<String> = engine.state().await.resources.keys().map(|a| a.to_string()).collect();
    left.sort();
    assert_eq!(left, ["route_table.private", "security_group.app", "vpc.main"]);
    // Excluding the security group keeps the VPC it needs too.
    let state = engine.state().await;
    let limited = crate::plan::destroy_plan(&state, &selection(&[], &["security_group.app"], &[])).unwrap();
    let deleted: Vec<String> = limited.changes.iter().map(|c| c.address.to_string()).collect();
    assert_eq!(deleted, ["route_table.private"]);
    assert!(crate::plan::destroy_plan(&state, &selection(&["subnet.a"], &[], &[])).is_err());
}

#[tokio::test]
async fn a_list_output_is_recorded_as_a_list_and_an_old_string_output_still_loads() {
    let h = Harness::new();
    let text = format!(
        "{NETWORK}\n[subnet.b]\nvpc = \"main\"\ncidr_block = \"10.1.2.0/24\"\naz_index = 1\n\n[output.private_subnets]\nvalue = [\"${{subnet.a.id}}\", \"${{subnet.b.id}}\"]\n\n[output.vpc]\nvalue = \"${{vpc.main.id}}\"\n"
    );
    let (plan, report, state) = h.apply_selected(&text, Default::default()).await;
    assert!(report.ok(), "{report:?}");
    assert!(
        plan.outputs[0]
            .value_unknown
            .as_deref()
            .is_some_and(|e| e.starts_with('['))
    );
    let ids = serde_json::json!([
        state.resources[&addr("subnet.a")].id,
        state.resources[&addr("subnet.b")].id
    ]);
    assert_eq!(state.outputs["private_subnets"].value, ids);
    assert_eq!(
        state.outputs["vpc"].value,
        serde_json::json!(state.resources[&addr("vpc.main")].id)
    );
    let (plan, _, _) = h.apply_selected(&text, Default::default()).await;
    assert_eq!(plan.outputs[0].value, Some(ids));
    // A state written before outputs could be lists.
    let mut old = serde_json::to_value(&state).unwrap();
    old["outputs"] = serde_json::json!({"vpc": {"value": "vpc-1"}});
    let loaded = crate::state::parse_state("old.json", old.to_string().as_bytes()).unwrap();
    assert_eq!(loaded.outputs["vpc"].value, serde_json::json!("vpc-1"));
}

#[tokio::test]
async fn an_import_block_adopts_the_existing_resource_instead_of_creating_one() {
    let h = Harness::new();
    let existing = h.fake.make_outside(Kind::SecurityGroup, &[("team", "platform")]);
    let text = format!("{NETWORK}\n[[import]]\nto = \"security_group.app\"\nid = \"{existing}\"\n");
    let (plan, report, state) = h.apply_selected(&text, Default::default()).await;
    assert!(report.ok(), "{report:?}");
    let change = plan
        .changes
        .iter()
        .find(|c| c.address == addr("security_group.app"))
        .unwrap();
    assert_eq!(change.import_id.as_deref(), Some(existing.as_str()));
    assert_eq!((plan.summary.import, plan.summary.create), (1, 3));
    let text_plan = plan::render::text(&plan, false);
    assert!(
        text_plan.contains("<= security_group.app  (import") && text_plan.contains("will be imported"),
        "{text_plan}"
    );
    assert!(
        !h.writes().contains(&"create security_group.app".to_string()),
        "{:?}",
        h.writes()
    );
    assert_eq!(
        state.resources[&addr("security_group.app")].id.as_deref(),
        Some(existing.as_str())
    );
    // Done once: the block may stay.
    let (_, report, _) = h.apply_selected(&text, Default::default()).await;
    assert!(report.ok() && report.done == 0, "{report:?}");
}

#[tokio::test]
async fn an_import_block_refuses_another_stacks_resource() {
    let h = Harness::new();
    let theirs = h.fake.make_outside(Kind::RouteTable, &[(TAG_STACK, "platform")]);
    let text = format!("{NETWORK}\n[[import]]\nto = \"route_table.private\"\nid = \"{theirs}\"\n");
    let (_, report, state) = h.apply_selected(&text, Default::default()).await;
    assert!(!report.ok());
    assert!(
        report
            .failures
            .iter()
            .any(|(_, e)| e.contains("agentfs:stack = `platform`")),
        "{report:?}"
    );
    assert!(!state.resources.contains_key(&addr("route_table.private")));
}
