//! The runtime's orderings that no field names. AWS needs a VPC runtime's file systems
//! mountable (their mount targets available) and its subnets' egress path in place (route
//! table associations, the routes of those tables, the S3 gateway endpoints on them, the
//! interface endpoints of its VPC) from the first session; so the runtime depends on them, is created after them and deleted before them.

use std::collections::BTreeSet;

use super::AgentcoreRuntimeSpec;
use crate::resources::{Kind, ResourceSpec};
use crate::spec::Addr;
use crate::spec::parse::ParsedResource;

/// What `runtime` needs before it starts, among `resources` (the whole spec, by name).
pub fn implicit_dependencies(runtime: &AgentcoreRuntimeSpec, resources: &[ParsedResource]) -> BTreeSet<Addr> {
    let mut needs = BTreeSet::new();
    for mount in &runtime.filesystem {
        let file_system = match (&mount.s3files_access_point, &mount.efs_access_point) {
            (Some(ap), _) => access_point_file_system(resources, Kind::S3FilesAccessPoint, ap),
            (_, Some(ap)) => access_point_file_system(resources, Kind::EfsAccessPoint, ap),
            _ => None,
        };
        let Some(file_system) = file_system else { continue };
        needs.extend(resources.iter().filter_map(|r| match &r.spec {
            ResourceSpec::S3FilesMountTarget(m) if file_system == (Kind::S3FilesFileSystem, m.file_system.as_str()) => {
                Some(r.addr.clone())
            }
            ResourceSpec::EfsMountTarget(m) if file_system == (Kind::EfsFileSystem, m.file_system.as_str()) => {
                Some(r.addr.clone())
            }
            _ => None,
        }));
    }
    if runtime.network_mode == "VPC" {
        let tables: Vec<&str> = resources
            .iter()
            .filter_map(|r| match &r.spec {
                ResourceSpec::RouteTableAssociation(a) if runtime.subnets.contains(&a.subnet) => {
                    needs.insert(r.addr.clone());
                    Some(a.route_table.as_str())
                }
                _ => None,
            })
            .collect();
        let vpcs: Vec<&str> = resources
            .iter()
            .filter_map(|r| match &r.spec {
                ResourceSpec::Subnet(s) if runtime.subnets.contains(&r.addr.name) => Some(s.vpc.as_str()),
                _ => None,
            })
            .collect();
        needs.extend(resources.iter().filter_map(|r| match &r.spec {
            ResourceSpec::Route(route) if tables.contains(&route.route_table.as_str()) => Some(r.addr.clone()),
            ResourceSpec::VpcEndpoint(e) if e.route_tables.iter().any(|t| tables.contains(&t.as_str())) => {
                Some(r.addr.clone())
            }
            // Interface endpoints answer for their services anywhere in their VPC.
            ResourceSpec::VpcEndpoint(e) if e.endpoint_type == "Interface" && vpcs.contains(&e.vpc.as_str()) => {
                Some(r.addr.clone())
            }
            _ => None,
        }));
    }
    needs
}

/// The file system an access point (by name) belongs to, as the spec says.
fn access_point_file_system<'s>(resources: &'s [ParsedResource], kind: Kind, name: &str) -> Option<(Kind, &'s str)> {
    let ap = resources.iter().find(|r| r.addr.kind == kind && r.addr.name == name)?;
    match &ap.spec {
        ResourceSpec::S3FilesAccessPoint(ap) => Some((Kind::S3FilesFileSystem, ap.file_system.as_str())),
        ResourceSpec::EfsAccessPoint(ap) => Some((Kind::EfsFileSystem, ap.file_system.as_str())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::Addr;

    #[test]
    fn the_reference_runtime_waits_for_its_mount_targets_and_its_subnets_egress_path() {
        let text = include_str!("../../../examples/s3files-runtime.toml");
        let spec = crate::spec::load(text).spec.expect("the reference example loads");
        let runtime: Addr = "agentcore_runtime.agent".parse().unwrap();
        let deps = &spec.resources[&runtime].deps;
        for needed in [
            "s3files_mount_target.a",
            "s3files_mount_target.b",
            "route_table_association.private_a",
            "route_table_association.private_b",
            "route.private_default",
            "vpc_endpoint.s3",
        ] {
            assert!(
                deps.contains(&needed.parse::<Addr>().unwrap()),
                "{needed} not in {deps:?}"
            );
        }
        // The public subnets' path is not the runtime's.
        for other in ["route_table_association.public_a", "route.public_default"] {
            assert!(!deps.contains(&other.parse::<Addr>().unwrap()), "{other} in {deps:?}");
        }
    }

    #[test]
    fn a_private_runtime_waits_for_the_interface_endpoints_of_its_vpc() {
        let text = include_str!("../../../tests/bad-specs/lint-private-endpoints-complete.toml");
        let spec = crate::spec::load(text).spec.expect("the private stack loads");
        let runtime: Addr = "agentcore_runtime.agent".parse().unwrap();
        let deps = &spec.resources[&runtime].deps;
        for needed in [
            "vpc_endpoint.s3",
            "vpc_endpoint.ecr_api",
            "vpc_endpoint.ecr_dkr",
            "vpc_endpoint.logs",
            "vpc_endpoint.bedrock",
        ] {
            assert!(
                deps.contains(&needed.parse::<Addr>().unwrap()),
                "{needed} not in {deps:?}"
            );
        }
    }
}
