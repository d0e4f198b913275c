//! Network rules: what the internet can reach, and egress that one AZ's failure cuts.

use std::collections::BTreeSet;

use super::{Findings, Rule};
use crate::lang::diag::Severity;
use crate::parse::ParsedSpec;
use crate::resources::ResourceSpec;

pub const OPEN_INGRESS: Rule = Rule {
    id: "AFS-NET-001",
    severity: Severity::Error,
    title: "ingress from anywhere on a port other than 443",
    why: "`0.0.0.0/0` (or `::/0`) lets every address on the internet reach the port wherever the group's interfaces have a public path; only HTTPS is meant to be open that wide",
    fix: "allow the port from the security groups or CIDRs that need it (`source_security_group`, `self = true`, the VPC's range)",
};

pub const NAT_ONE_AZ: Rule = Rule {
    id: "AFS-NET-002",
    severity: Severity::Warning,
    title: "one NAT gateway serving subnets in several AZs",
    why: "availability: a NAT gateway lives in one AZ; when that AZ fails, subnets of the other AZs routed through it lose their egress too (and their traffic crosses AZs, billed per GB)",
    fix: "add a NAT gateway in each AZ with a route table per AZ, or accept the finding for a stack that tolerates losing egress with one AZ",
};

const ANYWHERE: [&str; 2] = ["0.0.0.0/0", "::/0"];

pub(super) fn check(spec: &ParsedSpec, out: &mut Findings<'_>) {
    open_ingress(spec, out);
    nat_one_az(spec, out);
}

fn open_ingress(spec: &ParsedSpec, out: &mut Findings<'_>) {
    for resource in &spec.resources {
        let ResourceSpec::SecurityGroup(sg) = &resource.spec else {
            continue;
        };
        for (i, rule) in sg.ingress.iter().enumerate() {
            let https_only = rule.protocol == "tcp" && rule.from_port == 443 && rule.to_port == 443;
            if https_only {
                continue;
            }
            for (j, cidr) in rule.cidr_blocks.iter().enumerate() {
                if !ANYWHERE.contains(&cidr.as_str()) {
                    continue;
                }
                let ports = if rule.protocol == "-1" {
                    "every protocol and port".to_string()
                } else if rule.from_port == rule.to_port {
                    format!("{} port {}", rule.protocol, rule.from_port)
                } else {
                    format!("{} ports {}-{}", rule.protocol, rule.from_port, rule.to_port)
                };
                out.add(
                    &OPEN_INGRESS,
                    resource,
                    &format!("ingress[{i}].cidr_blocks[{j}]"),
                    format!("ingress rule {i} allows {ports} from {cidr}"),
                );
            }
        }
    }
}

/// The AZ of a subnet as the spec says it (`az_index` or `availability_zone`).
fn subnet_az(spec: &ParsedSpec, name: &str) -> Option<String> {
    spec.resources.iter().find_map(|r| match &r.spec {
        ResourceSpec::Subnet(s) if r.addr.name == name => match (s.az_index, &s.availability_zone) {
            (Some(i), None) => Some(format!("AZ index {i}")),
            (None, Some(az)) => Some(az.clone()),
            _ => None,
        },
        _ => None,
    })
}

fn nat_one_az(spec: &ParsedSpec, out: &mut Findings<'_>) {
    for resource in &spec.resources {
        let ResourceSpec::NatGateway(nat) = &resource.spec else {
            continue;
        };
        let Some(home) = subnet_az(spec, &nat.subnet) else {
            continue;
        };
        let tables: BTreeSet<&str> = spec
            .resources
            .iter()
            .filter_map(|r| match &r.spec {
                ResourceSpec::Route(route) if route.nat_gateway.as_deref() == Some(resource.addr.name.as_str()) => {
                    Some(route.route_table.as_str())
                }
                _ => None,
            })
            .collect();
        let away: Vec<(String, String)> = spec
            .resources
            .iter()
            .filter_map(|r| match &r.spec {
                ResourceSpec::RouteTableAssociation(a) if tables.contains(a.route_table.as_str()) => {
                    let az = subnet_az(spec, &a.subnet)?;
                    (az != home).then(|| (a.subnet.clone(), az))
                }
                _ => None,
            })
            .collect();
        if away.is_empty() {
            continue;
        }
        let served: Vec<String> = away.iter().map(|(s, az)| format!("`{s}` ({az})")).collect();
        out.add(
            &NAT_ONE_AZ,
            resource,
            "subnet",
            format!(
                "the NAT gateway is in {home} and also serves subnet {}",
                served.join(", ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{STACK, findings, ids};

    fn group(rule: &str) -> String {
        format!(
            "{STACK}[vpc.main]\ncidr_block = \"10.0.0.0/16\"\n[security_group.g]\nvpc = \"main\"\ndescription = \"g\"\n[[security_group.g.ingress]]\n{rule}\n"
        )
    }

    #[test]
    fn world_open_ports_other_than_443_are_errors() {
        let text = group("protocol = \"tcp\"\nfrom_port = 22\nto_port = 22\ncidr_blocks = [\"0.0.0.0/0\"]");
        let found = findings(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "AFS-NET-001");
        assert_eq!(found[0].field, "security_group.g.ingress[0].cidr_blocks[0]");
        assert!(found[0].message.contains("tcp port 22"));
        let https = group("protocol = \"tcp\"\nfrom_port = 443\nto_port = 443\ncidr_blocks = [\"0.0.0.0/0\"]");
        assert!(ids(&https).is_empty());
        let vpc_only = group("protocol = \"tcp\"\nfrom_port = 2049\nto_port = 2049\ncidr_blocks = [\"10.0.0.0/16\"]");
        assert!(ids(&vpc_only).is_empty());
    }

    fn network(private_b_az: u8) -> String {
        format!(
            r#"{STACK}
[vpc.main]
cidr_block = "10.0.0.0/16"
[subnet.public_a]
vpc = "main"
cidr_block = "10.0.101.0/24"
az_index = 0
[subnet.private_a]
vpc = "main"
cidr_block = "10.0.1.0/24"
az_index = 0
[subnet.private_b]
vpc = "main"
cidr_block = "10.0.2.0/24"
az_index = {private_b_az}
[elastic_ip.nat]
[nat_gateway.nat]
subnet = "public_a"
elastic_ip = "nat"
[route_table.private]
vpc = "main"
[route.private_default]
route_table = "private"
destination_cidr_block = "0.0.0.0/0"
nat_gateway = "nat"
[route_table_association.private_a]
route_table = "private"
subnet = "private_a"
[route_table_association.private_b]
route_table = "private"
subnet = "private_b"
"#
        )
    }

    #[test]
    fn one_nat_serving_two_azs_is_an_availability_warning() {
        let found = findings(&network(1));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "AFS-NET-002");
        assert_eq!(found[0].field, "nat_gateway.nat.subnet");
        assert!(
            found[0].message.contains("`private_b` (AZ index 1)"),
            "{}",
            found[0].message
        );
        assert!(ids(&network(0)).is_empty());
    }
}
