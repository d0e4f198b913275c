//! The commands that touch AWS or state: apply, destroy, output, force-unlock.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::apply::progress::Reporter;
use crate::apply::{Engine, Options, Report};
use crate::cli::{
    ApplyArgs, CliError, DestroyArgs, ForceUnlockArgs, OutputArgs, RunArgs, STATE_DIR, compile, compile_source,
};
use crate::drift;
use crate::plan::{self, Plan};
use crate::resources::{Clients, Ctx};
use crate::spec::SourceFile;
use crate::state::local::LocalBackend;
use crate::state::{Backend, LockInfo, State};

/// Holds a stack's lock for the life of a command.
struct LockGuard<'a> {
    backend: &'a dyn Backend,
    id: String,
}

impl<'a> LockGuard<'a> {
    fn take(backend: &'a dyn Backend, operation: &str) -> Result<LockGuard<'a>, CliError> {
        let info = LockInfo::new(operation);
        backend.lock(&info)?;
        Ok(LockGuard { backend, id: info.id })
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.backend.unlock(&self.id) {
            eprintln!("warning: could not release the lock: {e}");
        }
    }
}

async fn connect(region: &str, stack: &str) -> Result<Ctx, CliError> {
    let clients = Clients::load(region).await;
    let account = Ctx::caller_account(&clients)
        .await
        .map_err(|e| CliError::Other(format!("cannot reach AWS with the configured credentials: {e}")))?;
    Ok(Ctx::new(clients, region, &account, stack))
}

fn confirm(run: &RunArgs, question: &str) -> Result<(), CliError> {
    if run.auto_approve {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Other(
            "refusing to change AWS without a terminal to confirm; pass --auto-approve".into(),
        ));
    }
    print!("{question} Only 'yes' is accepted: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(CliError::Other("cancelled".into()))
    }
}

fn finish(reporter: &Reporter, report: &Report, what: &str) -> ExitCode {
    if report.ok() {
        reporter.message(&format!("{what} complete: {} operation(s).", report.done));
        return ExitCode::SUCCESS;
    }
    for (addr, error) in &report.failures {
        reporter.message(&format!("error: {addr}: {error}"));
    }
    if !report.skipped.is_empty() {
        let skipped: Vec<String> = report.skipped.iter().map(|a| a.to_string()).collect();
        reporter.message(&format!("not attempted: {}", skipped.join(", ")));
    }
    if report.interrupted {
        reporter.message("interrupted: the state records everything that finished; run the command again to continue.");
    } else {
        reporter.message(&format!(
            "{what} stopped: {} done, {} failed. The state records what finished; run the command again to continue.",
            report.done,
            report.failures.len()
        ));
    }
    ExitCode::from(1)
}

pub async fn apply(args: ApplyArgs) -> Result<ExitCode, CliError> {
    let (source, saved) = read_apply_input(&args.input)?;
    let (compiled, diagnostics) = compile_source(source);
    let compiled = compiled.map_err(|source| {
        for d in &diagnostics {
            eprintln!("{}", crate::spec::Located::new(&source, d.clone()));
        }
        CliError::InvalidSpec(source.name.clone())
    })?;
    let spec = &compiled.spec;
    let backend = LocalBackend::new(Path::new(STATE_DIR), &spec.stack.name);
    let _lock = LockGuard::take(&backend, "apply")?;
    let ctx = connect(&spec.stack.region, &spec.stack.name).await?;
    let state = match backend.load()? {
        // Plan against what AWS has now, so apply also repairs drift.
        Some(recorded) => Some(refresh_with(&ctx, &recorded).await?),
        None => None,
    };
    let context = plan::Context {
        account_id: Some(ctx.account_id.clone()),
    };
    let plan = plan::compute(spec, &compiled.graph, state.as_ref(), &context)?;
    if let Some(saved) = &saved {
        check_saved_plan(saved, &plan)?;
    }
    let reporter = Reporter::new(args.run.output);
    if !reporter.is_json() {
        print!("{}", plan::render::text(&plan, false));
    }
    if !plan.summary.has_changes() {
        reporter.message("Nothing to do.");
        return Ok(ExitCode::SUCCESS);
    }
    if saved.is_none() {
        confirm(&args.run, "Apply these changes?")?;
    }
    let state = state.unwrap_or_else(|| State::new(&spec.stack.name, &spec.stack.region));
    let engine = Engine::new(
        &ctx,
        &backend,
        state,
        &reporter,
        Options {
            parallelism: args.run.parallelism,
            blocked_wait: None,
        },
    );
    let report = engine.apply(spec, &plan).await;
    let code = finish(&reporter, &report, "Apply");
    if report.ok() {
        let state = engine.state();
        if reporter.is_json() {
            let outputs: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(n, o)| {
                    (
                        n.clone(),
                        serde_json::json!(if o.sensitive { "(sensitive)" } else { o.value.as_str() }),
                    )
                })
                .collect();
            println!("{}", serde_json::json!({"event": "outputs", "outputs": outputs}));
        } else {
            print_outputs(&state, None, false);
        }
    }
    Ok(code)
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

