//! The spec: TOML text -> parsed -> checked -> a `Spec` whose references are all valid.
//!
//! A `Spec` can only be built through [`load`], so holding one means every reference
//! resolves, every name and path passed the API's rules, and every error was reported.

pub mod blocks;
pub mod eval;
#[cfg(test)]
mod existing_tests;
mod lints;
#[cfg(test)]
mod stack_ref_tests;
#[cfg(test)]
mod unknown_vars_tests;
pub mod validate;

// The language (`lang`) and the parser, under the names the loader's users know them by.
pub use crate::lang::{addr, api, cfn, diag, existing, facts, kind, rules, stack_ref, suggest, template, vars};
pub use crate::parse;

/// The settings every spec has and every kind's configuration types.
pub mod model {
    pub use crate::lang::model::*;
    pub use crate::resources::model::*;
}

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use indexmap::IndexMap;

use crate::graph::{Graph, GraphError};

pub use crate::lang::{
    Addr, Diagnostic, Group, Kind, Lifecycle, Located, OutputSpec, Severity, SourceFile, StackSettings,
};
pub use crate::resources::{ResourceSpec, json_schema};

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
    /// Resources the stack uses but does not own: declared with `existing = { ... }` or written
    /// as literal ids in reference fields. Read at plan time, never changed.
    pub existing: IndexMap<Addr, existing::Existing>,
    pub backend: Option<model::BackendSpec>,
    /// Where each key path sits in the file, for diagnostics found later (cycles).
    pub spans: SpanIndex,
    /// `[variable.*]` with the values this run uses.
    pub variables: IndexMap<String, vars::Variable>,
    /// Security findings of [`crate::check`] and the lints the resources accept, in file order.
    pub findings: Vec<crate::check::Finding>,
    /// The spec as parsed, before lowering: the cross-kind lints run on it again at plan time
    /// with what AWS says of the existing resources ([`lint_live`]).
    pub parsed: ParsedSpec,
    /// `[[moved]]`: recorded resources that take a new address.
    pub moved: Vec<blocks::Moved>,
    /// `[[removed]]`: recorded resources forgotten without being deleted.
    pub removed: Vec<blocks::Removed>,
    /// `[[import]]`: existing resources adopted on the next apply instead of created.
    pub imports: Vec<blocks::Import>,
    /// The values taken from other stacks' outputs (`${stack_ref.NAME.OUTPUT}`), for the plan.
    pub stack_ref_uses: Vec<stack_ref::StackRefUse>,
}

