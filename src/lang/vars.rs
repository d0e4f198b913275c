//! Spec variables: `[variable.NAME]` declarations, their values from the command line, var
//! files, the environment or defaults (in that order, like Terraform), and `${var.NAME}`
//! substitution into the parsed document before anything is typed or checked.
//!
//! Substituting before the kinds deserialize means every field accepts a variable, every rule
//! checks the real value, and a diagnostic points at the place the variable is used. What a
//! sensitive variable reaches is remembered as field paths, which the plan and state treat like
//! a kind's own sensitive paths: recorded as digests, never shown.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::Diagnostic;

/// Prefix of the environment variables that set spec variables: `AGENTFS_VAR_suffix=dev`.
pub const ENV_PREFIX: &str = "AGENTFS_VAR_";

/// `[variable.NAME]`: a value the user supplies at plan or apply time, used as `${var.NAME}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VariableSpec {
    /// `string`, `number` or `bool`; when absent, the type of `default`, else `string`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub var_type: Option<VarType>,
    /// The value when none is given with `--var`, `--var-file` or `AGENTFS_VAR_NAME`.
    /// Without a default the variable must be given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<VarValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Never show the value: fields it reaches are hidden in plans and recorded as digests.
    #[serde(default)]
    pub sensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VarType {
    String,
    Number,
    Bool,
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VarType::String => "string",
            VarType::Number => "number",
            VarType::Bool => "bool",
        })
    }
}

/// A variable's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum VarValue {
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(String),
}

impl VarValue {
    fn var_type(&self) -> VarType {
        match self {
            VarValue::Bool(_) => VarType::Bool,
            VarValue::Integer(_) | VarValue::Float(_) => VarType::Number,
            VarValue::String(_) => VarType::String,
        }
    }

    /// The value as text inside a string (`port-${var.port}`).
    pub fn text(&self) -> String {
        match self {
            VarValue::Bool(b) => b.to_string(),
            VarValue::Integer(i) => i.to_string(),
            VarValue::Float(f) => f.to_string(),
            VarValue::String(s) => s.clone(),
        }
    }

    /// Parses command-line or environment text as `var_type`.
    fn parse(text: &str, var_type: VarType) -> Option<VarValue> {
        match var_type {
            VarType::String => Some(VarValue::String(text.to_string())),
            VarType::Bool => text.parse().ok().map(VarValue::Bool),
            VarType::Number => text
                .parse()
                .map(VarValue::Integer)
                .ok()
                .or_else(|| text.parse::<f64>().ok().filter(|f| f.is_finite()).map(VarValue::Float)),
        }
    }

    fn from_toml(value: &toml::Value) -> Option<VarValue> {
        match value {
            toml::Value::String(s) => Some(VarValue::String(s.clone())),
            toml::Value::Integer(i) => Some(VarValue::Integer(*i)),
            toml::Value::Float(f) => Some(VarValue::Float(*f)),
            toml::Value::Boolean(b) => Some(VarValue::Bool(*b)),
            _ => None,
        }
    }
}

/// Where a variable's value came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Cli,
    SavedPlan,
    File(String),
    Env,
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Cli => f.write_str("--var"),
            Source::SavedPlan => f.write_str("the saved plan"),
            Source::File(name) => write!(f, "--var-file {name}"),
            Source::Env => f.write_str("the environment"),
            Source::Default => f.write_str("its default"),
        }
    }
}

/// A `--var-file`: its name for messages and its top-level `NAME = value` pairs.
#[derive(Debug, Clone, Default)]
pub struct VarFile {
    pub name: String,
    pub values: toml::Table,
}

