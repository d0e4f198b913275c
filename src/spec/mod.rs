//! The spec: TOML text -> parsed -> checked -> a `Spec` whose references are all valid.
//!
//! A `Spec` can only be built through [`load`], so holding one means every reference
//! resolves, every name and path passed the API's rules, and every error was reported.

pub mod addr;
pub mod api;
pub mod blocks;
pub mod diag;
pub mod eval;
pub mod kind;
mod lints;
pub mod model;
pub mod parse;
pub mod rules;
pub mod stack_ref;
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
    /// Resources this one names through late references (see [`kind::RefSlot::late`]) that also
    /// name it, directly or around a loop of such references: not in `deps`. Apply makes it
    /// without what names them, then completes it once they exist; destroy first takes those
    /// references out, so neither end is ever deleted while the other still names it.
    pub late: BTreeSet<Addr>,
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
    pub value: OutputTemplate,
    pub expression: String,
    pub description: Option<String>,
    pub sensitive: bool,
}

/// An output's templates: one value, or a list.
#[derive(Debug, Clone)]
pub enum OutputTemplate {
    One(Template),
    List(Vec<Template>),
}

impl OutputTemplate {
    /// The value once everything it names is known: a string, or a list of strings.
    pub fn render(&self, lookup: &dyn template::Lookup) -> Option<serde_json::Value> {
        match self {
            OutputTemplate::One(t) => t.render(lookup).map(serde_json::Value::String),
            OutputTemplate::List(items) => items
                .iter()
                .map(|t| t.render(lookup).map(serde_json::Value::String))
                .collect::<Option<Vec<_>>>()
                .map(serde_json::Value::Array),
        }
    }
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
    /// `[[moved]]`: recorded resources that take a new address.
    pub moved: Vec<blocks::Moved>,
    /// `[[removed]]`: recorded resources forgotten without being deleted.
    pub removed: Vec<blocks::Removed>,
    /// `[[import]]`: existing resources adopted on the next apply instead of created.
    pub imports: Vec<blocks::Import>,
    /// The values taken from other stacks' outputs (`${stack_ref.NAME.OUTPUT}`), for the plan.
    pub stack_ref_uses: Vec<stack_ref::StackRefUse>,
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
    let (moved, removed, imports, found) = blocks::check(&parsed);
    diagnostics.extend(found);
    vars::scrub(&mut diagnostics, &parsed.variables);
    let mut findings = crate::check::run(&parsed);
    findings.extend(crate::check::accept_lints(&parsed, &mut diagnostics));
    let spec = diagnostics.iter().all(|d| !d.is_error()).then(|| Spec {
        moved,
        removed,
        imports,
        ..lower(parsed, findings)
    });
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
    let mut late_candidates: HashMap<Addr, BTreeSet<Addr>> = HashMap::new();
    for parsed_resource in parsed.resources {
        let mut spec = parsed_resource.spec;
        let mut deps = BTreeSet::new();
        // Templates outside reference fields (those still hold plain names here).
        collect_template_deps(&serde_json::to_value(&spec).unwrap_or_default(), &mut deps);
        let mut may_be_late = BTreeSet::new();
        for slot in spec.refs() {
            // An id from another stack's outputs: kept as it is, no edge.
            if parsed
                .external
                .contains(&format!("{}.{}", parsed_resource.addr, slot.field))
            {
                continue;
            }
            let target = Addr::new(slot.target, slot.value.as_str());
            *slot.value = attr_expression(&target, slot.attribute);
            if slot.late {
                may_be_late.insert(target);
            } else {
                deps.insert(target);
            }
        }
        may_be_late.retain(|t| !deps.contains(t));
        deps.extend(may_be_late.iter().cloned());
        if !may_be_late.is_empty() {
            late_candidates.insert(parsed_resource.addr.clone(), may_be_late);
        }
        let mut json = serde_json::to_value(&spec).unwrap_or_default();
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
                late: BTreeSet::new(),
            },
        );
    }
    split_late_references(&mut resources, &late_candidates);
    let outputs = parsed
        .outputs
        .into_iter()
        .filter_map(|(name, o)| {
            let value = match &o.value {
                model::OutputExpr::One(text) => OutputTemplate::One(Template::parse(text).ok()?),
                model::OutputExpr::List(items) => OutputTemplate::List(
                    items
                        .iter()
                        .map(|t| Template::parse(t).ok())
                        .collect::<Option<Vec<_>>>()?,
                ),
            };
            Some((
                name.clone(),
                Output {
                    name,
                    value,
                    expression: o.value.expression(),
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
        moved: Vec::new(),
        removed: Vec::new(),
        imports: Vec::new(),
        stack_ref_uses: parsed.stack_ref_uses,
    }
}

/// Moves late references that lie on a loop of late references (security groups that allow
/// each other) out of `deps` into `late`: the loop is no cycle, its far ends are filled in
/// once every member exists. Any other cycle stays, and is reported.
fn split_late_references(resources: &mut IndexMap<Addr, Resource>, candidates: &HashMap<Addr, BTreeSet<Addr>>) {
    if candidates.is_empty() {
        return;
    }
    let mut graph: petgraph::graph::DiGraph<Addr, ()> = petgraph::graph::DiGraph::new();
    let mut index = HashMap::new();
    for addr in resources.keys() {
        index.insert(addr.clone(), graph.add_node(addr.clone()));
    }
    for (from, targets) in candidates {
        for target in targets {
            if let (Some(&a), Some(&b)) = (index.get(from), index.get(target)) {
                graph.update_edge(a, b, ());
            }
        }
    }
    let mut component = HashMap::new();
    for (i, members) in petgraph::algo::tarjan_scc(&graph).into_iter().enumerate() {
        for node in members {
            component.insert(graph[node].clone(), i);
        }
    }
    for (from, targets) in candidates {
        let Some(resource) = resources.get_mut(from) else {
            continue;
        };
        for target in targets {
            if target != from && component.contains_key(from) && component.get(from) == component.get(target) {
                resource.deps.remove(target);
                resource.late.insert(target.clone());
            }
        }
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
