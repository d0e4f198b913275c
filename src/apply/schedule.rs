//! Runs one operation per node of a DAG: each starts as soon as everything it waits for
//! has finished, at most `parallelism` at once. Ctrl-C (SIGINT) or SIGTERM stops new work and
//! lets work in flight finish (so it is recorded); a second signal gives up on it.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    /// The signal that stopped new work, if one did.
    pub interrupted: Option<Signal>,
}

/// A signal that asks agentfs to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Signal {
    /// Ctrl-C.
    #[serde(rename = "SIGINT")]
    Interrupt,
    /// `kill`, a CI runner's cancel, a container stop.
    #[serde(rename = "SIGTERM")]
    Terminate,
}

impl Signal {
    /// The conventional exit status of a process stopped by this signal: 128 + its number.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signal::Interrupt => f.write_str("Ctrl-C (SIGINT)"),
            Signal::Terminate => f.write_str("SIGTERM"),
        }
    }
}

/// SIGINT and SIGTERM as they arrive from creation on. Once created, neither ends the
/// process by itself any more: whoever listens decides.
pub struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// `None` when the handlers cannot be installed (then signals keep their default action).
    pub fn new() -> Option<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Some(Signals {
                interrupt: signal(SignalKind::interrupt()).ok()?,
                terminate: signal(SignalKind::terminate()).ok()?,
            })
        }
        #[cfg(not(unix))]
        {
            Some(Signals {})
        }
    }

    /// The next signal.
    pub async fn recv(&mut self) -> Signal {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => Signal::Interrupt,
                _ = self.terminate.recv() => Signal::Terminate,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Signal::Interrupt
        }
    }
}

async fn next_signal(signals: &mut Option<Signals>) -> Signal {
    match signals {
        Some(signals) => signals.recv().await,
        None => std::future::pending().await,
    }
}

/// How many signal scopes are open in this process.
static DEPTH: AtomicUsize = AtomicUsize::new(0);

/// A stretch of work that handles SIGINT and SIGTERM itself. Scopes nest (a lock held around
/// a [`run`]); every listener hears each signal, and only the innermost open scope acts on it,
/// so a [`run`] finishes its work in flight while the lock around it waits.
pub struct SignalScope {
    depth: usize,
}

impl SignalScope {
    pub fn enter() -> SignalScope {
        SignalScope {
            depth: DEPTH.fetch_add(1, Ordering::SeqCst) + 1,
        }
    }

    pub fn is_innermost(&self) -> bool {
        DEPTH.load(Ordering::SeqCst) == self.depth
    }
}

impl Drop for SignalScope {
    fn drop(&mut self) {
        DEPTH.fetch_sub(1, Ordering::SeqCst);
    }
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
        interrupted: None,
    };
    let mut started: HashSet<N> = HashSet::new();
    let mut in_flight = FuturesUnordered::new();
    let mut stop = false;
    let _scope = SignalScope::enter();
    let mut signals = Signals::new();
    crate::resources::aws::resume_waits();

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
            signal = next_signal(&mut signals) => {
                if outcome.interrupted.is_some() {
                    crate::errln!("{signal} again: abandoning operations in flight; the next run resumes them from the recorded intent.");
                    break;
                }
                outcome.interrupted = Some(signal);
                stop = true;
                crate::resources::aws::stop_waits();
                crate::errln!("\n{signal}: starting nothing new, ending waits and retries, finishing the {} call(s) in flight so they are recorded. A second Ctrl-C or SIGTERM abandons them.", in_flight.len());
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
