//! Command line definitions (clap) only: commands, arguments, help text and exit codes.
//! What each command does is in `src/commands/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0    success (`plan --detailed-exitcode`: no changes; `drift`: no drift)
  1    error: invalid spec, failed AWS call, lock held, ...
  2    changes present (`plan --detailed-exitcode`) or drift found (`drift`)
  64   usage error: unknown command, flag or value (never 2, which scripts read as changes)
  130  stopped by Ctrl-C (SIGINT), 143 stopped by SIGTERM: waits and retries ended at once, calls
       in flight were finished and recorded, the lock released; run the command again to continue";

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
        after_help = "With no recorded state the plan is computed offline: every resource is created,\nand values that AWS assigns (ids, ARNs) are shown as \"known after apply\".\n\nExamples:\n  agentfs plan examples/s3files-runtime.toml\n  agentfs plan --json spec.toml | jq .summary\n  agentfs plan --detailed-exitcode spec.toml   # exit 2 when there are changes\n  agentfs plan --destroy spec.toml             # what `agentfs destroy` would delete"
    )]
    Plan(PlanArgs),
    /// Security findings with rule ids (IAM, network, storage, runtime): text, JSON or SARIF.
    #[command(
        after_help = "Exit 1 when a finding at or above --fail-on (default: error) is not accepted. A resource\naccepts a finding with `lifecycle = { accept = [{ rule = \"AFS-IAM-003\", reason = \"...\" }] }`;\naccepted findings are still listed, with their reason.\n\nExamples:\n  agentfs check examples/s3files-runtime.toml\n  agentfs check --format sarif spec.toml > agentfs.sarif   # GitHub code scanning\n  agentfs check --fail-on warning spec.toml"
    )]
    Check(CheckArgs),
    /// The stack's idle monthly cost, or a monthly estimate with a usage file.
    #[command(
        after_help = "Prices are list prices from the table in the repository (src/cost/prices.toml), 730 hours a\nmonth; a region without prices there is refused, never guessed.\n\nUsage file (TOML, every key optional):\n  nat_gb_per_month = 100      # GB through the NAT gateways\n  file_system_gb = 50         # GB stored in the file system\n  runtime_sessions = 1000     # sessions a month\n  runtime_session_hours = 0.5 # hours each\n  runtime_vcpu = 1\n  runtime_gb = 2\n\nExamples:\n  agentfs cost examples/s3files-runtime.toml\n  agentfs cost --usage usage.toml --json spec.toml"
    )]
    Cost(CostArgs),
    /// Print the dependency graph (Graphviz DOT or JSON).
    #[command(
        after_help = "Examples:\n  agentfs graph examples/s3files-runtime.toml | dot -Tsvg > stack.svg\n  agentfs graph --format json spec.toml"
    )]
    Graph(GraphArgs),
    /// Print the JSON Schema of the spec file (for editors: taplo / Even Better TOML).
    Schema,
    /// Make the live stack match the spec (or run a plan saved with `plan -o`).
    #[command(
        after_help = "Shows the plan and asks before changing anything unless --auto-approve.\nState is written to .agentfs/<stack>.state.json beside the spec after every single resource operation;\nan interrupted apply is completed by running apply again. Ctrl-C or SIGTERM starts nothing new,\nends every wait and retry at once and finishes the calls in flight (a second one abandons them),\nthen exits 130 or 143.\n\nExamples:\n  agentfs apply examples/s3files-runtime.toml\n  agentfs plan -o plan.json spec.toml && agentfs apply plan.json\n  agentfs apply --auto-approve --output json spec.toml   # CI"
    )]
    Apply(ApplyArgs),
    /// Delete everything the recorded state holds for a stack; no spec needed.
    #[command(
        after_help = "With no argument, destroys the stack of ./agentfs.toml or the only stack under .agentfs/.\nLists what it deletes, dependents first, and asks before deleting anything unless --auto-approve;\n`agentfs plan --destroy` shows the same list without changing anything.\nNetwork interfaces that AgentCore leaves after a VPC runtime is deleted can block subnets and\nsecurity groups for a long time: destroy waits up to --blocked-wait, then stops cleanly with the\nblocked resources still recorded; run destroy again later to finish."
    )]
    Destroy(DestroyArgs),
    /// Print the outputs recorded by the last apply.
    Output(OutputArgs),
    /// Print a runtime's CloudWatch logs (its endpoint's log group), optionally following them.
    #[command(
        after_help = "Reads /aws/bedrock-agentcore/runtimes/<runtime id>-<endpoint>, the log group AgentCore\nwrites the agent's stdout and stderr to. RUNTIME is the runtime's name in the spec\n(`agentcore_runtime.<RUNTIME>`); it may be left out when the stack has one runtime.\n\nExamples:\n  agentfs logs\n  agentfs logs agent --since 1h\n  agentfs logs agent --follow --endpoint prod"
    )]
    Logs(LogsArgs),
    /// Remove a stack's lock left by a process that died.
    ForceUnlock(ForceUnlockArgs),
    /// Compare the live stack with the spec: exit 0 no drift, 2 drift, 1 error.
    #[command(
        after_help = "Exit codes: 0 no drift, 2 drift found, 1 error.\n\nReads every recorded resource (one batched call per kind where the API allows),\nand reports, attribute by attribute, where AWS no longer matches the spec: resources deleted\nor changed by hand, rules or policies added. Policies compare semantically.\n\nExamples:\n  agentfs drift spec.toml\n  agentfs drift --json spec.toml > drift.json   # CI: fail on exit code 2"
    )]
    Drift(StateSpecArgs),
    /// Record what AWS has now in the state, without changing AWS.
    Refresh(StateSpecArgs),
    /// Inspect and repair recorded state: list, show, pull, push, rm, migrate.
    State(StateArgs),
    /// Rebuild a lost state from the `agentfs:stack` / `agentfs:resource` tags in AWS.
    #[command(
        after_help = "Resources AWS cannot tag (routes, route table associations, mount targets) are found\nthrough their tagged parents and matched to the spec by the fields that identify them.\nAnything found but not placed, and anything in the spec but not found, is reported."
    )]
    Recover(RecoverArgs),
    /// Adopt an existing AWS resource into the state as ADDRESS of the spec.
    #[command(
        after_help = "A resource tagged as another agentfs stack's (agentfs:stack) is refused unless --force, and an id\nthe state already records (under any address) is refused.\n\nExample:\n  agentfs import agentfs.toml vpc.main vpc-0abc123\nThen `agentfs plan` shows how the resource differs from the spec and apply converges it."
    )]
    Import(ImportArgs),
    /// Turn a CloudFormation template (YAML or JSON) into an agentfs spec.
    #[command(
        after_help = "Resource types agentfs cannot express are listed on stderr with their logical id and\nthe reason, and the command exits 1 unless --partial; property values that cannot be\nmapped are errors naming the template line.\n\nExample:\n  agentfs convert stack.yaml -o agentfs.toml && agentfs validate"
    )]
    Convert(ConvertArgs),
    /// Write a starting agentfs.toml from a template (--list names them).
    #[command(
        after_help = "Examples:\n  agentfs init                          # the S3 Files stack in ./agentfs.toml\n  agentfs init --template efs my-stack  # my-stack/agentfs.toml\n  agentfs init --list"
    )]
    Init(InitArgs),
    /// Invoke an agent runtime of the stack and stream its answer to stdout.
    #[command(
        after_help = "RUNTIME is the runtime's name in the spec (`agent` or `agentcore_runtime.agent`); it may be\nomitted when the stack has one runtime. Without --session a new session id is made and printed\non stderr: pass it again to continue in the same session (the same process and files).\n\nExamples:\n  agentfs invoke --payload '{\"prompt\": \"hello\"}'\n  agentfs invoke agent --session $SESSION --payload @request.json\n  echo '{}' | agentfs invoke --payload -"
    )]
    Invoke(InvokeArgs),
    /// Print shell completions for bash, zsh, fish, elvish or PowerShell.
    #[command(
        after_help = "Examples:\n  agentfs completions bash > ~/.local/share/bash-completion/completions/agentfs\n  agentfs completions zsh > ~/.zfunc/_agentfs      # with fpath+=~/.zfunc before compinit\n  agentfs completions fish > ~/.config/fish/completions/agentfs.fish"
    )]
    Completions(CompletionsArgs),
}