/// Every value the user supplied, by source; [`resolve`] applies the precedence.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `--var NAME=VALUE`, in command-line order (the last one of a name wins).
    pub cli: Vec<(String, String)>,
    /// Non-sensitive values a saved plan was made with (beaten only by `--var`).
    pub saved: BTreeMap<String, VarValue>,
    /// `--var-file`s in command-line order (a later file wins).
    pub files: Vec<VarFile>,
    /// `AGENTFS_VAR_NAME` values, prefix removed.
    pub env: BTreeMap<String, String>,
    /// What reading each `[stack_ref.NAME]`'s state gave (read before parsing).
    pub stack_refs: BTreeMap<String, super::stack_ref::StackRefState>,
    /// A variable nothing gives a value is unknown instead of an error (`agentfs validate`,
    /// and the commands that only need the stack's name): its uses get a stand-in of its type,
    /// and only a wrong type is reported where it lands (see [`forgive_unknown`]).
    pub unknown_ok: bool,
}

impl Inputs {
    /// The `AGENTFS_VAR_*` variables of this process.
    pub fn env_from_process() -> BTreeMap<String, String> {
        std::env::vars()
            .filter_map(|(k, v)| k.strip_prefix(ENV_PREFIX).map(|name| (name.to_string(), v)))
            .collect()
    }
}

/// Splits `NAME=VALUE` (the value may contain `=`).
pub fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not of the form NAME=VALUE")),
    }
}

/// A declared variable with its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    pub var_type: VarType,
    /// `None` when nothing supplied a value (an error wherever it is used).
    pub value: Option<VarValue>,
    pub source: Option<Source>,
    pub sensitive: bool,
    pub description: Option<String>,
    /// A value was given but refused (already reported): uses report nothing more.
    pub refused: bool,
    /// No value, and the run allows that: uses get [`Variable::stand_in`], not an error.
    pub unknown: bool,
}

impl Variable {
    /// What an unknown variable's uses hold while the spec is checked: a value of its type that
    /// most rules accept. What the checks say of it is dropped by [`forgive_unknown`].
    pub fn stand_in(&self) -> VarValue {
        match self.var_type {
            VarType::String => VarValue::String("unknown".into()),
            VarType::Number => VarValue::Integer(1),
            VarType::Bool => VarValue::Bool(false),
        }
    }

    /// The value, or the stand-in of an unknown variable.
    fn value_or_stand_in(&self) -> Option<VarValue> {
        match &self.value {
            Some(value) => Some(value.clone()),
            None if self.unknown => Some(self.stand_in()),
            None => None,
        }
    }

    /// The value as a saved plan records it: sensitive ones only as a digest.
    pub fn recorded(&self) -> Option<VarValue> {
        let value = self.value.as_ref()?;
        Some(if self.sensitive {
            VarValue::String(super::kind::redact(&value.text()))
        } else {
            value.clone()
        })
    }
}

/// A place where a sensitive variable's value landed: the document path of the field
/// (lists of plain values as a whole, the way the plan flattens them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensitiveUse {
    pub path: String,
    pub variable: String,
}

/// Where an unknown variable was used: the document path of the value (lists of plain values
/// as a whole) and the span of the string that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownUse {
    pub path: String,
    pub variable: String,
    pub span: Range<usize>,
}