/// A saved plan is applied only while it still describes exactly what would happen.
fn check_saved_plan(saved: &Plan, now: &Plan) -> Result<(), CliError> {
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

/// Which stack a state-only command means.
fn resolve_stack(spec: Option<&PathBuf>, stack: Option<&String>) -> Result<String, CliError> {
    if let Some(stack) = stack {
        return Ok(stack.clone());
    }
    let default_spec = PathBuf::from("agentfs.toml");
    if let Some(path) = spec.or(default_spec.exists().then_some(&default_spec)) {
        let compiled = compile(path, false)?;
        return Ok(compiled.spec.stack.name);
    }
    let stacks: Vec<String> = std::fs::read_dir(STATE_DIR)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .strip_suffix(".state.json")
                        .map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    match stacks.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(CliError::Other(format!(
            "no stack here: no agentfs.toml and no state under {STATE_DIR}/"
        ))),
        many => Err(CliError::Other(format!(
            "several stacks under {STATE_DIR}/ ({}); pick one with --stack",
            many.join(", ")
        ))),
    }
}

pub async fn destroy(args: DestroyArgs) -> Result<ExitCode, CliError> {
    let stack = resolve_stack(args.spec.as_ref(), args.stack.as_ref())?;
    let backend = LocalBackend::new(Path::new(STATE_DIR), &stack);
    let _lock = LockGuard::take(&backend, "destroy")?;
    let Some(state) = backend.load()? else {
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
        "Destroying {} resource(s) of stack `{stack}` in {}.",
        state.resources.len(),
        state.region
    ));
    confirm(&args.run, "Destroy them?")?;
    let ctx = connect(&state.region.clone(), &stack).await?;
    let engine = Engine::new(
        &ctx,
        &backend,
        state,
        &reporter,
        Options {
            parallelism: args.run.parallelism,
            blocked_wait: Some(args.blocked_wait),
        },
    );
    let report = engine.destroy().await;
    if !report.ok() {
        let left: Vec<String> = engine.state().resources.keys().map(|a| a.to_string()).collect();
        reporter.message(&format!(
            "Still recorded (run `agentfs destroy` again later to finish): {}",
            left.join(", ")
        ));
    }
    Ok(finish(&reporter, &report, "Destroy"))
}

fn print_outputs(state: &State, name: Option<&str>, json: bool) {
    let selected: Vec<(&String, &crate::state::OutputValue)> = state
        .outputs
        .iter()
        .filter(|(n, _)| name.is_none_or(|x| x == *n))
        .collect();
    if json {
        let map: serde_json::Map<String, serde_json::Value> = selected
            .iter()
            .map(|(n, o)| {
                (
                    (*n).clone(),
                    serde_json::json!({"value": o.value, "sensitive": o.sensitive}),
                )
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&map).unwrap_or_default());
        return;
    }
    if let (Some(_), [(_, one)]) = (name, selected.as_slice()) {
        println!("{}", one.value);
        return;
    }
    if !selected.is_empty() {
        println!("\nOutputs:");
    }
    for (n, o) in selected {
        let value = if o.sensitive { "(sensitive)" } else { o.value.as_str() };
        println!("  {n} = {value}");
    }
}

