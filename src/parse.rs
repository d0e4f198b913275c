//! TOML text -> typed, unvalidated spec, collecting every shape error with its span.

use std::collections::HashMap;
use std::ops::Range;

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

pub use crate::lang::SpanIndex;
use crate::lang::addr::{Addr, Kind};
use crate::lang::diag::Diagnostic;
use crate::lang::existing::ExistingSpec;
use crate::lang::model::{BackendSpec, ImportSpec, Meta, MovedSpec, OutputSpec, RemovedSpec, StackSettings};
use crate::lang::stack_ref::{StackRefSpec, StackRefUse};
use crate::lang::vars::{self, Inputs, SensitiveUse, Substitution, UnknownUse, Variable, VariableSpec};
use crate::lang::{suggest, syntax};
pub use crate::resources::ParsedResource;
use crate::resources::ResourceSpec;

const META_KEYS: [&str; 3] = ["depends_on", "lifecycle", "timeouts"];

/// A resource the stack uses but does not own (`existing = { ... }`), before checks.
#[derive(Debug, Clone)]
pub struct ParsedExisting {
    pub addr: Addr,
    pub spec: ExistingSpec,
}

/// A spec whose every table has the right shape; references are not yet checked.
#[derive(Debug, Clone)]
pub struct ParsedSpec {
    pub stack: StackSettings,
    /// In file order.
    pub resources: Vec<ParsedResource>,
    /// Existing resources, in file order.
    pub existing: Vec<ParsedExisting>,
    pub outputs: IndexMap<String, OutputSpec>,
    pub backend: Option<BackendSpec>,
    pub spans: SpanIndex,
    /// `[variable.*]` with their values, in file order.
    pub variables: IndexMap<String, Variable>,
    /// Where sensitive variables' values landed (document paths).
    pub sensitive_uses: Vec<SensitiveUse>,
    /// Where variables without a value stand in (only when [`Inputs::unknown_ok`]).
    pub unknown_uses: Vec<UnknownUse>,
    /// `[[moved]]` blocks, in file order (`moved[i]` in spans).
    pub moved: Vec<MovedSpec>,
    /// `[[removed]]` blocks, in file order (`removed[i]` in spans).
    pub removed: Vec<RemovedSpec>,
    /// `[[import]]` blocks, in file order (`import[i]` in spans).
    pub imports: Vec<ImportSpec>,
    /// `[stack_ref.*]`, in file order.
    pub stack_refs: IndexMap<String, StackRefSpec>,
    /// The values taken from other stacks, for the plan.
    pub stack_ref_uses: Vec<StackRefUse>,
    /// Document paths (`agentcore_runtime.agent.subnets[0]`) whose values came from another
    /// stack's outputs: ids, which reference fields keep as they are.
    pub external: std::collections::HashSet<String>,
}

/// Parses spec text without variable values from outside (defaults only).
pub fn parse(text: &str) -> (Option<ParsedSpec>, Vec<Diagnostic>) {
    parse_with(text, &Inputs::default())
}