impl UnknownUse {
    fn covers(&self, d: &Diagnostic) -> bool {
        let at_field = d.field.as_deref().is_some_and(|f| {
            f.strip_prefix(self.path.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
        });
        let at_span = d
            .span
            .as_ref()
            .is_some_and(|s| s.start < self.span.end && self.span.start < s.end.max(s.start + 1));
        at_field || at_span
    }
}

/// Drops what the checks found in values that were only stand-ins for unknown variables. What
/// holds whatever the value is stays: a value of the wrong type, an unknown or missing field.
pub fn forgive_unknown(diagnostics: &mut Vec<Diagnostic>, uses: &[UnknownUse]) {
    if uses.is_empty() {
        return;
    }
    diagnostics.retain(|d| holds_for_any_value(d) || !uses.iter().any(|u| u.covers(d)));
}

fn holds_for_any_value(d: &Diagnostic) -> bool {
    // A value that does not deserialize leaves its resource out of the spec, so it is never
    // forgiven: the stand-ins (`unknown`, 1, false) fit any field of their type, and what
    // still fails is a variable of the wrong type for its field.
    matches!(
        d.code,
        "agentfs::type" | "agentfs::unknown_field" | "agentfs::missing_field" | "agentfs::shape"
    )
}

/// Resolves the declarations against the inputs. `spans` locates each declaration.
pub fn resolve(
    decls: IndexMap<String, (VariableSpec, Range<usize>)>,
    inputs: &Inputs,
    diagnostics: &mut Vec<Diagnostic>,
) -> IndexMap<String, Variable> {
    for (name, _) in &inputs.cli {
        if !decls.contains_key(name) {
            let help = match super::suggest(name, decls.keys().map(String::as_str)) {
                Some(near) => format!("did you mean `{near}`?"),
                None if decls.is_empty() => "the spec declares no variables".to_string(),
                None => format!(
                    "declared variables: {}",
                    decls.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
                ),
            };
            diagnostics.push(
                Diagnostic::error(
                    "agentfs::unknown_variable",
                    format!("--var `{name}`: the spec declares no variable `{name}`"),
                )
                .help(help)
                .field(format!("variable.{name}")),
            );
        }
    }
    for file in &inputs.files {
        for name in file.values.keys().filter(|n| !decls.contains_key(*n)) {
            diagnostics.push(
                Diagnostic::warning(
                    "agentfs::unknown_variable",
                    format!(
                        "--var-file {}: `{name}` is not a variable of the spec; ignored",
                        file.name
                    ),
                )
                .field(format!("variable.{name}")),
            );
        }
    }
    let mut out = IndexMap::with_capacity(decls.len());
    for (name, (decl, span)) in decls {
        let var_type = decl
            .var_type
            .or_else(|| decl.default.as_ref().map(VarValue::var_type))
            .unwrap_or(VarType::String);
        let mismatch = |what: String| {
            Diagnostic::error(
                "agentfs::variable_type",
                format!("variable `{name}` is a {var_type}, but {what}"),
            )
            .field(format!("variable.{name}"))
        };
        let mut chosen: Option<(VarValue, Source)> = None;
        let before = diagnostics.len();
        if let Some((_, text)) = inputs.cli.iter().rev().find(|(n, _)| *n == name) {
            match VarValue::parse(text, var_type) {
                Some(v) => chosen = Some((v, Source::Cli)),
                None => diagnostics.push(mismatch(format!("--var gives `{text}`")).span(Some(span.clone()))),
            }
        } else if let Some(v) = inputs.saved.get(&name) {
            chosen = Some((v.clone(), Source::SavedPlan));
        } else if let Some((file, value)) = inputs
            .files
            .iter()
            .rev()
            .find_map(|f| f.values.get(&name).map(|v| (f, v)))
        {
            match VarValue::from_toml(value).filter(|v| fits(v, var_type)) {
                Some(v) => chosen = Some((v, Source::File(file.name.clone()))),
                None => diagnostics.push(
                    mismatch(format!("--var-file {} gives a {}", file.name, value.type_str())).span(Some(span.clone())),
                ),
            }
        } else if let Some(text) = inputs.env.get(&name) {
            match VarValue::parse(text, var_type) {
                Some(v) => chosen = Some((v, Source::Env)),
                None => diagnostics.push(
                    mismatch(if decl.sensitive {
                        format!("{ENV_PREFIX}{name} is not one")
                    } else {
                        format!("{ENV_PREFIX}{name} is `{text}`")
                    })
                    .span(Some(span.clone())),
                ),
            }
        } else if let Some(default) = &decl.default {
            if fits(default, var_type) {
                chosen = Some((default.clone(), Source::Default));
            } else {
                diagnostics.push(
                    mismatch(format!("its default is a {}", default.var_type()))
                        .help(format!("write a {var_type} default, or change `type`"))
                        .span(Some(span.clone())),
                );
            }
        }
        let refused = chosen.is_none() && diagnostics.len() > before;
        let unknown = chosen.is_none() && !refused && inputs.unknown_ok;
        let (value, source) = chosen.map_or((None, None), |(v, s)| (Some(v), Some(s)));
        out.insert(
            name.clone(),
            Variable {
                name,
                var_type,
                value,
                source,
                sensitive: decl.sensitive,
                description: decl.description,
                refused,
                unknown,
            },
        );
    }
    out
}

fn fits(value: &VarValue, var_type: VarType) -> bool {
    value.var_type() == var_type
}

/// Substitutes `${var.NAME}` in every string of `value`, which sits at document path `path`.
/// A string that is exactly one number or bool variable becomes that number or bool, so such
/// variables fit integer and boolean fields. `literals` holds each such variable's TOML text,
/// which the substituted values borrow.
pub struct Substitution<'v> {
    pub variables: &'v IndexMap<String, Variable>,
    pub literals: &'v BTreeMap<String, String>,
    pub sensitive_uses: Vec<SensitiveUse>,
    /// Where each variable is used, for "declared but unused" and missing-value messages.
    pub used: BTreeMap<String, usize>,
    /// Strings that were exactly one number or bool variable and became that value, by exact
    /// document path, with the text to use where the field turns out to want a string.
    pub typed: std::collections::HashMap<String, String>,
    /// Where unknown variables stand in.
    pub unknown_uses: Vec<UnknownUse>,
}

