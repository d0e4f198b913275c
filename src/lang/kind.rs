//! What the spec machinery needs from every kind's configuration struct: the fields that name
//! other resources, its tags, its own checks and its sensitive values. Each kind implements
//! [`KindSpec`] in its own file under `src/resources/`; nothing here names a kind.

use std::collections::BTreeMap;
use std::ops::Range;

use sha2::{Digest, Sha256};

use super::addr::{Addr, Kind};
use super::diag::Diagnostic;
use super::model::StackSettings;
use super::spans::SpanIndex;
use super::template::{AttrRef, Lookup, Template, Var};

pub type Tags = BTreeMap<String, String>;

/// A field of a resource that names another resource.
pub struct RefSlot<'a> {
    /// Field path as the user wrote it, e.g. `security_groups[1]`.
    pub field: String,
    pub target: Kind,
    /// Which attribute of the target the field needs (`id` or `arn`).
    pub attribute: &'static str,
    pub value: &'a mut String,
    /// Whether the reference may be filled in after both resources exist when the two name
    /// each other (security groups whose rules allow each other): such a pair is no cycle.
    pub late: bool,
}

impl<'a> RefSlot<'a> {
    pub fn new(field: impl Into<String>, target: Kind, attribute: &'static str, value: &'a mut String) -> Self {
        RefSlot {
            field: field.into(),
            target,
            attribute,
            value,
            late: false,
        }
    }

    /// Marks the reference as one that may be completed after both ends exist (see `late`).
    pub fn late(mut self) -> Self {
        self.late = true;
        self
    }
}

/// One slot per item of a list of references (`subnets[0]`, `subnets[1]`, ...).
pub fn list_refs<'a>(
    field: &str,
    target: Kind,
    attribute: &'static str,
    values: &'a mut [String],
) -> impl Iterator<Item = RefSlot<'a>> {
    values
        .iter_mut()
        .enumerate()
        .map(move |(i, v)| RefSlot::new(format!("{field}[{i}]"), target, attribute, v))
}

/// A name that AWS keeps unique: two resources of one kind (in one scope) cannot share it.
pub struct UniqueName {
    /// Where uniqueness holds, e.g. the VPC of a security group; empty for account-wide names.
    pub scope: String,
    pub name: String,
}

/// What every kind's configuration provides to validation, lowering and planning.
pub trait KindSpec {
    /// The fields that name other resources.
    fn refs(&mut self) -> Vec<RefSlot<'_>>;

    /// The user's tags, for kinds AWS can tag.
    fn tags(&self) -> Option<&Tags> {
        None
    }

    /// The kind's own checks of its fields (cross-kind lints live in `spec::lints`).
    fn check(&self, check: &mut Check<'_>) {
        let _ = check;
    }

    /// Paths (as the plan's `flatten` writes them) whose values never appear in
    /// plans, logs or state: they are recorded as digests.
    fn sensitive_paths(&self) -> Vec<String> {
        Vec::new()
    }

    /// The AWS name that must be unique, for kinds whose names AWS keeps unique.
    fn unique_name(&self, addr: &Addr) -> Option<UniqueName> {
        let _ = addr;
        None
    }

    /// Reads the local files the resource deploys (code, build contexts), relative to `base`
    /// (the spec's directory), and records their digests in its fields so that plans show a
    /// change of them. Problems come back as errors naming their field (relative to the
    /// resource, e.g. `code.source`); the caller locates them.
    fn read_sources(&mut self, base: &std::path::Path) -> Vec<Diagnostic> {
        let _ = base;
        Vec::new()
    }

    /// The field (relative to the resource) whose deployment needs a container build tool
    /// (docker or podman) on this machine, if any.
    fn needs_build_tool(&self) -> Option<&'static str> {
        None
    }
}

fn yes() -> bool {
    true
}

/// `#[serde(default = "crate::lang::kind::default_true")]` for flags that AWS turns on by default.
pub fn default_true() -> bool {
    yes()
}

