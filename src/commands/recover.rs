//! `agentfs recover`: rebuild a lost state from the stack's tags.

use std::process::ExitCode;

use crate::cli::RecoverArgs;
use crate::pipeline::{CliError, compile, connect, load_state, open_store, replaceable, with_lock};
use crate::state::{Backend, Owner};

pub async fn recover(args: RecoverArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec, false, &args.vars)?;
    let spec = &compiled.spec;
    let store = open_store(args.backend.as_deref(), spec, &args.spec).await?;
    with_lock(&store, "recover", async {
        let existing = match load_state(&store, &Owner::new(&spec.stack.name, &spec.stack.region)).await {
            Ok(existing) => existing,
            // What --force is for: a state that cannot be read is replaced, not parsed.
            Err(e) if args.force && replaceable(&e) => {
                crate::errln!("warning: replacing {}: {e}", store.describe());
                None
            }
            Err(e) if replaceable(&e) => {
                return Err(CliError::Other(format!(
                    "{e}\n  help: `agentfs recover --force` replaces it"
                )));
            }
            Err(e) => return Err(e),
        };
        if let Some(existing) = existing
            && !args.force
        {
            return Err(CliError::Other(format!(
                "{} already holds a state with {} resources; --force replaces it",
                store.describe(),
                existing.resources.len()
            )));
        }
        let ctx = connect(&spec.stack.region, &spec.stack.name).await?;
        let order: Vec<crate::spec::Addr> = compiled.graph.create_order().cloned().collect();
        let reads = crate::pipeline::read_existing(&ctx, spec, None).await?;
        let recovered = crate::recover::recover(&ctx, spec, &order, reads)
            .await
            .map_err(|e| CliError::Other(e.to_string()))?;
        store.save(&recovered.state).await?;
        crate::outln!(
            "Recovered {} of {} resources of stack `{}` into {}.",
            recovered.state.resources.len(),
            spec.resources.len(),
            spec.stack.name,
            store.describe()
        );
        if !recovered.missing.is_empty() {
            let list: Vec<String> = recovered.missing.iter().map(|a| a.to_string()).collect();
            crate::outln!("Not found in AWS (the next apply creates them): {}", list.join(", "));
        }
        if !recovered.unplaced.is_empty() {
            let list: Vec<String> = recovered.unplaced.iter().map(|(k, id)| format!("{k} {id}")).collect();
            crate::outln!(
                "Found for this stack but matching nothing in the spec (left alone): {}",
                list.join(", ")
            );
        }
        Ok(ExitCode::SUCCESS)
    })
    .await
}
