//! `agentfs destroy`: delete what the state records, dependents first; needs no spec.

use std::process::ExitCode;

use super::{confirm, finish};
use crate::apply::progress::Reporter;
use crate::apply::{Engine, Options};
use crate::cli::DestroyArgs;
use crate::pipeline::{CliError, connect, state_store, with_lock};
use crate::state::Backend;

pub async fn destroy(args: DestroyArgs) -> Result<ExitCode, CliError> {
    let (store, stack) = state_store(&args.store, args.spec.as_ref()).await?;
    with_lock(&store, "destroy", async {
        let Some(state) = store.load().await? else {
            println!("Stack `{stack}` has no recorded state: nothing to destroy.");
            return Ok(ExitCode::SUCCESS);
        };
        let protected: Vec<String> = state
            .resources
            .iter()
            .filter(|(_, r)| r.prevent_destroy)
            .map(|(a, _)| a.to_string())
            .collect();
        if !protected.is_empty() {
            return Err(CliError::Other(format!(
                "refusing to destroy: lifecycle.prevent_destroy is set on {}",
                protected.join(", ")
            )));
        }
        let reporter = Reporter::new(args.run.output);
        reporter.message(&format!(
            "Destroying {} resource(s) of stack `{}` in {}.",
            state.resources.len(),
            state.stack,
            state.region
        ));
        confirm(&args.run, "Destroy them?")?;
        let ctx = connect(&state.region.clone(), &state.stack.clone()).await?;
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
        Ok(finish(&reporter, &report, "Destroy"))
    })
    .await
}
