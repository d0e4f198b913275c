//! `agentfs destroy`: delete what the state records, dependents first; needs no spec.
//! [`plan::destroy_plan`] is also `agentfs plan --destroy`: the same list, changing nothing.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::{confirm, finish};
use crate::apply::progress::Reporter;
use crate::apply::{Engine, Options};
use crate::cli::DestroyArgs;
use crate::pipeline::{CliError, check_account, connect, load_state, state_store, with_lock};
use crate::plan::{self, Plan};

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
        let plan = plan::destroy_plan(&state, &selection)?;
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
