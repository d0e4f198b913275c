//! Findings as SARIF 2.1.0, the format GitHub code scanning reads: one run, every rule in
//! `tool.driver.rules`, one result per finding with its file, line and column. An accepted
//! finding is a result with an in-source suppression carrying the reason.

use serde_json::{Value, json};

use super::{LocatedFinding, RULES};
use crate::lang::diag::Severity;

pub const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The SARIF log of `findings`.
pub fn log(findings: &[LocatedFinding]) -> Value {
    let mut rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id.replace('-', ""),
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": r.why },
                "help": { "text": r.fix },
                "defaultConfiguration": { "level": level(r.severity) },
            })
        })
        .collect();
    let mut ids: Vec<String> = RULES.iter().map(|r| r.id.to_string()).collect();
    // Accepted lints are results too; their rule is the lint.
    for f in findings {
        if !ids.contains(&f.finding.rule) {
            ids.push(f.finding.rule.clone());
            rules.push(json!({
                "id": f.finding.rule,
                "shortDescription": { "text": f.finding.message },
                "help": { "text": f.finding.fix },
                "defaultConfiguration": { "level": level(f.finding.severity) },
            }));
        }
    }
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let d = &f.finding;
            let mut physical = json!({ "artifactLocation": { "uri": f.file.replace('\\', "/") } });
            if let (Some(line), Some(column)) = (f.line, f.column) {
                physical["region"] = json!({ "startLine": line, "startColumn": column });
            }
            let mut result = json!({
                "ruleId": d.rule,
                "ruleIndex": ids.iter().position(|id| id == &d.rule).unwrap_or_default(),
                "level": level(d.severity),
                "message": { "text": format!("{} ({}): {} Fix: {}", d.message, d.field, d.why, d.fix) },
                "locations": [{
                    "physicalLocation": physical,
                    "logicalLocations": [{ "fullyQualifiedName": d.field, "kind": "member" }],
                }],
            });
            if let Some(reason) = &d.accepted {
                result["suppressions"] = json!([{ "kind": "inSource", "justification": reason }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "agentfs",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
        }],
    })
}
