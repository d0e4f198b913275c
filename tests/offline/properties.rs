//! Properties that hold for every valid spec: the graph is acyclic, creation respects every
//! dependency, destroy is creation reversed, and the plan's JSON round-trips. Plus bad
//! input: arbitrary bytes and mutated valid specs never make the offline pipeline panic.

use proptest::prelude::*;

use agentfs::pipeline::compile_source;
use agentfs::plan::{self, Plan};
use agentfs::spec::SourceFile;

/// A random but valid spec: `vpcs` VPCs, each with subnets, a route table, associations and
/// a security group; plus extra `depends_on` edges that only point backwards in the file.
fn spec_text(vpcs: usize, subnets: usize, extra_edges: &[(usize, usize)]) -> String {
    let mut out = String::from("[stack]\nname = \"prop\"\nregion = \"us-east-1\"\n\n");
    let mut addresses = Vec::new();
    for v in 0..vpcs {
        out += &format!("[vpc.v{v}]\ncidr_block = \"10.{v}.0.0/16\"\n\n");
        addresses.push(format!("vpc.v{v}"));
        out += &format!("[route_table.rt{v}]\nvpc = \"v{v}\"\n\n");
        addresses.push(format!("route_table.rt{v}"));
        out += &format!(
            "[security_group.sg{v}]\nvpc = \"v{v}\"\ndescription = \"group {v}\"\n\n[[security_group.sg{v}.ingress]]\nprotocol = \"tcp\"\nfrom_port = 2049\nto_port = 2049\nself = true\n\n"
        );
        addresses.push(format!("security_group.sg{v}"));
        for s in 0..subnets {
            out += &format!(
                "[subnet.s{v}_{s}]\nvpc = \"v{v}\"\ncidr_block = \"10.{v}.{s}.0/24\"\naz_index = {}\n",
                s % 2
            );
            let earlier: Vec<&String> = extra_edges
                .iter()
                .filter(|(from, _)| *from == addresses.len())
                .filter_map(|(_, to)| addresses.get(*to % addresses.len().max(1)))
                .collect();
            if !earlier.is_empty() {
                let list: Vec<String> = earlier.iter().map(|a| format!("\"{a}\"")).collect();
                out += &format!("depends_on = [{}]\n", list.join(", "));
            }
            out += "\n";
            addresses.push(format!("subnet.s{v}_{s}"));
            out += &format!("[route_table_association.a{v}_{s}]\nroute_table = \"rt{v}\"\nsubnet = \"s{v}_{s}\"\n\n");
            addresses.push(format!("route_table_association.a{v}_{s}"));
        }
    }
    out
}

proptest! {
    // 256 cases by default; `PROPTEST_CASES=N` runs longer (.ci/run gives the fuzzing a bounded budget).
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn valid_specs_give_acyclic_graphs_and_reversible_orders(
        vpcs in 1usize..5,
        subnets in 0usize..6,
        edges in proptest::collection::vec((0usize..60, 0usize..60), 0..20),
    ) {
        let text = spec_text(vpcs, subnets, &edges);
        let (compiled, diagnostics) = compile_source(SourceFile::new("prop.toml", text.clone()));
        let compiled = compiled.unwrap_or_else(|_| panic!("{diagnostics:?}\n{text}"));
        let create: Vec<_> = compiled.graph.create_order().cloned().collect();
        prop_assert_eq!(create.len(), compiled.spec.resources.len());
        for (i, addr) in create.iter().enumerate() {
            for dep in &compiled.spec.resources[addr].deps {
                let at = create.iter().position(|a| a == dep).unwrap();
                prop_assert!(at < i, "{} is created before its dependency {}", addr, dep);
            }
        }
        let mut destroy: Vec<_> = compiled.graph.destroy_order().cloned().collect();
        destroy.reverse();
        prop_assert_eq!(destroy, create);

        let plan = plan::compute(&compiled.spec, &compiled.graph, None, &plan::Context::default()).unwrap();
        let back: Plan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
        prop_assert_eq!(back, plan);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = compile_source(SourceFile::new("fuzz.toml", text));
    }

    #[test]
    fn mutated_reference_specs_never_panic(
        cuts in proptest::collection::vec((0usize..20_000, 0usize..40, "[ -~]{0,12}"), 1..6),
    ) {
        let mut text = include_str!("../../examples/s3files-runtime.toml").to_string();
        for (at, len, insert) in cuts {
            let start = floor_char_boundary(&text, at % text.len().max(1));
            let end = floor_char_boundary(&text, (start + len).min(text.len()));
            text.replace_range(start..end, &insert);
        }
        if let (Ok(compiled), _) = compile_source(SourceFile::new("mutated.toml", text)) {
            let _ = plan::compute(&compiled.spec, &compiled.graph, None, &plan::Context::default());
            let _ = compiled.graph.to_dot();
        }
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}
