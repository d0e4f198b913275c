//! The plan: desired (spec) vs recorded (state), per resource and per attribute.
//!
//! A plan is data with a documented JSON shape (`format_version` 1): `agentfs plan --json`
//! prints it, `agentfs plan -o FILE` saves it, and apply executes exactly it.

mod destroy;
pub mod moves;
pub mod operations;
pub mod reads;
pub mod render;
pub mod targeting;

pub use destroy::destroy_plan;

pub use operations::{Op, explain, operations};

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::graph::Graph;
use crate::lang::template::{AttrRef, Lookup, Var};
use crate::lang::vars::VarValue;
use crate::spec::eval::evaluate;
use crate::spec::{Addr, Group, Kind, ResourceSpec, Spec};
use crate::state::{Phase, State};

pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    NoOp,
    /// `[[removed]]`: the record goes, the resource stays in AWS as it is.
    Forget,
}

impl Action {
    pub fn verb(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update in place",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::NoOp => "no change",
            Action::Forget => "will no longer be managed",
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::NoOp => " ",
            Action::Forget => ".",
        }
    }
}

/// One attribute's before and after. `after_unknown` holds the expression whose
/// value only exists once apply has run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The expression whose value is known only after apply; for a list, one entry per item:
    /// the item's expression, or null where the item is known now (its value is in `after`).
    pub after_unknown: Option<Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forces_replacement: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub address: Addr,
    pub kind: Kind,
    pub group: Group,
    pub action: Action,
    /// Dependency depth: every resource of wave N can start once waves < N are done.
    pub wave: usize,
    /// Why the action was chosen (replacement triggers, interrupted operations).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Addr>,
    /// For creates every attribute to set; otherwise only those that differ.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeChange>,
    /// A replace that creates the new copy first, moves what uses the resource to it, and
    /// deletes the old copy last (the kind allows both to exist at once).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    /// Ids of old copies that earlier create-before-destroy replaces left in state (deposed):
    /// deleted once nothing uses them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<String>,
    /// Resources that also name this one (security groups allowing each other): it is made
    /// without the parts naming them, and completed once they exist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub late: Vec<Addr>,
    /// `[[moved]]`: the recorded address this resource had, kept without a replacement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<Addr>,
    /// `[[import]]`: the id of the existing resource this create adopts instead of making one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    pub name: String,
    /// A string, or a list of strings for a list output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_unknown: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub no_op: usize,
    /// Recorded resources that take a new address (`[[moved]]`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub moved: usize,
    /// Recorded resources forgotten, left in AWS (`[[removed]]`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub forget: usize,
    /// Existing resources adopted instead of created (`[[import]]`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub import: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    pub fn has_changes(&self) -> bool {
        self.create + self.update + self.replace + self.delete + self.moved + self.forget + self.import > 0
    }
}

/// The state a plan was computed against; apply refuses a plan whose state moved on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRef {
    pub lineage: String,
    pub serial: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub stack: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_state: Option<StateRef>,
    /// Existing resources the stack uses, as read for this plan (`<= read`): never changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<reads::ReadChange>,
    /// Creates, updates and replaces in dependency order, then deletes in reverse order.
    pub changes: Vec<ResourceChange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<OutputChange>,
    pub summary: Summary,
    /// The spec the plan was made from, embedded by `plan -o FILE` so apply can run it later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_source: Option<SpecSource>,
    /// The variable values the plan was made with (sensitive ones as digests): applying a saved
    /// plan uses the same values and needs the sensitive ones given again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, PlannedVariable>,
    /// `--target`, `--exclude` and `--replace` as given: applying a saved plan uses them again.
    #[serde(default, skip_serializing_if = "targeting::Selection::is_empty")]
    pub selection: targeting::Selection,
    /// Resources with changes this plan leaves out because of `--target` / `--exclude`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<Addr>,
    /// The values read from other stacks' outputs (`[stack_ref.*]`) that this plan used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack_refs: Vec<crate::spec::stack_ref::StackRefUse>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedVariable {
    pub value: VarValue,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecSource {
    pub path: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Order(String),
    #[error("`{addr}` has lifecycle.prevent_destroy = true, but the plan would {action} it{because}")]
    PreventDestroy {
        addr: Addr,
        action: &'static str,
        because: String,
    },
    #[error("{0}")]
    Moved(String),
    #[error("{0}")]
    Target(String),
}

