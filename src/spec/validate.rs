//! Every check that can be made before an AWS call: the stack, references, templates, tags,
//! unique names and outputs here; each kind's own checks through [`ResourceSpec::check`]
//! (in the kind's file); cross-kind lints in [`super::lints`].

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::addr::{Addr, Kind};
use super::api::{self, API_CONSTRAINT};
use super::diag::Diagnostic;
use super::existing::{self as existing_mod, Literal};
use super::kind::UniqueName;
use super::model::parse_duration;
use super::parse::{ParsedExisting, ParsedResource, ParsedSpec};
use super::rules;
use super::template::{Template, TemplateError, Var};

/// Runs every check; returns all diagnostics (errors and warnings).
pub fn check(spec: &ParsedSpec) -> Vec<Diagnostic> {
    let mut checker = Checker::new(spec);
    checker.stack();
    checker.existing();
    checker.references_and_templates();
    checker.tags();
    for resource in &spec.resources {
        resource
            .spec
            .check(&resource.addr, &spec.stack, &spec.spans, &mut checker.diagnostics);
    }
    checker.api_constraints();
    checker.unique_aws_names();
    super::lints::check(&mut checker);
    checker.outputs();
    // A kind's own check of a field says more than the model's generic limits: keep one.
    let specific: HashSet<String> = checker
        .diagnostics
        .iter()
        .filter(|d| d.code != API_CONSTRAINT)
        .filter_map(|d| d.field.clone())
        .collect();
    checker
        .diagnostics
        .retain(|d| d.code != API_CONSTRAINT || !d.field.as_ref().is_some_and(|f| specific.contains(f)));
    // A finding reached from several runtime subnets is still one finding.
    let mut seen = HashSet::new();
    checker
        .diagnostics
        .retain(|d| seen.insert((d.code, d.field.clone(), d.message.clone())));
    checker.diagnostics
}

/// The cross-kind lints alone, with live facts about the existing resources (plan time).
pub fn lint_with(
    spec: &ParsedSpec,
    facts: &super::facts::LiveFacts,
    reads: &std::collections::BTreeMap<Addr, crate::state::ReadState>,
) -> Vec<Diagnostic> {
    let live = super::lints::Live::new(facts, reads);
    let mut checker = Checker::new(spec);
    checker.live = Some(&live);
    super::lints::check(&mut checker);
    let mut seen = HashSet::new();
    checker
        .diagnostics
        .retain(|d| seen.insert((d.code, d.field.clone(), d.message.clone())));
    checker.diagnostics
}

