//! The dependency graph: nodes with an edge from each dependency to its dependent, a stable
//! order (input order breaks ties), cycles named in order, and the critical path.
//!
//! The spec's graph has resources as nodes (`agentfs graph` draws it; `spec` builds it with
//! `Graph::from_spec`); apply and destroy walk a graph of operations built from the plan
//! (`plan::operations`), with create and destroy edges in the same graph.
//!
//! Which resource needs which comes from ordering rules, each a pass of its own over the
//! parsed resources that says only the edges it adds (as Terraform's graph transformers do):
//! [`references`] (fields and templates naming a resource), [`depends_on`] (the user's) and
//! [`implicit`] (what kinds contribute: orderings AWS imposes that no field names). The loader
//! records their union as each resource's `deps`.

pub mod depends_on;
pub mod implicit;
pub mod references;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::fmt;
use std::hash::Hash;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use crate::lang::Addr;
use crate::parse::ParsedResource;

/// What one ordering rule says: each resource's dependencies by that rule (resources it gives
/// none are left out).
pub type Edges = BTreeMap<Addr, BTreeSet<Addr>>;

/// One ordering rule: the edges it adds among the parsed resources.
pub type Pass = fn(&[ParsedResource]) -> Edges;

/// The ordering rules, by name, in the order they run.
pub const PASSES: [(&str, Pass); 3] = [
    ("references", references::edges),
    ("depends_on", depends_on::edges),
    ("implicit", implicit::edges),
];

/// Each resource's dependencies by every ordering rule.
pub fn dependencies(resources: &[ParsedResource]) -> Edges {
    let mut all = Edges::new();
    for (_, pass) in PASSES {
        for (addr, needs) in pass(resources) {
            all.entry(addr).or_default().extend(needs);
        }
    }
    all
}

/// What a graph node needs: identity, and a name for messages.
pub trait Node: Clone + Eq + Hash + fmt::Display + fmt::Debug {}

impl<T: Clone + Eq + Hash + fmt::Display + fmt::Debug> Node for T {}

/// A dependency cycle, listed so that each node depends on the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle<N = Addr>(pub Vec<N>);

impl<N: Node> fmt::Display for Cycle<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.0.iter().chain(self.0.first()).map(|a| a.to_string()).collect();
        write!(f, "dependency cycle: {}", names.join(" -> "))
    }
}

impl<N: Node> std::error::Error for Cycle<N> {}

/// Why nodes and their dependencies are not a DAG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphError<N = Addr> {
    Cycle(Cycle<N>),
    /// A dependency on a node that is not in the graph: an error, never silently dropped.
    Missing {
        from: N,
        missing: N,
    },
}

impl<N: Node> fmt::Display for GraphError<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphError::Cycle(cycle) => cycle.fmt(f),
            GraphError::Missing { from, missing } => {
                write!(f, "`{from}` depends on `{missing}`, which is not declared")
            }
        }
    }
}

impl<N: Node> std::error::Error for GraphError<N> {}

impl<N> From<Cycle<N>> for GraphError<N> {
    fn from(cycle: Cycle<N>) -> Self {
        GraphError::Cycle(cycle)
    }
}

#[derive(Debug, Clone)]
pub struct Graph<N = Addr> {
    dag: DiGraph<N, ()>,
    index: HashMap<N, NodeIndex>,
    order: Vec<NodeIndex>,
    /// Nodes only read, never changed (existing resources).
    reads: std::collections::HashSet<N>,
}

#[derive(Serialize)]
struct JsonGraph<'a> {
    nodes: Vec<JsonNode<'a>>,
    edges: Vec<JsonEdge<'a>>,
}

#[derive(Serialize)]
struct JsonNode<'a> {
    address: &'a Addr,
    kind: &'static str,
    group: crate::lang::Group,
    /// `read` for an existing resource (read at plan time, never changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonEdge<'a> {
    /// The resource that must exist first.
    from: &'a Addr,
    /// The resource that needs it.
    to: &'a Addr,
}

impl<N: Node> Graph<N> {
    /// Marks `reads` as only read, never changed (existing resources): shown as such.
    pub fn with_reads(mut self, reads: impl IntoIterator<Item = N>) -> Self {
        self.reads = reads.into_iter().collect();
        self
    }

    /// Whether `node` is only read (an existing resource).
    pub fn is_read(&self, node: &N) -> bool {
        self.reads.contains(node)
    }
}