/// What is known besides the spec and state when planning.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Known once credentials are available (STS GetCallerIdentity).
    pub account_id: Option<String>,
    /// The spec's existing resources as read for this plan ([`reads::read_existing`]).
    pub existing: BTreeMap<Addr, crate::state::ReadState>,
    /// What AWS says of the existing subnets and VPCs, for the cross-kind lints.
    pub facts: Option<crate::lang::facts::LiveFacts>,
    /// `--target`, `--exclude`, `--replace`.
    pub selection: targeting::Selection,
}

struct PlanLookup<'a> {
    spec: &'a Spec,
    context: &'a Context,
    state: Option<&'a State>,
    /// Resources being created or replaced: their attributes are not known yet.
    pending: &'a HashSet<Addr>,
}

impl Lookup for PlanLookup<'_> {
    fn var(&self, var: Var) -> Option<String> {
        match var {
            Var::Stack => Some(self.spec.stack.name.clone()),
            Var::Region => Some(self.spec.stack.region.clone()),
            Var::AccountId => self
                .context
                .account_id
                .clone()
                .or_else(|| self.state.and_then(|s| s.account_id.clone())),
        }
    }

    fn attr(&self, attr: &AttrRef) -> Option<String> {
        if self.pending.contains(&attr.addr) {
            return None;
        }
        if let Some(read) = self.context.existing.get(&attr.addr) {
            return read.attributes.get(&attr.attribute).cloned();
        }
        self.state?.attribute(&attr.addr, &attr.attribute)
    }
}

