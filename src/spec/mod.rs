//! The spec: TOML text -> parsed -> checked -> a `Spec` whose references are all valid.
//!
//! A `Spec` can only be built through [`load`], so holding one means every reference
//! resolves, every name and path passed the API's rules, and every error was reported.

pub mod addr;
pub mod api;
pub mod cfn;
pub mod diag;
pub mod eval;
pub mod kind;
mod lints;
pub mod model;
pub mod parse;
pub mod rules;
mod syntax;
pub mod template;
pub mod validate;
pub mod vars;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use indexmap::IndexMap;

pub use crate::resources::{ResourceSpec, json_schema};
pub use addr::{Addr, Group, Kind};
pub use diag::{Diagnostic, Located, Severity, SourceFile};
pub use model::{Lifecycle, OutputSpec, StackSettings};

/// The typed resource value and the schema, where earlier versions had them.
pub mod resource {
    pub use crate::resources::{ResourceSpec, json_schema};
}

use parse::{ParsedSpec, SpanIndex};
use template::{Template, attr_expression};

/// A checked resource. Reference fields hold `${kind.name.attr}` templates.
#[derive(Debug, Clone)]
pub struct Resource {
    pub addr: Addr,
    pub spec: ResourceSpec,
    /// Everything this resource needs to exist first (references, templates, `depends_on`).
    pub deps: BTreeSet<Addr>,
    pub lifecycle: Lifecycle,
    pub timeouts: Timeouts,
    /// Fields a sensitive variable reaches (paths as the plan flattens them): recorded as
    /// digests and never shown, like the kind's own sensitive paths.
    pub sensitive: Vec<String>,
}

/// Waiter limits the spec overrides; `None` means the kind's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Option<Duration>,
    pub update: Option<Duration>,
    pub delete: Option<Duration>,
}

/// A checked output.
#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub value: Template,
    pub expression: String,
    pub description: Option<String>,
    pub sensitive: bool,
}

/// A spec that passed every check.
#[derive(Debug, Clone)]
pub struct Spec {
    pub stack: StackSettings,
    /// In file order.
    pub resources: IndexMap<Addr, Resource>,
    pub outputs: IndexMap<String, Output>,
    pub backend: Option<model::BackendSpec>,
    /// Where each key path sits in the file, for diagnostics found later (cycles).
    pub spans: SpanIndex,
    /// `[variable.*]` with the values this run uses.
    pub variables: IndexMap<String, vars::Variable>,
    /// Security findings of [`crate::check`] and the lints the resources accept, in file order.
    pub findings: Vec<crate::check::Finding>,
}