/// Where one resource's findings go: diagnostics located at its fields.
pub struct Check<'a> {
    addr: &'a Addr,
    stack: &'a StackSettings,
    spans: &'a SpanIndex,
    out: &'a mut Vec<Diagnostic>,
}

impl<'a> Check<'a> {
    pub fn new(addr: &'a Addr, stack: &'a StackSettings, spans: &'a SpanIndex, out: &'a mut Vec<Diagnostic>) -> Self {
        Check {
            addr,
            stack,
            spans,
            out,
        }
    }

    pub fn addr(&self) -> &Addr {
        self.addr
    }

    /// The span of `field` of this resource (the table header when `field` is empty).
    pub fn span(&self, field: &str) -> Option<Range<usize>> {
        if field.is_empty() {
            self.spans.key(&self.addr.to_string())
        } else {
            self.spans.value(&format!("{}.{field}", self.addr))
        }
    }

    fn field_name(&self, field: &str) -> String {
        if field.is_empty() {
            self.addr.to_string()
        } else {
            format!("{}.{field}", self.addr)
        }
    }

    pub fn error(&mut self, code: &'static str, field: &str, message: impl Into<String>, help: impl Into<String>) {
        let d = Diagnostic::error(code, message)
            .help(help)
            .field(self.field_name(field))
            .span(self.span(field));
        self.out.push(d);
    }

    pub fn warn(&mut self, code: &'static str, field: &str, message: impl Into<String>, help: impl Into<String>) {
        let d = Diagnostic::warning(code, message)
            .help(help)
            .field(self.field_name(field))
            .span(self.span(field));
        self.out.push(d);
    }

    /// Checks a value (a template) against an API rule after rendering it with stand-ins for
    /// what is unknown offline; reports `message` with the rule's help when it fails. A template
    /// that does not parse is reported once, elsewhere, as a template error.
    pub fn rule(
        &mut self,
        code: &'static str,
        field: &str,
        text: &str,
        rule: fn(&str) -> Result<(), String>,
        message: impl FnOnce() -> String,
    ) {
        if let Err(help) = checked_render(text, self.stack, rule) {
            self.error(code, field, message(), help);
        }
    }

    /// `value` is one of `allowed`, else an `agentfs::enum` error naming them.
    pub fn one_of(&mut self, field: &str, value: &str, what: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            let list: Vec<String> = allowed.iter().map(|a| format!("`{a}`")).collect();
            self.error(
                "agentfs::enum",
                field,
                format!("`{value}` is not {what}"),
                format!("use {}", join_or(&list)),
            );
        }
    }
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Checks a name against an API rule after rendering its template with stand-ins for what
/// is unknown offline. A template that does not parse is reported once, as a template error.
pub fn checked_render(text: &str, stack: &StackSettings, rule: fn(&str) -> Result<(), String>) -> Result<(), String> {
    sample_render(text, stack).map_or(Ok(()), |sample| rule(&sample))
}

/// Renders a template with stand-ins for what is unknown offline, to check lengths and patterns.
pub fn sample_render(text: &str, stack: &StackSettings) -> Option<String> {
    struct Sample<'s>(&'s StackSettings);
    impl Lookup for Sample<'_> {
        fn var(&self, var: Var) -> Option<String> {
            // An invalid stack name or region is reported once, as itself: names built from
            // it are checked with a valid stand-in instead of failing again.
            Some(match var {
                Var::Stack if super::rules::stack_name(&self.0.name).is_ok() => self.0.name.clone(),
                Var::Stack => "stack".into(),
                Var::Region if super::rules::region(&self.0.region).is_ok() => self.0.region.clone(),
                Var::Region => "us-east-1".into(),
                Var::AccountId => "123456789012".into(),
            })
        }
        fn attr(&self, _: &AttrRef) -> Option<String> {
            Some("x".into())
        }
    }
    Template::parse(text).ok().and_then(|t| t.render(&Sample(stack)))
}

/// A digest that shows a value changed without revealing it.
pub fn redact(text: &str) -> String {
    if text.starts_with("sha256:") {
        return text.to_string();
    }
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}