impl Graph<Addr> {
    /// Builds the graph of a checked spec.
    /// Existing resources are nodes too, read before what uses them.
    pub fn from_spec(spec: &Spec) -> Result<Graph, GraphError> {
        let existing = spec
            .existing
            .values()
            .map(|e| (e.addr.clone(), e.deps.iter().cloned().collect()));
        let resources = spec
            .resources
            .values()
            .map(|r| (r.addr.clone(), r.deps.iter().cloned().collect()));
        Ok(Graph::new(existing.chain(resources))?.with_reads(spec.existing.keys().cloned()))
    }
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
    // Checks of a stand-in for a variable without a value say nothing of the real value.
    vars::forgive_unknown(&mut diagnostics, &parsed.unknown_uses);
    findings.retain(|f| !parsed.unknown_uses.iter().any(|u| f.field.starts_with(u.path.as_str())));
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
    let kept = parsed.clone();
    let mut parsed = parsed;
    let mut existing = lower_existing(&parsed.existing);
    let managed: BTreeSet<Addr> = parsed.resources.iter().map(|r| r.addr.clone()).collect();
    let external = |addr: &Addr, field: &str| parsed.external.contains(&format!("{addr}.{field}"));
    // A literal id stands for an existing resource of its own, read like a declared one; its
    // field names that resource from here on, so every ordering pass sees the edge. An id from
    // another stack's outputs is kept as it is, with no edge.
    let mut late_candidates: HashMap<Addr, BTreeSet<Addr>> = HashMap::new();
    for resource in &mut parsed.resources {
        let (mut firm, mut late) = (BTreeSet::new(), BTreeSet::new());
        for slot in resource.spec.refs() {
            if external(&resource.addr, &slot.field) {
                continue;
            }
            let mut target = Addr::new(slot.target, slot.value.as_str());
            if !managed.contains(&target)
                && !existing.contains_key(&target)
                && let existing::Literal::Valid(id) = existing::literal(slot.target, slot.attribute, slot.value)
            {
                let written = if slot.value.starts_with("arn:") {
                    format!("arn `{}`", slot.value)
                } else {
                    format!("id `{id}`")
                };
                // A literal id stands for an existing resource of its own, read like a declared one.
                target = existing::literal_addr(slot.target, slot.value);
                *slot.value = target.name.clone();
                existing.entry(target.clone()).or_insert_with(|| existing::Existing {
                    addr: target.clone(),
                    selector: existing::Selector::Id { id, written },
                    literal: true,
                    deps: BTreeSet::new(),
                });
            }
            if slot.late {
                late.insert(target)
            } else {
                firm.insert(target)
            };
        }
        // A late reference may be completed after both ends exist (security groups that allow
        // each other); one that also names its target otherwise is an ordinary edge.
        late.retain(|t| !firm.contains(t));
        if !late.is_empty() {
            let templated = crate::graph::references::template_refs(&resource.spec);
            late.retain(|t| !templated.contains(t));
        }
        if !late.is_empty() {
            late_candidates.insert(resource.addr.clone(), late);
        }
    }
    // Every ordering rule's edges (`graph`'s passes), by resource; what another stack's
    // outputs name is not in this graph.
    let mut dependencies = crate::graph::dependencies(&parsed.resources);
    for needs in dependencies.values_mut() {
        needs.retain(|d| managed.contains(d) || existing.contains_key(d));
    }
    let mut resources = IndexMap::with_capacity(parsed.resources.len());
    for parsed_resource in parsed.resources {
        let mut spec = parsed_resource.spec;
        for slot in spec.refs() {
            if external(&parsed_resource.addr, &slot.field) {
                continue;
            }
            let target = Addr::new(slot.target, slot.value.as_str());
            *slot.value = attr_expression(&target, slot.attribute);
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
        let deps = dependencies.remove(&parsed_resource.addr).unwrap_or_default();
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
        existing,
        backend: parsed.backend,
        spans: parsed.spans,
        variables: parsed.variables,
        findings,
        parsed: kept,
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

/// Reads every resource's local sources (see [`kind::KindSpec::read_sources`]) from `base`, the
/// spec's directory; the errors are located at their fields.
pub fn read_sources(spec: &mut Spec, base: &std::path::Path) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for resource in spec.resources.values_mut() {
        for mut d in resource.spec.read_sources(base) {
            let field = format!("{}.{}", resource.addr, d.field.as_deref().unwrap_or_default());
            d.span = spec.spans.value(&field);
            d.field = Some(field);
            found.push(d);
        }
    }
    found
}

/// The cross-kind lints again, now that AWS said what the existing resources are: `facts`
/// (keyed by AWS id) and `reads` (each existing resource's id). Lints the spec's resources
/// accept are left out, as at load time, and so is what load already reported offline: what
/// is returned is what the live facts add.
pub fn lint_live(
    spec: &Spec,
    facts: &facts::LiveFacts,
    reads: &std::collections::BTreeMap<Addr, crate::state::ReadState>,
) -> Vec<Diagnostic> {
    let offline: std::collections::HashSet<(&str, Option<String>, String)> =
        validate::lint_with(&spec.parsed, &facts::LiveFacts::default(), &Default::default())
            .into_iter()
            .map(|d| (d.code, d.field, d.message))
            .collect();
    let mut diagnostics = validate::lint_with(&spec.parsed, facts, reads);
    crate::check::accept_lints(&spec.parsed, &mut diagnostics);
    // What load already reported is not news.
    diagnostics.retain(|d| !offline.contains(&(d.code, d.field.clone(), d.message.clone())));
    diagnostics
}

/// The checked `existing` tables, each with how it is found and the existing VPC it is scoped by.
fn lower_existing(parsed: &[parse::ParsedExisting]) -> IndexMap<Addr, existing::Existing> {
    let declared: BTreeSet<&Addr> = parsed.iter().map(|e| &e.addr).collect();
    parsed
        .iter()
        .filter_map(|e| {
            let mut deps = BTreeSet::new();
            let scope = e.spec.vpc.as_ref().map(|vpc| {
                let addr = Addr::new(Kind::Vpc, vpc.as_str());
                if declared.contains(&addr) {
                    deps.insert(addr.clone());
                    existing::Scope::Existing(addr)
                } else {
                    existing::Scope::Id(vpc.clone())
                }
            });
            let selector = existing::selector(e.addr.kind, &e.spec, scope)?;
            Some((
                e.addr.clone(),
                existing::Existing {
                    addr: e.addr.clone(),
                    selector,
                    literal: false,
                    deps,
                },
            ))
        })
        .collect()
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
        // The orderings `agentcore_runtime/ordering.rs` contributes, on the reference stack.
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
        for other in ["route_table_association.public_a", "route.public_default"] {
            assert!(!needs.contains(&other.to_string()), "{other} in {needs:?}");
        }
    }

    #[test]
    fn a_private_runtime_waits_for_the_interface_endpoints_of_its_vpc() {
        let text = include_str!("../../tests/bad-specs/lint-private-endpoints-complete.toml");
        let spec = load(text).spec.expect("the private stack loads");
        let runtime: Addr = "agentcore_runtime.agent".parse().unwrap();
        let deps = &spec.resources[&runtime].deps;
        for needed in [
            "vpc_endpoint.s3",
            "vpc_endpoint.ecr_api",
            "vpc_endpoint.ecr_dkr",
            "vpc_endpoint.logs",
            "vpc_endpoint.bedrock",
        ] {
            assert!(
                deps.contains(&needed.parse::<Addr>().unwrap()),
                "{needed} not in {deps:?}"
            );
        }
    }

    #[test]
    fn a_runtime_is_created_after_the_mount_targets_it_waits_for() {
        let loaded = load(include_str!("../../examples/s3files-runtime.toml"));
        let spec = loaded.spec.expect("the reference example loads");
        let graph = Graph::from_spec(&spec).expect("acyclic");
        let order: Vec<String> = graph.create_order().map(|a| a.to_string()).collect();
        let at = |name: &str| order.iter().position(|a| a == name).expect(name);
        assert!(at("s3files_mount_target.a") < at("agentcore_runtime.agent"));
    }
}

#[cfg(test)]
mod live_lints {
    use std::collections::BTreeMap;

