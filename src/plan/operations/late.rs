//! Late references (security groups that name each other): a resource made without its late
//! references is completed once what they name exists; a deleted resource whose late
//! references name another deleted one has them taken out (detached) before either goes,
//! since AWS refuses to delete a security group another group's rule names.

use super::{Op, Steps};

pub(super) fn edges(steps: &Steps<'_>) -> Vec<(Op, Op)> {
    let mut edges = Vec::new();
    for &addr in &steps.deleted {
        edges.extend(
            steps
                .detached
                .iter()
                .filter(|other| **other == addr || steps.late(other).contains(addr))
                .map(|other| (Op::Delete(addr.clone()), Op::Detach((*other).clone()))),
        );
    }
    for change in &steps.completed {
        let complete = Op::Complete(change.address.clone());
        edges.push((complete.clone(), Op::Apply(change.address.clone())));
        edges.extend(
            change
                .late
                .iter()
                .filter(|l| steps.applied.contains(l))
                .map(|l| (complete.clone(), Op::Apply(l.clone()))),
        );
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::super::tests::{addr, change, edges_of, state};
    use crate::plan::Action;
    use crate::state::State;

    #[test]
    fn groups_naming_each_other_are_completed_after_both_and_detached_before_either_goes() {
        let mut app = change("security_group.app", Action::Create, &[]);
        app.late = vec![addr("security_group.db")];
        let db = change("security_group.db", Action::Create, &["security_group.app"]);
        let made = edges_of(super::edges, &[app, db], &State::new("s", "us-east-1"));
        assert_eq!(
            made,
            [
                "complete security_group.app <- security_group.app",
                "complete security_group.app <- security_group.db",
            ]
        );
    }

    #[test]
    fn deleting_groups_that_name_each_other_detaches_the_late_rule_first() {
        let mut recorded = state(&[
            ("security_group.app", &[]),
            ("security_group.db", &["security_group.app"]),
        ]);
        recorded.resources.get_mut(&addr("security_group.app")).unwrap().late = vec![addr("security_group.db")];
        let changes = [
            change("security_group.db", Action::Delete, &[]),
            change("security_group.app", Action::Delete, &[]),
        ];
        assert_eq!(
            edges_of(super::edges, &changes, &recorded),
            [
                "delete security_group.app <- detach security_group.app",
                "delete security_group.db <- detach security_group.app",
            ]
        );
    }
}
