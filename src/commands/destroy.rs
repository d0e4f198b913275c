//! `agentfs destroy`: delete what the state records, dependents first; needs no spec.
//! [`destroy_plan`] is also `agentfs plan --destroy`: the same list, changing nothing.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::{confirm, finish};
use crate::apply::progress::Reporter;
use crate::apply::{Engine, Options};
use crate::cli::DestroyArgs;
use crate::pipeline::{CliError, check_account, connect, load_state, state_store, with_lock};
use crate::plan::{self, PLAN_FORMAT_VERSION, Plan, PlanError, StateRef, Summary};
use crate::state::State;

pub async fn destroy(args: DestroyArgs) -> Result<ExitCode, CliError> {
    let (store, stack, owner) = state_store(&args.store, args.spec.as_ref()).await?;
    with_lock(&store, "destroy", async {
        let reporter = Reporter::new(args.run.output);
        let Some(state) = load_state(&store, &owner).await? else {
            reporter.message(&format!("Stack `{stack}` has no recorded state: nothing to destroy."));
            reporter.summary("destroy", &crate::apply::Report::default());
            return Ok(ExitCode::SUCCESS);
        };
        let plan = destroy_plan(&state)?;
        if !reporter.is_json() {
            crate::out!("{}", destroy_text(&plan));
        }
        confirm(&args.run, "Destroy them?").await?;
        // Only once the question is answered: before it, nothing is being destroyed.
        reporter.message(&format!(
            "Destroying {} resource(s) of stack `{}` in {}.",
            state.resources.len(),
            state.stack,
            state.region
        ));
        let ctx = connect(&state.region.clone(), &state.stack.clone()).await?;
        check_account(&store, &state, &ctx)?;
        let options = Options {
            parallelism: args.run.parallelism,
            blocked_wait: Some(args.blocked_wait),
        };
        let engine = Engine::new(&ctx, &store, state, &reporter, options);
        let report = engine.destroy().await;
        if !report.ok() {
            let left: Vec<String> = engine.state().await.resources.keys().map(|a| a.to_string()).collect();
            reporter.message(&format!(
                "Still recorded (run `agentfs destroy` again later to finish): {}",
                left.join(", ")
            ));
        }
        let code = finish(&reporter, &report, "Destroy");
        reporter.summary("destroy", &report);
        Ok(code)
    })
    .await
}

/// What destroy deletes: every recorded resource, dependents first, as a plan (format 1) whose
/// every action is `delete`. `wave` is the depth from the end: wave 0 has no recorded
/// dependents and goes first. Refused when a resource has `lifecycle.prevent_destroy`.
pub fn destroy_plan(state: &State) -> Result<Plan, CliError> {
    if let Some((addr, _)) = state.resources.iter().find(|(_, r)| r.prevent_destroy) {
        return Err(PlanError::PreventDestroy {
            addr: addr.clone(),
            action: "delete",
            because: " (the whole stack is being destroyed)".into(),
        }
        .into());
    }
    let changes = plan::destroy_changes(state);
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        stack: state.stack.clone(),
        region: state.region.clone(),
        prior_state: Some(StateRef {
            lineage: state.lineage.clone(),
            serial: state.serial,
        }),
        summary: Summary {
            delete: changes.len(),
            ..Summary::default()
        },
        reads: state
            .reads
            .iter()
            .map(|(addr, r)| plan::reads::ReadChange {
                address: addr.clone(),
                kind: addr.kind,
                selector: r.selector.clone(),
                id: Some(r.id.clone()),
                attributes: r.attributes.clone(),
                literal: false,
                changes: vec!["existing: not made by this stack, never deleted; its record is forgotten".into()],
            })
            .collect(),
        changes,
        outputs: Vec::new(),
        spec_source: None,
        variables: Default::default(),
    })
}

/// A destroy plan as a person reads it: the addresses in the order they go.
pub fn destroy_text(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Destroy plan for stack `{}` in {}:", plan.stack, plan.region);
    if !plan.reads.is_empty() {
        let _ = writeln!(
            out,
            "\nExisting resources this stack only read: never deleted, their records forgotten."
        );
        for read in &plan.reads {
            let _ = writeln!(out, "  <= {}  ({})", read.address, read.id.as_deref().unwrap_or("-"));
        }
    }
    if plan.changes.is_empty() {
        let _ = writeln!(out, "\nNothing is recorded: nothing to delete.");
        return out;
    }
    let _ = writeln!(
        out,
        "Deleted dependents first; each goes once everything that depends on it is gone (\"wave\" = depth from the end).\n"
    );
    for change in &plan.changes {
        let _ = writeln!(out, "  - {}  (delete, wave {})", change.address, change.wave);
        for reason in &change.reasons {
            let _ = writeln!(out, "      # {reason}");
        }
    }
    let s = plan.summary;
    let _ = writeln!(
        out,
        "\nPlan: {} to create, {} to update, {} to replace, {} to delete, {} unchanged.",
        s.create, s.update, s.replace, s.delete, s.no_op
    );
    out
}