impl<N: Node> Graph<N> {
    /// Builds a graph from nodes (in their preferred order) and their dependencies.
    pub fn new(nodes: impl IntoIterator<Item = (N, Vec<N>)>) -> Result<Graph<N>, GraphError<N>> {
        let nodes: Vec<(N, Vec<N>)> = nodes.into_iter().collect();
        let mut dag = DiGraph::with_capacity(nodes.len(), nodes.len() * 2);
        let mut index = HashMap::with_capacity(nodes.len());
        for (addr, _) in &nodes {
            index.insert(addr.clone(), dag.add_node(addr.clone()));
        }
        for (addr, deps) in &nodes {
            let to = index[addr];
            for dep in deps {
                let from = *index.get(dep).ok_or_else(|| GraphError::Missing {
                    from: addr.clone(),
                    missing: dep.clone(),
                })?;
                dag.update_edge(from, to, ());
            }
        }
        let order = stable_topological_order(&dag)?;
        Ok(Graph {
            dag,
            index,
            order,
            reads: std::collections::HashSet::new(),
        })
    }

    pub fn len(&self) -> usize {
        self.dag.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.dag.node_count() == 0
    }

    /// Every resource, each after all it depends on; ties keep the input order.
    pub fn create_order(&self) -> impl DoubleEndedIterator<Item = &N> + ExactSizeIterator {
        self.order.iter().map(|&i| &self.dag[i])
    }

    /// The reverse of the create order: dependents go before what they depend on.
    pub fn destroy_order(&self) -> impl Iterator<Item = &N> {
        self.create_order().rev()
    }

    /// What `addr` depends on directly.
    pub fn dependencies(&self, addr: &N) -> Vec<&N> {
        self.neighbours(addr, Direction::Incoming)
    }

    /// What depends directly on `addr`.
    pub fn dependents(&self, addr: &N) -> Vec<&N> {
        self.neighbours(addr, Direction::Outgoing)
    }

    fn neighbours(&self, addr: &N, direction: Direction) -> Vec<&N> {
        match self.index.get(addr) {
            Some(&i) => {
                let mut found: Vec<NodeIndex> = self.dag.neighbors_directed(i, direction).collect();
                found.sort();
                found.into_iter().map(|n| &self.dag[n]).collect()
            }
            None => Vec::new(),
        }
    }

    /// The longest chain of `weight`s through the graph: the least time a perfectly
    /// parallel apply can take. Returns the total and the chain.
    pub fn critical_path(&self, weight: impl Fn(&N) -> f64) -> (f64, Vec<N>) {
        let mut finish: HashMap<NodeIndex, (f64, Option<NodeIndex>)> = HashMap::new();
        for &node in &self.order {
            let (start, via) = self
                .dag
                .neighbors_directed(node, Direction::Incoming)
                .map(|d| (finish[&d].0, Some(d)))
                .fold((0.0, None), |best, c| if c.0 > best.0 { c } else { best });
            finish.insert(node, (start + weight(&self.dag[node]), via));
        }
        let Some((&end, &(total, _))) = finish.iter().max_by(|a, b| a.1.0.total_cmp(&b.1.0)) else {
            return (0.0, Vec::new());
        };
        let mut chain = vec![self.dag[end].clone()];
        let mut at = finish[&end].1;
        while let Some(node) = at {
            chain.push(self.dag[node].clone());
            at = finish[&node].1;
        }
        chain.reverse();
        (total, chain)
    }

    /// Whether `node` is in the graph.
    pub fn contains(&self, node: &N) -> bool {
        self.index.contains_key(node)
    }
}

impl Graph<Addr> {
    /// Graphviz DOT, grouped in clusters by kind group.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph agentfs {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
        let mut groups: Vec<crate::lang::Group> = self.dag.node_weights().map(|a| a.kind.group()).collect();
        groups.sort();
        groups.dedup();
        for group in groups {
            out.push_str(&format!(
                "  subgraph \"cluster_{0}\" {{\n    label=\"{0}\";\n",
                group.title()
            ));
            for &node in &self.order {
                let addr = &self.dag[node];
                if addr.kind.group() == group && self.reads.contains(addr) {
                    // Drawn as Terraform draws data sources: read, not managed.
                    out.push_str(&format!("    \"{addr}\" [style=dashed, label=\"<= {addr}\"];\n"));
                } else if addr.kind.group() == group {
                    out.push_str(&format!("    \"{addr}\";\n"));
                }
            }
            out.push_str("  }\n");
        }
        for &node in &self.order {
            let mut deps: Vec<NodeIndex> = self.dag.neighbors_directed(node, Direction::Incoming).collect();
            deps.sort();
            for dep in deps {
                out.push_str(&format!("  \"{}\" -> \"{}\";\n", self.dag[dep], self.dag[node]));
            }
        }
        out.push_str("}\n");
        out
    }

    /// `{"nodes": [...], "edges": [{"from", "to"}]}`; edges point from dependency to dependent.
    pub fn to_json(&self) -> serde_json::Value {
        let nodes = self
            .order
            .iter()
            .map(|&n| {
                let addr = &self.dag[n];
                JsonNode {
                    address: addr,
                    kind: addr.kind.key(),
                    group: addr.kind.group(),
                    mode: self.reads.contains(addr).then_some("read"),
                }
            })
            .collect();
        let mut edges = Vec::new();
        for &node in &self.order {
            let mut deps: Vec<NodeIndex> = self.dag.neighbors_directed(node, Direction::Incoming).collect();
            deps.sort();
            edges.extend(deps.into_iter().map(|d| JsonEdge {
                from: &self.dag[d],
                to: &self.dag[node],
            }));
        }
        serde_json::to_value(JsonGraph { nodes, edges }).unwrap_or_default()
    }
}

