//! The plan as a graph of operations, the one graph apply and destroy walk.
//!
//! Two kinds of node: deleting a recorded resource, and creating or updating a resource of the
//! spec (a replace is both). Create edges follow the spec's dependencies; destroy edges make
//! dependents go before what they depend on (by the dependencies the state recorded), and a
//! resource updated in place off something being deleted moves before that goes; a replaced
//! resource is deleted before its new copy is created. Each of those rules is a pass of its
//! own ([`create`], [`replace`], [`destroy`]) that says only the edges it adds.

mod create;
mod destroy;
mod late;
mod replace;

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::{Action, ResourceChange};
use crate::graph::{Graph, GraphError};
use crate::spec::Addr;
use crate::state::State;

/// One step of an apply or a destroy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// Delete the recorded resource (removed from the spec, replaced, or destroyed).
    Delete(Addr),
    /// Create the resource, or update it in place, as the plan says.
    Apply(Addr),
    /// Delete the old copies a create-before-destroy replace leaves (deposed), once nothing
    /// uses them.
    DeleteDeposed(Addr),
    /// Complete a resource made without its late references (see
    /// [`crate::spec::Resource::late`]) once what they name exists.
    Complete(Addr),
    /// Take a recorded resource's late references out before what they name, or the resource
    /// itself, is deleted: AWS refuses to delete a security group another group's rule names.
    Detach(Addr),
}

impl Op {
    pub fn addr(&self) -> &Addr {
        match self {
            Op::Delete(addr) | Op::Apply(addr) | Op::DeleteDeposed(addr) | Op::Complete(addr) | Op::Detach(addr) => {
                addr
            }
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Delete(addr) => write!(f, "delete {addr}"),
            Op::Apply(addr) => write!(f, "{addr}"),
            Op::DeleteDeposed(addr) => write!(f, "delete the old copy of {addr}"),
            Op::Complete(addr) => write!(f, "complete {addr}"),
            Op::Detach(addr) => write!(f, "detach {addr}"),
        }
    }
}

/// The operations of `changes` (a plan's, or a destroy's) with their ordering edges; `state`
/// holds the dependencies recorded for what exists now.
pub fn operations(changes: &[ResourceChange], state: Option<&State>) -> Result<Graph<Op>, GraphError<Op>> {
    let steps = Steps::new(changes, state);
    let mut before: HashMap<Op, Vec<Op>> = HashMap::new();
    for (_, pass) in PASSES {
        for (op, first) in pass(&steps) {
            before.entry(op).or_default().push(first);
        }
    }
    let mut nodes: Vec<Op> = steps.deleted.iter().map(|&a| Op::Delete(a.clone())).collect();
    nodes.extend(steps.deposed.iter().map(|c| Op::DeleteDeposed(c.address.clone())));
    nodes.extend(steps.applied_in_order().map(|c| Op::Apply(c.address.clone())));
    nodes.extend(steps.detached.iter().map(|&a| Op::Detach(a.clone())));
    nodes.extend(steps.completed.iter().map(|c| Op::Complete(c.address.clone())));
    Graph::new(nodes.into_iter().map(|op| {
        let first = before.remove(&op).unwrap_or_default();
        (op, first)
    }))
}

/// One ordering rule: pairs of an operation and one that must finish before it.
type Pass = fn(&Steps<'_>) -> Vec<(Op, Op)>;

/// The ordering rules of operations, by name; each adds only its own edges.
const PASSES: [(&str, Pass); 4] = [
    ("create", create::edges),
    ("replace", replace::edges),
    ("destroy", destroy::edges),
    ("late", late::edges),
];

/// A plan's changes sorted into what each pass needs.
struct Steps<'a> {
    changes: &'a [ResourceChange],
    state: Option<&'a State>,
    /// Recorded resources deleted: replaced ones (not create-before-destroy) and removed ones,
    /// dependents first, so that ties start deletes in destroy order: replaced resources are
    /// listed in create order, removed ones already in destroy order.
    deleted: Vec<&'a Addr>,
    /// Changes that leave an old copy to delete once nothing uses it.
    deposed: Vec<&'a ResourceChange>,
    /// Resources created, updated or replaced.
    applied: HashSet<&'a Addr>,
    /// Resources updated in place.
    updated: Vec<&'a Addr>,
    /// Deleted resources whose late references name another deleted one: those references go
    /// first, or AWS refuses the other's delete.
    detached: Vec<&'a Addr>,
    /// Applied changes whose late references name something this plan makes: completed once
    /// that exists.
    completed: Vec<&'a ResourceChange>,
}