/// Computes the plan for `spec` against recorded `state` (or none).
pub fn compute(spec: &Spec, graph: &Graph, state: Option<&State>, context: &Context) -> Result<Plan, PlanError> {
    let prepared = moves::prepare(spec, state)?;
    let state = prepared.state.as_ref().or(state);
    let scope = targeting::apply_scope(spec, graph, state, &context.selection)?;
    let waves = waves(graph);
    let mut pending = HashSet::new();
    // Replaced resources whose old copy goes before the new one is made: what depends on them
    // cannot be made first either (its new copy needs theirs, which needs its old copy gone).
    let mut destroy_first: HashSet<Addr> = HashSet::new();
    let mut changes = Vec::with_capacity(spec.resources.len());
    for addr in graph.create_order() {
        let Some(resource) = spec.resources.get(addr) else {
            // An existing resource: read, shown in `reads`.
            continue;
        };
        let lookup = PlanLookup {
            spec,
            context,
            state,
            pending: &pending,
        };
        let desired = evaluate(&config_json(&resource.spec, &resource.sensitive), &lookup);
        let recorded = state.and_then(|s| s.resources.get(addr));
        let mut change = ResourceChange {
            address: addr.clone(),
            kind: addr.kind,
            group: addr.kind.group(),
            action: Action::Create,
            wave: waves[addr],
            reasons: Vec::new(),
            depends_on: resource.deps.iter().cloned().collect(),
            attributes: Vec::new(),
            create_before_destroy: false,
            deposed: Vec::new(),
            late: resource.late.iter().cloned().collect(),
            moved_from: prepared
                .moved
                .iter()
                .find(|(_, to)| to == addr)
                .map(|(from, _)| from.clone()),
            import_id: None,
        };
        if let Some(from) = &change.moved_from {
            change.reasons.push(format!(
                "moved from `{from}`: the same resource under a new name, not replaced"
            ));
        }
        let unknown: BTreeMap<&str, &str> = desired.unknown.iter().map(|(p, e)| (p.as_str(), e.as_str())).collect();
        let mut sensitive = sensitive_paths(&resource.spec);
        sensitive.extend(resource.sensitive.iter().cloned());
        match recorded {
            None => {
                change.attributes = all_attributes(&desired.value, &unknown, &sensitive);
                if let Some(import) = spec.imports.iter().find(|i| &i.to == addr) {
                    change.import_id = Some(import.id.clone());
                    change.reasons.push(format!(
                        "will be imported ({}): `{}` is read and adopted, not created, then updated to the spec where it differs",
                        import.field, import.id
                    ));
                }
            }
            Some(r) if matches!(r.phase, Phase::Creating { .. }) => {
                change.reasons.push(
                    "an earlier create was interrupted: apply finds it by its token or tags, or creates it".into(),
                );
                change.attributes = all_attributes(&desired.value, &unknown, &sensitive);
            }
            Some(r) => {
                let mut diffs = diff(
                    &r.config,
                    &desired.value,
                    &unknown,
                    &sensitive,
                    addr.kind,
                    &resource.lifecycle.ignore_changes,
                );
                diffs.extend(recorded_settings_changes(r, resource));
                let triggers: Vec<&str> = diffs
                    .iter()
                    .filter(|d| d.forces_replacement)
                    .map(|d| d.path.as_str())
                    .collect();
                change.action = if let Some(reason) = &r.failed {
                    change.reasons.push(format!("failed: {reason}"));
                    Action::Replace
                } else if matches!(r.phase, Phase::Deleting) {
                    change.reasons.push(
                        "an earlier delete was interrupted: it is finished, then the resource is created again".into(),
                    );
                    Action::Replace
                } else if !triggers.is_empty() {
                    change
                        .reasons
                        .push(format!("{} cannot change in place", triggers.join(", ")));
                    if let Some(lost) = addr.kind.replace_loses() {
                        change.reasons.push(format!("replacing it deletes {lost}"));
                    }
                    if let Some(note) = addr.kind.deletion_note(&r.config) {
                        change.reasons.push(format!("the old copy is {note}"));
                    }
                    Action::Replace
                } else if context.selection.replace.contains(addr) && matches!(r.phase, Phase::Created) {
                    change.reasons.push("replacement requested (--replace)".into());
                    Action::Replace
                } else if diffs.is_empty() {
                    Action::NoOp
                } else {
                    Action::Update
                };
                change.attributes = diffs;
            }
        }
        let not_made: Vec<String> = change
            .late
            .iter()
            .filter(|l| {
                !state
                    .and_then(|s| s.resources.get(*l))
                    .is_some_and(|r| matches!(r.phase, Phase::Created))
            })
            .map(|l| format!("`{l}`"))
            .collect();
        if change.action != Action::NoOp && !not_made.is_empty() {
            change.reasons.push(format!(
                "{} and this resource name each other: it is made without what names {}, which is added once both exist",
                not_made.join(", "),
                if not_made.len() == 1 { "it" } else { "them" }
            ));
        }
        if change.action == Action::Replace {
            let created = recorded.is_some_and(|r| matches!(r.phase, Phase::Created));
            let deps_stay = resource.deps.iter().all(|d| !destroy_first.contains(d));
            if addr.kind.create_before_destroy() && created && deps_stay {
                change.create_before_destroy = true;
                change.reasons.push(
                    "the new copy is created first and what uses it moves there; the old copy is deleted last".into(),
                );
            } else {
                destroy_first.insert(addr.clone());
            }
        }
        if matches!(change.action, Action::Create | Action::Replace) {
            pending.insert(addr.clone());
        }
        if change.action == Action::Replace && resource.lifecycle.prevent_destroy {
            return Err(PlanError::PreventDestroy {
                addr: addr.clone(),
                action: "replace",
                because: format!(" ({})", change.reasons.join("; ")),
            });
        }
        changes.push(change);
    }
    if let Some(state) = state {
        changes.extend(deletions(spec, state)?);
        attach_deposed(&mut changes, state);
    }
    changes.extend(prepared.removed.iter().map(|addr| ResourceChange {
        address: addr.clone(),
        kind: addr.kind,
        group: addr.kind.group(),
        action: Action::Forget,
        wave: 0,
        reasons: vec!["removed from management (`[[removed]]`): forgotten from the state, left in AWS as it is".into()],
        depends_on: Vec::new(),
        attributes: Vec::new(),
        create_before_destroy: false,
        deposed: Vec::new(),
        late: Vec::new(),
        moved_from: None,
        import_id: None,
    }));
    let mut left_out = Vec::new();
    if let Some(scope) = &scope {
        left_out = targeting::left_out(
            changes
                .iter()
                .filter(|c| {
                    matches!(
                        c.action,
                        Action::Create | Action::Update | Action::Replace | Action::Delete
                    )
                })
                .map(|c| &c.address),
            scope,
        );
        changes.retain(|c| !left_out.contains(&c.address));
        // What is left out is not pending: its recorded attributes stay what outputs read.
        for addr in &left_out {
            pending.remove(addr);
        }
    }
    match operations(&changes, state) {
        Ok(_) => {}
        Err(crate::graph::GraphError::Cycle(cycle)) => return Err(PlanError::Order(explain(&cycle.0))),
        Err(other) => return Err(PlanError::Order(other.to_string())),
    }
    let lookup = PlanLookup {
        spec,
        context,
        state,
        pending: &pending,
    };
    let outputs = spec
        .outputs
        .values()
        .map(|o| {
            let value = o.value.render(&lookup);
            OutputChange {
                name: o.name.clone(),
                value_unknown: value.is_none().then(|| o.expression.clone()),
                value: value.filter(|_| !o.sensitive),
                sensitive: o.sensitive,
            }
        })
        .collect();
    let mut summary = Summary::default();
    for change in &changes {
        match change.action {
            Action::Create if change.import_id.is_some() => summary.import += 1,
            Action::Create => summary.create += 1,
            Action::Update => summary.update += 1,
            Action::Replace => summary.replace += 1,
            Action::Delete => summary.delete += 1,
            Action::NoOp if change.deposed.is_empty() => summary.no_op += 1,
            Action::NoOp => {}
            Action::Forget => summary.forget += 1,
        }
        summary.moved += usize::from(change.moved_from.is_some());
        summary.delete += change.deposed.len();
    }
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        stack: spec.stack.name.clone(),
        region: spec.stack.region.clone(),
        prior_state: state.map(|s| StateRef {
            lineage: s.lineage.clone(),
            serial: s.serial,
        }),
        reads: reads::changes(spec, &context.existing, state),
        changes,
        outputs,
        summary,
        spec_source: None,
        variables: planned_variables(spec),
        selection: context.selection.clone(),
        left_out,
        stack_refs: spec.stack_ref_uses.clone(),
    })
}

