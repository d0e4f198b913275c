//! `agentfs refresh`: record what AWS has now, changing nothing in AWS.

use std::process::ExitCode;

use crate::cli::StateSpecArgs;
use crate::drift;
use crate::pipeline::{CliError, check_account, compile, connect, load_state, open_store, read_existing, with_lock};
use crate::state::{Backend, Owner};

pub async fn refresh(args: StateSpecArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec.spec, args.spec.json, &args.spec.vars)?;
    let spec = &compiled.spec;
    let store = open_store(args.backend.as_deref(), spec, &args.spec.spec).await?;
    with_lock(&store, "refresh", async {
        let Some(recorded) = load_state(&store, &Owner::new(&spec.stack.name, &spec.stack.region)).await? else {
            crate::outln!("Stack `{}` has no recorded state: nothing to refresh.", spec.stack.name);
            return Ok(ExitCode::SUCCESS);
        };
        let ctx = connect(&spec.stack.region, &spec.stack.name).await?;
        check_account(&store, &recorded, &ctx)?;
        let live = drift::read_live(&ctx, &recorded)
            .await
            .map_err(|e| CliError::Other(format!("reading the live stack: {e}")))?;
        let mut state = drift::refreshed(&recorded, &live);
        // Existing resources are read again as the spec finds them now.
        state.reads = read_existing(&ctx, spec, Some(&recorded)).await?;
        let gone: Vec<String> = live
            .iter()
            .filter(|(_, l)| l.is_none())
            .map(|(a, _)| a.to_string())
            .collect();
        let changed = live
            .iter()
            .filter(|(a, l)| {
                l.as_ref()
                    .is_some_and(|l| recorded.resources.get(*a).is_some_and(|r| &r.config != l))
            })
            .count();
        state.serial += 1;
        store.save(&state).await?;
        let gone_list = if gone.is_empty() {
            String::new()
        } else {
            format!(" ({})", gone.join(", "))
        };
        crate::outln!(
            "Refreshed {} resources of stack `{}`: {changed} changed, {} gone{gone_list}.",
            live.len(),
            spec.stack.name,
            gone.len()
        );
        Ok(ExitCode::SUCCESS)
    })
    .await
}
