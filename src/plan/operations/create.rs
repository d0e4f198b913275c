//! Create order: a resource is created or updated after the resources it depends on that this
//! plan creates, updates or replaces.

use super::{Op, Steps};

pub(super) fn edges(steps: &Steps<'_>) -> Vec<(Op, Op)> {
    steps
        .applied_in_order()
        .flat_map(|change| {
            change
                .depends_on
                .iter()
                .filter(|d| steps.applied.contains(d))
                .map(|d| (Op::Apply(change.address.clone()), Op::Apply(d.clone())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{edges_of, mixed};

    #[test]
    fn what_is_applied_waits_only_for_applied_dependencies() {
        let (changes, state) = mixed();
        assert_eq!(
            edges_of(super::edges, &changes, &state),
            [
                "agentcore_runtime.agent <- security_group.sg",
                "route_table_association.a <- subnet.a",
            ]
        );
    }
}
