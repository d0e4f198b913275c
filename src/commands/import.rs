//! `agentfs import SPEC ADDRESS ID`: adopt an existing resource into the state.

use std::process::ExitCode;

use crate::cli::ImportArgs;
use crate::pipeline::{CliError, check_account, compile, connect, load_state, open_store, read_existing, with_lock};
use crate::state::{Backend, Owner, State};

pub async fn import(args: ImportArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec, false, &args.vars)?;
    let spec = &compiled.spec;
    let addr: crate::spec::Addr = args.address.parse().map_err(|e| CliError::Other(format!("{e}")))?;
    let store = open_store(args.backend.as_deref(), spec, &args.spec).await?;
    with_lock(&store, "import", async {
        let mut state = load_state(&store, &Owner::new(&spec.stack.name, &spec.stack.region))
            .await?
            .unwrap_or_else(|| State::new(&spec.stack.name, &spec.stack.region));
        if spec.existing.contains_key(&addr) {
            return Err(CliError::Other(format!(
                "`{addr}` is `existing` in the spec: it is only read, never adopted; to manage it, replace `existing` with its fields and import it then"
            )));
        }
        if state.resources.contains_key(&addr) {
            return Err(CliError::Other(format!(
                "`{addr}` is already in the state; `agentfs state rm {addr}` first to re-import"
            )));
        }
        let ctx = connect(&spec.stack.region, &spec.stack.name).await?;
        check_account(&store, &state, &ctx)?;
        state.account_id = Some(ctx.account_id.clone());
        // What it references may be existing resources: their ids come from reading them.
        state.reads = read_existing(&ctx, spec, Some(&state)).await?;
        crate::recover::import(&ctx, spec, &mut state, &addr, &args.id, args.force)
            .await
            .map_err(|e| CliError::Other(e.to_string()))?;
        state.serial += 1;
        store.save(&state).await?;
        crate::outln!(
            "Imported {} as {addr}. `agentfs plan` shows how it differs from the spec; `agentfs apply` converges it.",
            args.id
        );
        Ok(ExitCode::SUCCESS)
    })
    .await
}