    use super::facts::{LiveFacts, SubnetFacts, VpcFacts};
    use super::*;
    use crate::state::ReadState;

    const SPEC: &str = r#"
[stack]
name = "unit"
region = "us-east-1"

[vpc.core]
existing = { tags = { Name = "core" } }

[subnet.a]
existing = { tags = { Name = "core-a" }, vpc = "core" }

[agentcore_runtime.agent]
name = "unit_agent"
container_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest"
role = "arn:aws:iam::123456789012:role/agent"
network_mode = "VPC"
subnets = ["a", "subnet-0abc1234def567890"]
security_groups = ["sg-0abc1234"]
"#;

    fn reads() -> BTreeMap<Addr, ReadState> {
        let read = |id: &str| ReadState::new(id.into(), String::new(), BTreeMap::new());
        BTreeMap::from([
            ("vpc.core".parse().unwrap(), read("vpc-00000001")),
            ("subnet.a".parse().unwrap(), read("subnet-0000000a")),
            (
                "subnet.subnet-0abc1234def567890".parse().unwrap(),
                read("subnet-0abc1234def567890"),
            ),
        ])
    }

    fn facts(nat_route: bool, s3_gateway: bool) -> LiveFacts {
        let subnet = |az: &str| SubnetFacts {
            vpc: "vpc-00000001".into(),
            cidr_block: "10.0.1.0/24".into(),
            availability_zone: az.into(),
            nat_route,
            internet_route: false,
            s3_gateway,
        };
        LiveFacts {
            subnets: BTreeMap::from([
                ("subnet-0000000a".into(), subnet("us-east-1a")),
                ("subnet-0abc1234def567890".into(), subnet("us-east-1b")),
            ]),
            vpcs: BTreeMap::from([(
                "vpc-00000001".into(),
                VpcFacts {
                    dns_support: true,
                    dns_hostnames: true,
                },
            )]),
        }
    }

    fn codes(found: &[Diagnostic]) -> Vec<&'static str> {
        found.iter().map(|d| d.code).collect()
    }

    #[test]
    fn offline_an_existing_network_is_unknown_and_draws_no_warning() {
        let loaded = load(SPEC);
        assert!(
            loaded.diagnostics.iter().all(|d| !d.code.contains("lint")),
            "{:?}",
            loaded.diagnostics
        );
        assert!(loaded.spec.is_some());
    }

    #[test]
    fn at_plan_time_the_existing_subnets_nat_route_and_s3_endpoint_count() {
        let spec = load(SPEC).spec.unwrap();
        assert!(lint_live(&spec, &facts(true, true), &reads()).is_empty());
        let found = lint_live(&spec, &facts(false, false), &reads());
        assert_eq!(
            codes(&found),
            [
                "agentfs::lint::runtime_no_egress",
                "agentfs::lint::runtime_no_s3_path",
                "agentfs::lint::runtime_no_egress",
                "agentfs::lint::runtime_no_s3_path"
            ],
            "{found:?}"
        );
        assert!(found[0].message.contains("existing subnet `a`"), "{}", found[0].message);
        assert_eq!(found[0].field.as_deref(), Some("agentcore_runtime.agent.subnets"));
        let found = lint_live(&spec, &facts(false, true), &reads());
        assert_eq!(codes(&found)[0], "agentfs::lint::runtime_no_egress");
        assert!(!codes(&found).contains(&"agentfs::lint::runtime_no_s3_path"));
    }
}
