//! Runs one operation per node of a DAG: each starts as soon as everything it waits for
//! has finished, at most `parallelism` at once. Ctrl-C stops new work and lets work in
//! flight finish (so it is recorded); a second Ctrl-C gives up on it.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::graph::{Graph, Node};

/// What to do when one operation fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Start nothing new (apply: a failure usually means the spec or the account needs a look).
    StopAll,
    /// Only skip what waits on the failed node (destroy: delete everything that can go).
    SkipDependents,
}

#[derive(Debug)]
pub struct Outcome<N, E> {
    pub done: Vec<N>,
    pub failed: Vec<(N, E)>,
    /// Never started: waiting on a failure, or stopped by a failure or Ctrl-C.
    pub skipped: Vec<N>,
    pub interrupted: bool,
}

/// Runs `op` on every node of `graph`, each once everything it depends on has succeeded.
pub async fn run<N, E, F, Fut>(graph: &Graph<N>, parallelism: usize, on_failure: OnFailure, op: F) -> Outcome<N, E>
where
    N: Node,
    F: Fn(N) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let parallelism = parallelism.max(1);
    let order: Vec<N> = graph.create_order().cloned().collect();
    let mut waiting_on: HashMap<N, usize> = HashMap::new();
    let mut unblocks: HashMap<N, Vec<N>> = HashMap::new();
    for node in &order {
        let before = graph.dependencies(node);
        waiting_on.insert(node.clone(), before.len());
        for b in before {
            unblocks.entry(b.clone()).or_default().push(node.clone());
        }
    }
    // Ready nodes start in the graph's stable order, which keeps runs reproducible.
    let mut ready: Vec<N> = order.iter().filter(|a| waiting_on[*a] == 0).cloned().collect();
    ready.reverse();
    let mut outcome = Outcome {
        done: Vec::new(),
        failed: Vec::new(),
        skipped: Vec::new(),
        interrupted: false,
    };
    let mut started: HashSet<N> = HashSet::new();
    let mut in_flight = FuturesUnordered::new();
    let mut stop = false;
    let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());

    loop {
        while !stop && in_flight.len() < parallelism {
            let Some(addr) = ready.pop() else { break };
            started.insert(addr.clone());
            let fut = op(addr.clone());
            in_flight.push(async move { (addr, fut.await) });
        }
        if in_flight.is_empty() {
            break;
        }
        tokio::select! {
            Some((addr, result)) = in_flight.next() => match result {
                Ok(()) => {
                    for next in unblocks.get(&addr).into_iter().flatten() {
                        let count = waiting_on.get_mut(next).map(|c| { *c -= 1; *c });
                        if count == Some(0) {
                            ready.insert(0, next.clone());
                        }
                    }
                    outcome.done.push(addr);
                }
                Err(e) => {
                    outcome.failed.push((addr, e));
                    if on_failure == OnFailure::StopAll {
                        stop = true;
                    }
                }
            },
            _ = &mut ctrl_c => {
                if outcome.interrupted {
                    eprintln!("Abandoning operations in flight; the next run resumes them from the recorded intent.");
                    break;
                }
                outcome.interrupted = true;
                stop = true;
                eprintln!("\nInterrupted: finishing the {} operation(s) in flight so they are recorded. Ctrl-C again to abandon them.", in_flight.len());
                ctrl_c = Box::pin(tokio::signal::ctrl_c());
            },
        }
    }
    outcome.skipped = order.into_iter().filter(|a| !started.contains(a)).collect();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn a(name: &'static str) -> &'static str {
        name
    }

    fn graph(nodes: Vec<(&'static str, Vec<&'static str>)>) -> Graph<&'static str> {
        Graph::new(nodes).unwrap()
    }

    #[tokio::test]
    async fn runs_in_dependency_order_with_parallelism() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let nodes = vec![
            (a("a"), vec![]),
            (a("b"), vec![a("a")]),
            (a("c"), vec![]),
            (a("d"), vec![a("b"), a("c")]),
        ];
        let outcome = run(&graph(nodes), 2, OnFailure::StopAll, |addr| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(addr.to_string());
                Ok::<(), ()>(())
            }
        })
        .await;
        assert_eq!(outcome.done.len(), 4);
        let log = log.lock().unwrap();
        let pos = |n: &str| log.iter().position(|x| x == n).unwrap();
        assert!(pos("a") < pos("b") && pos("b") < pos("d") && pos("c") < pos("d"));
    }

    #[tokio::test]
    async fn stop_all_starts_nothing_after_a_failure() {
        let nodes = vec![(a("a"), vec![]), (a("b"), vec![a("a")]), (a("c"), vec![a("a")])];
        let outcome = run(&graph(nodes), 1, OnFailure::StopAll, |addr| async move {
            if addr == "a" { Err("boom") } else { Ok(()) }
        })
        .await;
        assert_eq!(outcome.failed.len(), 1);
        assert_eq!(outcome.skipped, [a("b"), a("c")]);
    }

    #[tokio::test]
    async fn skip_dependents_continues_with_independent_work() {
        let nodes = vec![(a("a"), vec![]), (a("b"), vec![a("a")]), (a("c"), vec![])];
        let outcome = run(&graph(nodes), 1, OnFailure::SkipDependents, |addr| async move {
            if addr == "a" { Err("boom") } else { Ok(()) }
        })
        .await;
        assert_eq!(outcome.done, [a("c")]);
        assert_eq!(outcome.skipped, [a("b")]);
    }
}