impl<'v> Substitution<'v> {
    pub fn new(variables: &'v IndexMap<String, Variable>, literals: &'v BTreeMap<String, String>) -> Self {
        Substitution {
            variables,
            literals,
            sensitive_uses: Vec::new(),
            used: BTreeMap::new(),
            typed: std::collections::HashMap::new(),
            unknown_uses: Vec::new(),
        }
    }

    /// The TOML texts whole-value substitution of number and bool variables borrows.
    pub fn literals_for(variables: &IndexMap<String, Variable>) -> BTreeMap<String, String> {
        variables
            .values()
            .filter_map(|v| match v.value_or_stand_in() {
                Some(value @ (VarValue::Bool(_) | VarValue::Integer(_) | VarValue::Float(_))) => {
                    Some((v.name.clone(), value.text()))
                }
                _ => None,
            })
            .collect()
    }

    pub fn table<'a>(&mut self, table: &mut DeTable<'a>, path: &str, diagnostics: &mut Vec<Diagnostic>)
    where
        'v: 'a,
    {
        for (key, value) in table.iter_mut() {
            let child = if path.is_empty() {
                key.get_ref().to_string()
            } else {
                format!("{path}.{}", key.get_ref())
            };
            self.value(value, &child, &child, diagnostics);
        }
    }

    /// `exact` is the value's own path; `path` the one sensitivity is recorded at.
    pub fn value<'a>(
        &mut self,
        value: &mut Spanned<DeValue<'a>>,
        exact: &str,
        path: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) where
        'v: 'a,
    {
        let span = value.span();
        match value.get_mut() {
            DeValue::String(text) if text.contains("${") => {
                if let Some((replacement, as_text)) = self.string(text, &span, path, diagnostics) {
                    self.typed.insert(exact.to_string(), as_text);
                    *value = Spanned::new(span, replacement);
                }
            }
            DeValue::Table(table) => self.table(table, exact, diagnostics),
            DeValue::Array(items) => {
                let plain = items
                    .iter()
                    .all(|i| !matches!(i.get_ref(), DeValue::Table(_) | DeValue::Array(_)));
                for (i, item) in items.iter_mut().enumerate() {
                    // Lists of plain values are one attribute in plans: a sensitive item hides the list.
                    let own = format!("{exact}[{i}]");
                    let child = if plain { path.to_string() } else { own.clone() };
                    self.value(item, &own, &child, diagnostics);
                }
            }
            _ => {}
        }
    }

    /// The new value of a string with `${var.*}` in it (with its text), or `None` to keep it.
    fn string<'a>(
        &mut self,
        text: &mut std::borrow::Cow<'a, str>,
        span: &Range<usize>,
        path: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<(DeValue<'a>, String)>
    where
        'v: 'a,
    {
        let pieces = split(text);
        if !pieces.iter().any(|p| matches!(p, Piece::Var(_))) {
            return None;
        }
        let mut out = String::new();
        let mut whole: Option<&Variable> = None;
        let mut ok = true;
        for piece in &pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(inner) => {
                    let Some(variable) = self.lookup(inner, span, diagnostics) else {
                        ok = false;
                        continue;
                    };
                    *self.used.entry(variable.name.clone()).or_default() += 1;
                    if variable.sensitive {
                        self.sensitive_uses.push(SensitiveUse {
                            path: path.to_string(),
                            variable: variable.name.clone(),
                        });
                    }
                    if variable.unknown {
                        self.unknown_uses.push(UnknownUse {
                            path: path.to_string(),
                            variable: variable.name.clone(),
                            span: span.clone(),
                        });
                    }
                    match variable.value_or_stand_in() {
                        Some(value) => out.push_str(&value.text().replace("${", "$${")),
                        None => {
                            ok = false;
                            if !variable.refused {
                                diagnostics.push(missing(variable, span));
                            }
                        }
                    }
                    whole = (pieces.len() == 1).then_some(variable);
                }
            }
        }
        if !ok {
            return None;
        }
        let literals = self.literals;
        if let Some(literal) = whole.and_then(|v| literals.get(&v.name))
            && let Ok(parsed) = DeValue::parse(literal.as_str())
        {
            return Some((parsed.into_inner(), out));
        }
        *text = std::borrow::Cow::Owned(out);
        None
    }

    fn lookup(&self, inner: &str, span: &Range<usize>, diagnostics: &mut Vec<Diagnostic>) -> Option<&'v Variable> {
        let name = inner.strip_prefix("var.").unwrap_or_default();
        if let Some(variable) = self.variables.get(name) {
            return Some(variable);
        }
        let help = match super::suggest(name, self.variables.keys().map(String::as_str)) {
            Some(near) => format!("did you mean `${{var.{near}}}`?"),
            None => format!("declare it with `[variable.{name}]`"),
        };
        diagnostics.push(
            Diagnostic::error(
                "agentfs::unknown_variable",
                format!("`${{{inner}}}`: the spec declares no variable `{name}`"),
            )
            .help(help)
            .span(Some(span.clone())),
        );
        None
    }
}