/// Parses spec text, substituting `${var.*}` from `inputs`. Returns the spec only when there
/// were no errors; diagnostics either way.
pub fn parse_with(text: &str, inputs: &Inputs) -> (Option<ParsedSpec>, Vec<Diagnostic>) {
    let (document, syntax_errors) = DeTable::parse_recoverable(text);
    let mut diagnostics = syntax::diagnostics(text, &syntax_errors);
    if !diagnostics.is_empty() {
        return (None, diagnostics);
    }

    let mut spans = SpanIndex::default();
    let root_span = document.span();
    let mut document = document.into_inner();
    for (key, value) in document.iter() {
        spans.index_top_level(key.get_ref(), key.span(), value);
    }

    let declared = match document.remove_entry("variable") {
        Some((_, value)) => declarations(value, &mut diagnostics),
        None => IndexMap::new(),
    };
    let variables = vars::resolve(declared, inputs, &mut diagnostics);
    let literals = Substitution::literals_for(&variables);
    // Rebound after `literals`, whose texts substituted numbers and bools borrow.
    let mut document: DeTable<'_> = document;
    let mut substitution = Substitution::new(&variables, &literals);
    substitution.table(&mut document, "", &mut diagnostics);
    for variable in variables.values() {
        if variable.value.is_none()
            && !variable.refused
            && !variable.unknown
            && !substitution.used.contains_key(&variable.name)
        {
            let at = spans.key(&format!("variable.{}", variable.name)).unwrap_or(0..0);
            diagnostics.push(vars::missing_at_declaration(variable, at));
        }
    }
    let sensitive_uses = std::mem::take(&mut substitution.sensitive_uses);
    let unknown_uses = std::mem::take(&mut substitution.unknown_uses);
    let typed = std::mem::take(&mut substitution.typed);
    let mut declared_refs = IndexMap::new();
    if let Some((_, value)) = document.remove_entry("stack_ref") {
        for (name, table) in named_tables(value, "stack_ref", &mut diagnostics) {
            let span = table.span();
            if let Some(spec) = deserialize::<StackRefSpec>(table, &format!("stack_ref.{name}"), &mut diagnostics) {
                declared_refs.insert(name, (spec, span));
            }
        }
    }
    diagnostics.extend(crate::lang::stack_ref::check_declarations(
        &declared_refs,
        &inputs.stack_refs,
        &spans,
    ));
    let mut references = crate::lang::stack_ref::Substitution {
        declared: &declared_refs,
        states: &inputs.stack_refs,
        uses: Vec::new(),
        external: Default::default(),
    };
    references.document(&mut document, &mut diagnostics);
    let (stack_ref_uses, external) = (references.uses, references.external);
    if diagnostics.iter().any(Diagnostic::is_error) {
        // Fields whose variables failed would only repeat the error as type errors.
        return (None, diagnostics);
    }
    for used in &sensitive_uses {
        let top = used.path.split('.').next().unwrap_or_default();
        if Kind::from_key(top).is_none() {
            diagnostics.push(
                Diagnostic::error(
                    "agentfs::sensitive_variable",
                    format!("sensitive variable `{}` cannot be used in `{top}`", used.variable),
                )
                .help("stack settings, backends and outputs are shown and recorded in plain text; use sensitive variables in resource fields")
                .field(used.path.clone())
                .span(spans.value(&used.path)),
            );
        }
    }

    let mut stack = None;
    let mut resources = Vec::new();
    let mut existing = Vec::new();
    let mut outputs = IndexMap::new();
    let mut backend = None;
    let mut moved = Vec::new();
    let mut removed = Vec::new();
    let mut imports = Vec::new();
    for (key, value) in document {
        let key_span = key.span();
        let key = key.into_inner();
        match key.as_ref() {
            "stack" => stack = deserialize::<StackSettings>(value, "stack", &mut diagnostics),
            "backend" => backend = deserialize::<BackendSpec>(value, "backend", &mut diagnostics),
            "moved" => moved = deserialize::<Vec<MovedSpec>>(value, "moved", &mut diagnostics).unwrap_or_default(),
            "removed" => {
                removed = deserialize::<Vec<RemovedSpec>>(value, "removed", &mut diagnostics).unwrap_or_default()
            }
            "import" => imports = deserialize::<Vec<ImportSpec>>(value, "import", &mut diagnostics).unwrap_or_default(),
            "output" => {
                for (name, output) in named_tables(value, "output", &mut diagnostics) {
                    if let Some(spec) = deserialize::<OutputSpec>(output, &format!("output.{name}"), &mut diagnostics) {
                        outputs.insert(name, spec);
                    }
                }
            }
            other => match Kind::from_key(other) {
                Some(kind) => {
                    for (name, table) in named_tables(value, other, &mut diagnostics) {
                        let addr = Addr::new(kind, name);
                        if is_existing(&table) {
                            existing.extend(parse_existing(addr, table, &mut diagnostics));
                        } else if let Some(resource) = parse_resource(addr, table, &typed, &mut diagnostics) {
                            resources.push(resource);
                        }
                    }
                }
                None => diagnostics.push(unknown_top_level(other, key_span)),
            },
        }
    }
    vars::forgive_unknown(&mut diagnostics, &unknown_uses);
    if stack.is_none() && !diagnostics.iter().any(|d| d.field.as_deref() == Some("stack")) {
        diagnostics.push(
            Diagnostic::error("agentfs::missing_stack", "the spec has no [stack] table")
                .help("add `[stack]` with `name = \"...\"` and `region = \"us-east-1\"`")
                .field("stack")
                .span(Some(root_span.start..root_span.start)),
        );
    }
    match stack {
        Some(stack) if diagnostics.iter().all(|d| !d.is_error()) => (
            Some(ParsedSpec {
                stack,
                resources,
                existing,
                outputs,
                backend,
                spans,
                variables,
                sensitive_uses,
                unknown_uses,
                moved,
                removed,
                imports,
                stack_refs: declared_refs
                    .into_iter()
                    .map(|(name, (spec, _))| (name, spec))
                    .collect(),
                stack_ref_uses,
                external,
            }),
            diagnostics,
        ),
        _ => (None, diagnostics),
    }
}

