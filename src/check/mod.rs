//! Security findings: rules with stable ids (`AFS-IAM-001`), evaluated offline over a parsed
//! spec, one file per rule family. `agentfs check` prints them as text, JSON or SARIF;
//! `validate` and `plan` print them beside the spec's diagnostics.
//!
//! A resource accepts a finding with `lifecycle = { accept = [{ rule = "...", reason = "..." }] }`:
//! the finding is still listed, as accepted with its reason, and no longer counts for
//! `--fail-on`. The same `accept` silences the spec's lints (`agentfs::lint::*`) per resource.

mod iam;
mod network;
mod runtime;
pub mod sarif;
mod storage;

use std::ops::Range;

use serde::Serialize;

use crate::lang::diag::{Diagnostic, Severity, SourceFile};
use crate::parse::{ParsedResource, ParsedSpec};

/// One rule: what it finds, why that matters and how to fix it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
}

/// Every rule, in the order `check` documents them.
pub const RULES: &[Rule] = &[
    iam::SERVICE_WILDCARD_ON_ANY,
    iam::SERVICE_WILDCARD,
    iam::ANY_RESOURCE,
    iam::NOT_ACTION_ALLOW,
    iam::TRUST_ANYONE,
    iam::TRUST_NO_SOURCE,
    runtime::PUBLIC_NO_AUTHORIZER,
    runtime::SECRET_FORMAT,
    runtime::SECRET_NAME,
    storage::EFS_UNENCRYPTED,
    storage::ECR_MUTABLE_TAGS,
    storage::ECR_NO_SCAN,
    network::OPEN_INGRESS,
    network::NAT_ONE_AZ,
];

/// The spec's lints that `accept` may silence per resource (they are warnings; errors cannot
/// be accepted).
pub const LINT_CODES: &[&str] = &[
    "agentfs::lint::runtime_public_subnet",
    "agentfs::lint::runtime_no_egress",
    "agentfs::lint::runtime_no_s3_path",
    "agentfs::lint::runtime_private_unreachable",
    "agentfs::lint::nfs_blocked",
    "agentfs::lint::vpc_dns",
    "agentfs::lint::default_security_group",
];

/// Lints that became rules: specs written before still accept them by their old code.
const RENAMED: &[(&str, &str)] = &[
    ("agentfs::lint::wildcard_policy", iam::SERVICE_WILDCARD_ON_ANY.id),
    ("agentfs::lint::trust_without_source_account", iam::TRUST_NO_SOURCE.id),
];

/// The id `accept` means by `id`: itself, or the rule a renamed lint became.
fn canonical(id: &str) -> &str {
    RENAMED.iter().find(|(old, _)| *old == id).map_or(id, |(_, new)| new)
}

/// Whether `accept` may name `id`.
pub fn acceptable(id: &str) -> bool {
    let id = canonical(id);
    RULES.iter().any(|r| r.id == id) || LINT_CODES.contains(&id)
}

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// One finding on one field of one resource.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// A rule id (`AFS-IAM-001`) or, for an accepted lint, the lint's code.
    pub rule: String,
    pub severity: Severity,
    /// The resource, e.g. `iam_role.runtime`.
    pub resource: String,
    /// The field, e.g. `iam_role.runtime.inline_policies.fs.Statement[0].Action`.
    pub field: String,
    /// What this resource does, in its own terms.
    pub message: String,
    pub why: String,
    pub fix: String,
    /// The reason the resource's `lifecycle.accept` gives, when it accepts this finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
    #[serde(skip)]
    pub span: Option<Range<usize>>,
}

impl Finding {
    /// Whether the finding counts for `--fail-on level`.
    pub fn fails(&self, level: Severity) -> bool {
        self.accepted.is_none() && (self.severity == Severity::Error || level == Severity::Warning)
    }
}

/// Collects findings for one resource, with spans from the spec.
pub(crate) struct Findings<'a> {
    spec: &'a ParsedSpec,
    out: Vec<Finding>,
}

impl<'a> Findings<'a> {
    /// Records that `resource` breaks `rule` at `field` (relative to the resource).
    pub(crate) fn add(&mut self, rule: &Rule, resource: &ParsedResource, field: &str, message: impl Into<String>) {
        let addr = resource.addr.to_string();
        let path = if field.is_empty() {
            addr.clone()
        } else {
            format!("{addr}.{field}")
        };
        let span = if field.is_empty() {
            self.spec.spans.key(&addr)
        } else {
            self.spec.spans.value(&path)
        };
        self.out.push(Finding {
            rule: rule.id.to_string(),
            severity: rule.severity,
            resource: addr,
            field: path,
            message: message.into(),
            why: rule.why.to_string(),
            fix: rule.fix.to_string(),
            accepted: None,
            span,
        });
    }
}

