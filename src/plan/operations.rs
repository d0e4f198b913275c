//! The plan as a graph of operations, the one graph apply and destroy walk.
//!
//! Two kinds of node: deleting a recorded resource, and creating or updating a resource of the
//! spec (a replace is both). Create edges follow the spec's dependencies; destroy edges make
//! dependents go before what they depend on (by the dependencies the state recorded), and a
//! resource updated in place off something being deleted moves before that goes; a replaced
//! resource is deleted before its new copy is created.

use std::collections::HashSet;
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
    let uses = |user: &Addr, used: &Addr| state.is_some_and(|s| s.recorded_deps(user).any(|d| d == used));
    // An update also moves off what its late references name (it is made without them while
    // their target is replaced); deletes are ordered around those by `Detach` instead.
    let names = |user: &Addr, used: &Addr| {
        uses(user, used) || state.is_some_and(|s| s.resources.get(user).is_some_and(|r| r.late.contains(used)))
    };
    // Dependents first, so that ties start deletes in destroy order: replaced resources are
    // listed in create order, removed ones already in destroy order.
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
    let deposed: Vec<&ResourceChange> = changes
        .iter()
        .rev()
        .filter(|c| c.create_before_destroy || !c.deposed.is_empty())
        .collect();
    let applied: HashSet<&Addr> = changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Update | Action::Replace))
        .map(|c| &c.address)
        .collect();
    let updated: Vec<&Addr> = changes
        .iter()
        .filter(|c| c.action == Action::Update)
        .map(|c| &c.address)
        .collect();
    // An old copy goes once everything that used it is gone or has moved off it.
    let moved_off = |addr: &Addr| -> Vec<Op> {
        let mut before: Vec<Op> = deleted
            .iter()
            .filter(|other| uses(other, addr))
            .map(|other| Op::Delete((*other).clone()))
            .collect();
        before.extend(
            updated
                .iter()
                .filter(|other| names(other, addr))
                .map(|other| Op::Apply((*other).clone())),
        );
        before.extend(
            deposed
                .iter()
                .filter(|other| &other.address != addr && uses(&other.address, addr))
                .map(|other| Op::DeleteDeposed(other.address.clone())),
        );
        before
    };
    let late = |addr: &Addr| -> Vec<Addr> {
        state
            .and_then(|s| s.resources.get(addr))
            .map(|r| r.late.clone())
            .unwrap_or_default()
    };
    // Deleted resources whose late references name another deleted one: those references go
    // first, or AWS refuses the other's delete.
    let detached: Vec<&Addr> = deleted
        .iter()
        .copied()
        .filter(|addr| late(addr).iter().any(|l| deleted.contains(&l)))
        .collect();
    let mut nodes: Vec<(Op, Vec<Op>)> = Vec::with_capacity(changes.len() * 2);
    for &addr in &deleted {
        let mut before = moved_off(addr);
        before.extend(
            detached
                .iter()
                .filter(|other| **other == addr || late(other).contains(addr))
                .map(|other| Op::Detach((*other).clone())),
        );
        nodes.push((Op::Delete(addr.clone()), before));
    }
    for &addr in &detached {
        nodes.push((Op::Detach(addr.clone()), Vec::new()));
    }
    let made: HashSet<&Addr> = changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Replace))
        .map(|c| &c.address)
        .collect();
    for change in changes.iter().filter(|c| applied.contains(&c.address)) {
        let waits: Vec<Op> = change
            .late
            .iter()
            .filter(|l| made.contains(l))
            .map(|l| Op::Apply(l.clone()))
            .collect();
        if !waits.is_empty() {
            let mut before = waits;
            before.push(Op::Apply(change.address.clone()));
            nodes.push((Op::Complete(change.address.clone()), before));
        }
    }
    for change in &deposed {
        let mut before = moved_off(&change.address);
        if change.create_before_destroy {
            before.push(Op::Apply(change.address.clone()));
        }
        nodes.push((Op::DeleteDeposed(change.address.clone()), before));
    }
    for change in changes.iter().filter(|c| applied.contains(&c.address)) {
        let mut before: Vec<Op> = change
            .depends_on
            .iter()
            .filter(|d| applied.contains(d))
            .map(|d| Op::Apply(d.clone()))
            .collect();
        if change.action == Action::Replace && !change.create_before_destroy {
            before.push(Op::Delete(change.address.clone()));
        }
        nodes.push((Op::Apply(change.address.clone()), before));
    }
    Graph::new(nodes)
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

    fn addr(text: &str) -> Addr {
        text.parse().unwrap()
    }

    fn change(address: &str, action: Action, depends_on: &[&str]) -> ResourceChange {
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

    fn state(recorded: &[(&str, &[&str])]) -> State {
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
