//! What every command shares, in pipeline order: compile a spec (read, check, graph, report
//! diagnostics), open the stack's state store and hold its lock, connect to AWS, and read the
//! live stack for a plan. Commands in `src/commands/` call these; nothing here knows a command.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::apply::schedule::{Signal, SignalScope, Signals};
use crate::cli::{StoreArgs, VarArgs};
use crate::drift;
use crate::graph::{Graph, GraphError};
use crate::plan;
use crate::resources::{Clients, Ctx};
use crate::spec::stack_ref::StackRefState;
use crate::spec::vars::{Inputs, VarFile};
use crate::spec::{self, Diagnostic, Located, SourceFile, Spec};
use crate::state::local::LocalBackend;
use crate::state::s3::{Location, S3Backend};
use crate::state::{Backend, LockInfo, Owner, State, Store};

/// A failure that ends the command with exit code 1, already explained to the user.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{0} has errors")]
    InvalidSpec(String),
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error("interrupted by {0}: the state records everything that finished, and the lock was released")]
    Interrupted(Signal),
    #[error("cannot write the output: {0}")]
    Stdout(std::io::Error),
    #[error("{0}")]
    Other(String),
}

/// Writes `text` to stdout and flushes it, returning the failure (a full disk, a closed pipe)
/// instead of panicking as `print!` does. Use through [`crate::out!`] and [`crate::outln!`].
pub fn write_out(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(CliError::Stdout)
}

/// `print!` that returns [`CliError::Stdout`] from the enclosing function when stdout fails.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::pipeline::write_out(&format!($($arg)*))?
    };
}

/// `println!` that returns [`CliError::Stdout`] from the enclosing function when stdout fails.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::pipeline::write_out(&format!("{}\n", format_args!($($arg)*)))?
    };
}

/// Where local state lives, relative to the spec's directory (or, for a command given no
/// spec, the working directory).
pub const STATE_DIR: &str = ".agentfs";

pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Runtime::new().map_err(|e| CliError::Other(format!("cannot start the async runtime: {e}")))
}

pub fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    write_out(&format!("{text}\n"))
}

/// A checked spec and its graph, with the warnings found on the way.
pub struct Compiled {
    pub source: SourceFile,
    pub spec: Spec,
    pub graph: Graph,
    pub warnings: Vec<Located>,
}

/// Reads, checks and graphs a spec with the variables of `vars` and the environment,
/// printing diagnostics to stderr (or stdout as JSON).
pub fn compile(path: &Path, json: bool, vars: &VarArgs) -> Result<Compiled, CliError> {
    compile_inputs(path, json, var_inputs(vars)?)
}

/// [`compile`] for what judges a spec without running it (`validate`, and the state commands
/// that only need its stack): a variable nothing gives a value is unknown, not an error.
pub fn compile_unknown_ok(path: &Path, json: bool, vars: &VarArgs) -> Result<Compiled, CliError> {
    let mut inputs = var_inputs(vars)?;
    inputs.unknown_ok = true;
    compile_inputs(path, json, inputs)
}

fn compile_inputs(path: &Path, json: bool, mut inputs: Inputs) -> Result<Compiled, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let (mut compiled, mut diagnostics) = match String::from_utf8(bytes) {
        Ok(text) => {
            inputs.stack_refs = read_stack_refs(&text, &spec_dir(path));
            compile_source_with(SourceFile::new(path.display().to_string(), text), &inputs)
        }
        Err(e) => {
            // Shown on the lossy text: everything before the first bad byte is unchanged, so
            // the location is exact.
            let at = e.utf8_error().valid_up_to();
            let bad = e.as_bytes().get(at).copied().unwrap_or_default();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let diagnostic = Diagnostic::error("agentfs::encoding", format!("byte 0x{bad:02x} is not valid UTF-8"))
                .help("a spec is UTF-8 text; re-save the file as UTF-8")
                .span(Some(at..at + '\u{fffd}'.len_utf8()));
            (Err(SourceFile::new(path.display().to_string(), text)), vec![diagnostic])
        }
    };
    if let Ok(c) = &mut compiled {
        let found = stamp_code(c, path);
        let failed = found.iter().any(Diagnostic::is_error);
        diagnostics.extend(found);
        if failed {
            compiled = Err(c.source.clone());
        }
    }
    report(
        &compiled.as_ref().map_or_else(|e| e.clone(), |c| c.source.clone()),
        &diagnostics,
        json && compiled.is_err(),
    );
    match compiled {
        Ok(mut c) => {
            c.warnings = diagnostics.into_iter().map(|d| Located::new(&c.source, d)).collect();
            Ok(c)
        }
        Err(_) => Err(CliError::InvalidSpec(path.display().to_string())),
    }
}

