//! `agentfs validate`: every offline check of a spec, no AWS call.

use std::process::ExitCode;

use crate::cli::SpecArgs;
use crate::pipeline::{CliError, compile_unknown_ok, print_json};

pub fn run(args: SpecArgs) -> Result<ExitCode, CliError> {
    let compiled = compile_unknown_ok(&args.spec, args.json, &args.vars)?;
    let findings = super::check::located(&compiled);
    let unknown: Vec<&str> = compiled
        .spec
        .variables
        .values()
        .filter(|v| v.unknown)
        .map(|v| v.name.as_str())
        .collect();
    if args.json {
        print_json(
            &serde_json::json!({"valid": true, "resources": compiled.spec.resources.len(), "diagnostics": compiled.warnings, "findings": findings, "unknown_variables": unknown}),
        )?;
    } else {
        super::check::print_to_stderr(&findings);
        if !unknown.is_empty() {
            // Like `terraform validate`: what depends on their values is checked at plan time.
            crate::errln!(
                "Variables without a value, checked as unknown: {}. Plan and apply need them.",
                unknown.join(", ")
            );
        }
        crate::outln!(
            "{} is valid: {} resources, {} outputs.",
            args.spec.display(),
            compiled.spec.resources.len(),
            compiled.spec.outputs.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
