//! `agentfs apply SPEC|PLAN`: make the live stack match the spec (or run a saved plan exactly).

use std::path::Path;
use std::process::ExitCode;

use super::output::print_outputs;
use super::{confirm, finish};
use crate::apply::progress::Reporter;
use crate::apply::{Engine, Options, Report};
use crate::cli::ApplyArgs;
use crate::pipeline::{
    CliError, check_account, compile_source_with, connect, load_state, network_facts, open_store, print_live_lints,
    read_existing, refresh_with, require_image_tool, spec_dir, stamp_code, var_inputs, with_lock,
};
use crate::plan::{self, Plan};
use crate::spec::SourceFile;
use crate::state::{Owner, State};

pub async fn apply(args: ApplyArgs) -> Result<ExitCode, CliError> {
    let (source, saved) = read_apply_input(&args.input)?;
    let mut inputs = var_inputs(&args.vars)?;
    inputs.stack_refs = crate::pipeline::read_stack_refs(&source.text, &spec_dir(Path::new(&source.name)));
    if let Some(saved) = &saved {
        // The plan's own values, beaten only by --var (which must then agree with it).
        inputs.saved = saved
            .variables
            .iter()
            .filter(|(_, v)| !v.sensitive)
            .map(|(name, v)| (name.clone(), v.value.clone()))
            .collect();
    }
    let (compiled, diagnostics) = compile_source_with(source, &inputs);
    let spec_path = std::path::PathBuf::from(&source_name(&compiled));
    let mut compiled = compiled.map_err(|source| {
        for d in &diagnostics {
            crate::errln!("{}", crate::spec::Located::new(&source, d.clone()));
        }
        CliError::InvalidSpec(source.name.clone())
    })?;
    let stamped = stamp_code(&mut compiled, &spec_path);
    for d in &stamped {
        crate::errln!("{}", crate::spec::Located::new(&compiled.source, d.clone()));
    }
    if stamped.iter().any(crate::spec::Diagnostic::is_error) {
        return Err(CliError::InvalidSpec(compiled.source.name.clone()));
    }
    require_image_tool(&compiled)?;
    let spec = &compiled.spec;
    if let Some(saved) = &saved {
        check_saved_variables(saved, &plan::planned_variables(spec))?;
    }
    let store = open_store(args.backend.as_deref(), spec, &spec_path).await?;
    with_lock(&store, "apply", async {
        let recorded = load_state(&store, &Owner::new(&spec.stack.name, &spec.stack.region)).await?;
        let ctx = connect(&spec.stack.region, &spec.stack.name)
            .await?
            .with_base_dir(&spec_dir(&spec_path));
        let state = match recorded {
            // Plan against what AWS has now, so apply also repairs drift.
            Some(recorded) => {
                check_account(&store, &recorded, &ctx)?;
                Some(refresh_with(&ctx, &recorded).await?)
            }
            None => None,
        };
        // A saved plan runs with the selection it was made with.
        let selection = match &saved {
            Some(saved) => saved.selection.clone(),
            None => plan::targeting::Selection::parse(&args.target.target, &args.target.exclude, &args.replace)?,
        };
        let existing = read_existing(&ctx, spec, state.as_ref()).await?;
        let context = plan::Context {
            account_id: Some(ctx.account_id.clone()),
            existing: existing.clone(),
            facts: network_facts(&ctx, &existing).await?,
            selection,
        };
        print_live_lints(&compiled, &context);
        let plan = plan::compute(spec, &compiled.graph, state.as_ref(), &context)?;
        if let Some(saved) = &saved {
            check_saved_plan(saved, &plan)?;
        }
        let reporter = Reporter::new(args.run.output);
        if !reporter.is_json() {
            crate::out!("{}", plan::render::text(&plan, false));
        }
        if !plan.summary.has_changes() {
            reporter.message("Nothing to do.");
            reporter.summary("apply", &Report::default());
            return Ok(ExitCode::SUCCESS);
        }
        if saved.is_none() {
            confirm(&args.run, "Apply these changes?").await?;
        }
        let mut state = state.unwrap_or_else(|| State::new(&spec.stack.name, &spec.stack.region));
        // Recorded as reads with the engine's first write; those the spec no longer names are
        // forgotten (never deleted).
        state.reads = existing;
        let options = Options {
            parallelism: args.run.parallelism,
            blocked_wait: None,
        };
        let engine = Engine::new(&ctx, &store, state, &reporter, options);
        let report = engine.apply(spec, &plan).await;
        let code = finish(&reporter, &report, "Apply");
        if report.ok() {
            let state = engine.state().await;
            if reporter.is_json() {
                let outputs: serde_json::Map<String, serde_json::Value> = state
                    .outputs
                    .iter()
                    .map(|(n, o)| {
                        (
                            n.clone(),
                            if o.sensitive {
                                serde_json::json!("(sensitive)")
                            } else {
                                o.value.clone()
                            },
                        )
                    })
                    .collect();
                reporter.emit(serde_json::json!({"event": "outputs", "outputs": outputs}));
            } else {
                print_outputs(&state, None, false)?;
            }
        }
        reporter.summary("apply", &report);
        Ok(code)
    })
    .await
}

fn source_name(compiled: &Result<crate::pipeline::Compiled, SourceFile>) -> String {
    match compiled {
        Ok(c) => c.source.name.clone(),
        Err(source) => source.name.clone(),
    }
}

fn read_apply_input(path: &Path) -> Result<(SourceFile, Option<Plan>), CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if text.trim_start().starts_with('{') {
        let saved: Plan = serde_json::from_str(&text)
            .map_err(|e| CliError::Other(format!("{} is not a saved agentfs plan: {e}", path.display())))?;
        let source = saved.spec_source.clone().ok_or_else(|| {
            CliError::Other(format!(
                "{} has no embedded spec; save plans with `agentfs plan -o FILE`",
                path.display()
            ))
        })?;
        return Ok((SourceFile::new(source.path, source.text), Some(saved)));
    }
    Ok((SourceFile::new(path.display().to_string(), text), None))
}

/// Before any call: the values a saved plan was made with are the ones given now.
fn check_saved_variables(
    saved: &Plan,
    now: &std::collections::BTreeMap<String, plan::PlannedVariable>,
) -> Result<(), CliError> {
    let differing: Vec<&str> = saved
        .variables
        .iter()
        .filter(|(name, v)| now.get(*name) != Some(*v))
        .map(|(name, _)| name.as_str())
        .chain(
            now.keys()
                .filter(|name| !saved.variables.contains_key(*name))
                .map(String::as_str),
        )
        .collect();
    if !differing.is_empty() {
        return Err(CliError::Other(format!(
            "variable(s) {} differ from the values this plan was made with; give the same values or make a new plan",
            differing.join(", ")
        )));
    }
    Ok(())
}

/// A saved plan is applied only while it still describes exactly what would happen.
fn check_saved_plan(saved: &Plan, now: &Plan) -> Result<(), CliError> {
    check_saved_variables(saved, &now.variables)?;
    if saved.prior_state != now.prior_state {
        return Err(CliError::Other(
            "the state changed since this plan was made (serial or lineage differ); make a new plan".into(),
        ));
    }
    if saved.changes != now.changes {
        return Err(CliError::Other(
            "the plan no longer matches the spec and state; make a new plan".into(),
        ));
    }
    Ok(())
}
