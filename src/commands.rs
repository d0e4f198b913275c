//! The commands that touch AWS or state: apply, destroy, output, force-unlock.

use std::future::Future;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::apply::progress::Reporter;
use crate::apply::{Engine, Options, Report};
use crate::cli::{
    ApplyArgs, CliError, DestroyArgs, ForceUnlockArgs, OutputArgs, RunArgs, STATE_DIR, StateArgs, StateCommand,
    StoreArgs, compile, compile_source,
};
use crate::drift;
use crate::plan::{self, Plan};
use crate::resources::{Clients, Ctx};
use crate::spec::SourceFile;
use crate::spec::model::BackendSpec;
use crate::state::local::LocalBackend;
use crate::state::s3::{Location, S3Backend};
use crate::state::{Backend, LockInfo, State, Store};

/// Runs `body` holding the stack's lock; the lock is released whatever `body` returns.
async fn with_lock<T>(
    store: &Store,
    operation: &str,
    body: impl Future<Output = Result<T, CliError>>,
) -> Result<T, CliError> {
    let info = LockInfo::new(operation);
    store.lock(&info).await?;
    let result = body.await;
    if let Err(e) = store.unlock(&info.id).await {
        eprintln!("warning: could not release the lock of {}: {e}", store.describe());
    }
    result
}

/// The S3 client for a state bucket in `region` (or the environment's region).
async fn s3_store(location: Location, region: Option<&str>) -> Store {
    let region = region
        .map(String::from)
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .unwrap_or_else(|| "us-east-1".into());
    let clients = Clients::load(&region).await;
    Store::S3(S3Backend::new(clients.s3, location))
}

/// The store of a stack: `--backend s3://bucket/key`, else the spec's `[backend]`, else local.
async fn open_store(
    flag: Option<&str>,
    spec_backend: Option<&BackendSpec>,
    stack: &str,
    region: &str,
) -> Result<Store, CliError> {
    if let Some(url) = flag {
        let location = Location::parse(url)
            .ok_or_else(|| CliError::Other(format!("`{url}` is not of the form s3://bucket/key")))?;
        return Ok(s3_store(location, Some(region)).await);
    }
    match spec_backend.and_then(|b| b.s3.as_ref()) {
        Some(s3) => {
            let key = s3.key.clone().unwrap_or_else(|| format!("agentfs/{stack}.state.json"));
            let location = Location {
                bucket: s3.bucket.clone(),
                key,
            };
            Ok(s3_store(location, Some(s3.region.as_deref().unwrap_or(region))).await)
        }
        None => Ok(Store::Local(LocalBackend::new(Path::new(STATE_DIR), stack))),
    }
}