/// Variable values from the command line, var files and `AGENTFS_VAR_*` (see [`spec::vars`]).
pub fn var_inputs(args: &VarArgs) -> Result<Inputs, CliError> {
    let mut files = Vec::with_capacity(args.var_files.len());
    for path in &args.var_files {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
            path: path.clone(),
            source,
        })?;
        let values: toml::Table = toml::from_str(&text)
            .map_err(|e| CliError::Other(format!("--var-file {}: {}", path.display(), e.to_string().trim())))?;
        files.push(VarFile {
            name: path.display().to_string(),
            values,
        });
    }
    Ok(Inputs {
        cli: args.vars.clone(),
        saved: Default::default(),
        files,
        env: Inputs::env_from_process(),
        stack_refs: Default::default(),
        unknown_ok: false,
    })
}

/// Reads the recorded outputs of every `[stack_ref.*]` the spec text declares: a local state
/// file (relative to `dir`, the spec's directory) or an S3 object, never locked or written.
/// What cannot be read is reported by the parser, at the declaration.
pub fn read_stack_refs(text: &str, dir: &Path) -> std::collections::BTreeMap<String, StackRefState> {
    spec::stack_ref::declared_in(text)
        .into_iter()
        .filter_map(|(name, declared)| {
            let read = match (&declared.path, &declared.backend) {
                (Some(path), None) => read_local_ref(&dir.join(path)),
                (None, Some(url)) => read_s3_ref(url),
                _ => return None,
            };
            Some((name, read))
        })
        .collect()
}

fn outputs_of(from: String, state: &State) -> StackRefState {
    StackRefState::Read {
        from,
        outputs: state
            .outputs
            .iter()
            .map(|(name, o)| (name.clone(), (o.value.clone(), o.sensitive)))
            .collect(),
    }
}

fn read_local_ref(path: &Path) -> StackRefState {
    let from = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match crate::state::parse_state(&from, &bytes) {
            Ok(state) => outputs_of(from, &state),
            Err(e) => StackRefState::Failed {
                from,
                reason: e.to_string(),
            },
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => StackRefState::Failed {
            from,
            reason: "no such file (has that stack been applied?)".into(),
        },
        Err(e) => StackRefState::Failed {
            from,
            reason: e.to_string(),
        },
    }
}

fn read_s3_ref(url: &str) -> StackRefState {
    let from = url.to_string();
    let Some(location) = Location::parse(url) else {
        return StackRefState::Failed {
            from,
            reason: "not of the form s3://bucket/key".into(),
        };
    };
    // On a thread of its own: specs are compiled both inside and outside an async runtime.
    let loaded = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
                runtime.block_on(async {
                    let store = s3_store(location, None).await;
                    store.load().await.map_err(|e| e.to_string())
                })
            })
            .join()
            .unwrap_or_else(|_| Err("the read stopped".into()))
    });
    match loaded {
        Ok(Some(state)) => outputs_of(from, &state),
        Ok(None) => StackRefState::Failed {
            from,
            reason: "no state object there (has that stack been applied?)".into(),
        },
        Err(reason) => StackRefState::Failed { from, reason },
    }
}