pub fn output(args: OutputArgs) -> Result<ExitCode, CliError> {
    let stack = resolve_stack(None, args.stack.as_ref())?;
    let backend = LocalBackend::new(Path::new(STATE_DIR), &stack);
    let state = backend.load()?.ok_or_else(|| {
        CliError::Other(format!(
            "stack `{stack}` has no recorded state; run `agentfs apply` first"
        ))
    })?;
    if let Some(name) = &args.name
        && !state.outputs.contains_key(name)
    {
        let known: Vec<&str> = state.outputs.keys().map(String::as_str).collect();
        return Err(CliError::Other(format!(
            "no output named `{name}`; outputs: {}",
            known.join(", ")
        )));
    }
    print_outputs(&state, args.name.as_deref(), args.json);
    Ok(ExitCode::SUCCESS)
}

pub fn force_unlock(args: ForceUnlockArgs) -> Result<ExitCode, CliError> {
    let stack = resolve_stack(None, args.stack.as_ref())?;
    let backend = LocalBackend::new(Path::new(STATE_DIR), &stack);
    match backend.current_lock()? {
        Some(info) => {
            backend.unlock(&args.lock_id)?;
            println!("Removed the lock of stack `{stack}` ({info}).");
            Ok(ExitCode::SUCCESS)
        }
        None => Err(CliError::Other(format!("stack `{stack}` is not locked"))),
    }
}

async fn refresh_with(ctx: &Ctx, recorded: &State) -> Result<State, CliError> {
    let live = drift::read_live(ctx, recorded)
        .await
        .map_err(|e| CliError::Other(format!("reading the live stack: {e}")))?;
    Ok(drift::refreshed(recorded, &live))
}

/// The recorded state refreshed from AWS, with the account known (for `plan`).
pub async fn refreshed(spec: &crate::spec::Spec, recorded: State) -> Result<(Option<State>, plan::Context), CliError> {
    let ctx = connect(&spec.stack.region, &spec.stack.name).await?;
    let state = refresh_with(&ctx, &recorded).await?;
    Ok((
        Some(state),
        plan::Context {
            account_id: Some(ctx.account_id.clone()),
        },
    ))
}

pub async fn drift(args: crate::cli::SpecArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec, args.json)?;
    let spec = &compiled.spec;
    let backend = LocalBackend::new(Path::new(STATE_DIR), &spec.stack.name);
    let recorded = backend
        .load()?
        .unwrap_or_else(|| State::new(&spec.stack.name, &spec.stack.region));
    let ctx = connect(&spec.stack.region, &spec.stack.name).await?;
    let live = drift::read_live(&ctx, &recorded)
        .await
        .map_err(|e| CliError::Other(format!("reading the live stack: {e}")))?;
    let refreshed = drift::refreshed(&recorded, &live);
    let context = plan::Context {
        account_id: Some(ctx.account_id.clone()),
    };
    let plan = plan::compute(spec, &compiled.graph, Some(&refreshed), &context)?;
    let report = drift::report(&plan, &recorded, &live);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        print!("{}", drift::text(&report));
    }
    Ok(if report.drifted {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

pub async fn refresh(args: crate::cli::SpecArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec, args.json)?;
    let spec = &compiled.spec;
    let backend = LocalBackend::new(Path::new(STATE_DIR), &spec.stack.name);
    let _lock = LockGuard::take(&backend, "refresh")?;
    let Some(recorded) = backend.load()? else {
        println!("Stack `{}` has no recorded state: nothing to refresh.", spec.stack.name);
        return Ok(ExitCode::SUCCESS);
    };
    let ctx = connect(&spec.stack.region, &spec.stack.name).await?;
    let live = drift::read_live(&ctx, &recorded)
        .await
        .map_err(|e| CliError::Other(format!("reading the live stack: {e}")))?;
    let mut state = drift::refreshed(&recorded, &live);
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
    backend.save(&state)?;
    let gone_list = if gone.is_empty() {
        String::new()
    } else {
        format!(" ({})", gone.join(", "))
    };
    println!(
        "Refreshed {} resources of stack `{}`: {changed} changed, {} gone{gone_list}.",
        live.len(),
        spec.stack.name,
        gone.len()
    );
    Ok(ExitCode::SUCCESS)
}
