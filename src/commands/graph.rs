//! `agentfs graph`: the dependency graph as DOT or JSON; `agentfs schema`: the spec's JSON Schema.

use std::process::ExitCode;

use crate::cli::{GraphArgs, GraphFormat};
use crate::pipeline::{CliError, compile, print_json};

pub fn run(args: GraphArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec, false)?;
    match args.format {
        GraphFormat::Dot => print!("{}", compiled.graph.to_dot()),
        GraphFormat::Json => print_json(&compiled.graph.to_json()),
    }
    Ok(ExitCode::SUCCESS)
}

/// `agentfs schema`.
pub fn schema() -> Result<ExitCode, CliError> {
    print_json(&crate::spec::json_schema());
    Ok(ExitCode::SUCCESS)
}
