//! The runtime's orderings that no field names. AWS needs a VPC runtime's file systems
//! mountable (their mount targets available) and its subnets' egress path in place (route
//! table associations, the routes of those tables, the S3 gateway endpoints on them, the
//! interface endpoints of its VPC) from the first session; so the runtime depends on them, is created after them and deleted before them.

use std::collections::BTreeSet;

use super::AgentcoreRuntimeSpec;
use crate::lang::Addr;
use crate::resources::ParsedResource;
use crate::resources::{Kind, ResourceSpec};

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