/// Kahn's algorithm, always taking the ready node that came first in the input.
fn stable_topological_order<N: Clone>(dag: &DiGraph<N, ()>) -> Result<Vec<NodeIndex>, Cycle<N>> {
    let mut missing: Vec<usize> = dag
        .node_indices()
        .map(|n| dag.neighbors_directed(n, Direction::Incoming).count())
        .collect();
    let mut ready: BinaryHeap<Reverse<NodeIndex>> = dag
        .node_indices()
        .filter(|n| missing[n.index()] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(dag.node_count());
    while let Some(Reverse(node)) = ready.pop() {
        order.push(node);
        for next in dag.neighbors_directed(node, Direction::Outgoing) {
            missing[next.index()] -= 1;
            if missing[next.index()] == 0 {
                ready.push(Reverse(next));
            }
        }
    }
    if order.len() == dag.node_count() {
        return Ok(order);
    }
    Err(find_cycle(dag, &missing))
}

/// Every dependency cycle among `nodes`, one per strongly connected component that has one
/// (so a spec with two separate cycles hears of both in one run), in input order; each is
/// listed as [`Graph::new`] lists the one it reports. Dependencies on undeclared nodes are
/// left out: [`Graph::new`] reports those.
pub fn cycles<N: Node>(nodes: impl IntoIterator<Item = (N, Vec<N>)>) -> Vec<Cycle<N>> {
    let nodes: Vec<(N, Vec<N>)> = nodes.into_iter().collect();
    let mut dag = DiGraph::with_capacity(nodes.len(), nodes.len() * 2);
    let mut index = HashMap::with_capacity(nodes.len());
    for (node, _) in &nodes {
        index.insert(node.clone(), dag.add_node(node.clone()));
    }
    for (node, deps) in &nodes {
        for dep in deps {
            if let Some(&from) = index.get(dep) {
                dag.update_edge(from, index[node], ());
            }
        }
    }
    let mut components: Vec<Vec<NodeIndex>> = petgraph::algo::tarjan_scc(&dag)
        .into_iter()
        .filter(|c| c.len() > 1 || c.first().is_some_and(|&n| dag.contains_edge(n, n)))
        .collect();
    for component in &mut components {
        component.sort();
    }
    components.sort();
    components
        .iter()
        .map(|component| walk_cycle(&dag, |n| component.binary_search(&n).is_ok()))
        .collect()
}

/// Walks "depends on" edges among the nodes Kahn could not place until one repeats.
fn find_cycle<N: Clone>(dag: &DiGraph<N, ()>, missing: &[usize]) -> Cycle<N> {
    walk_cycle(dag, |n| missing[n.index()] > 0)
}

/// Walks "depends on" edges among the nodes `stuck` admits, from the first of them, until
/// one repeats: the cycle, listed from the node that comes first in the input.
fn walk_cycle<N: Clone>(dag: &DiGraph<N, ()>, stuck: impl Fn(NodeIndex) -> bool) -> Cycle<N> {
    let Some(start) = dag.node_indices().find(|&n| stuck(n)) else {
        return Cycle(Vec::new());
    };
    let mut path = vec![start];
    let mut position: HashMap<NodeIndex, usize> = HashMap::from([(start, 0)]);
    let mut at = start;
    loop {
        let Some(next) = dag
            .neighbors_directed(at, Direction::Incoming)
            .filter(|&d| stuck(d))
            .min()
        else {
            return Cycle(path.iter().map(|&n| dag[n].clone()).collect());
        };
        if let Some(&first) = position.get(&next) {
            let cycle = &path[first..];
            // Start the listing at the resource that comes first in the file.
            let lowest = cycle.iter().enumerate().min_by_key(|(_, n)| **n).map_or(0, |(i, _)| i);
            let ordered = cycle[lowest..].iter().chain(&cycle[..lowest]);
            return Cycle(ordered.map(|&n| dag[n].clone()).collect());
        }
        position.insert(next, path.len());
        path.push(next);
        at = next;
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The resources of spec text (a `[stack]` table is added).
    pub fn parsed(text: &str) -> Vec<ParsedResource> {
        let text = format!("[stack]\nname = \"s\"\nregion = \"us-east-1\"\n{text}");
        let (parsed, diagnostics) = crate::parse::parse(&text);
        parsed.unwrap_or_else(|| panic!("{diagnostics:?}")).resources
    }

    /// A pass's edges as text, sorted: `resource: what it needs, ...`.
    pub fn edges_of(edges: Edges) -> Vec<String> {
        let mut listed: Vec<String> = edges
            .into_iter()
            .map(|(addr, needs)| {
                let mut needs: Vec<String> = needs.iter().map(Addr::to_string).collect();
                needs.sort();
                format!("{addr}: {}", needs.join(", "))
            })
            .collect();
        listed.sort();
        listed
    }

    #[test]
    fn dependencies_are_the_union_of_every_pass() {
        let resources = parsed(
            r#"
[vpc.main]
cidr_block = "10.0.0.0/16"
[subnet.a]
vpc = "main"
cidr_block = "10.0.1.0/24"
az_index = 0
[internet_gateway.igw]
vpc = "main"
[elastic_ip.nat]
[nat_gateway.nat]
subnet = "a"
elastic_ip = "nat"
depends_on = ["internet_gateway.igw"]
"#,
        );
        assert_eq!(
            edges_of(dependencies(&resources)),
            [
                "internet_gateway.igw: vpc.main",
                "nat_gateway.nat: elastic_ip.nat, internet_gateway.igw, subnet.a",
                "subnet.a: vpc.main",
            ]
        );
    }

    fn a(name: &str) -> Addr {
        format!("vpc.{name}").parse().unwrap()
    }

    #[test]
    fn order_respects_dependencies_and_input_order() {
        let g = Graph::new([
            (a("c"), vec![a("b")]),
            (a("b"), vec![]),
            (a("d"), vec![]),
            (a("e"), vec![a("c"), a("d")]),
        ])
        .unwrap();
        let order: Vec<&str> = g.create_order().map(|x| x.name.as_str()).collect();
        assert_eq!(order, ["b", "c", "d", "e"]);
        let reverse: Vec<&str> = g.destroy_order().map(|x| x.name.as_str()).collect();
        assert_eq!(reverse, ["e", "d", "c", "b"]);
        assert_eq!(g.dependencies(&a("e")), [&a("c"), &a("d")]);
        assert_eq!(g.dependents(&a("b")), [&a("c")]);
    }

    #[test]
    fn cycles_are_named_in_dependency_order() {
        let err = Graph::new([
            (a("x"), vec![]),
            (a("p"), vec![a("q")]),
            (a("q"), vec![a("r")]),
            (a("r"), vec![a("p")]),
        ])
        .unwrap_err();
        let GraphError::Cycle(cycle) = err else { panic!() };
        let names: Vec<&str> = cycle.0.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["p", "q", "r"]);
        assert_eq!(cycle.to_string(), "dependency cycle: vpc.p -> vpc.q -> vpc.r -> vpc.p");
    }

    #[test]
    fn every_separate_cycle_is_named() {
        let found = cycles([
            (a("x"), vec![a("y")]),
            (a("y"), vec![a("x")]),
            (a("z"), vec![]),
            (a("p"), vec![a("q")]),
            (a("q"), vec![a("p"), a("z")]),
            (a("s"), vec![a("s")]),
        ]);
        let named: Vec<String> = found.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            named,
            [
                "dependency cycle: vpc.x -> vpc.y -> vpc.x",
                "dependency cycle: vpc.p -> vpc.q -> vpc.p",
                "dependency cycle: vpc.s -> vpc.s",
            ]
        );
    }

    #[test]
    fn missing_dependency_is_reported() {
        let err = Graph::new([(a("x"), vec![a("nope")])]).unwrap_err();
        assert!(matches!(err, GraphError::Missing { .. }));
    }

    #[test]
    fn critical_path_follows_the_heaviest_chain() {
        let g = Graph::new([
            (a("a"), vec![]),
            (a("b"), vec![a("a")]),
            (a("c"), vec![]),
            (a("d"), vec![a("b"), a("c")]),
        ])
        .unwrap();
        let (total, chain) = g.critical_path(|x| if x.name == "c" { 10.0 } else { 1.0 });
        assert_eq!(total, 11.0);
        assert_eq!(chain, [a("c"), a("d")]);
    }

    #[test]
    fn dot_and_json_list_every_edge() {
        let g = Graph::new([(a("a"), vec![]), (a("b"), vec![a("a")])]).unwrap();
        assert!(g.to_dot().contains("\"vpc.a\" -> \"vpc.b\";"));
        assert_eq!(g.to_json()["edges"][0]["from"], "vpc.a");
    }
}
