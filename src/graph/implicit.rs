//! Kinds' implicit edges: orderings AWS imposes that no field names, each kind contributing its
//! own through `Resource::implicit_dependencies` (a VPC runtime waits for the mount targets of
//! the file systems it mounts and for its subnets' egress path; a NAT gateway waits for its VPC's
//! internet gateway).

use super::Edges;
use crate::parse::ParsedResource;

pub fn edges(resources: &[ParsedResource]) -> Edges {
    resources
        .iter()
        .map(|r| (r.addr.clone(), r.spec.implicit_dependencies(resources)))
        .filter(|(_, needs)| !needs.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::edges_of;

    #[test]
    fn the_runtime_waits_for_its_mount_targets_and_egress_path_and_the_nat_for_the_internet_gateway() {
        let (parsed, diagnostics) = crate::parse::parse(include_str!("../../examples/s3files-runtime.toml"));
        let resources = parsed.unwrap_or_else(|| panic!("{diagnostics:?}")).resources;
        assert_eq!(
            edges_of(super::edges(&resources)),
            [
                "agentcore_runtime.agent: route.private_default, route_table_association.private_a, \
              route_table_association.private_b, s3files_mount_target.a, s3files_mount_target.b, vpc_endpoint.s3",
                "nat_gateway.nat: internet_gateway.igw",
            ]
        );
    }
}
