//! One module per command; each returns the process's exit status. [`run`] dispatches the
//! parsed command line; the shared steps (compile, state store, AWS) are in [`crate::pipeline`].

mod apply;
mod check;
mod convert;
mod cost;
pub(crate) mod destroy;
mod drift;
mod force_unlock;
mod graph;
mod import;
mod init;
mod invoke;
mod logs;
mod output;
mod plan;
mod recover;
mod refresh;
mod state;
mod validate;

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::Parser;

use crate::apply::Report;
use crate::apply::progress::Reporter;
use crate::cli::{Cli, Command, RunArgs};
use crate::pipeline::{CliError, runtime};

/// Exit status of a command line clap refuses (BSD `EX_USAGE`); never 2, which scripts read
/// as "changes present" from `plan --detailed-exitcode` and `drift`.
pub const EXIT_USAGE: u8 = 64;

/// Exit status when stdout is a pipe whose reader has gone: what a shell reports for a tool
/// killed by SIGPIPE.
pub const EXIT_BROKEN_PIPE: u8 = 141;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    match run(cli) {
        Ok(code) => code,
        Err(err @ CliError::Interrupted(signal)) => {
            crate::errln!("{err}");
            ExitCode::from(signal.exit_code())
        }
        // The reader of a pipe stopped reading (`agentfs state pull | head -c1`). Unix tools
        // die of SIGPIPE there, silently, and the shell reports 141 (128 + SIGPIPE): so does
        // agentfs, without the signal, which Rust ignores so that an apply whose output pipe
        // closes still finishes its operations in flight, records them and releases its lock.
        Err(CliError::Stdout(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_BROKEN_PIPE),
        Err(err) => {
            crate::errln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

/// `--help` and `--version` print to stdout and succeed; every other parse error is a usage error.
fn usage_error(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let _ = err.print();
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
        _ => ExitCode::from(EXIT_USAGE),
    }
}

pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Check(args) => check::run(args),
        Command::Cost(args) => cost::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Schema => graph::schema(),
        Command::Completions(args) => graph::completions(args),
        Command::Init(args) => init::run(args),
        Command::Convert(args) => convert::run(args),
        Command::Apply(args) => runtime()?.block_on(apply::apply(args)),
        Command::Destroy(args) => runtime()?.block_on(destroy::destroy(args)),
        Command::Output(args) => runtime()?.block_on(output::output(args)),
        Command::Logs(args) => runtime()?.block_on(logs::logs(args)),
        Command::ForceUnlock(args) => runtime()?.block_on(force_unlock::force_unlock(args)),
        Command::State(args) => runtime()?.block_on(state::state(args)),
        Command::Recover(args) => runtime()?.block_on(recover::recover(args)),
        Command::Import(args) => runtime()?.block_on(import::import(args)),
        Command::Drift(args) => runtime()?.block_on(drift::drift(args)),
        Command::Refresh(args) => runtime()?.block_on(refresh::refresh(args)),
        Command::Invoke(args) => runtime()?.block_on(invoke::invoke(args)),
    }
}

/// Asks on the terminal; the answer is read on a thread of its own so that Ctrl-C or SIGTERM
/// at the question still releases the lock.
pub async fn confirm(run: &RunArgs, question: &str) -> Result<(), CliError> {
    if run.auto_approve {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Other(
            "refusing to change AWS without a terminal to confirm; pass --auto-approve".into(),
        ));
    }
    crate::out!("{question} Only 'yes' is accepted: ");
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        let _ = tx.send(answer);
    });
    let answer = rx.await.unwrap_or_default();
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(CliError::Other("cancelled".into()))
    }
}

pub fn finish(reporter: &Reporter, report: &Report, what: &str) -> ExitCode {
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
    if let Some(signal) = report.interrupted {
        reporter.message(&format!(
            "interrupted by {signal}: the state records everything that finished; run the command again to continue."
        ));
        return ExitCode::from(signal.exit_code());
    } else {
        reporter.message(&format!(
            "{what} stopped: {} done, {} failed. The state records what finished; run the command again to continue.",
            report.done,
            report.failures.len()
        ));
    }
    ExitCode::from(1)
}