/// The `[variable.NAME]` tables with the span of each name.
fn declarations(
    value: Spanned<DeValue<'_>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> IndexMap<String, (VariableSpec, Range<usize>)> {
    let mut out = IndexMap::new();
    for (name, table) in named_tables(value, "variable", diagnostics) {
        let span = table.span();
        if let Some(spec) = deserialize::<VariableSpec>(table, &format!("variable.{name}"), diagnostics) {
            out.insert(name, (spec, span));
        }
    }
    out
}

fn unknown_top_level(key: &str, span: Range<usize>) -> Diagnostic {
    let known = Kind::ALL.iter().map(|k| k.key()).chain([
        "stack",
        "output",
        "backend",
        "variable",
        "moved",
        "removed",
        "import",
        "stack_ref",
    ]);
    let help = match suggest(key, known) {
        Some(near) => format!("did you mean `{near}`?"),
        None => {
            "top-level tables are `stack`, `variable`, `output` and resource kinds such as `vpc`, `subnet`, `agentcore_runtime`"
                .into()
        }
    };
    Diagnostic::error(
        "agentfs::unknown_kind",
        format!("`{key}` is not a resource kind or known table"),
    )
    .help(help)
    .field(key)
    .span(Some(span))
}

/// The `NAME = { ... }` entries of a kind table, diagnosing non-tables and bad names.
fn named_tables<'i>(
    value: Spanned<DeValue<'i>>,
    kind_key: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(String, Spanned<DeValue<'i>>)> {
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        diagnostics.push(
            Diagnostic::error(
                "agentfs::shape",
                format!("`{kind_key}` must be a table of named entries"),
            )
            .help(format!("write `[{kind_key}.NAME]` sections"))
            .field(kind_key)
            .span(Some(span)),
        );
        return Vec::new();
    };
    let mut entries = Vec::new();
    for (name, entry) in table {
        let name_span = name.span();
        let name = name.into_inner().to_string();
        if !valid_name(&name) {
            diagnostics.push(
                Diagnostic::error(
                    "agentfs::resource_name",
                    format!("`{name}` is not a valid name for a {kind_key}"),
                )
                .help("names start with a letter and use letters, digits, `_` or `-` (at most 64)")
                .field(format!("{kind_key}.{name}"))
                .span(Some(name_span)),
            );
            continue;
        }
        if !matches!(entry.get_ref(), DeValue::Table(_)) {
            diagnostics.push(
                Diagnostic::error("agentfs::shape", format!("`{kind_key}.{name}` must be a table"))
                    .help(format!("write `[{kind_key}.{name}]` followed by its fields"))
                    .field(format!("{kind_key}.{name}"))
                    .span(Some(entry.span())),
            );
            continue;
        }
        entries.push((name, entry));
    }
    entries
}

pub use crate::lang::addr::valid_name;

