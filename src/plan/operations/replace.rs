//! Replace order: a replaced resource is deleted before its new copy is created, unless it is
//! replaced create-before-destroy: then its old copy goes only after the new one exists.

use super::{Action, Op, Steps};

pub(super) fn edges(steps: &Steps<'_>) -> Vec<(Op, Op)> {
    let delete_first = steps
        .changes
        .iter()
        .filter(|c| c.action == Action::Replace && !c.create_before_destroy)
        .map(|c| (Op::Apply(c.address.clone()), Op::Delete(c.address.clone())));
    let create_first = steps
        .deposed
        .iter()
        .filter(|c| c.create_before_destroy)
        .map(|c| (Op::DeleteDeposed(c.address.clone()), Op::Apply(c.address.clone())));
    delete_first.chain(create_first).collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{edges_of, mixed};

    #[test]
    fn each_replace_orders_its_own_old_and_new_copy_only() {
        let (changes, state) = mixed();
        assert_eq!(
            edges_of(super::edges, &changes, &state),
            [
                "delete the old copy of security_group.sg <- security_group.sg",
                "route_table_association.a <- delete route_table_association.a",
                "subnet.a <- delete subnet.a",
            ]
        );
    }
}