#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// The CloudFormation template.
    pub template: PathBuf,
    /// Write the spec here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write what converts even when some resource types cannot be (exit 0).
    #[arg(long)]
    pub partial: bool,
    /// The stack name (default: the template's file name).
    #[arg(long)]
    pub stack: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Which stack to start from.
    #[arg(long, value_enum, default_value = "s3files")]
    pub template: InitTemplate,
    /// Where to write agentfs.toml, and agent/ for `--template agent` (created if missing;
    /// default: the current directory).
    pub dir: Option<PathBuf>,
    /// Overwrite an existing agentfs.toml (and agent code files).
    #[arg(long)]
    pub force: bool,
    /// Name the templates, one line each, and write nothing.
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InitTemplate {
    /// VPC, NAT, versioned bucket, Amazon S3 Files file system at /mnt/data, AgentCore Runtime.
    S3files,
    /// The same network with an Amazon EFS access point at /mnt/data.
    Efs,
    /// A PUBLIC-mode runtime with AgentCore session storage; no VPC.
    SessionStorage,
    /// The s3files stack with the example agent deployed as code; also writes agent/.
    Agent,
    /// A runtime in private subnets without NAT, with an AgentCore Memory and a tool Gateway.
    PrivateAgent,
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    /// Bash (bash-completion).
    Bash,
    /// Zsh (compsys).
    Zsh,
    /// fish.
    Fish,
    /// Elvish.
    Elvish,
    /// PowerShell.
    #[value(name = "powershell")]
    PowerShell,
}