/// The variable values a plan records: sensitive ones as digests.
pub fn planned_variables(spec: &Spec) -> BTreeMap<String, PlannedVariable> {
    spec.variables
        .values()
        .filter_map(|v| {
            let value = v.recorded()?;
            Some((
                v.name.clone(),
                PlannedVariable {
                    value,
                    sensitive: v.sensitive,
                },
            ))
        })
        .collect()
}

/// Settings that steer agentfs and are recorded with the resource (never sent to AWS): a change
/// to them is an update that makes no call, so that what destroy honours is what the spec says.
fn recorded_settings_changes(
    recorded: &crate::state::ResourceState,
    resource: &crate::spec::Resource,
) -> Vec<AttributeChange> {
    let mut changes = Vec::new();
    if recorded.prevent_destroy != resource.lifecycle.prevent_destroy {
        changes.push(setting_change(
            "lifecycle.prevent_destroy",
            Value::Bool(recorded.prevent_destroy),
            Value::Bool(resource.lifecycle.prevent_destroy),
        ));
    }
    let wanted = resource.timeouts.delete.map(|t| t.as_secs());
    if recorded.delete_timeout != wanted {
        let seconds = |t: Option<u64>| t.map_or(Value::Null, |t| Value::String(format!("{t}s")));
        changes.push(setting_change(
            "timeouts.delete",
            seconds(recorded.delete_timeout),
            seconds(wanted),
        ));
    }
    changes
}

fn setting_change(path: &str, before: Value, after: Value) -> AttributeChange {
    AttributeChange {
        path: path.into(),
        before: (!before.is_null()).then_some(before),
        after: (!after.is_null()).then_some(after),
        after_unknown: None,
        forces_replacement: false,
        sensitive: false,
    }
}

/// Marks the changes whose address has deposed copies to delete; a deposed copy of an address
/// that neither the spec nor the state holds any more gets a change of its own.
fn attach_deposed(changes: &mut Vec<ResourceChange>, state: &State) {
    for (addr, copies) in &state.deposed {
        let ids: Vec<String> = copies
            .iter()
            .map(|c| c.id.clone().unwrap_or_else(|| "-".into()))
            .collect();
        if let Some(change) = changes.iter_mut().find(|c| &c.address == addr) {
            change.deposed = ids;
            continue;
        }
        changes.push(ResourceChange {
            address: addr.clone(),
            kind: addr.kind,
            group: addr.kind.group(),
            action: Action::NoOp,
            wave: 0,
            reasons: Vec::new(),
            depends_on: Vec::new(),
            attributes: Vec::new(),
            create_before_destroy: false,
            deposed: ids,
            late: Vec::new(),
            moved_from: None,
            import_id: None,
        });
    }
}