/// Every rule over `spec`; findings its resources accept carry the reason.
pub fn run(spec: &ParsedSpec) -> Vec<Finding> {
    let mut findings = Findings { spec, out: Vec::new() };
    iam::check(spec, &mut findings);
    runtime::check(spec, &mut findings);
    storage::check(spec, &mut findings);
    network::check(spec, &mut findings);
    let mut out = findings.out;
    for finding in &mut out {
        finding.accepted = accepted(spec, &finding.resource, &finding.rule);
    }
    out
}

fn accepted(spec: &ParsedSpec, resource: &str, rule: &str) -> Option<String> {
    let r = spec.resources.iter().find(|r| r.addr.to_string() == resource)?;
    r.meta
        .lifecycle
        .accept
        .iter()
        .find(|a| canonical(&a.rule) == rule)
        .map(|a| a.reason.clone())
}

/// Moves the lint warnings that their resource accepts out of `diagnostics`, returning them as
/// accepted findings (listed, not hidden).
pub fn accept_lints(spec: &ParsedSpec, diagnostics: &mut Vec<Diagnostic>) -> Vec<Finding> {
    let mut moved = Vec::new();
    diagnostics.retain(|d| {
        if d.is_error() || !LINT_CODES.contains(&d.code) {
            return true;
        }
        let Some(field) = &d.field else { return true };
        let owner = spec.resources.iter().find(|r| {
            let addr = r.addr.to_string();
            field == &addr || field.starts_with(&format!("{addr}."))
        });
        let Some(owner) = owner else { return true };
        let resource = owner.addr.to_string();
        match accepted(spec, &resource, d.code) {
            Some(reason) => {
                moved.push(Finding {
                    rule: d.code.to_string(),
                    severity: d.severity,
                    resource,
                    field: field.clone(),
                    message: d.message.clone(),
                    why: d.message.clone(),
                    fix: d.help.clone().unwrap_or_default(),
                    accepted: Some(reason),
                    span: d.span.clone(),
                });
                false
            }
            None => true,
        }
    });
    moved
}

/// A finding bound to its file: line and column.
#[derive(Debug, Clone, Serialize)]
pub struct LocatedFinding {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(flatten)]
    pub finding: Finding,
}

impl LocatedFinding {
    pub fn new(source: &SourceFile, finding: Finding) -> LocatedFinding {
        let position = finding.span.as_ref().map(|s| source.line_col(s.start));
        LocatedFinding {
            file: source.name.clone(),
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
            finding,
        }
    }
}

/// `file:line:col: error[AFS-IAM-001]: message (field `...`)`, then why and fix; an accepted
/// finding says `accepted[...]` and gives its reason.
impl std::fmt::Display for LocatedFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = &self.finding;
        let label = match (&d.accepted, d.severity) {
            (Some(_), _) => "accepted",
            (None, Severity::Error) => "error",
            (None, Severity::Warning) => "warning",
        };
        write!(f, "{}", self.file)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {label}[{}]: {} (field `{}`)", d.rule, d.message, d.field)?;
        match &d.accepted {
            Some(reason) => write!(f, "\n  reason: {reason}"),
            None => write!(f, "\n  why: {}\n  fix: {}", d.why, d.fix),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The findings of a spec text that parses, with the rule ids in order.
    pub(crate) fn findings(text: &str) -> Vec<Finding> {
        let (parsed, diagnostics) = crate::parse::parse(text);
        let parsed = parsed.unwrap_or_else(|| panic!("does not parse: {diagnostics:?}"));
        run(&parsed)
    }

    pub(crate) fn ids(text: &str) -> Vec<String> {
        findings(text).into_iter().map(|f| f.rule).collect()
    }

    pub(crate) const STACK: &str = "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n";

    #[test]
    fn every_rule_id_is_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        let re = regex::Regex::new(r"^AFS-[A-Z0-9]+-\d{3}$").unwrap();
        for rule in RULES {
            assert!(seen.insert(rule.id), "{} twice", rule.id);
            assert!(re.is_match(rule.id), "{}", rule.id);
            assert!(!rule.why.is_empty() && !rule.fix.is_empty());
        }
    }

    #[test]
    fn an_accepted_finding_carries_its_reason_and_does_not_fail() {
        let text = format!(
            "{STACK}[efs_file_system.fs]\nencrypted = false\nlifecycle = {{ accept = [{{ rule = \"AFS-EFS-001\", reason = \"scratch data only\" }}] }}\n"
        );
        let found = findings(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].accepted.as_deref(), Some("scratch data only"));
        assert!(!found[0].fails(Severity::Warning));
    }
}