#[derive(Debug, clap::Args)]
pub struct RecoverArgs {
    /// The spec whose resources to look for.
    #[arg(default_value = "agentfs.toml")]
    pub spec: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Replace an existing state, also one that cannot be read or is another stack's.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub backend: BackendArg,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The spec file.
    pub spec: PathBuf,
    /// The resource's address in the spec, e.g. `vpc.main`.
    pub address: String,
    /// The AWS id (for a role or bucket: its name).
    pub id: String,
    /// Import a resource tagged as another agentfs stack's (`agentfs:stack`). That stack's
    /// state still records it: this stack will then change it, and may delete it.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub backend: BackendArg,
}

/// Values for the spec's `[variable.*]`: `--var` beats `--var-file` beats `AGENTFS_VAR_NAME`
/// beats the declared default.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct VarArgs {
    /// Set a spec variable (repeatable): beats --var-file, AGENTFS_VAR_NAME and the default.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var, global = true)]
    pub vars: Vec<(String, String)>,
    /// Read variables from a TOML file of `NAME = value` lines (repeatable; a later file wins).
    #[arg(long = "var-file", value_name = "FILE", global = true)]
    pub var_files: Vec<PathBuf>,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    crate::lang::vars::parse_assignment(text)
}

/// Where the state of a command with a spec lives, when not where the spec says.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BackendArg {
    /// State in S3 (s3://bucket/key) instead of the spec's `[backend]` or .agentfs/.
    #[arg(long = "backend", value_name = "URL")]
    pub url: Option<String>,
}

impl BackendArg {
    pub fn as_deref(&self) -> Option<&str> {
        self.url.as_deref()
    }
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// How many AWS operations may run at once (at least 1).
    #[arg(long, default_value_t = 10, value_parser = parse_parallelism)]
    pub parallelism: usize,
    /// Skip the confirmation question.
    #[arg(long)]
    pub auto_approve: bool,
    /// Progress format: spinners on a terminal, plain lines, or one JSON event per line.
    #[arg(long, value_enum, default_value = "auto")]
    pub output: OutputMode,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A spec file, or a plan saved with `agentfs plan -o FILE`.
    #[arg(default_value = "agentfs.toml")]
    pub input: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub backend: BackendArg,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Replace this resource (repeatable) even though nothing forces it.
    #[arg(long, value_name = "ADDR")]
    pub replace: Vec<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Which stack's state a command without a spec works on.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// The stack, when there are several under .agentfs/.
    #[arg(long, global = true)]
    pub stack: Option<String>,
    /// State in S3 (s3://bucket/key) instead of .agentfs/ or the spec's `[backend]`.
    #[arg(long, value_name = "URL", global = true)]
    pub backend: Option<String>,
    #[command(flatten)]
    pub vars: VarArgs,
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
    Show {
        /// The resource's address, e.g. `vpc.main` (see `agentfs state list`).
        address: String,
    },
    /// The whole state as JSON on stdout.
    Pull,
    /// Replace the stored state with FILE; refused for another lineage or an older serial unless --force.
    Push {
        /// A state file, e.g. one saved with `agentfs state pull > FILE`.
        file: PathBuf,
        /// Push even when FILE is of another lineage or stack or has an older serial than the
        /// stored state, or when the stored state cannot be read.
        #[arg(long)]
        force: bool,
    },
    /// Forget a resource without deleting it in AWS.
    Rm {
        /// The resource's address, e.g. `vpc.main` (see `agentfs state list`).
        address: String,
    },
    /// Give a recorded resource another address (a rename in the spec), changing nothing in
    /// AWS; refused onto a recorded address or across kinds. `[[moved]]` in the spec does the same.
    Mv {
        /// The recorded address, e.g. `subnet.first`.
        from: String,
        /// The new address, of the same kind, e.g. `subnet.primary`.
        to: String,
    },
    /// Copy the state to S3 (s3://bucket/key); then add `[backend.s3]` to the spec.
    Migrate {
        /// Where to copy the state: s3://bucket/key.
        #[arg(long, value_name = "URL")]
        to: String,
        /// Replace a state already stored at the target.
        #[arg(long)]
        force: bool,
    },
}

