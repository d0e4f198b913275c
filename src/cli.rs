//! Command line: clap definitions, output formats and exit codes.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::graph::{Graph, GraphError};
use crate::plan::{self, Plan};
use crate::spec::{self, Diagnostic, Located, SourceFile, Spec};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (for `plan --detailed-exitcode`: no changes)
  1  error: invalid spec, failed AWS call, lock held, ...
  2  `plan --detailed-exitcode`: changes present";

/// Declarative provisioning of AI agent stacks on AWS: VPC, S3 Files or EFS file system,
/// IAM roles and an Amazon Bedrock AgentCore Runtime that mounts the file system.
#[derive(Debug, Parser)]
#[command(name = "agentfs", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a spec without calling AWS: shape, references, names, CIDRs, mounts, lints.
    #[command(
        after_help = "Every error and warning names the file, line, column and field.\n\nExample:\n  agentfs validate examples/s3files-runtime.toml"
    )]
    Validate(SpecArgs),
    /// Show what apply would do, resource by resource and attribute by attribute.
    #[command(
        after_help = "With no recorded state the plan is computed offline: every resource is created,\nand values that AWS assigns (ids, ARNs) are shown as \"known after apply\".\n\nExamples:\n  agentfs plan examples/s3files-runtime.toml\n  agentfs plan --json spec.toml | jq .summary\n  agentfs plan --detailed-exitcode spec.toml   # exit 2 when there are changes"
    )]
    Plan(PlanArgs),
    /// Print the dependency graph (Graphviz DOT or JSON).
    #[command(
        after_help = "Examples:\n  agentfs graph examples/s3files-runtime.toml | dot -Tsvg > stack.svg\n  agentfs graph --format json spec.toml"
    )]
    Graph(GraphArgs),
    /// Print the JSON Schema of the spec file (for editors: taplo / Even Better TOML).
    Schema,
    /// Make the live stack match the spec (or run a plan saved with `plan -o`).
    #[command(
        after_help = "Shows the plan and asks before changing anything unless --auto-approve.\nState is written to .agentfs/<stack>.state.json after every single resource operation;\nan interrupted apply is completed by running apply again.\n\nExamples:\n  agentfs apply examples/s3files-runtime.toml\n  agentfs plan -o plan.json spec.toml && agentfs apply plan.json\n  agentfs apply --auto-approve --output json spec.toml   # CI"
    )]
    Apply(ApplyArgs),
    /// Delete everything the recorded state holds for a stack; no spec needed.
    #[command(
        after_help = "With no argument, destroys the stack of ./agentfs.toml or the only stack under .agentfs/.\nNetwork interfaces that AgentCore leaves after a VPC runtime is deleted can block subnets and\nsecurity groups for a long time: destroy waits up to --blocked-wait, then stops cleanly with the\nblocked resources still recorded; run destroy again later to finish."
    )]
    Destroy(DestroyArgs),
    /// Print the outputs recorded by the last apply.
    Output(OutputArgs),
    /// Remove a stack's lock left by a process that died.
    ForceUnlock(ForceUnlockArgs),
    /// Compare the live stack with the spec: exit 0 no drift, 2 drift, 1 error.
    #[command(
        after_help = "Reads every recorded resource (one batched call per kind where the API allows),\nand reports, attribute by attribute, where AWS no longer matches the spec: resources deleted\nor changed by hand, rules or policies added. Policies compare semantically.\n\nExamples:\n  agentfs drift spec.toml\n  agentfs drift --json spec.toml > drift.json   # CI: fail on exit code 2"
    )]
    Drift(SpecArgs),
    /// Record what AWS has now in the state, without changing AWS.
    Refresh(SpecArgs),
    /// Inspect and repair recorded state: list, show, pull, push, rm, migrate.
    State(StateArgs),
    /// Rebuild a lost state from the `agentfs:stack` / `agentfs:resource` tags in AWS.
    #[command(
        after_help = "Resources AWS cannot tag (routes, route table associations, mount targets) are found\nthrough their tagged parents and matched to the spec by the fields that identify them.\nAnything found but not placed, and anything in the spec but not found, is reported."
    )]
    Recover(RecoverArgs),
    /// Adopt an existing AWS resource into the state as ADDRESS of the spec.
    #[command(
        after_help = "Example:\n  agentfs import agentfs.toml vpc.main vpc-0abc123\nThen `agentfs plan` shows how the resource differs from the spec and apply converges it."
    )]
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct RecoverArgs {
    #[arg(default_value = "agentfs.toml")]
    pub spec: PathBuf,
    /// Replace an existing state.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The spec file.
    pub spec: PathBuf,
    /// The resource's address in the spec, e.g. `vpc.main`.
    pub address: String,
    /// The AWS id (for a role or bucket: its name).
    pub id: String,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Operations at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    /// Skip the confirmation question.
    #[arg(long)]
    pub auto_approve: bool,
    /// Progress format.
    #[arg(long, value_enum, default_value = "auto")]
    pub output: crate::apply::progress::OutputMode,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A spec file, or a plan saved with `agentfs plan -o FILE`.
    #[arg(default_value = "agentfs.toml")]
    pub input: PathBuf,
    /// State in S3 instead of the spec's `[backend]` (s3://bucket/key).
    #[arg(long, value_name = "URL")]
    pub backend: Option<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Which stack's state a command without a spec works on.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// The stack, when there are several under .agentfs/.
    #[arg(long)]
    pub stack: Option<String>,
    /// State in S3 (s3://bucket/key) instead of .agentfs/ or the spec's `[backend]`.
    #[arg(long, value_name = "URL")]
    pub backend: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct StateArgs {
    #[command(subcommand)]
    pub command: StateCommand,
    /// A spec naming the stack and its backend (default: ./agentfs.toml when present).
    #[arg(long, global = true)]
    pub spec: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Every recorded resource with its id and phase.
    List,
    /// One recorded resource as JSON.
    Show { address: String },
    /// The whole state as JSON on stdout.
    Pull,
    /// Replace the stored state with FILE; refused for another lineage or an older serial unless --force.
    Push {
        file: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// Forget a resource without deleting it in AWS.
    Rm { address: String },
    /// Copy the state to S3 (s3://bucket/key); then add `[backend.s3]` to the spec.
    Migrate {
        #[arg(long, value_name = "URL")]
        to: String,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    /// A spec file naming the stack (optional: the state alone is enough).
    pub spec: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// How long to wait for subnets and security groups that service-managed network interfaces block (e.g. 30m).
    #[arg(long, default_value = "30m", value_parser = parse_duration_arg)]
    pub blocked_wait: std::time::Duration,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// One output's name; all when absent.
    pub name: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ForceUnlockArgs {
    /// The lock id shown by the error of the command that found the stack locked.
    pub lock_id: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

fn parse_duration_arg(text: &str) -> Result<std::time::Duration, String> {
    spec::model::parse_duration(text).ok_or_else(|| format!("`{text}` is not a duration such as 90s, 10m or 1h"))
}

#[derive(Debug, clap::Args)]
pub struct SpecArgs {
    /// The spec file.
    #[arg(default_value = "agentfs.toml")]
    pub spec: PathBuf,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Exit 2 when the plan has changes, 0 when it has none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also list resources that do not change.
    #[arg(long, short)]
    pub verbose: bool,
    /// Save the plan to a file for `agentfs apply FILE`.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Plan against the recorded state only, without reading the live stack.
    #[arg(long)]
    pub no_refresh: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The spec file.
    #[arg(default_value = "agentfs.toml")]
    pub spec: PathBuf,
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
}

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
    #[error("{0}")]
    Other(String),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Validate(args) => {
            let compiled = compile(&args.spec, args.json)?;
            if args.json {
                print_json(
                    &serde_json::json!({"valid": true, "resources": compiled.spec.resources.len(), "diagnostics": compiled.warnings}),
                );
            } else {
                println!(
                    "{} is valid: {} resources, {} outputs.",
                    args.spec.display(),
                    compiled.spec.resources.len(),
                    compiled.spec.outputs.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan(args) => {
            let compiled = compile(&args.spec.spec, args.spec.json)?;
            let (state, context) =
                runtime()?.block_on(crate::commands::plan_state(&compiled.spec, !args.no_refresh))?;
            let mut plan = plan::compute(&compiled.spec, &compiled.graph, state.as_ref(), &context)?;
            if args.out.is_some() {
                plan.spec_source = Some(plan::SpecSource {
                    path: compiled.source.name.clone(),
                    text: compiled.source.text.to_string(),
                });
            }
            emit_plan(&plan, &args)?;
            let changes = plan.summary.has_changes();
            Ok(if args.detailed_exitcode && changes {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Graph(args) => {
            let compiled = compile(&args.spec, false)?;
            match args.format {
                GraphFormat::Dot => print!("{}", compiled.graph.to_dot()),
                GraphFormat::Json => print_json(&compiled.graph.to_json()),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema => {
            print_json(&spec::json_schema());
            Ok(ExitCode::SUCCESS)
        }
        Command::Apply(args) => runtime()?.block_on(crate::commands::apply(args)),
        Command::Destroy(args) => runtime()?.block_on(crate::commands::destroy(args)),
        Command::Output(args) => runtime()?.block_on(crate::commands::output(args)),
        Command::ForceUnlock(args) => runtime()?.block_on(crate::commands::force_unlock(args)),
        Command::State(args) => runtime()?.block_on(crate::commands::state(args)),
        Command::Recover(args) => runtime()?.block_on(crate::commands::recover(args)),
        Command::Import(args) => runtime()?.block_on(crate::commands::import(args)),
        Command::Drift(args) => runtime()?.block_on(crate::commands::drift(args)),
        Command::Refresh(args) => runtime()?.block_on(crate::commands::refresh(args)),
    }
}

/// Where local state lives, relative to the working directory.
pub const STATE_DIR: &str = ".agentfs";

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Runtime::new().map_err(|e| CliError::Other(format!("cannot start the async runtime: {e}")))
}

fn emit_plan(plan: &Plan, args: &PlanArgs) -> Result<(), CliError> {
    if let Some(path) = &args.out {
        let bytes = serde_json::to_vec_pretty(plan).map_err(|e| CliError::Other(e.to_string()))?;
        // A saved plan embeds the spec, sensitive values included: readable by its owner only.
        let write = crate::state::local::create_private(path, false)
            .and_then(|mut file| std::io::Write::write_all(&mut file, &bytes));
        write.map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })?;
    }
    if args.spec.json {
        print_json(&serde_json::to_value(plan).unwrap_or_default());
    } else {
        print!("{}", plan::render::text(plan, args.verbose));
        if let Some(path) = &args.out {
            println!(
                "Saved the plan to {}; apply exactly it with `agentfs apply {}`.",
                path.display(),
                path.display()
            );
        }
    }
    Ok(())
}

fn print_json(value: &serde_json::Value) {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}

/// A checked spec and its graph, with the warnings found on the way.
pub struct Compiled {
    pub source: SourceFile,
    pub spec: Spec,
    pub graph: Graph,
    pub warnings: Vec<Located>,
}

/// Reads, checks and graphs a spec, printing diagnostics to stderr (or stdout as JSON).
pub fn compile(path: &Path, json: bool) -> Result<Compiled, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let source = SourceFile::new(path.display().to_string(), text);
    let (compiled, diagnostics) = compile_source(source);
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

/// The pure part of [`compile`]: no I/O, diagnostics returned.
pub fn compile_source(source: SourceFile) -> (Result<Compiled, SourceFile>, Vec<Diagnostic>) {
    let loaded = spec::load(&source.text);
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
        Err(GraphError::Cycle(cycle)) => {
            let first = cycle.0.first().map(|a| a.to_string()).unwrap_or_default();
            diagnostics.push(
                Diagnostic::error("agentfs::cycle", cycle.to_string())
                    .help("each resource on the cycle depends on the next; remove a reference or a `depends_on` entry")
                    .field(first.clone())
                    .span(spec.spans.key(&first)),
            );
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
        print_json(&serde_json::json!({"valid": false, "diagnostics": located}));
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
