//! `[stack_ref.NAME]`: another stack's recorded outputs, read-only (no lock is taken), used as
//! `${stack_ref.NAME.OUTPUT}` wherever a value or a list is expected.
//!
//! The outputs are read before parsing (by the pipeline, which does the I/O) and substituted
//! into the document the way variables are: a string that is exactly one reference to a list
//! output becomes that list, so `subnets = "${stack_ref.net.private_subnets}"` fills a list
//! field. A value that came from another stack is an id, not a name of this spec: reference
//! fields keep it as it is (`ParsedSpec::external` in the parser).

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::diag::Diagnostic;

/// `[stack_ref.NAME]`: where another stack's state is.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StackRefSpec {
    /// A local state file, relative to this spec's directory
    /// (`../network/.agentfs/corenet.state.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A state in S3: `s3://bucket/key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
}

impl StackRefSpec {
    /// Where the state is, as written.
    pub fn location(&self) -> Option<&str> {
        match (&self.path, &self.backend) {
            (Some(path), None) => Some(path),
            (None, Some(backend)) => Some(backend),
            _ => None,
        }
    }
}

/// What reading one referenced state gave.
#[derive(Debug, Clone, PartialEq)]
pub enum StackRefState {
    /// Its recorded outputs: value (a string or a list of strings) and whether it is sensitive.
    Read {
        from: String,
        outputs: BTreeMap<String, (serde_json::Value, bool)>,
    },
    /// Why it could not be read (no such file or object, not a state).
    Failed { from: String, reason: String },
}

/// One value this spec took from another stack, for the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackRefUse {
    /// `stack_ref.net.private_subnets`
    pub reference: String,
    /// The state it was read from.
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// The `[stack_ref.*]` tables of a TOML text, read without the parser (to know what to read
/// before parsing); tables that do not have the right shape are left for the parser to report.
pub fn declared_in(text: &str) -> BTreeMap<String, StackRefSpec> {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return BTreeMap::new();
    };
    let Some(toml::Value::Table(refs)) = table.get("stack_ref") else {
        return BTreeMap::new();
    };
    refs.iter()
        .filter_map(|(name, value)| Some((name.clone(), value.clone().try_into::<StackRefSpec>().ok()?)))
        .collect()
}

/// Substitutes `${stack_ref.NAME.OUTPUT}` in every string of `document` (but the
/// `[stack_ref]` and `[variable]` tables), recording each use and the exact paths of values
/// that came from another stack.
pub struct Substitution<'s> {
    pub declared: &'s IndexMap<String, (StackRefSpec, Range<usize>)>,
    pub states: &'s BTreeMap<String, StackRefState>,
    pub uses: Vec<StackRefUse>,
    pub external: HashSet<String>,
}

const PREFIX: &str = "${stack_ref.";

