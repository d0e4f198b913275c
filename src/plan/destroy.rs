//! The destroy plan: what `agentfs destroy` deletes and `agentfs plan --destroy` shows.

use super::targeting::{self, Selection};
use super::{Action, PLAN_FORMAT_VERSION, Plan, PlanError, StateRef, Summary, destroy_changes, reads};
use crate::lang::Addr;
use crate::state::State;

/// What destroy deletes: every recorded resource, dependents first, as a plan (format 1) whose
/// every action is `delete`. `wave` is the depth from the end: wave 0 has no recorded
/// dependents and goes first. Refused when a resource has `lifecycle.prevent_destroy`.
pub fn destroy_plan(state: &State, selection: &Selection) -> Result<Plan, PlanError> {
    let scope = targeting::destroy_scope(state, selection)?;
    let in_scope = |addr: &Addr| scope.as_ref().is_none_or(|s| s.contains(addr));
    if let Some((addr, _)) = state
        .resources
        .iter()
        .find(|(addr, r)| r.prevent_destroy && in_scope(addr))
    {
        return Err(PlanError::PreventDestroy {
            addr: addr.clone(),
            action: "delete",
            because: " (the whole stack is being destroyed)".into(),
        });
    }
    let mut changes = destroy_changes(state);
    changes.retain(|c| in_scope(&c.address));
    let left_out = match &scope {
        Some(scope) => targeting::left_out(state.resources.keys(), scope),
        None => Vec::new(),
    };
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        stack: state.stack.clone(),
        region: state.region.clone(),
        prior_state: Some(StateRef {
            lineage: state.lineage.clone(),
            serial: state.serial,
        }),
        summary: Summary {
            delete: changes
                .iter()
                .map(|c| usize::from(c.action == Action::Delete) + c.deposed.len())
                .sum(),
            ..Summary::default()
        },
        reads: state
            .reads
            .iter()
            .map(|(addr, r)| reads::ReadChange {
                address: addr.clone(),
                kind: addr.kind,
                selector: r.selector.clone(),
                id: Some(r.id.clone()),
                attributes: r.attributes.clone(),
                literal: false,
                changes: vec!["existing: not made by this stack, never deleted; its record is forgotten".into()],
            })
            .collect(),
        changes,
        outputs: Vec::new(),
        spec_source: None,
        variables: Default::default(),
        selection: selection.clone(),
        left_out,
        stack_refs: Vec::new(),
    })
}