/// The error for a variable that has no value, at the place it is used.
fn missing(variable: &Variable, span: &Range<usize>) -> Diagnostic {
    Diagnostic::error(
        "agentfs::variable_unset",
        format!("variable `{}` has no value and no default", variable.name),
    )
    .help(format!(
        "give it with `--var {0}=VALUE`, a `--var-file`, or {ENV_PREFIX}{0}; or add `default = ...` to [variable.{0}]",
        variable.name
    ))
    .field(format!("variable.{}", variable.name))
    .span(Some(span.clone()))
}

/// The same error for a declared variable nothing uses, at its declaration.
pub fn missing_at_declaration(variable: &Variable, span: Range<usize>) -> Diagnostic {
    missing(variable, &span)
}

enum Piece<'t> {
    Text(&'t str),
    /// What is between `${var.` ... `}` including `var.`.
    Var(&'t str),
}

/// Splits on `${var.*}` the way templates read `${...}`: `$${` stays an escape for later.
fn split(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    let mut start = 0;
    let mut at = 0;
    while let Some(pos) = rest[at..].find('$').map(|p| p + at) {
        let after = &rest[pos..];
        if after.starts_with("$${") {
            at = pos + 3;
        } else if let Some(inner) = after.strip_prefix("${") {
            let Some(end) = inner.find('}') else { break };
            let name = inner[..end].trim();
            if name.starts_with("var.") || name == "var" {
                if pos > start {
                    pieces.push(Piece::Text(&rest[start..pos]));
                }
                pieces.push(Piece::Var(name));
                rest = &inner[end + 1..];
                start = 0;
                at = 0;
                continue;
            }
            at = pos + 2 + end + 1;
        } else {
            at = pos + 1;
        }
    }
    if start < rest.len() {
        pieces.push(Piece::Text(&rest[start..]));
    }
    pieces
}

/// Hides every sensitive value in diagnostic text (a check may quote the value it refused).
pub fn scrub(diagnostics: &mut [Diagnostic], variables: &IndexMap<String, Variable>) {
    let secrets: Vec<String> = variables
        .values()
        .filter(|v| v.sensitive)
        .filter_map(|v| v.value.as_ref().map(VarValue::text))
        .filter(|t| t.len() >= 3)
        .collect();
    if secrets.is_empty() {
        return;
    }
    let hide = |text: &mut String| {
        for secret in &secrets {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), "(sensitive)");
            }
        }
    };
    for d in diagnostics {
        hide(&mut d.message);
        if let Some(help) = &mut d.help {
            hide(help);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(name: &str, decl: VariableSpec) -> IndexMap<String, (VariableSpec, Range<usize>)> {
        IndexMap::from([(name.to_string(), (decl, 0..0))])
    }

    #[test]
    fn command_line_beats_file_beats_environment_beats_default() {
        let decl = VariableSpec {
            default: Some(VarValue::String("default".into())),
            ..Default::default()
        };
        let mut inputs = Inputs::default();
        let value = |inputs: &Inputs| {
            let mut d = Vec::new();
            resolve(declared("x", decl.clone()), inputs, &mut d)["x"].value.clone()
        };
        assert_eq!(value(&inputs), Some(VarValue::String("default".into())));
        inputs.env.insert("x".into(), "env".into());
        assert_eq!(value(&inputs), Some(VarValue::String("env".into())));
        let mut table = toml::Table::new();
        table.insert("x".into(), "file".into());
        inputs.files.push(VarFile {
            name: "f.toml".into(),
            values: table,
        });
        assert_eq!(value(&inputs), Some(VarValue::String("file".into())));
        inputs.cli.push(("x".into(), "cli".into()));
        assert_eq!(value(&inputs), Some(VarValue::String("cli".into())));
    }

    #[test]
    fn types_are_checked_and_inferred_from_the_default() {
        let mut d = Vec::new();
        let decl = VariableSpec {
            default: Some(VarValue::Integer(2)),
            ..Default::default()
        };
        let inputs = Inputs {
            cli: vec![("n".into(), "two".into())],
            ..Default::default()
        };
        let out = resolve(declared("n", decl), &inputs, &mut d);
        assert_eq!(out["n"].var_type, VarType::Number);
        assert_eq!(d[0].code, "agentfs::variable_type");
    }

    #[test]
    fn only_value_checks_at_an_unknown_use_are_forgiven() {
        let uses = [UnknownUse {
            path: "vpc.main.cidr_block".into(),
            variable: "cidr".into(),
            span: 100..110,
        }];
        let at = |code: &'static str, field: &str, span: Option<Range<usize>>| {
            Diagnostic::error(code, "x").field(field.to_string()).span(span)
        };
        let mut found = vec![
            at("agentfs::cidr", "vpc.main.cidr_block", None),
            at("agentfs::lint::x", "subnet.a", Some(105..106)),
            at("agentfs::cidr", "vpc.main.cidr_block_other", Some(0..5)),
            at("agentfs::type", "vpc.main.cidr_block", Some(100..110)),
        ];
        forgive_unknown(&mut found, &uses);
        let fields: Vec<(&str, Option<&str>)> = found.iter().map(|d| (d.code, d.field.as_deref())).collect();
        assert_eq!(
            fields,
            [
                ("agentfs::cidr", Some("vpc.main.cidr_block_other")),
                ("agentfs::type", Some("vpc.main.cidr_block"))
            ]
        );
    }

    #[test]
    fn split_keeps_escapes_and_other_templates() {
        let pieces = split("a-${var.x}-$${var.y}-${stack}");
        let vars: Vec<&str> = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Var(v) => Some(*v),
                Piece::Text(_) => None,
            })
            .collect();
        assert_eq!(vars, ["var.x"]);
    }
}
