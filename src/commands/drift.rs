//! `agentfs drift`: the live stack against the spec, attribute by attribute; exit 2 on drift.

use std::process::ExitCode;

use crate::cli::StateSpecArgs;
use crate::drift;
use crate::pipeline::{CliError, check_account, compile, connect, load_state, open_store, read_existing};
use crate::plan;
use crate::state::{Owner, State};

pub async fn drift(args: StateSpecArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec.spec, args.spec.json, &args.spec.vars)?;
    let spec = &compiled.spec;
    let store = open_store(args.backend.as_deref(), spec, &args.spec.spec).await?;
    let recorded = load_state(&store, &Owner::new(&spec.stack.name, &spec.stack.region))
        .await?
        .unwrap_or_else(|| State::new(&spec.stack.name, &spec.stack.region));
    let ctx = connect(&spec.stack.region, &spec.stack.name).await?;
    check_account(&store, &recorded, &ctx)?;
    let live = drift::read_live(&ctx, &recorded)
        .await
        .map_err(|e| CliError::Other(format!("reading the live stack: {e}")))?;
    let refreshed = drift::refreshed(&recorded, &live);
    let context = plan::Context {
        account_id: Some(ctx.account_id.clone()),
        existing: read_existing(&ctx, spec, Some(&recorded)).await?,
        facts: None,
        ..Default::default()
    };
    let plan = plan::compute(spec, &compiled.graph, Some(&refreshed), &context)?;
    let mut report = drift::report(&plan, &recorded, &live);
    report.existing = plan
        .reads
        .iter()
        .flat_map(|r| r.changes.iter().map(move |c| format!("{}: {c}", r.address)))
        .collect();
    report.drifted |= !report.existing.is_empty();
    if args.spec.json {
        crate::outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        crate::out!("{}", drift::text(&report));
    }
    Ok(if report.drifted {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
