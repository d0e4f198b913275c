//! `agentfs graph`: the dependency graph as DOT or JSON; `agentfs schema`: the spec's JSON Schema;
//! `agentfs completions SHELL`: shell completions generated from the clap definitions.

use std::process::ExitCode;

use crate::cli::{Cli, CompletionsArgs, GraphArgs, GraphFormat, Shell};
use crate::pipeline::{CliError, compile, print_json};

pub fn run(args: GraphArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec, false, &args.vars)?;
    match args.format {
        GraphFormat::Dot => crate::out!("{}", compiled.graph.to_dot()),
        GraphFormat::Json => print_json(&compiled.graph.to_json())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `agentfs schema`.
pub fn schema() -> Result<ExitCode, CliError> {
    print_json(&crate::spec::json_schema())?;
    Ok(ExitCode::SUCCESS)
}

/// `agentfs completions SHELL`.
pub fn completions(args: CompletionsArgs) -> Result<ExitCode, CliError> {
    let mut command = <Cli as clap::CommandFactory>::command();
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Elvish => clap_complete::Shell::Elvish,
        Shell::PowerShell => clap_complete::Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "agentfs", &mut script);
    crate::out!("{}", String::from_utf8_lossy(&script));
    Ok(ExitCode::SUCCESS)
}
