//! Destroy order: a recorded resource (or the old copy a create-before-destroy replace leaves)
//! is deleted only once everything that used it, by the dependencies state recorded, is
//! deleted or has moved off it (updated in place, or its own old copy deleted).

use super::{Addr, Op, Steps};

pub(super) fn edges(steps: &Steps<'_>) -> Vec<(Op, Op)> {
    let mut edges = Vec::new();
    for &addr in &steps.deleted {
        edges.extend(
            moved_off(steps, addr)
                .into_iter()
                .map(|first| (Op::Delete(addr.clone()), first)),
        );
    }
    for change in &steps.deposed {
        let addr = &change.address;
        edges.extend(
            moved_off(steps, addr)
                .into_iter()
                .map(|first| (Op::DeleteDeposed(addr.clone()), first)),
        );
    }
    edges
}

/// What must finish before `addr` can go: every user of it deleted, updated or rid of its old copy.
fn moved_off(steps: &Steps<'_>, addr: &Addr) -> Vec<Op> {
    let mut before: Vec<Op> = steps
        .deleted
        .iter()
        .filter(|other| steps.uses(other, addr))
        .map(|other| Op::Delete((*other).clone()))
        .collect();
    before.extend(
        steps
            .updated
            .iter()
            // An update also moves off what its late references name (it is made without them
            // while their target is replaced); deletes are ordered around those by `Detach`.
            .filter(|other| steps.uses(other, addr) || steps.names_late(other, addr))
            .map(|other| Op::Apply((*other).clone())),
    );
    before.extend(
        steps
            .deposed
            .iter()
            .filter(|other| &other.address != addr && steps.uses(&other.address, addr))
            .map(|other| Op::DeleteDeposed(other.address.clone())),
    );
    before
}

#[cfg(test)]
mod tests {
    use super::super::tests::{edges_of, mixed};

    #[test]
    fn deletes_wait_for_every_recorded_user_to_go_or_move_off() {
        let (changes, state) = mixed();
        assert_eq!(
            edges_of(super::edges, &changes, &state),
            [
                "delete route_table.old <- agentcore_runtime.agent",
                "delete route_table.old <- delete route_table_association.a",
                "delete subnet.a <- agentcore_runtime.agent",
                "delete subnet.a <- delete route_table_association.a",
                "delete the old copy of security_group.sg <- agentcore_runtime.agent",
            ]
        );
    }
}
