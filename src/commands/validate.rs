//! `agentfs validate`: every offline check of a spec, no AWS call.

use std::process::ExitCode;

use crate::cli::SpecArgs;
use crate::pipeline::{CliError, compile, print_json};

pub fn run(args: SpecArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec, args.json, &args.vars)?;
    let findings = super::check::located(&compiled);
    if args.json {
        print_json(
            &serde_json::json!({"valid": true, "resources": compiled.spec.resources.len(), "diagnostics": compiled.warnings, "findings": findings}),
        )?;
    } else {
        super::check::print_to_stderr(&findings);
        crate::outln!(
            "{} is valid: {} resources, {} outputs.",
            args.spec.display(),
            compiled.spec.resources.len(),
            compiled.spec.outputs.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