impl Substitution<'_> {
    pub fn document(&mut self, document: &mut DeTable<'_>, diagnostics: &mut Vec<Diagnostic>) {
        for (key, value) in document.iter_mut() {
            if matches!(key.get_ref().as_ref(), "stack_ref" | "variable") {
                continue;
            }
            self.value(value, key.get_ref(), diagnostics);
        }
    }

    fn value(&mut self, value: &mut Spanned<DeValue<'_>>, path: &str, diagnostics: &mut Vec<Diagnostic>) {
        let span = value.span();
        match value.get_mut() {
            DeValue::String(text) if text.contains(PREFIX) => {
                let text = text.to_string();
                if let Some(replacement) = self.string(&text, path, &span, diagnostics) {
                    *value = Spanned::new(span, replacement);
                }
            }
            DeValue::Table(table) => {
                for (key, child) in table.iter_mut() {
                    let child_path = format!("{path}.{}", key.get_ref());
                    self.value(child, &child_path, diagnostics);
                }
            }
            DeValue::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.value(item, &format!("{path}[{i}]"), diagnostics);
                }
            }
            _ => {}
        }
    }

    /// The value replacing `text`, or `None` when an error was reported.
    fn string<'a>(
        &mut self,
        text: &str,
        path: &str,
        span: &Range<usize>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<DeValue<'a>> {
        let error = |message: String, help: &str| {
            Diagnostic::error("agentfs::stack_ref", message)
                .help(help)
                .field(path.to_string())
                .span(Some(span.clone()))
        };
        let mut out = String::new();
        let mut rest = text;
        let mut whole: Option<serde_json::Value> = None;
        while let Some(start) = rest.find(PREFIX) {
            out.push_str(&rest[..start]);
            let after = &rest[start + PREFIX.len()..];
            let Some(end) = after.find('}') else {
                diagnostics.push(error(
                    format!("`{text}`: an unclosed `${{stack_ref.`"),
                    "write `${stack_ref.NAME.OUTPUT}`",
                ));
                return None;
            };
            let inner = &after[..end];
            let value = self.lookup(inner, &error, diagnostics)?;
            let alone = start == 0 && out.is_empty() && after[end + 1..].is_empty();
            match value {
                serde_json::Value::String(s) => out.push_str(&s.replace("${", "$${")),
                list if alone => whole = Some(list),
                _ => {
                    diagnostics.push(error(
                        format!("`${{stack_ref.{inner}}}` is a list: it fills a whole value, not part of a string"),
                        "write the reference alone: `field = \"${stack_ref.NAME.OUTPUT}\"`",
                    ));
                    return None;
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        if let Some(serde_json::Value::Array(items)) = whole {
            let mut array = DeArray::new();
            for (i, item) in items.iter().enumerate() {
                let text = item.as_str().map(String::from).unwrap_or_else(|| item.to_string());
                self.external.insert(format!("{path}[{i}]"));
                array.push(Spanned::new(span.clone(), DeValue::String(text.into())));
            }
            return Some(DeValue::Array(array));
        }
        self.external.insert(path.to_string());
        Some(DeValue::String(out.into()))
    }

    fn lookup(
        &mut self,
        inner: &str,
        error: &dyn Fn(String, &str) -> Diagnostic,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<serde_json::Value> {
        let Some((name, output)) = inner.split_once('.').filter(|(_, o)| !o.is_empty() && !o.contains('.')) else {
            diagnostics.push(error(
                format!("`${{stack_ref.{inner}}}` is not a stack reference"),
                "write `${stack_ref.NAME.OUTPUT}`",
            ));
            return None;
        };
        if !self.declared.contains_key(name) {
            let help = match super::suggest(name, self.declared.keys().map(String::as_str)) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("declare it: `[stack_ref.{name}]` with `path = \"...\"` or `backend = \"s3://...\"`"),
            };
            diagnostics.push(error(format!("the spec declares no `[stack_ref.{name}]`"), &help));
            return None;
        }
        match self.states.get(name) {
            Some(StackRefState::Read { from, outputs }) => match outputs.get(output) {
                Some((value, sensitive)) => {
                    let reference = format!("stack_ref.{name}.{output}");
                    if !self.uses.iter().any(|u| u.reference == reference) {
                        self.uses.push(StackRefUse {
                            reference,
                            from: from.clone(),
                            value: (!sensitive).then(|| value.clone()),
                            sensitive: *sensitive,
                        });
                    }
                    Some(value.clone())
                }
                None => {
                    let known: Vec<&str> = outputs.keys().map(String::as_str).collect();
                    let help = if known.is_empty() {
                        "that stack records no outputs: add `[output.NAME]` there and apply it".to_string()
                    } else {
                        format!("its outputs: {}", known.join(", "))
                    };
                    diagnostics.push(error(
                        format!("the state of `stack_ref.{name}` ({from}) records no output `{output}`"),
                        &help,
                    ));
                    None
                }
            },
            // Reported once, at the declaration.
            _ => None,
        }
    }
}

/// Errors for declarations: neither or both of `path` and `backend`, or a state that could not
/// be read.
pub fn check_declarations(
    declared: &IndexMap<String, (StackRefSpec, Range<usize>)>,
    states: &BTreeMap<String, StackRefState>,
    spans: &super::SpanIndex,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (name, (spec, span)) in declared {
        let field = format!("stack_ref.{name}");
        if spec.location().is_none() {
            diagnostics.push(
                Diagnostic::error("agentfs::stack_ref", format!("`[{field}]` needs exactly one of `path` and `backend`"))
                    .help("`path = \"../network/.agentfs/net.state.json\"` (relative to this spec) or `backend = \"s3://bucket/key\"`")
                    .field(field)
                    .span(Some(span.clone())),
            );
            continue;
        }
        let location = if spec.path.is_some() { "path" } else { "backend" };
        if let Some(StackRefState::Failed { from, reason }) = states.get(name) {
            let at = format!("{field}.{location}");
            diagnostics.push(
                Diagnostic::error(
                    "agentfs::stack_ref",
                    format!("cannot read the state of `{field}` at {from}: {reason}"),
                )
                .help("apply that stack first, or fix the location; its state is read, never locked or written")
                .span(spans.value(&at))
                .field(at),
            );
        }
    }
    diagnostics
}
