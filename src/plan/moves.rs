//! What `[[moved]]` and `[[removed]]` do to the recorded state a plan is computed against:
//! moved records take their new address, removed ones leave the state. The plan is computed
//! against the result, and apply records the same before anything else.

use crate::spec::Spec;
use crate::spec::{Addr, blocks::Moved};
use crate::state::{MoveError, State};

use super::PlanError;

/// The moves and removals that apply to `state`.
#[derive(Debug, Default)]
pub struct Prepared {
    /// The state after them, when there was anything to do.
    pub state: Option<State>,
    /// `(from, to)` of every record moved.
    pub moved: Vec<(Addr, Addr)>,
    /// Every record forgotten.
    pub removed: Vec<Addr>,
}

/// Applies the spec's blocks to a copy of `state`. A move whose source is gone and whose
/// target is recorded was done by an earlier apply; one with neither recorded is an error
/// (a typo would otherwise pass unnoticed), as is a move onto a recorded address. With no state
/// at all there is nothing to move: a new stack from the same spec.
pub fn prepare(spec: &Spec, state: Option<&State>) -> Result<Prepared, PlanError> {
    let Some(state) = state else {
        return Ok(Prepared::default());
    };
    let mut prepared = Prepared::default();
    let mut next = state.clone();
    for Moved { from, to, field } in &spec.moved {
        let done =
            !next.resources.contains_key(from) && !next.deposed.contains_key(from) && next.resources.contains_key(to);
        if done {
            continue;
        }
        next.move_resource(from, to).map_err(|e| {
            let help = match e {
                MoveError::Missing { .. } => {
                    format!(" (nor is `{to}`, as it would be once moved); check the name, or remove the block")
                }
                MoveError::Taken { .. } => " (remove one of them with `agentfs state rm`, or the block)".to_string(),
                MoveError::Kind { .. } => String::new(),
            };
            PlanError::Moved(format!("{field}: {e}{help}"))
        })?;
        prepared.moved.push((from.clone(), to.clone()));
    }
    for removed in &spec.removed {
        if next.resources.remove(&removed.from).is_some() {
            prepared.removed.push(removed.from.clone());
        }
    }
    if !prepared.moved.is_empty() || !prepared.removed.is_empty() {
        prepared.state = Some(next);
    }
    Ok(prepared)
}