/// Every check's findings, and the index they look resources up in.
pub(super) struct Checker<'a> {
    pub(super) spec: &'a ParsedSpec,
    by_addr: HashMap<&'a Addr, &'a ParsedResource>,
    /// Resources the stack uses but does not own (`existing = { ... }`).
    existing: HashMap<&'a Addr, &'a ParsedExisting>,
    /// What AWS says of the existing resources, at plan time; `None` offline.
    pub(super) live: Option<&'a super::lints::Live>,
    pub(super) diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    fn new(spec: &'a ParsedSpec) -> Checker<'a> {
        let by_addr = spec.resources.iter().map(|r| (&r.addr, r)).collect();
        let existing = spec.existing.iter().map(|e| (&e.addr, e)).collect();
        Checker {
            spec,
            by_addr,
            existing,
            live: None,
            diagnostics: Vec::new(),
        }
    }

    fn span(&self, addr: &Addr, field: &str) -> Option<Range<usize>> {
        if field.is_empty() {
            self.spec.spans.key(&addr.to_string())
        } else {
            self.spec.spans.value(&format!("{addr}.{field}"))
        }
    }

    fn field_name(addr: &Addr, field: &str) -> String {
        if field.is_empty() {
            addr.to_string()
        } else {
            format!("{addr}.{field}")
        }
    }

    pub(super) fn error(
        &mut self,
        code: &'static str,
        addr: &Addr,
        field: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let d = Diagnostic::error(code, message)
            .help(help)
            .field(Self::field_name(addr, field))
            .span(self.span(addr, field));
        self.diagnostics.push(d);
    }

    pub(super) fn warn(
        &mut self,
        code: &'static str,
        addr: &Addr,
        field: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let d = Diagnostic::warning(code, message)
            .help(help)
            .field(Self::field_name(addr, field))
            .span(self.span(addr, field));
        self.diagnostics.push(d);
    }

    /// A resource of the spec, managed or existing.
    fn declared(&self, addr: &Addr) -> bool {
        self.by_addr.contains_key(addr) || self.existing.contains_key(addr)
    }

    /// Each `existing` table finds its resource one way the kind allows; a `vpc` scope names
    /// an existing VPC or is a VPC id (a VPC this stack makes has no id at plan time).
    fn existing(&mut self) {
        for e in &self.spec.existing {
            for (field, message, help) in existing_mod::problems(e.addr.kind, &e.spec) {
                self.error("agentfs::existing", &e.addr, &field, message, help);
            }
            let Some(vpc) = e.spec.vpc.as_deref().filter(|v| !v.is_empty()) else {
                continue;
            };
            if self.existing.contains_key(&Addr::new(Kind::Vpc, vpc)) {
                continue;
            }
            match existing_mod::literal(Kind::Vpc, "id", vpc) {
                Literal::Valid(_) => {}
                Literal::Invalid(pattern) => self.error(
                    "agentfs::literal_id",
                    &e.addr,
                    "existing.vpc",
                    format!("`{vpc}` is not a vpc id"),
                    format!("a vpc id matches `{pattern}`"),
                ),
                Literal::NotOne if self.get(Kind::Vpc, vpc).is_some() => self.error(
                    "agentfs::existing",
                    &e.addr,
                    "existing.vpc",
                    format!("`{vpc}` is a VPC this stack makes: it has no id when existing resources are read"),
                    "scope the lookup by an existing `vpc` (with `existing = { ... }`) or a `vpc-...` id",
                ),
                Literal::NotOne => self.dangling(&e.addr, "existing.vpc", Kind::Vpc, vpc),
            }
        }
    }

    /// A reference field's text: a resource of the spec, or a well-formed literal id of an
    /// existing one; anything else is reported at `field`.
    fn reference(&mut self, addr: &Addr, field: &str, target: Kind, attribute: &str, value: &str) {
        if self.declared(&Addr::new(target, value)) {
            return;
        }
        match existing_mod::literal(target, attribute, value) {
            Literal::Valid(_) => {}
            Literal::Invalid(pattern) => self.error(
                "agentfs::literal_id",
                addr,
                field,
                format!("`{value}` is neither a {target} of this spec nor a valid {target} {attribute}"),
                format!("a literal {target} {attribute} matches `{pattern}`"),
            ),
            Literal::NotOne => self.dangling(addr, field, target, value),
        }
    }

    pub(super) fn get(&self, kind: Kind, name: &str) -> Option<&'a ParsedResource> {
        self.by_addr.get(&Addr::new(kind, name)).copied()
    }

    fn stack(&mut self) {
        let stack = &self.spec.stack;
        if let Err(help) = rules::stack_name(&stack.name) {
            let d = Diagnostic::error(
                "agentfs::stack_name",
                format!("`{}` is not a valid stack name", stack.name),
            )
            .help(help)
            .field("stack.name")
            .span(self.spec.spans.value("stack.name"));
            self.diagnostics.push(d);
        }
        if let Err(help) = rules::region(&stack.region) {
            let d = Diagnostic::error("agentfs::region", format!("`{}` is not an AWS region", stack.region))
                .help(help)
                .field("stack.region")
                .span(self.spec.spans.value("stack.region"));
            self.diagnostics.push(d);
        }
        for (key, value) in &stack.tags {
            if let Err(help) = rules::tag(key, value) {
                let d = Diagnostic::error("agentfs::tag", format!("stack tag `{key}` is not allowed"))
                    .help(help)
                    .field(format!("stack.tags.{key}"))
                    .span(self.spec.spans.key(&format!("stack.tags.{key}")));
                self.diagnostics.push(d);
            }
        }
    }

    /// Field references must name a resource of the right kind; `${...}` must parse and resolve.
    fn references_and_templates(&mut self) {
        for resource in &self.spec.resources {
            let mut spec = resource.spec.clone();
            for slot in spec.refs() {
                // A value another stack's outputs fill in is checked once it is known.
                let external = self
                    .spec
                    .external
                    .contains(&format!("{}.{}", resource.addr, slot.field));
                if !external {
                    self.reference(&resource.addr, &slot.field, slot.target, slot.attribute, slot.value);
                }
            }
            let json = serde_json::to_value(&resource.spec).unwrap_or_default();
            self.templates_in(&resource.addr, "", &json);
            for (i, dep) in resource.meta.depends_on.iter().enumerate() {
                let field = format!("depends_on[{i}]");
                match dep.parse::<Addr>() {
                    Ok(target) if self.declared(&target) => {}
                    Ok(target) => self.dangling(&resource.addr, &field, target.kind, &target.name),
                    Err(e) => self.error(
                        "agentfs::dangling_reference",
                        &resource.addr,
                        &field,
                        e.to_string(),
                        "write `kind.name`, e.g. `internet_gateway.igw`",
                    ),
                }
            }
            let fields = resource.addr.kind.fields();
            for (i, ignored) in resource.meta.lifecycle.ignore_changes.iter().enumerate() {
                let top = ignored.split(['.', '[']).next().unwrap_or(ignored);
                if !fields.iter().any(|f| f == top) {
                    let help = match super::suggest(top, fields.iter().map(String::as_str)) {
                        Some(near) => format!("did you mean `{near}`?"),
                        None => format!("a {} has {}", resource.addr.kind, fields.join(", ")),
                    };
                    self.error(
                        "agentfs::ignore_changes",
                        &resource.addr,
                        &format!("lifecycle.ignore_changes[{i}]"),
                        format!("a {} has no field `{top}`", resource.addr.kind),
                        help,
                    );
                }
            }
            for (i, accept) in resource.meta.lifecycle.accept.iter().enumerate() {
                if !crate::check::acceptable(&accept.rule) {
                    let known = crate::check::RULES
                        .iter()
                        .map(|r| r.id)
                        .chain(crate::check::LINT_CODES.iter().copied());
                    let help = match super::suggest(&accept.rule, known) {
                        Some(near) => format!("did you mean `{near}`?"),
                        None => "name a rule id that `agentfs check` prints (e.g. `AFS-IAM-003`) or a lint code (`agentfs::lint::...`)".into(),
                    };
                    self.error(
                        "agentfs::accept",
                        &resource.addr,
                        &format!("lifecycle.accept[{i}].rule"),
                        format!("`{}` is not a rule or lint that can be accepted", accept.rule),
                        help,
                    );
                }
                if accept.reason.trim().is_empty() {
                    self.error(
                        "agentfs::accept",
                        &resource.addr,
                        &format!("lifecycle.accept[{i}].reason"),
                        "an accepted finding needs a reason",
                        "say why the finding is acceptable for this resource",
                    );
                }
            }
            for (field, value) in [
                ("timeouts.create", &resource.meta.timeouts.create),
                ("timeouts.update", &resource.meta.timeouts.update),
                ("timeouts.delete", &resource.meta.timeouts.delete),
            ] {
                if let Some(text) = value
                    && parse_duration(text).is_none()
                {
                    self.error(
                        "agentfs::duration",
                        &resource.addr,
                        field,
                        format!("`{text}` is not a duration"),
                        "write e.g. `90s`, `10m` or `1h`",
                    );
                }
            }
        }
    }

    fn dangling(&mut self, addr: &Addr, field: &str, target: Kind, name: &str) {
        let (code, message, help) = self.dangling_problem(target, name);
        self.error(code, addr, field, message, help);
    }

    fn dangling_problem(&self, target: Kind, name: &str) -> (&'static str, String, String) {
        let names = self
            .spec
            .resources
            .iter()
            .map(|r| &r.addr)
            .chain(self.spec.existing.iter().map(|e| &e.addr))
            .filter(|a| a.kind == target)
            .map(|a| a.name.as_str());
        let help = match super::suggest(name, names) {
            Some(near) => format!("did you mean `{near}`?"),
            None if name.contains("${") => {
                format!("this field takes the name of a {target}, e.g. `main`, not a template")
            }
            None if target.existing().is_some() => format!(
                "declare `[{target}.{name}]`, with `existing = {{ ... }}` for one made outside this stack, or write its id"
            ),
            None => format!("declare `[{target}.{name}]` or name an existing {target}"),
        };
        (
            "agentfs::dangling_reference",
            format!("no {target} named `{name}`"),
            help,
        )
    }

    fn templates_in(&mut self, addr: &Addr, path: &str, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(text) => self.template(addr, path, text),
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.templates_in(addr, &format!("{path}[{i}]"), item);
                }
            }
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    let child = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    self.templates_in(addr, &child, item);
                }
            }
            _ => {}
        }
    }

    fn template(&mut self, addr: &Addr, field: &str, text: &str) {
        for (code, message, help) in self.template_problems(text, Some(addr)) {
            self.error(code, addr, field, message, help);
        }
    }

    /// What is wrong with a template string: syntax, unknown resources, unknown attributes.
    fn template_problems(&self, text: &str, owner: Option<&Addr>) -> Vec<(&'static str, String, String)> {
        let template = match Template::parse(text) {
            Ok(template) => template,
            Err(e) => {
                let help = match &e {
                    TemplateError::UnknownVariable(v) => match super::suggest(v, Var::ALL.iter().map(|v| v.name())) {
                        Some(near) => format!("did you mean `${{{near}}}`?"),
                        None => "write `$${` for a literal `${`".into(),
                    },
                    _ => "write `${kind.name.attribute}`, `${stack}`, `${region}` or `${account_id}`; `$${` for a literal `${`".into(),
                };
                return vec![("agentfs::template", e.to_string(), help)];
            }
        };
        let mut problems = Vec::new();
        for attr in template.attr_refs() {
            if !self.declared(&attr.addr) {
                problems.push(self.dangling_problem(attr.addr.kind, &attr.addr.name));
            } else if owner == Some(&attr.addr) {
                problems.push((
                    "agentfs::self_reference",
                    format!("`${{{attr}}}` refers to the resource itself"),
                    "a resource's own attributes are not known while it is created".into(),
                ));
            } else if !attr.addr.kind.attributes().contains(&attr.attribute.as_str()) {
                let known = attr.addr.kind.attributes().join("`, `");
                problems.push((
                    "agentfs::unknown_attribute",
                    format!("a {} has no attribute `{}`", attr.addr.kind, attr.attribute),
                    format!("use one of `{known}`"),
                ));
            }
        }
        problems
    }

    fn tags(&mut self) {
        for resource in &self.spec.resources {
            let Some(tags) = resource.spec.tags() else { continue };
            let total = tags.len() + self.spec.stack.tags.len();
            if total > rules::MAX_USER_TAGS {
                self.error(
                    "agentfs::tag",
                    &resource.addr,
                    "tags",
                    format!(
                        "{total} tags (with the stack's); AWS allows {} besides agentfs's own two",
                        rules::MAX_USER_TAGS
                    ),
                    "remove some tags",
                );
            }
            for (key, value) in tags {
                if let Err(help) = rules::tag(key, value) {
                    self.error(
                        "agentfs::tag",
                        &resource.addr,
                        &format!("tags.{key}"),
                        format!("tag `{key}` is not allowed"),
                        help,
                    );
                }
            }
        }
    }

    /// Every field that becomes an API member, against the limits its kind declares from the
    /// model; the stack's tags against the tag rules of every service the stack uses.
    fn api_constraints(&mut self) {
        for resource in &self.spec.resources {
            let json = serde_json::to_value(&resource.spec).unwrap_or_default();
            api::check_resource(
                &resource.addr,
                &json,
                &resource.addr.kind.api(),
                &self.spec.stack,
                &self.spec.spans,
                &mut self.diagnostics,
            );
        }
        let kinds: std::collections::BTreeSet<Kind> = self.spec.resources.iter().map(|r| r.addr.kind).collect();
        let maps: Vec<api::ApiMap> = kinds.iter().map(|k| k.api()).collect();
        api::check_stack_tags(
            &self.spec.stack.tags,
            &maps,
            &self.spec.stack,
            &self.spec.spans,
            &mut self.diagnostics,
        );
    }

    /// AWS-level names must be unique too: two roles cannot share `name`.
    fn unique_aws_names(&mut self) {
        let mut seen: HashMap<(Kind, String, String), Addr> = HashMap::new();
        let named: Vec<(&Addr, UniqueName)> = self
            .spec
            .resources
            .iter()
            .filter_map(|r| Some((&r.addr, r.spec.unique_name(&r.addr)?)))
            .collect();
        for (addr, unique) in named {
            if let Some(first) = seen.insert((addr.kind, unique.scope, unique.name.clone()), addr.clone()) {
                self.error(
                    "agentfs::duplicate_name",
                    addr,
                    "name",
                    format!("`{first}` already uses the name `{}`", unique.name),
                    "AWS names must be unique: give each resource its own",
                );
            }
        }
    }

    fn outputs(&mut self) {
        for (name, output) in &self.spec.outputs {
            for (suffix, text) in output.value.items() {
                let field = format!("output.{name}.value{suffix}");
                let span = self.spec.spans.value(&field);
                for (code, message, help) in self.template_problems(text, None) {
                    self.diagnostics.push(
                        Diagnostic::error(code, message)
                            .help(help)
                            .field(field.clone())
                            .span(span.clone()),
                    );
                }
            }
        }
    }
}