impl<'a> Steps<'a> {
    fn new(changes: &'a [ResourceChange], state: Option<&'a State>) -> Steps<'a> {
        let mut deleted: Vec<&Addr> = changes
            .iter()
            .rev()
            .filter(|c| c.action == Action::Replace && !c.create_before_destroy)
            .map(|c| &c.address)
            .collect();
        deleted.extend(
            changes
                .iter()
                .filter(|c| c.action == Action::Delete)
                .map(|c| &c.address),
        );
        let late = |addr: &Addr| {
            state
                .and_then(|s| s.resources.get(addr))
                .map(|r| r.late.as_slice())
                .unwrap_or_default()
        };
        let detached = deleted
            .iter()
            .copied()
            .filter(|addr| late(addr).iter().any(|l| deleted.contains(&l)))
            .collect();
        let made: HashSet<&Addr> = changes
            .iter()
            .filter(|c| matches!(c.action, Action::Create | Action::Replace))
            .map(|c| &c.address)
            .collect();
        let completed = changes
            .iter()
            .filter(|c| matches!(c.action, Action::Create | Action::Update | Action::Replace))
            .filter(|c| c.late.iter().any(|l| made.contains(l)))
            .collect();
        Steps {
            changes,
            state,
            detached,
            completed,
            deleted,
            deposed: changes
                .iter()
                .rev()
                .filter(|c| c.create_before_destroy || !c.deposed.is_empty())
                .collect(),
            applied: changes
                .iter()
                .filter(|c| matches!(c.action, Action::Create | Action::Update | Action::Replace))
                .map(|c| &c.address)
                .collect(),
            updated: changes
                .iter()
                .filter(|c| c.action == Action::Update)
                .map(|c| &c.address)
                .collect(),
        }
    }

    /// Whether `user` used `used` when it was last applied (by the dependencies state recorded).
    fn uses(&self, user: &Addr, used: &Addr) -> bool {
        self.state.is_some_and(|s| s.recorded_deps(user).any(|d| d == used))
    }

    /// Whether `user` names `used` in a late reference, as state recorded it (made without it
    /// while `used` did not exist yet, see [`crate::spec::Resource::late`]).
    fn names_late(&self, user: &Addr, used: &Addr) -> bool {
        self.late(user).contains(used)
    }

    /// The late references `addr` was recorded with.
    fn late(&self, addr: &Addr) -> &'a [Addr] {
        self.state
            .and_then(|s| s.resources.get(addr))
            .map(|r| r.late.as_slice())
            .unwrap_or_default()
    }

    /// The changes that create, update or replace, in plan order.
    fn applied_in_order(&self) -> impl Iterator<Item = &'a ResourceChange> + '_ {
        self.changes.iter().filter(|c| self.applied.contains(&c.address))
    }
}

