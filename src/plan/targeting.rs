//! `--target`, `--exclude` and `--replace`: which resources a plan or a destroy touches.
//!
//! A target brings what it depends on (it cannot be made without it), or for destroy what
//! depends on it (that cannot outlive it); an exclusion takes what depends on it along (it
//! cannot be applied without it), or for destroy what it depends on. Every address given must
//! be the spec's or the state's: a typo would otherwise plan nothing, silently.

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use super::PlanError;
use crate::graph::Graph;
use crate::spec::{Addr, Spec};
use crate::state::State;

/// The resources a run is limited to, and those it must replace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Addr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excludes: Vec<Addr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<Addr>,
}

impl Selection {
    /// Addresses as given on the command line; a malformed one is an error.
    pub fn parse(targets: &[String], excludes: &[String], replace: &[String]) -> Result<Selection, PlanError> {
        let parse = |list: &[String], flag: &str| -> Result<Vec<Addr>, PlanError> {
            list.iter()
                .map(|text| {
                    text.parse::<Addr>()
                        .map_err(|e| PlanError::Target(format!("{flag} {text}: {e}")))
                })
                .collect()
        };
        Ok(Selection {
            targets: parse(targets, "--target")?,
            excludes: parse(excludes, "--exclude")?,
            replace: parse(replace, "--replace")?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.excludes.is_empty() && self.replace.is_empty()
    }

    /// Whether the run is limited (a replace alone limits nothing).
    pub fn limits(&self) -> bool {
        !self.targets.is_empty() || !self.excludes.is_empty()
    }
}

/// What a plan may change under `selection`, or `None` when it is not limited.
pub fn apply_scope(
    spec: &Spec,
    graph: &Graph,
    state: Option<&State>,
    selection: &Selection,
) -> Result<Option<HashSet<Addr>>, PlanError> {
    let recorded = |addr: &Addr| state.is_some_and(|s| s.resources.contains_key(addr));
    for (flag, list) in [("--target", &selection.targets), ("--exclude", &selection.excludes)] {
        if let Some(unknown) = list.iter().find(|a| !spec.resources.contains_key(*a) && !recorded(a)) {
            return Err(PlanError::Target(format!(
                "{flag} {unknown}: no such resource in the spec or the state"
            )));
        }
    }
    if let Some(unknown) = selection.replace.iter().find(|a| !spec.resources.contains_key(*a)) {
        return Err(PlanError::Target(format!(
            "--replace {unknown}: no such resource in the spec"
        )));
    }
    if !selection.limits() {
        return Ok(None);
    }
    // Removed from the spec: ordered by what the state recorded.
    let removed_dependents = |addr: &Addr| -> Vec<Addr> {
        state
            .map(|s| {
                s.resources
                    .iter()
                    .filter(|(a, r)| !spec.resources.contains_key(*a) && r.deps.contains(addr))
                    .map(|(a, _)| a.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut scope: HashSet<Addr> = if selection.targets.is_empty() {
        spec.resources
            .keys()
            .cloned()
            .chain(state.into_iter().flat_map(|s| s.resources.keys().cloned()))
            .collect()
    } else {
        closure(&selection.targets, |addr| {
            let mut next: Vec<Addr> = graph.dependencies(addr).into_iter().cloned().collect();
            if !spec.resources.contains_key(addr) {
                next.extend(removed_dependents(addr));
            }
            next
        })
    };
    let excluded = closure(&selection.excludes, |addr| {
        let mut next: Vec<Addr> = graph.dependents(addr).into_iter().cloned().collect();
        next.extend(removed_dependents(addr));
        next
    });
    scope.retain(|a| !excluded.contains(a));
    Ok(Some(scope))
}

/// What a destroy deletes under `selection`, or `None` for everything.
pub fn destroy_scope(state: &State, selection: &Selection) -> Result<Option<HashSet<Addr>>, PlanError> {
    for (flag, list) in [("--target", &selection.targets), ("--exclude", &selection.excludes)] {
        if let Some(unknown) = list.iter().find(|a| !state.resources.contains_key(*a)) {
            return Err(PlanError::Target(format!("{flag} {unknown}: not in the state")));
        }
    }
    if !selection.limits() {
        return Ok(None);
    }
    let dependents = |addr: &Addr| -> Vec<Addr> {
        state
            .resources
            .iter()
            .filter(|(_, r)| r.deps.contains(addr) || r.late.contains(addr))
            .map(|(a, _)| a.clone())
            .collect()
    };
    let mut scope: HashSet<Addr> = if selection.targets.is_empty() {
        state.resources.keys().cloned().collect()
    } else {
        closure(&selection.targets, dependents)
    };
    let kept = closure(&selection.excludes, |addr| {
        state.resources.get(addr).map(|r| r.deps.clone()).unwrap_or_default()
    });
    scope.retain(|a| !kept.contains(a));
    Ok(Some(scope))
}

/// `start` and everything `next` reaches from it.
fn closure(start: &[Addr], next: impl Fn(&Addr) -> Vec<Addr>) -> HashSet<Addr> {
    let mut seen: HashSet<Addr> = HashSet::new();
    let mut todo: Vec<Addr> = start.to_vec();
    while let Some(addr) = todo.pop() {
        if seen.insert(addr.clone()) {
            todo.extend(next(&addr));
        }
    }
    seen
}

/// The addresses of `all` outside `scope`, sorted, for the plan's note.
pub fn left_out<'a>(all: impl Iterator<Item = &'a Addr>, scope: &HashSet<Addr>) -> Vec<Addr> {
    let set: BTreeSet<Addr> = all.filter(|a| !scope.contains(*a)).cloned().collect();
    set.into_iter().collect()
}
