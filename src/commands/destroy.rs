//! `agentfs destroy`: delete what the state records, dependents first; needs no spec.
//! [`destroy_plan`] is also `agentfs plan --destroy`: the same list, changing nothing.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::{confirm, finish};
use crate::apply::progress::Reporter;
use crate::apply::{Engine, Options};
use crate::cli::DestroyArgs;
use crate::pipeline::{CliError, check_account, connect, load_state, state_store, with_lock};
use crate::plan::targeting::Selection;
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
        let selection = plan::targeting::Selection::parse(&args.target.target, &args.target.exclude, &[])?;
        let plan = destroy_plan(&state, &selection)?;
        if !reporter.is_json() {
            crate::out!("{}", destroy_text(&plan));
        }
        confirm(&args.run, "Destroy them?").await?;
        // Only once the question is answered: before it, nothing is being destroyed.
        reporter.message(&format!(
            "Destroying {} resource(s) of stack `{}` in {}.",
            plan.changes.iter().filter(|c| c.action == plan::Action::Delete).count(),
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
        let report = engine.destroy_these(&plan.changes, selection.limits()).await;
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
pub fn destroy_plan(state: &State, selection: &Selection) -> Result<Plan, CliError> {
    let scope = plan::targeting::destroy_scope(state, selection)?;
    let in_scope = |addr: &crate::spec::Addr| scope.as_ref().is_none_or(|s| s.contains(addr));
    if let Some((addr, _)) = state
        .resources
        .iter()
        .find(|(addr, r)| r.prevent_destroy && in_scope(addr))
    {
        return Err(PlanError::PreventDestroy {
            addr: addr.clone(),
            action: "delete",
            because: " (the whole stack is being destroyed)".into(),
        }
        .into());
    }
    let mut changes = plan::destroy_changes(state);
    changes.retain(|c| in_scope(&c.address));
    let left_out = match &scope {
        Some(scope) => plan::targeting::left_out(state.resources.keys(), scope),
        None => Vec::new(),
    };
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        stack: state.stack.clone(),
        region: state.region.clone(),
        prior_state: Some(StateRef {
            lineage: state.lineage.clone(),
            serial: state.serial,
        }),
        summary: Summary {
            delete: changes
                .iter()
                .map(|c| usize::from(c.action == plan::Action::Delete) + c.deposed.len())
                .sum(),
            ..Summary::default()
        },
        changes,
        outputs: Vec::new(),
        spec_source: None,
        variables: Default::default(),
        selection: selection.clone(),
        left_out,
        stack_refs: Vec::new(),
    })
}

/// A destroy plan as a person reads it: the addresses in the order they go.
pub fn destroy_text(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Destroy plan for stack `{}` in {}:", plan.stack, plan.region);
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
    }
    if !plan.left_out.is_empty() {
        let names: Vec<String> = plan.left_out.iter().map(|a| a.to_string()).collect();
        let _ = writeln!(
            out,
            "\nLeft out because of --target / --exclude (kept): {}",
            names.join(", ")
        );
    }
    let s = plan.summary;
    let _ = writeln!(
        out,
        "\nPlan: {} to create, {} to update, {} to replace, {} to delete, {} unchanged.",
        s.create, s.update, s.replace, s.delete, s.no_op
    );
    out
}