/// Resources recorded in state but gone from the spec, dependents first.
fn deletions(spec: &Spec, state: &State) -> Result<Vec<ResourceChange>, PlanError> {
    let removed: Vec<(&Addr, &crate::state::ResourceState)> = state
        .resources
        .iter()
        .filter(|(a, _)| !spec.resources.contains_key(*a))
        .collect();
    let removed_set: HashSet<&Addr> = removed.iter().map(|(a, _)| *a).collect();
    let nodes = removed.iter().map(|(a, r)| {
        (
            (*a).clone(),
            r.deps.iter().filter(|d| removed_set.contains(d)).cloned().collect(),
        )
    });
    let order: Vec<Addr> = match Graph::new(nodes) {
        Ok(g) => g.destroy_order().cloned().collect(),
        Err(_) => removed.iter().map(|(a, _)| (*a).clone()).collect(),
    };
    let mut changes = Vec::new();
    for addr in order {
        let recorded = &state.resources[&addr];
        if recorded.prevent_destroy {
            return Err(PlanError::PreventDestroy {
                addr,
                action: "delete",
                because: " (it was removed from the spec)".into(),
            });
        }
        let reasons = std::iter::once("no longer in the spec".to_string())
            .chain(addr.kind.deletion_note(&recorded.config))
            .collect();
        changes.push(ResourceChange {
            kind: addr.kind,
            group: addr.kind.group(),
            address: addr,
            action: Action::Delete,
            wave: 0,
            reasons,
            depends_on: recorded.deps.clone(),
            attributes: Vec::new(),
            create_before_destroy: false,
            deposed: Vec::new(),
            late: Vec::new(),
            moved_from: None,
            import_id: None,
        });
    }
    Ok(changes)
}

/// Every recorded resource as a delete, dependents first: what `destroy` runs and
/// `plan --destroy` shows. `wave` is the depth from the end: wave 0 has no recorded dependents
/// and goes first.
pub fn destroy_changes(state: &State) -> Vec<ResourceChange> {
    let nodes = state.resources.iter().map(|(addr, r)| {
        let deps = r
            .deps
            .iter()
            .filter(|d| state.resources.contains_key(*d))
            .cloned()
            .collect();
        (addr.clone(), deps)
    });
    let order: Vec<Addr> = match Graph::new(nodes) {
        Ok(graph) => graph.destroy_order().cloned().collect(),
        // A recorded cycle cannot come from a spec; keep the state's order rather than fail.
        Err(_) => state.resources.keys().rev().cloned().collect(),
    };
    let mut waves: HashMap<&Addr, usize> = HashMap::new();
    for addr in &order {
        let wave = state
            .resources
            .iter()
            .filter(|(_, r)| r.deps.contains(addr))
            .filter_map(|(dependent, _)| waves.get(dependent).map(|w| w + 1))
            .max()
            .unwrap_or(0);
        waves.insert(addr, wave);
    }
    let mut changes: Vec<ResourceChange> = order
        .iter()
        .map(|addr| ResourceChange {
            address: addr.clone(),
            kind: addr.kind,
            group: addr.kind.group(),
            action: Action::Delete,
            wave: waves[addr],
            reasons: addr
                .kind
                .deletion_note(&state.resources[addr].config)
                .into_iter()
                .collect(),
            depends_on: state.resources[addr].deps.clone(),
            attributes: Vec::new(),
            create_before_destroy: false,
            deposed: Vec::new(),
            late: Vec::new(),
            moved_from: None,
            import_id: None,
        })
        .collect();
    attach_deposed(&mut changes, state);
    changes
}

/// The configuration as recorded and compared: sensitive values become digests. `extra` are
/// the fields sensitive variables reach ([`crate::spec::Resource::sensitive`]).
pub fn config_json(spec: &ResourceSpec, extra: &[String]) -> Value {
    let mut json = serde_json::to_value(spec).unwrap_or_default();
    for path in spec.sensitive_paths().iter().chain(extra) {
        if let Some(value) = value_at(&mut json, path) {
            let text = match &*value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            *value = Value::String(redact(&text));
        }
    }
    json
}

/// The value at a path as [`flatten`] writes it (`environment_variables.TOKEN`, `ingress[0].cidr`).
fn value_at<'v>(json: &'v mut Value, path: &str) -> Option<&'v mut Value> {
    path.split('.').try_fold(json, |value, segment| {
        let mut parts = segment.split('[');
        let key = parts.next().unwrap_or_default();
        let mut value = if key.is_empty() { value } else { value.get_mut(key)? };
        for index in parts {
            value = value.get_mut(index.strip_suffix(']')?.parse::<usize>().ok()?)?;
        }
        Some(value)
    })
}

pub use crate::lang::kind::redact;

fn sensitive_paths(spec: &ResourceSpec) -> HashSet<String> {
    spec.sensitive_paths().into_iter().collect()
}