fn parse_resource(
    addr: Addr,
    table: Spanned<DeValue<'_>>,
    typed: &HashMap<String, String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ParsedResource> {
    let span = table.span();
    let DeValue::Table(mut fields) = table.into_inner() else {
        return None;
    };
    let mut meta_fields = DeTable::new();
    for key in META_KEYS {
        if let Some((k, v)) = fields.remove_entry(key) {
            meta_fields.insert(k, v);
        }
    }
    let path = addr.to_string();
    let meta = deserialize::<Meta>(
        Spanned::new(span.clone(), DeValue::Table(meta_fields)),
        &path,
        diagnostics,
    );
    // A number or bool variable that is a whole value was substituted typed; where the field
    // wants a string after all, it becomes its text and the resource is read again.
    let mut attempts = typed.len();
    let spec = loop {
        let mut found = Vec::new();
        let spec = deserialize_with(
            Spanned::new(span.clone(), DeValue::Table(fields.clone())),
            &path,
            &mut found,
            |d| ResourceSpec::deserialize_as(addr.kind, d),
        );
        let retry = match found.as_slice() {
            [d] if spec.is_none() && attempts > 0 && d.code == "agentfs::type" => d
                .field
                .as_deref()
                .and_then(|f| typed.get(f).map(|text| (f, text)))
                .filter(|(f, text)| set_string(&mut fields, f.strip_prefix(&format!("{path}.")).unwrap_or(f), text)),
            _ => None,
        };
        if retry.is_none() {
            diagnostics.extend(found);
            break spec;
        }
        attempts -= 1;
    };
    Some(ParsedResource {
        addr,
        spec: spec?,
        meta: meta?,
    })
}

fn is_existing(table: &Spanned<DeValue<'_>>) -> bool {
    matches!(table.get_ref(), DeValue::Table(fields) if fields.contains_key("existing"))
}

/// An existing resource is only read: `existing` says how to find it, and every other field
/// (its configuration, `depends_on`, `lifecycle`, ...) is an error naming that field.
fn parse_existing(
    addr: Addr,
    table: Spanned<DeValue<'_>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ParsedExisting> {
    let DeValue::Table(fields) = table.into_inner() else {
        return None;
    };
    let mut spec = None;
    for (key, value) in fields {
        let key_span = key.span();
        let key = key.into_inner();
        if key == "existing" {
            spec = deserialize::<ExistingSpec>(value, &format!("{addr}.existing"), diagnostics);
            continue;
        }
        diagnostics.push(
            Diagnostic::error(
                "agentfs::existing_field",
                format!("`{key}` cannot be set on an existing {}", addr.kind),
            )
            .help(format!(
                "an existing resource is only read, never changed: remove `{key}`, or remove `existing` for agentfs to make and manage `{addr}`"
            ))
            .field(format!("{addr}.{key}"))
            .span(Some(key_span)),
        );
    }
    Some(ParsedExisting { addr, spec: spec? })
}

/// Replaces the value at `path` (`a.b[0].c`) inside `table` with the string `text`.
fn set_string<'i>(table: &mut DeTable<'i>, path: &str, text: &str) -> bool {
    let mut segments = path.split('.');
    let Some(first) = segments.next() else {
        return false;
    };
    let (key, indices) = split_indices(first);
    let Some(mut value) = table.get_mut(key) else {
        return false;
    };
    let mut steps: Vec<Step<'_>> = indices.into_iter().map(Step::Index).collect();
    for segment in segments {
        let (key, indices) = split_indices(segment);
        steps.push(Step::Key(key));
        steps.extend(indices.into_iter().map(Step::Index));
    }
    for step in steps {
        let next = match (step, value.get_mut()) {
            (Step::Key(key), DeValue::Table(t)) => t.get_mut(key),
            (Step::Index(i), DeValue::Array(a)) => a.get_mut(i),
            _ => None,
        };
        let Some(next) = next else { return false };
        value = next;
    }
    let span = value.span();
    *value = Spanned::new(span, DeValue::String(std::borrow::Cow::Owned(text.to_string())));
    true
}

enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

fn split_indices(segment: &str) -> (&str, Vec<usize>) {
    let mut parts = segment.split('[');
    let key = parts.next().unwrap_or_default();
    let indices = parts
        .filter_map(|p| p.strip_suffix(']').and_then(|i| i.parse().ok()))
        .collect();
    (key, indices)
}