/// Why a cycle of operations cannot be run, in the user's terms.
pub fn explain(cycle: &[Op]) -> String {
    let replaced = cycle.iter().find_map(|op| match op {
        Op::Delete(addr) if cycle.contains(&Op::Apply(addr.clone())) => Some(addr),
        _ => None,
    });
    let user = cycle.iter().find_map(|op| match op {
        Op::Apply(addr) if Some(addr) != replaced && !cycle.contains(&Op::Delete(addr.clone())) => Some(addr),
        _ => None,
    });
    match (replaced, user) {
        (Some(old), Some(user)) => format!(
            "replacing `{old}` cannot finish: `{user}` still uses it and can only move to the new copy once that exists, \
             while the old copy can only go once nothing uses it. Do it in two applies: declare the new resource under \
             another name and point `{user}` at it, apply; then remove `{old}` and apply again"
        ),
        _ => {
            let names: Vec<String> = cycle.iter().map(|op| op.to_string()).collect();
            format!("the operations wait on each other: {}", names.join(" -> "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, ResourceChange};
    use crate::spec::Group;
    use crate::state::{Phase, ResourceState};

    pub(super) fn addr(text: &str) -> Addr {
        text.parse().unwrap()
    }

    /// Each edge a pass adds, as text (`op <- what goes first`), sorted.
    pub(super) fn edges_of(pass: Pass, changes: &[ResourceChange], state: &State) -> Vec<String> {
        let mut edges: Vec<String> = pass(&Steps::new(changes, Some(state)))
            .into_iter()
            .map(|(op, first)| format!("{op} <- {first}"))
            .collect();
        edges.sort();
        edges
    }

    /// Every kind of step at once: `subnet.a` replaced (and `route_table_association.a`, which
    /// uses it), `route_table.old` removed, `agentcore_runtime.agent` updated off both, and
    /// `security_group.sg` replaced create-before-destroy.
    pub(super) fn mixed() -> (Vec<ResourceChange>, State) {
        let mut sg = change("security_group.sg", Action::Replace, &[]);
        sg.create_before_destroy = true;
        let changes = vec![
            change("vpc.main", Action::NoOp, &[]),
            change("subnet.a", Action::Replace, &["vpc.main"]),
            change("route_table_association.a", Action::Replace, &["subnet.a"]),
            sg,
            change("agentcore_runtime.agent", Action::Update, &["security_group.sg"]),
            change("route_table.old", Action::Delete, &[]),
        ];
        let recorded = state(&[
            ("vpc.main", &[]),
            ("subnet.a", &["vpc.main"]),
            ("route_table_association.a", &["subnet.a", "route_table.old"]),
            ("security_group.sg", &["vpc.main"]),
            (
                "agentcore_runtime.agent",
                &["subnet.a", "security_group.sg", "route_table.old"],
            ),
            ("route_table.old", &[]),
        ]);
        (changes, recorded)
    }

    pub(super) fn change(address: &str, action: Action, depends_on: &[&str]) -> ResourceChange {
        let address = addr(address);
        ResourceChange {
            kind: address.kind,
            group: Group::Network,
            address,
            action,
            wave: 0,
            reasons: Vec::new(),
            depends_on: depends_on.iter().map(|d| addr(d)).collect(),
            attributes: Vec::new(),
            create_before_destroy: false,
            deposed: Vec::new(),
            late: Vec::new(),
            moved_from: None,
            import_id: None,
        }
    }

    pub(super) fn state(recorded: &[(&str, &[&str])]) -> State {
        let mut state = State::new("s", "us-east-1");
        for (address, deps) in recorded {
            state.resources.insert(
                addr(address),
                ResourceState {
                    phase: Phase::Created,
                    id: Some("id".into()),
                    attributes: Default::default(),
                    config: serde_json::json!({}),
                    deps: deps.iter().map(|d| addr(d)).collect(),
                    late: Vec::new(),
                    generation: 0,
                    prevent_destroy: false,
                    delete_timeout: None,
                    failed: None,
                },
            );
        }
        state
    }

    #[test]
    fn a_replace_deletes_dependents_first_and_creates_in_dependency_order() {
        let changes = [
            change("vpc.main", Action::NoOp, &[]),
            change("subnet.a", Action::Replace, &["vpc.main"]),
            change("route_table_association.a", Action::Replace, &["subnet.a"]),
            change("route_table.old", Action::Delete, &[]),
        ];
        let recorded = state(&[
            ("vpc.main", &[]),
            ("subnet.a", &["vpc.main"]),
            ("route_table_association.a", &["subnet.a", "route_table.old"]),
            ("route_table.old", &[]),
        ]);
        let graph = operations(&changes, Some(&recorded)).unwrap();
        let order: Vec<String> = graph.create_order().map(|op| op.to_string()).collect();
        let at = |name: &str| {
            order
                .iter()
                .position(|o| o == name)
                .unwrap_or_else(|| panic!("{name} in {order:?}"))
        };
        assert!(at("delete route_table_association.a") < at("delete subnet.a"));
        assert!(at("delete route_table_association.a") < at("delete route_table.old"));
        assert!(at("delete subnet.a") < at("subnet.a"));
        assert!(at("subnet.a") < at("route_table_association.a"));
        assert!(!order.iter().any(|o| o.contains("vpc.main")), "{order:?}");
    }

    #[test]
    fn an_update_that_moves_off_a_deleted_resource_goes_first() {
        let changes = [
            change("agentcore_runtime.agent", Action::Update, &["subnet.b"]),
            change("subnet.a", Action::Delete, &[]),
        ];
        let recorded = state(&[
            ("agentcore_runtime.agent", &["subnet.a", "subnet.b"]),
            ("subnet.a", &[]),
        ]);
        let graph = operations(&changes, Some(&recorded)).unwrap();
        let order: Vec<String> = graph.create_order().map(|op| op.to_string()).collect();
        assert_eq!(order, ["agentcore_runtime.agent", "delete subnet.a"]);
    }

    #[test]
    fn replacing_what_an_in_place_update_uses_is_a_named_cycle() {
        let changes = [
            change("subnet.a", Action::Replace, &[]),
            change("agentcore_runtime.agent", Action::Update, &["subnet.a"]),
        ];
        let recorded = state(&[("subnet.a", &[]), ("agentcore_runtime.agent", &["subnet.a"])]);
        let Err(GraphError::Cycle(cycle)) = operations(&changes, Some(&recorded)) else {
            panic!("expected a cycle");
        };
        let text = explain(&cycle.0);
        assert!(text.contains("replacing `subnet.a`"), "{text}");
        assert!(text.contains("`agentcore_runtime.agent` still uses it"), "{text}");
    }
}