/// `--target` / `--exclude`: limit a run to part of the stack.
#[derive(Debug, Default, clap::Args)]
pub struct TargetArgs {
    /// Only this resource (repeatable) and what it depends on; for destroy, it and what
    /// depends on it.
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    /// Leave this resource (repeatable) and what depends on it out; for destroy, it and what it
    /// depends on.
    #[arg(long, value_name = "ADDR")]
    pub exclude: Vec<String>,
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
    pub target: TargetArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// One output's name; all when absent.
    pub name: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Print the outputs as a JSON object (`{"name": {"value": ..., "sensitive": ...}}`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// The runtime's name in the spec; optional when the stack has one runtime.
    pub runtime: Option<String>,
    /// Keep polling for new events until interrupted.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// How far back to start (90s, 10m, 1h).
    #[arg(long, default_value = "10m", value_parser = parse_duration_arg)]
    pub since: std::time::Duration,
    /// The runtime endpoint whose log group to read.
    #[arg(long, default_value = "DEFAULT")]
    pub endpoint: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    /// The runtime's name in the spec; optional when the stack has one runtime.
    pub runtime: Option<String>,
    /// The runtime session id (33 to 256 characters); a new one when absent.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// The request body: JSON text, `@FILE`, or `-` for stdin.
    #[arg(long, value_name = "JSON|@FILE|-")]
    pub payload: String,
    /// The runtime endpoint to invoke (default: DEFAULT).
    #[arg(long, value_name = "ENDPOINT")]
    pub qualifier: Option<String>,
    /// The runtime user id sent with the request.
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, clap::Args)]
pub struct ForceUnlockArgs {
    /// The lock id shown by the error of the command that found the stack locked.
    pub lock_id: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// A run with no operation allowed at once would never start one: a usage error, not a hang.
fn parse_parallelism(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("`{text}` is not a number: {e}")),
    }
}

fn parse_duration_arg(text: &str) -> Result<std::time::Duration, String> {
    crate::lang::model::parse_duration(text).ok_or_else(|| format!("`{text}` is not a duration such as 90s, 10m or 1h"))
}

#[derive(Debug, clap::Args)]
pub struct SpecArgs {
    /// The spec file.
    #[arg(default_value = "agentfs.toml")]
    pub spec: PathBuf,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub vars: VarArgs,
}

/// A spec and where its state lives (drift, refresh).
#[derive(Debug, clap::Args)]
pub struct StateSpecArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub backend: BackendArg,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub backend: BackendArg,
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
    /// Preview `agentfs destroy`: every recorded resource as a delete, dependents first (no AWS call).
    #[arg(long, conflicts_with = "out")]
    pub destroy: bool,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Replace this resource (repeatable) even though nothing forces it.
    #[arg(long, value_name = "ADDR")]
    pub replace: Vec<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT, for `dot -Tsvg`.
    Dot,
    /// Nodes and edges as JSON.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The spec file.
    #[arg(default_value = "agentfs.toml")]
    pub spec: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
    #[command(flatten)]
    pub vars: VarArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CheckFormat {
    /// One finding per line, with why and fix.
    Text,
    /// The findings and the rules as JSON.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOn {
    /// Fail on error-level findings only.
    Error,
    /// Fail on warnings too.
    Warning,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The spec file.
    #[arg(default_value = "agentfs.toml")]
    pub spec: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
    /// The lowest severity that makes the command exit 1.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub vars: VarArgs,
}

#[derive(Debug, clap::Args)]
pub struct CostArgs {
    /// The spec file.
    #[arg(default_value = "agentfs.toml")]
    pub spec: PathBuf,
    /// A usage file (TOML) for a monthly estimate; see `agentfs cost --help`.
    #[arg(long, value_name = "FILE")]
    pub usage: Option<PathBuf>,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub vars: VarArgs,
}

/// How apply and destroy report progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputMode {
    /// Spinners on a terminal, plain lines otherwise.
    Auto,
    /// One line per event.
    Plain,
    /// One JSON object per line.
    Json,
}