/// The directory relative paths of the spec at `path` start from.
pub fn spec_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Refuses a spec with a resource that needs a container build tool (a runtime's `image`)
/// where no such tool works, before any AWS call: `plan` and `apply` need the tool (a plan
/// here could never be applied), while `validate`, `graph` and `destroy` do not, so they check
/// only the spec.
pub fn require_image_tool(compiled: &Compiled) -> Result<(), CliError> {
    let fields: Vec<String> = compiled
        .spec
        .resources
        .values()
        .filter_map(|r| r.spec.needs_build_tool().map(|field| format!("{}.{field}", r.addr)))
        .collect();
    if fields.is_empty() || crate::resources::image::find_tool().is_some() {
        return Ok(());
    }
    for field in fields {
        let diagnostic = Diagnostic::error("agentfs::image_tool", crate::resources::image::NO_TOOL)
            .help(crate::resources::image::NO_TOOL_HELP)
            .span(compiled.spec.spans.value(&field))
            .field(field);
        crate::errln!("{}", Located::new(&compiled.source, diagnostic));
    }
    Err(CliError::InvalidSpec(compiled.source.name.clone()))
}

/// Digests the local sources (code, build contexts) the spec at `path` names (the I/O step
/// after [`compile_source`]).
pub fn stamp_code(compiled: &mut Compiled, path: &Path) -> Vec<Diagnostic> {
    let mut found = crate::spec::read_sources(&mut compiled.spec, &spec_dir(path));
    crate::spec::vars::forgive_unknown(&mut found, &compiled.spec.parsed.unknown_uses);
    found
}

/// The pure part of [`compile`] with variables at their defaults: no I/O, diagnostics returned.
pub fn compile_source(source: SourceFile) -> (Result<Compiled, SourceFile>, Vec<Diagnostic>) {
    compile_source_with(source, &Inputs::default())
}

/// The pure part of [`compile`]: no I/O, diagnostics returned.
pub fn compile_source_with(source: SourceFile, inputs: &Inputs) -> (Result<Compiled, SourceFile>, Vec<Diagnostic>) {
    let loaded = spec::load_with(&source.text, inputs);
    let mut diagnostics = loaded.diagnostics;
    let Some(spec) = loaded.spec else {
        return (Err(source), diagnostics);
    };
    match Graph::from_spec(&spec) {
        Ok(graph) => (
            Ok(Compiled {
                source,
                spec,
                graph,
                warnings: Vec::new(),
            }),
            diagnostics,
        ),
        Err(GraphError::Cycle(_)) => {
            // Every cycle, not only the first the ordering met: one run shows all there is to fix.
            let nodes = spec
                .resources
                .values()
                .map(|r| (r.addr.clone(), r.deps.iter().cloned().collect()));
            for cycle in crate::graph::cycles(nodes) {
                let first = cycle.0.first().map(|a| a.to_string()).unwrap_or_default();
                diagnostics.push(
                    Diagnostic::error("agentfs::cycle", cycle.to_string())
                        .help("each resource on the cycle depends on the next; remove a reference or a `depends_on` entry")
                        .field(first.clone())
                        .span(spec.spans.key(&first)),
                );
            }
            (Err(source), diagnostics)
        }
        Err(other) => {
            diagnostics.push(Diagnostic::error("agentfs::dangling_reference", other.to_string()));
            (Err(source), diagnostics)
        }
    }
}

fn report(source: &SourceFile, diagnostics: &[Diagnostic], json: bool) {
    if json {
        let located: Vec<Located> = diagnostics.iter().map(|d| Located::new(source, d.clone())).collect();
        // A failure to print is reported by the caller's own error (the spec has errors) anyway.
        let _ = print_json(&serde_json::json!({"valid": false, "diagnostics": located}));
        return;
    }
    let mut stderr = std::io::stderr().lock();
    let fancy = std::io::stderr().is_terminal();
    for d in diagnostics {
        let line = Located::new(source, d.clone());
        let _ = writeln!(stderr, "{line}");
        if fancy {
            let _ = writeln!(stderr, "{}", spec::diag::render_snippet(source, d));
        }
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if errors > 0 {
        let _ = writeln!(stderr, "{}: {errors} error(s), {warnings} warning(s)", source.name);
    }
}

/// Runs `body` holding the stack's lock; the lock is released whatever `body` returns, and
/// also on Ctrl-C or SIGTERM: outside an apply or destroy run (which finishes its operations in
/// flight first, see [`crate::apply::schedule`]) `body` is dropped at once.
pub async fn with_lock<T>(
    store: &Store,
    operation: &str,
    body: impl Future<Output = Result<T, CliError>>,
) -> Result<T, CliError> {
    let info = LockInfo::new(operation);
    store.lock(&info).await?;
    let result = interruptible(body).await;
    if let Err(e) = store.unlock(&info.id).await {
        crate::errln!("warning: could not release the lock of {}: {e}", store.describe());
    }
    result
}

/// `body`, or [`CliError::Interrupted`] when a signal arrives while no inner scope handles it.
async fn interruptible<T>(body: impl Future<Output = Result<T, CliError>>) -> Result<T, CliError> {
    let scope = SignalScope::enter();
    let Some(mut signals) = Signals::new() else {
        return body.await;
    };
    let mut body = std::pin::pin!(body);
    loop {
        tokio::select! {
            result = &mut body => return result,
            signal = signals.recv() => {
                if scope.is_innermost() {
                    return Err(CliError::Interrupted(signal));
                }
            }
        }
    }
}

/// The S3 client for a state bucket in `region` (or the environment's region).
pub async fn s3_store(location: Location, region: Option<&str>) -> Store {
    let region = region
        .map(String::from)
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .unwrap_or_else(|| "us-east-1".into());
    let clients = Clients::load(&region).await;
    Store::S3(S3Backend::new(clients.s3, location))
}

/// The store of a stack: `--backend s3://bucket/key`, else the spec's `[backend]`, else the
/// local state beside the spec (`<spec dir>/.agentfs/`), wherever the command runs: a state
/// belongs to its spec, and one found through the working directory would make a second owner.
pub async fn open_store(flag: Option<&str>, spec: &Spec, spec_path: &Path) -> Result<Store, CliError> {
    let (stack, region) = (spec.stack.name.as_str(), spec.stack.region.as_str());
    let spec_dir = &spec_dir(spec_path);
    if let Some(url) = flag {
        let location = Location::parse(url)
            .ok_or_else(|| CliError::Other(format!("`{url}` is not of the form s3://bucket/key")))?;
        return Ok(s3_store(location, Some(region)).await);
    }
    match spec.backend.as_ref().and_then(|b| b.s3.as_ref()) {
        Some(s3) => {
            let key = s3.key.clone().unwrap_or_else(|| format!("agentfs/{stack}.state.json"));
            let location = Location {
                bucket: s3.bucket.clone(),
                key,
            };
            Ok(s3_store(location, Some(s3.region.as_deref().unwrap_or(region))).await)
        }
        None => {
            let local = LocalBackend::new(&spec_dir.join(STATE_DIR), stack);
            refuse_state_left_in_cwd(&local, spec_dir, stack)?;
            Ok(Store::Local(local))
        }
    }
}

/// Before state lived beside the spec, it lived under the working directory. A state of the
/// same stack found there while none is beside the spec is neither used (it may be another
/// spec's) nor ignored (the next apply would adopt the live resources into a second state):
/// the user is told to move it.
fn refuse_state_left_in_cwd(local: &LocalBackend, spec_dir: &Path, stack: &str) -> Result<(), CliError> {
    let old = Path::new(STATE_DIR).join(format!("{stack}.state.json"));
    if local.state_path().exists() || !old.exists() {
        return Ok(());
    }
    let same_dir = match (spec_dir.canonicalize(), Path::new(".").canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same_dir {
        return Ok(());
    }
    Err(CliError::Other(format!(
        "no state beside the spec ({}), but {} in the current directory holds a state of stack `{stack}`: agentfs keeps a stack's state beside its spec, wherever the command runs\n  help: if it is this spec's state, move it: `mkdir -p {} && mv {} {}`; otherwise run from another directory",
        local.state_path().display(),
        old.display(),
        spec_dir.join(STATE_DIR).display(),
        old.display(),
        local.state_path().display()
    )))
}

/// The recorded state of `store`, refused when it is not `owner`'s (another stack or region):
/// checked here, right after loading and before any AWS call.
pub async fn load_state(store: &Store, owner: &Owner) -> Result<Option<State>, CliError> {
    let state = store.load().await?;
    if let Some(state) = &state {
        state.check_owner(&store.describe(), owner, None)?;
    }
    Ok(state)
}

/// Whether `e` says the stored state cannot be used as it is (unreadable, another format,
/// another stack's): what `recover --force` and `state push --force` may replace.
pub fn replaceable(e: &CliError) -> bool {
    use crate::state::StateError as E;
    matches!(
        e,
        CliError::State(
            E::Corrupt { .. }
                | E::Version { .. }
                | E::OtherStack { .. }
                | E::OtherRegion { .. }
                | E::OtherAccount { .. }
        )
    )
}

/// Refuses a state recorded in another AWS account than the credentials' (known once
/// [`connect`] has asked STS), before any call after that one.
pub fn check_account(store: &Store, state: &State, ctx: &Ctx) -> Result<(), CliError> {
    state.check_owner(&store.describe(), &Owner::default(), Some(&ctx.account_id))?;
    Ok(())
}

/// The store for commands that need no spec: `--backend`, else a spec found, else local
/// state. Also returns the stack's name and whose state the store must hold.
pub async fn state_store(args: &StoreArgs, spec: Option<&PathBuf>) -> Result<(Store, String, Owner), CliError> {
    if let Some(url) = &args.backend {
        let location = Location::parse(url)
            .ok_or_else(|| CliError::Other(format!("`{url}` is not of the form s3://bucket/key")))?;
        let owner = Owner {
            stack: args.stack.clone(),
            region: None,
        };
        return Ok((s3_store(location, None).await, url.to_string(), owner));
    }
    if args.stack.is_none() {
        let default_spec = PathBuf::from("agentfs.toml");
        if let Some(path) = spec.or(default_spec.exists().then_some(&default_spec)) {
            let compiled = compile_unknown_ok(path, false, &args.vars)?;
            let s = &compiled.spec;
            // The stack's name and backend say which state this is: a stand-in will not do.
            if let Some(unknown) = s
                .parsed
                .unknown_uses
                .iter()
                .find(|u| u.path.starts_with("stack.") || u.path == "stack" || u.path.starts_with("backend"))
            {
                return Err(CliError::Other(format!(
                    "{}: `{}` uses variable `{}`, which has no value; give it with `--var {}=VALUE`, a `--var-file`, or {}{}",
                    path.display(),
                    unknown.path,
                    unknown.variable,
                    unknown.variable,
                    crate::spec::vars::ENV_PREFIX,
                    unknown.variable
                )));
            }
            let store = open_store(None, s, path).await?;
            return Ok((store, s.stack.name.clone(), Owner::new(&s.stack.name, &s.stack.region)));
        }
    }
    let stack = resolve_stack(args.stack.as_ref())?;
    let owner = Owner {
        stack: Some(stack.clone()),
        region: None,
    };
    Ok((
        Store::Local(LocalBackend::new(Path::new(STATE_DIR), &stack)),
        stack,
        owner,
    ))
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

/// The AWS context of a run, once STS has said whose the credentials are. That first call
/// tries three times (not the run's ten), so missing credentials or an unreachable endpoint
/// are reported within a second or two, each in words that say what to do.
pub async fn connect(region: &str, stack: &str) -> Result<Ctx, CliError> {
    let clients = Clients::load(region).await;
    let few_attempts = aws_sdk_sts::config::Builder::default()
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3));
    let identity = clients
        .sts
        .get_caller_identity()
        .customize()
        .config_override(few_attempts)
        .send()
        .await
        .map_err(crate::resources::aws::api("sts:GetCallerIdentity"));
    let account = match identity {
        Ok(out) => out
            .account()
            .map(String::from)
            .ok_or_else(|| CliError::Other("sts:GetCallerIdentity answered without an account".into()))?,
        Err(e) => return Err(CliError::Other(connect_failure(&e, region))),
    };
    Ok(Ctx::new(clients, region, &account, stack))
}

/// What a failed first call means, in a line or two with what to check.
fn connect_failure(e: &crate::resources::aws::ApiError, region: &str) -> String {
    match e.code.as_str() {
        "NoCredentials" => e.message.clone(),
        "DispatchFailure" | "Timeout" => format!(
            "cannot reach AWS STS at {} (region {region}): {}\n  help: check the network and any proxy (HTTPS_PROXY), or the endpoint override (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_STS, a profile's endpoint_url)",
            crate::resources::aws::endpoint_for("sts", region),
            e.message
        ),
        _ => format!(
            "AWS did not accept the configured credentials: {e}\n  help: check AWS_PROFILE or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; for an expired SSO session run `aws sso login`"
        ),
    }
}

pub async fn refresh_with(ctx: &Ctx, recorded: &State) -> Result<State, CliError> {
    let live = drift::read_live(ctx, recorded)
        .await
        .map_err(|e| CliError::Other(format!("reading the live stack: {e}")))?;
    Ok(drift::refreshed(recorded, &live))
}

/// The spec's existing resources, read now (batched per kind and query); a spec without any
/// makes no call.
pub async fn read_existing(
    ctx: &Ctx,
    spec: &Spec,
    recorded: Option<&State>,
) -> Result<std::collections::BTreeMap<spec::Addr, crate::state::ReadState>, CliError> {
    if spec.existing.is_empty() {
        return Ok(Default::default());
    }
    plan::reads::read_existing(ctx, spec, recorded)
        .await
        .map_err(|e| CliError::Other(e.to_string()))
}

/// What AWS says of the existing subnets and VPCs among `existing` (no call when there are none).
pub async fn network_facts(
    ctx: &Ctx,
    existing: &std::collections::BTreeMap<spec::Addr, crate::state::ReadState>,
) -> Result<Option<spec::facts::LiveFacts>, CliError> {
    use crate::provider::Provider;
    let (subnets, vpcs) = crate::resources::network::ids_of(existing);
    if subnets.is_empty() && vpcs.is_empty() {
        return Ok(None);
    }
    let facts = ctx
        .network_facts(&subnets, &vpcs)
        .await
        .map_err(|e| CliError::Other(format!("reading the existing network: {e}")))?;
    Ok(Some(facts))
}

/// Prints, on stderr, what the cross-kind lints find once the existing resources' live facts
/// are known (what load reported offline is not repeated).
pub fn print_live_lints(compiled: &Compiled, context: &plan::Context) {
    let Some(facts) = &context.facts else { return };
    let found = spec::lint_live(&compiled.spec, facts, &context.existing);
    let mut stderr = std::io::stderr().lock();
    for d in found {
        let _ = writeln!(stderr, "{}", Located::new(&compiled.source, d));
    }
}

/// The recorded state refreshed from AWS, with the account known and the existing resources
/// read (for `plan`).
pub async fn plan_state(
    spec: &crate::spec::Spec,
    spec_path: &Path,
    backend: Option<&str>,
    refresh: bool,
) -> Result<(Option<State>, plan::Context), CliError> {
    let store = open_store(backend, spec, spec_path).await?;
    let recorded = load_state(&store, &Owner::new(&spec.stack.name, &spec.stack.region)).await?;
    // Existing resources are read even with --no-refresh: the plan needs their ids.
    if spec.existing.is_empty() && (recorded.is_none() || !refresh) {
        return Ok((recorded, plan::Context::default()));
    }
    let ctx = connect(&spec.stack.region, &spec.stack.name).await?;
    if let Some(recorded) = &recorded {
        check_account(&store, recorded, &ctx)?;
    }
    let state = match recorded {
        Some(recorded) if refresh => Some(refresh_with(&ctx, &recorded).await?),
        other => other,
    };
    let existing = read_existing(&ctx, spec, state.as_ref()).await?;
    let facts = network_facts(&ctx, &existing).await?;
    Ok((
        state,
        plan::Context {
            account_id: Some(ctx.account_id.clone()),
            existing,
            facts,
            ..Default::default()
        },
    ))
}