fn deserialize<T: for<'de> Deserialize<'de>>(
    value: Spanned<DeValue<'_>>,
    path: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<T> {
    deserialize_with(value, path, diagnostics, |d| T::deserialize(d))
}

fn deserialize_with<'i, T>(
    value: Spanned<DeValue<'i>>,
    path: &str,
    diagnostics: &mut Vec<Diagnostic>,
    f: impl FnOnce(serde_path_to_error::Deserializer<'_, '_, ValueDeserializer<'i>>) -> Result<T, toml::de::Error>,
) -> Option<T> {
    let mut track = serde_path_to_error::Track::new();
    let result = f(serde_path_to_error::Deserializer::new(
        ValueDeserializer::from(value),
        &mut track,
    ));
    match result {
        Ok(v) => Some(v),
        Err(err) => {
            let field_path = field_path(path, &track.path().to_string());
            diagnostics.push(shape_diagnostic(err.message(), err.span(), field_path));
            None
        }
    }
}

fn field_path(base: &str, inner: &str) -> String {
    if inner.is_empty() || inner == "." {
        base.to_string()
    } else if inner.starts_with('[') {
        format!("{base}{inner}")
    } else {
        format!("{base}.{inner}")
    }
}

/// Turns serde's wording into a diagnostic that names the field and what is expected.
fn shape_diagnostic(message: &str, span: Option<Range<usize>>, path: String) -> Diagnostic {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let expected = expected.trim_start_matches(", ").trim();
        let known: Vec<&str> = expected
            .trim_start_matches("expected one of ")
            .trim_start_matches("expected ")
            .split(", ")
            .map(|s| s.trim_matches('`'))
            .filter(|s| !s.is_empty())
            .collect();
        let help = match suggest(field, known.iter().copied()) {
            Some(near) => format!("did you mean `{near}`? ({expected})"),
            None => expected.to_string(),
        };
        return Diagnostic::error("agentfs::unknown_field", format!("unknown field `{field}`"))
            .help(help)
            .field(if path.ends_with(&format!(".{field}")) {
                path
            } else {
                format!("{path}.{field}")
            })
            .span(span);
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return Diagnostic::error("agentfs::missing_field", format!("missing required field `{field}`"))
            .help(format!("add `{field} = ...` to `{path}`"))
            .field(format!("{path}.{field}"))
            .span(span);
    }
    Diagnostic::error("agentfs::type", message.to_string())
        .field(path)
        .span(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n";

    #[test]
    fn parses_resources_in_file_order_with_meta() {
        let text = format!(
            "{MINIMAL}[vpc.main]\ncidr_block = \"10.0.0.0/16\"\n\n[subnet.a]\nvpc = \"main\"\ncidr_block = \"10.0.1.0/24\"\ndepends_on = [\"vpc.main\"]\n"
        );
        let (spec, diags) = parse(&text);
        assert!(diags.is_empty(), "{diags:?}");
        let spec = spec.unwrap();
        let addrs: Vec<String> = spec.resources.iter().map(|r| r.addr.to_string()).collect();
        assert_eq!(addrs, ["vpc.main", "subnet.a"]);
        assert_eq!(spec.resources[1].meta.depends_on, ["vpc.main"]);
        assert!(spec.spans.value("subnet.a.cidr_block").is_some());
    }

    #[test]
    fn reports_every_shape_error_not_only_the_first() {
        let text = format!("{MINIMAL}[vpc.a]\ncidr = \"x\"\n[vpc.b]\ncidr_block = 5\n[vpcs.c]\n");
        let (spec, diags) = parse(&text);
        assert!(spec.is_none());
        let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            ["agentfs::unknown_field", "agentfs::type", "agentfs::unknown_kind"]
        );
        assert_eq!(diags[0].field.as_deref(), Some("vpc.a.cidr"));
        assert!(diags[0].help.as_deref().unwrap().contains("cidr_block"));
        assert_eq!(diags[1].field.as_deref(), Some("vpc.b.cidr_block"));
        assert!(diags[2].help.as_deref().unwrap().contains("`vpc`"));
        let at = diags[0].span.clone().unwrap();
        assert_eq!(&text[at], "cidr");
    }

    #[test]
    fn syntax_errors_carry_spans() {
        let (spec, diags) = parse("[stack\nname = 1");
        assert!(spec.is_none());
        assert_eq!(diags[0].code, "agentfs::syntax");
        assert!(diags[0].span.is_some());
    }

    #[test]
    fn missing_stack_is_an_error() {
        let (_, diags) = parse("[vpc.a]\ncidr_block = \"10.0.0.0/16\"\n");
        assert_eq!(diags.last().unwrap().code, "agentfs::missing_stack");
    }

    #[test]
    fn names_must_be_plain() {
        assert!(valid_name("private_a") && valid_name("igw-1"));
        assert!(!valid_name("1abc") && !valid_name("a.b") && !valid_name(""));
    }
}