/// Flattens a config to `path -> leaf`; lists of scalars stay whole.
pub fn flatten(value: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    flatten_into(value, "", &mut out);
    out
}

fn flatten_into(value: &Value, path: &str, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten_into(v, &child, out);
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            for (i, v) in items.iter().enumerate() {
                flatten_into(v, &format!("{path}[{i}]"), out);
            }
        }
        other => {
            out.insert(path.to_string(), other.clone());
        }
    }
}

/// Whether a change at `path` is agentfs's business only (no AWS call): the kind's local-only
/// fields, and the lifecycle settings and timeouts every resource has.
pub fn is_local_only(kind: Kind, path: &str) -> bool {
    path.starts_with("lifecycle.") || path.starts_with("timeouts.") || kind.local_only().contains(&top_field(path))
}

fn top_field(path: &str) -> &str {
    path.split(['.', '[']).next().unwrap_or(path)
}

/// What is known only after apply at `path`: the expression of a scalar, or for a list of
/// scalars with unknown items, every item's expression (null for the known ones) and the list
/// as far as it is known (null for the unknown items).
fn unknown_at(path: &str, value: Option<&Value>, unknown: &BTreeMap<&str, &str>) -> Option<(Value, Option<Value>)> {
    if let Some(expression) = unknown.get(path) {
        return Some((Value::String((*expression).to_string()), None));
    }
    let items = value?.as_array()?;
    let expressions: Vec<Value> = (0..items.len())
        .map(|i| {
            unknown
                .get(format!("{path}[{i}]").as_str())
                .map_or(Value::Null, |e| Value::String((*e).to_string()))
        })
        .collect();
    if expressions.iter().all(Value::is_null) {
        return None;
    }
    let known = items
        .iter()
        .zip(&expressions)
        .map(|(item, e)| if e.is_null() { item.clone() } else { Value::Null })
        .collect();
    Some((Value::Array(expressions), Some(Value::Array(known))))
}

fn all_attributes(
    desired: &Value,
    unknown: &BTreeMap<&str, &str>,
    sensitive: &HashSet<String>,
) -> Vec<AttributeChange> {
    flatten(desired)
        .into_iter()
        .map(|(path, value)| {
            let is_sensitive = sensitive.contains(&path);
            let (after, after_unknown) = match unknown_at(&path, Some(&value), unknown) {
                Some((expressions, known)) => (known, Some(expressions)),
                None => (Some(value), None),
            };
            AttributeChange {
                after: after.filter(|_| !is_sensitive),
                after_unknown,
                before: None,
                forces_replacement: false,
                sensitive: is_sensitive,
                path,
            }
        })
        .collect()
}

/// Per-attribute differences between the recorded and the desired configuration.
pub fn diff(
    recorded: &Value,
    desired: &Value,
    unknown: &BTreeMap<&str, &str>,
    sensitive: &HashSet<String>,
    kind: Kind,
    ignore: &[String],
) -> Vec<AttributeChange> {
    let before = flatten(&kind.normalise(recorded.clone()));
    let after = flatten(&kind.normalise(desired.clone()));
    let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let triggers = kind.replace_on();
    paths
        .into_iter()
        .filter(|path| {
            !ignore
                .iter()
                .any(|i| top_field(path) == i || path.starts_with(&format!("{i}.")))
        })
        .filter_map(|path| {
            let old = before.get(path);
            let new = after.get(path);
            let unknown_here = unknown_at(path, new, unknown);
            if unknown_here.is_none() && old == new {
                return None;
            }
            let is_sensitive = sensitive.contains(path);
            let (after, after_unknown) = match unknown_here {
                Some((expressions, known)) => (known, Some(expressions)),
                None => (new.cloned(), None),
            };
            Some(AttributeChange {
                path: path.clone(),
                before: old.filter(|_| !is_sensitive).cloned(),
                after: after.filter(|_| !is_sensitive),
                after_unknown,
                forces_replacement: triggers.contains(&top_field(path)),
                sensitive: is_sensitive,
            })
        })
        .collect()
}

/// Depth of each resource in the graph (0 = depends on nothing).
pub fn waves(graph: &Graph) -> HashMap<Addr, usize> {
    let mut wave: HashMap<Addr, usize> = HashMap::with_capacity(graph.len());
    for addr in graph.create_order() {
        let depth = graph.dependencies(addr).iter().map(|d| wave[*d] + 1).max().unwrap_or(0);
        wave.insert(addr.clone(), depth);
    }
    wave
}

#[cfg(test)]
mod tests;