/// The outcome of loading: the spec (when there are no errors) and every diagnostic.
pub struct Loaded {
    pub spec: Option<Spec>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and checks spec text, with variables at their defaults.
pub fn load(text: &str) -> Loaded {
    load_with(text, &vars::Inputs::default())
}

/// Parses and checks spec text with variable values from `inputs`.
pub fn load_with(text: &str, inputs: &vars::Inputs) -> Loaded {
    let (parsed, mut diagnostics) = parse::parse_with(text, inputs);
    let Some(parsed) = parsed else {
        return Loaded {
            spec: None,
            diagnostics,
        };
    };
    diagnostics.extend(validate::check(&parsed));
    vars::scrub(&mut diagnostics, &parsed.variables);
    let mut findings = crate::check::run(&parsed);
    findings.extend(crate::check::accept_lints(&parsed, &mut diagnostics));
    let spec = diagnostics
        .iter()
        .all(|d| !d.is_error())
        .then(|| lower(parsed, findings));
    Loaded { spec, diagnostics }
}

/// Rewrites reference fields to templates and collects each resource's dependencies.
fn lower(parsed: ParsedSpec, findings: Vec<crate::check::Finding>) -> Spec {
    // Orderings AWS needs that no field names, each kind contributing its own.
    let mut implicit: HashMap<Addr, BTreeSet<Addr>> = parsed
        .resources
        .iter()
        .map(|r| (r.addr.clone(), r.spec.implicit_dependencies(&parsed.resources)))
        .filter(|(_, needs)| !needs.is_empty())
        .collect();
    let mut resources = IndexMap::with_capacity(parsed.resources.len());
    for parsed_resource in parsed.resources {
        let mut spec = parsed_resource.spec;
        let mut deps = BTreeSet::new();
        for slot in spec.refs() {
            let target = Addr::new(slot.target, slot.value.as_str());
            *slot.value = attr_expression(&target, slot.attribute);
            deps.insert(target);
        }
        let mut json = serde_json::to_value(&spec).unwrap_or_default();
        collect_template_deps(&json, &mut deps);
        if !parsed.stack.tags.is_empty()
            && let Some(serde_json::Value::Object(tags)) = json.get_mut("tags")
        {
            for (key, value) in &parsed.stack.tags {
                tags.entry(key.clone()).or_insert_with(|| value.clone().into());
            }
            if let Ok(with_stack_tags) = ResourceSpec::deserialize_as(spec.kind(), json) {
                spec = with_stack_tags;
            }
        }
        deps.extend(parsed_resource.meta.depends_on.iter().filter_map(|d| d.parse().ok()));
        deps.extend(implicit.remove(&parsed_resource.addr).into_iter().flatten());
        let t = &parsed_resource.meta.timeouts;
        let timeouts = Timeouts {
            create: t.create.as_deref().and_then(model::parse_duration),
            update: t.update.as_deref().and_then(model::parse_duration),
            delete: t.delete.as_deref().and_then(model::parse_duration),
        };
        let addr = parsed_resource.addr;
        let prefix = format!("{addr}.");
        let sensitive = parsed
            .sensitive_uses
            .iter()
            .filter_map(|u| u.path.strip_prefix(&prefix).map(String::from))
            .collect();
        resources.insert(
            addr.clone(),
            Resource {
                addr,
                spec,
                deps,
                lifecycle: parsed_resource.meta.lifecycle,
                timeouts,
                sensitive,
            },
        );
    }
    let outputs = parsed
        .outputs
        .into_iter()
        .filter_map(|(name, o)| {
            let value = Template::parse(&o.value).ok()?;
            Some((
                name.clone(),
                Output {
                    name,
                    value,
                    expression: o.value,
                    description: o.description,
                    sensitive: o.sensitive,
                },
            ))
        })
        .collect();
    Spec {
        stack: parsed.stack,
        resources,
        outputs,
        backend: parsed.backend,
        spans: parsed.spans,
        variables: parsed.variables,
        findings,
    }
}

fn collect_template_deps(value: &serde_json::Value, deps: &mut BTreeSet<Addr>) {
    match value {
        serde_json::Value::String(text) => {
            if let Ok(t) = Template::parse(text) {
                deps.extend(t.attr_refs().map(|a| a.addr.clone()));
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_template_deps(v, deps)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_template_deps(v, deps)),
        _ => {}
    }
}

/// The closest candidate to a misspelt word, if it is close enough to be a likely typo.
pub fn suggest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowering_turns_reference_fields_into_templates_and_edges() {
        let text = r#"
[stack]
name = "s"
region = "us-east-1"
[vpc.main]
cidr_block = "10.0.0.0/16"
[subnet.a]
vpc = "main"
cidr_block = "10.0.1.0/24"
az_index = 0
[internet_gateway.igw]
vpc = "main"
[elastic_ip.nat]
[nat_gateway.nat]
subnet = "a"
elastic_ip = "nat"
depends_on = ["internet_gateway.igw"]
"#;
        let loaded = load(text);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let spec = loaded.spec.unwrap();
        let subnet = &spec.resources[&"subnet.a".parse::<Addr>().unwrap()];
        let fields = serde_json::to_value(&subnet.spec).unwrap();
        assert_eq!(fields["vpc"], "${vpc.main.id}");
        let nat = &spec.resources[&"nat_gateway.nat".parse::<Addr>().unwrap()];
        let expected: BTreeSet<Addr> = ["subnet.a", "internet_gateway.igw", "elastic_ip.nat"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        assert_eq!(nat.deps, expected);
    }

    #[test]
    fn a_runtime_waits_for_its_mount_targets_and_egress_path() {
        let loaded = load(include_str!("../../examples/s3files-runtime.toml"));
        let spec = loaded.spec.expect("the reference example loads");
        let runtime = spec
            .resources
            .values()
            .find(|r| r.addr.kind.key() == "agentcore_runtime")
            .expect("a runtime");
        let needs: Vec<String> = runtime.deps.iter().map(|a| a.to_string()).collect();
        for expected in [
            "s3files_mount_target.a",
            "s3files_mount_target.b",
            "route_table_association.private_a",
            "route_table_association.private_b",
            "route.private_default",
            "vpc_endpoint.s3",
        ] {
            assert!(
                needs.contains(&expected.to_string()),
                "{expected} missing from {needs:?}"
            );
        }
        // Public subnets' path is not the runtime's.
        assert!(!needs.contains(&"route.public_default".to_string()));
        let graph = crate::graph::Graph::from_spec(&spec).expect("acyclic");
        let order: Vec<String> = graph.create_order().map(|a| a.to_string()).collect();
        let at = |name: &str| order.iter().position(|a| a == name).expect(name);
        assert!(at("s3files_mount_target.a") < at(&runtime.addr.to_string()));
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        assert_eq!(suggest("cidr", ["cidr_block", "tags"]), Some("cidr_block"));
        assert_eq!(suggest("zzz", ["cidr_block", "tags"]), None);
    }
}
