//! `agentfs check`: the security findings of a spec, with rule ids, as text, JSON or SARIF;
//! exit 1 when a finding at or above `--fail-on` is not accepted.

use std::io::Write;
use std::process::ExitCode;

use crate::check::{LocatedFinding, sarif};
use crate::cli::{CheckArgs, CheckFormat, FailOn};
use crate::pipeline::{CliError, Compiled, compile, print_json};
use crate::spec::Severity;

/// The compiled spec's findings, bound to its file.
pub fn located(compiled: &Compiled) -> Vec<LocatedFinding> {
    compiled
        .spec
        .findings
        .iter()
        .map(|f| LocatedFinding::new(&compiled.source, f.clone()))
        .collect()
}

/// Writes the findings to stderr for `validate` and `plan`, beside the spec's diagnostics.
pub fn print_to_stderr(findings: &[LocatedFinding]) {
    let mut stderr = std::io::stderr().lock();
    for f in findings {
        let _ = writeln!(stderr, "{f}");
    }
}

pub fn run(args: CheckArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec, matches!(args.format, CheckFormat::Json), &args.vars)?;
    let findings = located(&compiled);
    match args.format {
        CheckFormat::Text => crate::out!("{}", text(&findings)),
        CheckFormat::Json => print_json(&serde_json::json!({
            "findings": findings,
            "rules": crate::check::RULES,
        }))?,
        CheckFormat::Sarif => print_json(&sarif::log(&findings))?,
    }
    let level = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
    };
    Ok(if findings.iter().any(|f| f.finding.fails(level)) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn text(findings: &[LocatedFinding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!("{f}\n"));
    }
    let count = |pick: &dyn Fn(&LocatedFinding) -> bool| findings.iter().filter(|f| pick(f)).count();
    let errors = count(&|f| f.finding.accepted.is_none() && f.finding.severity == Severity::Error);
    let warnings = count(&|f| f.finding.accepted.is_none() && f.finding.severity == Severity::Warning);
    let accepted = count(&|f| f.finding.accepted.is_some());
    out.push_str(&format!(
        "{} finding(s): {errors} error(s), {warnings} warning(s), {accepted} accepted.\n",
        findings.len()
    ));
    out
}
