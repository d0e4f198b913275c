//! `depends_on` edges: what the user says a resource needs although no field names it.

use super::Edges;
use crate::parse::ParsedResource;

pub fn edges(resources: &[ParsedResource]) -> Edges {
    resources
        .iter()
        .filter(|r| !r.meta.depends_on.is_empty())
        .map(|r| {
            // Validation has reported every `depends_on` that is not an address.
            let needs = r.meta.depends_on.iter().filter_map(|d| d.parse().ok()).collect();
            (r.addr.clone(), needs)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{edges_of, parsed};

    #[test]
    fn only_what_depends_on_lists_is_an_edge() {
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
            edges_of(super::edges(&resources)),
            ["nat_gateway.nat: internet_gateway.igw"]
        );
    }
}