/// The store for commands that need no spec: `--backend`, else a spec found, else local state.
async fn state_store(args: &StoreArgs, spec: Option<&PathBuf>) -> Result<(Store, String), CliError> {
    if let Some(url) = &args.backend {
        let location = Location::parse(url)
            .ok_or_else(|| CliError::Other(format!("`{url}` is not of the form s3://bucket/key")))?;
        return Ok((s3_store(location, None).await, url.to_string()));
    }
    if args.stack.is_none() {
        let default_spec = PathBuf::from("agentfs.toml");
        if let Some(path) = spec.or(default_spec.exists().then_some(&default_spec)) {
            let compiled = compile(path, false)?;
            let s = &compiled.spec;
            let store = open_store(None, s.backend.as_ref(), &s.stack.name, &s.stack.region).await?;
            return Ok((store, s.stack.name.clone()));
        }
    }
    let stack = resolve_stack(args.stack.as_ref())?;
    Ok((Store::Local(LocalBackend::new(Path::new(STATE_DIR), &stack)), stack))
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
    let store = open_store(
        args.backend.as_deref(),
        spec.backend.as_ref(),
        &spec.stack.name,
        &spec.stack.region,
    )
    .await?;
    with_lock(&store, "apply", async {
        let ctx = connect(&spec.stack.region, &spec.stack.name).await?;
        let state = match store.load().await? {
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
    })
    .await
}

/// Which local stack a state-only command means.
fn resolve_stack(stack: Option<&String>) -> Result<String, CliError> {
    if let Some(stack) = stack {
        return Ok(stack.clone());
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

pub async fn output(args: OutputArgs) -> Result<ExitCode, CliError> {
    let (store, stack) = state_store(&args.store, None).await?;
    let state = store.load().await?.ok_or_else(|| {
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

pub async fn force_unlock(args: ForceUnlockArgs) -> Result<ExitCode, CliError> {
    let (store, stack) = state_store(&args.store, None).await?;
    match store.current_lock().await? {
        Some(info) => {
            store.unlock(&args.lock_id).await?;
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
pub async fn plan_state(spec: &crate::spec::Spec, refresh: bool) -> Result<(Option<State>, plan::Context), CliError> {
    let store = open_store(None, spec.backend.as_ref(), &spec.stack.name, &spec.stack.region).await?;
    let Some(recorded) = store.load().await? else {
        return Ok((None, plan::Context::default()));
    };
    if !refresh {
        return Ok((Some(recorded), plan::Context::default()));
    }
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
    let store = open_store(None, spec.backend.as_ref(), &spec.stack.name, &spec.stack.region).await?;
    let recorded = store
        .load()
        .await?
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
    let store = open_store(None, spec.backend.as_ref(), &spec.stack.name, &spec.stack.region).await?;
    with_lock(&store, "refresh", async {
        let Some(recorded) = store.load().await? else {
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
        store.save(&state).await?;
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
    })
    .await
}

/// `agentfs state ...`: inspect and repair recorded state with the same safety checks.
pub async fn state(args: StateArgs) -> Result<ExitCode, CliError> {
    let (store, stack) = state_store(&args.store, args.spec.as_ref()).await?;
    let load = || async {
        store
            .load()
            .await?
            .ok_or_else(|| CliError::Other(format!("stack `{stack}` has no recorded state in {}", store.describe())))
    };
    match &args.command {
        StateCommand::List => {
            let state = load().await?;
            for (addr, r) in &state.resources {
                let phase = match &r.phase {
                    crate::state::Phase::Created => "created",
                    crate::state::Phase::Creating { .. } => "creating (interrupted)",
                    crate::state::Phase::Deleting => "deleting (interrupted)",
                };
                println!("{addr}\t{}\t{phase}", r.id.as_deref().unwrap_or("-"));
            }
        }
        StateCommand::Show { address } => {
            let state = load().await?;
            let addr: crate::spec::Addr = address.parse().map_err(|e| CliError::Other(format!("{e}")))?;
            let r = state
                .resources
                .get(&addr)
                .ok_or_else(|| CliError::Other(format!("`{address}` is not in the state")))?;
            println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
        }
        StateCommand::Pull => {
            let state = load().await?;
            println!("{}", serde_json::to_string_pretty(&state).unwrap_or_default());
        }
        StateCommand::Push { file, force } => {
            let text = std::fs::read(file).map_err(|source| CliError::Read {
                path: file.clone(),
                source,
            })?;
            let mut pushed = crate::state::parse_state(&file.display().to_string(), &text)?;
            with_lock(&store, "state push", async {
                if let Some(current) = store.load().await? {
                    if !force && current.lineage != pushed.lineage {
                        return Err(CliError::Other(format!(
                            "refusing to push: lineage {} is another stack's state than {} (lineage {}); --force overrides",
                            pushed.lineage,
                            store.describe(),
                            current.lineage
                        )));
                    }
                    if !force && pushed.serial < current.serial {
                        return Err(CliError::Other(format!(
                            "refusing to push: serial {} is older than the stored serial {}; --force overrides",
                            pushed.serial, current.serial
                        )));
                    }
                    pushed.serial = pushed.serial.max(current.serial) + 1;
                }
                store.save(&pushed).await?;
                println!("Pushed {} ({} resources) to {}.", file.display(), pushed.resources.len(), store.describe());
                Ok(())
            })
            .await?;
        }
        StateCommand::Rm { address } => {
            let addr: crate::spec::Addr = address.parse().map_err(|e| CliError::Other(format!("{e}")))?;
            with_lock(&store, "state rm", async {
                let mut state = load().await?;
                if state.resources.remove(&addr).is_none() {
                    return Err(CliError::Other(format!("`{address}` is not in the state")));
                }
                state.serial += 1;
                store.save(&state).await?;
                println!("Removed {address} from the state; the AWS resource itself was left as it is.");
                Ok(())
            })
            .await?;
        }
        StateCommand::Migrate { to, force } => {
            let state = load().await?;
            let location = Location::parse(to)
                .ok_or_else(|| CliError::Other(format!("`{to}` is not of the form s3://bucket/key")))?;
            let target = s3_store(location, Some(&state.region)).await;
            with_lock(&store, "state migrate", async {
                with_lock(&target, "state migrate", async {
                    if !force && let Some(existing) = target.load().await? {
                        return Err(CliError::Other(format!(
                            "{} already holds a state (stack `{}`, serial {}); --force replaces it",
                            target.describe(),
                            existing.stack,
                            existing.serial
                        )));
                    }
                    target.save(&state).await?;
                    Ok(())
                })
                .await
            })
            .await?;
            println!(
                "Copied the state of stack `{}` to {to}. Add to the spec:\n\n[backend.s3]\nbucket = \"{}\"\nkey = \"{}\"\n\nThe local file {} is kept as a backup.",
                state.stack,
                Location::parse(to).map(|l| l.bucket).unwrap_or_default(),
                Location::parse(to).map(|l| l.key).unwrap_or_default(),
                store.describe()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn recover(args: crate::cli::RecoverArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec, false)?;
    let spec = &compiled.spec;
    let store = open_store(None, spec.backend.as_ref(), &spec.stack.name, &spec.stack.region).await?;
    with_lock(&store, "recover", async {
        if let Some(existing) = store.load().await?
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
        let recovered = crate::recover::recover(&ctx, spec, &order)
            .await
            .map_err(|e| CliError::Other(e.to_string()))?;
        store.save(&recovered.state).await?;
        println!(
            "Recovered {} of {} resources of stack `{}` into {}.",
            recovered.state.resources.len(),
            spec.resources.len(),
            spec.stack.name,
            store.describe()
        );
        if !recovered.missing.is_empty() {
            let list: Vec<String> = recovered.missing.iter().map(|a| a.to_string()).collect();
            println!("Not found in AWS (the next apply creates them): {}", list.join(", "));
        }
        if !recovered.unplaced.is_empty() {
            let list: Vec<String> = recovered.unplaced.iter().map(|(k, id)| format!("{k} {id}")).collect();
            println!(
                "Found for this stack but matching nothing in the spec (left alone): {}",
                list.join(", ")
            );
        }
        Ok(ExitCode::SUCCESS)
    })
    .await
}

pub async fn import(args: crate::cli::ImportArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec, false)?;
    let spec = &compiled.spec;
    let addr: crate::spec::Addr = args.address.parse().map_err(|e| CliError::Other(format!("{e}")))?;
    let store = open_store(None, spec.backend.as_ref(), &spec.stack.name, &spec.stack.region).await?;
    with_lock(&store, "import", async {
        let mut state = store
            .load()
            .await?
            .unwrap_or_else(|| State::new(&spec.stack.name, &spec.stack.region));
        if state.resources.contains_key(&addr) {
            return Err(CliError::Other(format!(
                "`{addr}` is already in the state; `agentfs state rm {addr}` first to re-import"
            )));
        }
        let ctx = connect(&spec.stack.region, &spec.stack.name).await?;
        state.account_id = Some(ctx.account_id.clone());
        crate::recover::import(&ctx, spec, &mut state, &addr, &args.id)
            .await
            .map_err(|e| CliError::Other(e.to_string()))?;
        state.serial += 1;
        store.save(&state).await?;
        println!(
            "Imported {} as {addr}. `agentfs plan` shows how it differs from the spec; `agentfs apply` converges it.",
            args.id
        );
        Ok(ExitCode::SUCCESS)
    })
    .await
}
