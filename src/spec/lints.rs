//! Cross-kind knowledge: checks that reason about several kinds at once (subnets in their VPC,
//! one mount target per AZ, a runtime's path to its file systems, to AWS through a NAT or
//! through VPC endpoints, and to S3), and the
//! dependencies AWS needs that no field names. This is the one module of the spec machinery
//! that names kinds.

use std::collections::{HashMap, HashSet};

use ipnet::Ipv4Net;

use super::addr::{Addr, Kind};
use super::facts::{LiveFacts, VpcFacts};
use super::parse::ParsedResource;
use super::validate::Checker;
use crate::resources::ResourceSpec;
use crate::resources::model::{AgentcoreRuntimeSpec, RouteSpec};

/// Where a subnet sits, as far as the spec says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Az {
    Index(u8),
    Named(String),
}

impl std::fmt::Display for Az {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Az::Index(i) => write!(f, "AZ index {i}"),
            Az::Named(name) => write!(f, "{name}"),
        }
    }
}

/// What AWS says of the existing subnets and VPCs, by the names the spec's fields use for them
/// (a declared existing resource's name, or the literal id). VPCs are keyed by id.
pub struct Live {
    subnets: HashMap<String, LiveSubnet>,
    /// An existing VPC's name in the spec -> its id.
    vpc_ids: HashMap<String, String>,
    vpcs: HashMap<String, VpcFacts>,
}

struct LiveSubnet {
    vpc: String,
    net: Option<Ipv4Net>,
    az: Az,
    nat_route: bool,
    internet_route: bool,
    s3_gateway: bool,
}

impl Live {
    pub fn new(facts: &LiveFacts, reads: &std::collections::BTreeMap<Addr, crate::state::ReadState>) -> Live {
        let subnets = reads
            .iter()
            .filter(|(a, _)| a.kind == Kind::Subnet)
            .filter_map(|(a, r)| {
                let f = facts.subnets.get(&r.id)?;
                Some((
                    a.name.clone(),
                    LiveSubnet {
                        vpc: f.vpc.clone(),
                        net: f.cidr_block.parse().ok(),
                        az: Az::Named(f.availability_zone.clone()),
                        nat_route: f.nat_route,
                        internet_route: f.internet_route,
                        s3_gateway: f.s3_gateway,
                    },
                ))
            })
            .collect();
        let vpc_ids = reads
            .iter()
            .filter(|(a, _)| a.kind == Kind::Vpc)
            .map(|(a, r)| (a.name.clone(), r.id.clone()))
            .collect();
        Live {
            subnets,
            vpc_ids,
            vpcs: facts.vpcs.iter().map(|(id, f)| (id.clone(), *f)).collect(),
        }
    }
}

macro_rules! each {
    ($self:ident, $variant:ident) => {
        $self.spec.resources.iter().filter_map(|r| match &r.spec {
            ResourceSpec::$variant(s) => Some((r, s)),
            _ => None,
        })
    };
}

/// Runs every cross-kind lint.
pub(super) fn check(checker: &mut Checker<'_>) {
    checker.subnet_layout();
    checker.mount_targets();
    checker.runtimes();
    checker.s3files_buckets();
}

impl<'a> Checker<'a> {
    /// A subnet's VPC (its name in the spec, or the id of an existing one), range and AZ: from
    /// the spec, or for an existing subnet from AWS at plan time (unknown offline: `None`).
    fn subnet_info(&self, name: &str) -> Option<(String, Option<Ipv4Net>, Option<Az>)> {
        let Some(resource) = self.get(Kind::Subnet, name) else {
            let live = self.live?.subnets.get(name)?;
            return Some((live.vpc.clone(), live.net, Some(live.az.clone())));
        };
        let ResourceSpec::Subnet(s) = &resource.spec else {
            return None;
        };
        let az = match (s.az_index, &s.availability_zone) {
            (Some(i), None) => Some(Az::Index(i)),
            (None, Some(n)) => Some(Az::Named(n.clone())),
            _ => None,
        };
        Some((self.vpc_key(&s.vpc), s.cidr_block.parse().ok(), az))
    }

    /// How VPCs compare: a VPC of the spec by name, an existing one by id (when known).
    fn vpc_key(&self, name: &str) -> String {
        self.live
            .and_then(|live| live.vpc_ids.get(name))
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }

    /// Subnets inside their VPC, not overlapping each other.
    pub(super) fn subnet_layout(&mut self) {
        let mut placed: Vec<(&Addr, &str, Ipv4Net)> = Vec::new();
        for (r, s) in each!(self, Subnet) {
            let Ok(net) = s.cidr_block.parse::<Ipv4Net>() else {
                continue;
            };
            if let Some(ResourceSpec::Vpc(vpc)) = self.get(Kind::Vpc, &s.vpc).map(|v| &v.spec)
                && let Ok(vpc_net) = vpc.cidr_block.parse::<Ipv4Net>()
                && !vpc_net.contains(&net)
            {
                self.error(
                    "agentfs::cidr_outside_vpc",
                    &r.addr,
                    "cidr_block",
                    format!("{net} is not inside VPC `{}` ({vpc_net})", s.vpc),
                    format!("pick a range inside {vpc_net}"),
                );
            }
            if let Some((other, _, _)) = placed
                .iter()
                .find(|(_, vpc, other)| *vpc == s.vpc && (other.contains(&net) || net.contains(other)))
            {
                let other = other.to_string();
                self.error(
                    "agentfs::cidr_overlap",
                    &r.addr,
                    "cidr_block",
                    format!("{net} overlaps `{other}`"),
                    "give each subnet its own range",
                );
            }
            placed.push((&r.addr, &s.vpc, net));
        }
    }

    /// One mount target per file system per AZ.
    pub(super) fn mount_targets(&mut self) {
        let mut seen: HashMap<(Kind, String, Az), Addr> = HashMap::new();
        let targets: Vec<(&Addr, Kind, String, String)> = self
            .spec
            .resources
            .iter()
            .filter_map(|r| match &r.spec {
                ResourceSpec::S3FilesMountTarget(s) => Some((
                    &r.addr,
                    Kind::S3FilesFileSystem,
                    s.file_system.clone(),
                    s.subnet.clone(),
                )),
                ResourceSpec::EfsMountTarget(s) => {
                    Some((&r.addr, Kind::EfsFileSystem, s.file_system.clone(), s.subnet.clone()))
                }
                _ => None,
            })
            .collect();
        for (addr, fs_kind, fs, subnet) in targets {
            let Some((_, _, Some(az))) = self.subnet_info(&subnet) else {
                continue;
            };
            if let Some(first) = seen.insert((fs_kind, fs.clone(), az.clone()), addr.clone()) {
                self.error(
                    "agentfs::mount_target_az",
                    addr,
                    "subnet",
                    format!("`{first}` already gives {fs_kind} `{fs}` a mount target in {az}"),
                    "a file system has at most one mount target per availability zone",
                );
            }
        }
    }

    pub(super) fn runtimes(&mut self) {
        let runtimes: Vec<(&ParsedResource, &AgentcoreRuntimeSpec)> = each!(self, AgentcoreRuntime).collect();
        for (r, s) in runtimes {
            if s.network_mode != "VPC" {
                continue;
            }
            let subnets: Vec<(String, String, Option<Ipv4Net>, Option<Az>)> = s
                .subnets
                .iter()
                .filter_map(|name| {
                    self.subnet_info(name)
                        .map(|(vpc, net, az)| (name.clone(), vpc, net, az))
                })
                .collect();
            let vpcs: HashSet<&str> = subnets.iter().map(|(_, vpc, _, _)| vpc.as_str()).collect();
            if vpcs.len() > 1 {
                self.error(
                    "agentfs::runtime_network",
                    &r.addr,
                    "subnets",
                    "the runtime's subnets are in different VPCs",
                    "use subnets of one VPC",
                );
            }
            for (i, mount) in s.filesystem.iter().enumerate() {
                let fs = match (&mount.s3files_access_point, &mount.efs_access_point) {
                    (Some(ap), _) => self.access_point_fs(Kind::S3FilesAccessPoint, ap),
                    (_, Some(ap)) => self.access_point_fs(Kind::EfsAccessPoint, ap),
                    _ => None,
                };
                let Some((fs_kind, fs_name)) = fs else { continue };
                self.mount_coverage(&r.addr, &format!("filesystem[{i}]"), s, &subnets, fs_kind, &fs_name);
            }
            self.network_lints(&r.addr, s, &subnets);
        }
    }

    fn access_point_fs(&self, kind: Kind, name: &str) -> Option<(Kind, String)> {
        match &self.get(kind, name)?.spec {
            ResourceSpec::S3FilesAccessPoint(ap) => Some((Kind::S3FilesFileSystem, ap.file_system.clone())),
            ResourceSpec::EfsAccessPoint(ap) => Some((Kind::EfsFileSystem, ap.file_system.clone())),
            _ => None,
        }
    }

    fn mount_targets_of(&self, fs_kind: Kind, fs_name: &str) -> Vec<(&'a Addr, String, Vec<String>)> {
        self.spec
            .resources
            .iter()
            .filter_map(|r| match &r.spec {
                ResourceSpec::S3FilesMountTarget(m)
                    if fs_kind == Kind::S3FilesFileSystem && m.file_system == fs_name =>
                {
                    Some((&r.addr, m.subnet.clone(), m.security_groups.clone()))
                }
                ResourceSpec::EfsMountTarget(m) if fs_kind == Kind::EfsFileSystem && m.file_system == fs_name => {
                    Some((&r.addr, m.subnet.clone(), m.security_groups.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Each runtime subnet's AZ has a mount target in the same VPC, and NFS can flow.
    fn mount_coverage(
        &mut self,
        addr: &Addr,
        field: &str,
        runtime: &AgentcoreRuntimeSpec,
        subnets: &[(String, String, Option<Ipv4Net>, Option<Az>)],
        fs_kind: Kind,
        fs_name: &str,
    ) {
        let targets = self.mount_targets_of(fs_kind, fs_name);
        let target_places: Vec<(&Addr, String, Option<Az>)> = targets
            .iter()
            .filter_map(|(a, subnet, _)| self.subnet_info(subnet).map(|(vpc, _, az)| (*a, vpc, az)))
            .collect();
        for (subnet, vpc, _, az) in subnets {
            let Some(az) = az else { continue };
            if !target_places.iter().any(|(_, _, t_az)| t_az.as_ref() == Some(az)) {
                let mt_kind = if fs_kind == Kind::S3FilesFileSystem {
                    "s3files_mount_target"
                } else {
                    "efs_mount_target"
                };
                self.error(
                    "agentfs::mount_target_missing",
                    addr,
                    field,
                    format!("{fs_kind} `{fs_name}` has no mount target in {az}, where runtime subnet `{subnet}` is"),
                    format!("add a `[{mt_kind}.NAME]` with `file_system = \"{fs_name}\"` in a subnet of {az}"),
                );
            }
            for (target, t_vpc, _) in &target_places {
                if t_vpc != vpc {
                    self.error(
                        "agentfs::mount_target_vpc",
                        addr,
                        field,
                        format!("mount target `{target}` is in VPC `{t_vpc}`, the runtime in `{vpc}`"),
                        "put the mount targets and the runtime's subnets in one VPC",
                    );
                }
            }
        }
        let runtime_nets: Vec<Ipv4Net> = subnets.iter().filter_map(|s| s.2).collect();
        let nfs_open = targets.iter().all(|(_, _, groups)| {
            groups
                .iter()
                .any(|g| self.allows_nfs(g, &runtime.security_groups, &runtime_nets))
        });
        if !targets.is_empty() && !nfs_open {
            self.warn("agentfs::lint::nfs_blocked", addr, "security_groups", format!("no security group rule lets the runtime reach {fs_kind} `{fs_name}`'s mount targets on TCP 2049"), "add to the mount targets' group an ingress rule `{ protocol = \"tcp\", from_port = 2049, to_port = 2049, self = true }` and give the runtime that group (or use `source_security_group`)");
        }
    }

    fn allows_nfs(&self, group: &str, runtime_groups: &[String], runtime_nets: &[Ipv4Net]) -> bool {
        let Some(resource) = self.get(Kind::SecurityGroup, group) else {
            // An existing group: its rules are not the spec's to know; no finding on a guess.
            return true;
        };
        let ResourceSpec::SecurityGroup(sg) = &resource.spec else {
            return false;
        };
        sg.ingress.iter().any(|rule| {
            let port =
                rule.protocol == "-1" || (rule.protocol == "tcp" && rule.from_port <= 2049 && 2049 <= rule.to_port);
            let source = (rule.from_self && runtime_groups.iter().any(|g| g == group))
                || rule
                    .source_security_group
                    .as_ref()
                    .is_some_and(|s| runtime_groups.contains(s))
                || rule
                    .cidr_blocks
                    .iter()
                    .filter_map(|c| c.parse::<Ipv4Net>().ok())
                    .any(|c| !runtime_nets.is_empty() && runtime_nets.iter().all(|n| c.contains(n)));
            port && source
        })
    }

    fn network_lints(
        &mut self,
        addr: &Addr,
        runtime: &AgentcoreRuntimeSpec,
        subnets: &[(String, String, Option<Ipv4Net>, Option<Az>)],
    ) {
        for (subnet, vpc, _, _) in subnets {
            if self.get(Kind::Subnet, subnet).is_none() {
                self.live_network_lints(addr, subnet, vpc);
                continue;
            }
            let tables = self.route_tables_of(subnet);
            let default_routes: Vec<&RouteSpec> = tables
                .iter()
                .flat_map(|t| self.routes_of(t))
                .filter(|r| r.destination_cidr_block == "0.0.0.0/0")
                .collect();
            let has_nat = default_routes.iter().any(|r| r.nat_gateway.is_some());
            let endpoints = self.interface_endpoints(vpc);
            let s3_endpoint = tables.iter().any(|t| self.has_s3_gateway(t)) || endpoints.contains("s3");
            if default_routes.iter().any(|r| r.internet_gateway.is_some()) {
                self.warn("agentfs::lint::runtime_public_subnet", addr, "subnets", format!("subnet `{subnet}` routes 0.0.0.0/0 to an internet gateway, but runtime network interfaces get private IPs only: no internet"), "place the runtime in private subnets whose 0.0.0.0/0 route goes to a NAT gateway");
            } else if !has_nat {
                let missing = services_missing(&endpoints, PRIVATE_NEEDS);
                if missing.is_empty() {
                    // Private on purpose: what the runtime itself needs has an endpoint.
                    let unreachable = services_missing(&endpoints, PRIVATE_WANTS);
                    if !unreachable.is_empty() {
                        self.warn("agentfs::lint::runtime_private_unreachable", addr, "subnets", format!("subnet `{subnet}` has no NAT: the runtime reaches AWS through VPC `{vpc}`'s endpoints only, and none serves {}", unreachable.join(", ")), "add interface endpoints for what the agent calls, e.g. `[vpc_endpoint.bedrock]` with `service = \"bedrock-runtime\"`, `type = \"Interface\"`, `subnets` and `security_groups`; or a NAT route for the internet");
                    }
                } else {
                    self.warn("agentfs::lint::runtime_no_egress", addr, "subnets", format!("subnet `{subnet}` has no 0.0.0.0/0 route to a NAT gateway, and VPC `{vpc}` has no interface endpoint for {}: the runtime cannot pull its image or write its logs", missing.join(", ")), format!("associate the subnet with a route table that has `destination_cidr_block = \"0.0.0.0/0\"` and `nat_gateway = \"...\"`, or add `[vpc_endpoint.NAME]` tables with `type = \"Interface\"` for {}", missing.join(", ")));
                }
            }
            if !s3_endpoint && !has_nat {
                self.warn("agentfs::lint::runtime_no_s3_path", addr, "subnets", format!("subnet `{subnet}` reaches S3 through neither an S3 gateway endpoint nor a NAT: image pulls from ECR will fail"), "add a `[vpc_endpoint.s3]` with `service = \"s3\"` and the subnet's route table in `route_tables`");
            }
            if let Some(ResourceSpec::Vpc(v)) = self.get(Kind::Vpc, vpc.as_str()).map(|r| &r.spec)
                && !(v.enable_dns_support && v.enable_dns_hostnames)
            {
                let vpc_addr = Addr::new(Kind::Vpc, vpc.as_str());
                self.warn(
                    "agentfs::lint::vpc_dns",
                    &vpc_addr,
                    "enable_dns_hostnames",
                    format!("VPC `{vpc}` has DNS support or hostnames off; the runtime and mount targets need both"),
                    "set `enable_dns_support = true` and `enable_dns_hostnames = true`",
                );
            }
        }
        let _ = runtime;
    }

    /// The same lints for an existing subnet, from what AWS says of its route table, the S3
    /// gateway endpoints serving it and its VPC's DNS settings (reached only at plan time).
    fn live_network_lints(&mut self, addr: &Addr, subnet: &str, vpc: &str) {
        let Some(live) = self.live else { return };
        let Some(facts) = live.subnets.get(subnet) else { return };
        if facts.internet_route {
            self.warn("agentfs::lint::runtime_public_subnet", addr, "subnets", format!("existing subnet `{subnet}` routes 0.0.0.0/0 to an internet gateway, but runtime network interfaces get private IPs only: no internet"), "place the runtime in private subnets whose 0.0.0.0/0 route goes to a NAT gateway");
        } else if !facts.nat_route {
            self.warn(
                "agentfs::lint::runtime_no_egress",
                addr,
                "subnets",
                format!(
                    "existing subnet `{subnet}` has no 0.0.0.0/0 route to a NAT gateway: the runtime has no egress"
                ),
                "use subnets whose route table sends 0.0.0.0/0 to a NAT gateway, or ask the network's owner for one",
            );
        }
        if !facts.s3_gateway && !facts.nat_route {
            self.warn("agentfs::lint::runtime_no_s3_path", addr, "subnets", format!("existing subnet `{subnet}` reaches S3 through neither an S3 gateway endpoint nor a NAT: image pulls from ECR will fail"), "use subnets whose route table an S3 gateway endpoint serves, or that route 0.0.0.0/0 to a NAT gateway");
        }
        if let Some(dns) = live.vpcs.get(vpc)
            && !(dns.dns_support && dns.dns_hostnames)
        {
            self.warn(
                "agentfs::lint::vpc_dns",
                addr,
                "subnets",
                format!(
                    "existing VPC `{vpc}` has DNS support or hostnames off; the runtime and mount targets need both"
                ),
                "ask the network's owner to turn on `enableDnsSupport` and `enableDnsHostnames`",
            );
        }
    }

    fn route_tables_of(&self, subnet: &str) -> Vec<String> {
        each!(self, RouteTableAssociation)
            .filter(|(_, a)| a.subnet == subnet)
            .map(|(_, a)| a.route_table.clone())
            .collect()
    }

    fn routes_of(&self, table: &str) -> Vec<&'a RouteSpec> {
        each!(self, Route)
            .filter(|(_, r)| r.route_table == table)
            .map(|(_, r)| r)
            .collect()
    }

    /// The services of the interface endpoints in `vpc` that answer the services' own names
    /// (private DNS on, as AWS's default has it).
    fn interface_endpoints(&self, vpc: &str) -> HashSet<&'a str> {
        each!(self, VpcEndpoint)
            .filter(|(_, e)| e.endpoint_type == "Interface" && e.vpc == vpc && e.private_dns != Some(false))
            .map(|(_, e)| e.service.as_str())
            .collect()
    }

    fn has_s3_gateway(&self, table: &str) -> bool {
        each!(self, VpcEndpoint).any(|(_, e)| {
            e.service == "s3" && e.endpoint_type == "Gateway" && e.route_tables.iter().any(|t| t == table)
        })
    }
}

/// What a VPC runtime without a NAT reaches AWS for, through interface endpoints: its image
/// (the ECR API and registry; the layers come from S3, checked apart) and its logs.
const PRIVATE_NEEDS: &[(&str, &str)] = &[
    ("ecr.api", "image pulls: the ECR API"),
    ("ecr.dkr", "image pulls: the ECR registry"),
    ("logs", "its logs: CloudWatch Logs"),
];

/// What an agent commonly calls besides: named when a private runtime cannot reach it.
const PRIVATE_WANTS: &[(&str, &str)] = &[("bedrock-runtime", "Bedrock model calls")];

/// The services of `wanted` without an endpoint among `endpoints`, as `` `svc` (why) ``.
fn services_missing(endpoints: &HashSet<&str>, wanted: &[(&str, &str)]) -> Vec<String> {
    wanted
        .iter()
        .filter(|(service, _)| !endpoints.contains(service))
        .map(|(service, why)| format!("`{service}` ({why})"))
        .collect()
}

impl Checker<'_> {
    /// S3 Files works over a versioned bucket encrypted with SSE-S3 or SSE-KMS
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-files-prerequisites.html).
    fn s3files_buckets(&mut self) {
        let mut found = Vec::new();
        for (r, fs) in each!(self, S3FilesFileSystem) {
            let Some(bucket) = self.get(Kind::S3Bucket, &fs.bucket) else {
                continue;
            };
            let ResourceSpec::S3Bucket(b) = &bucket.spec else {
                continue;
            };
            if !b.versioning {
                found.push((
                    r.addr.clone(),
                    "S3 Files needs a versioned bucket",
                    "set `versioning = true` on the bucket",
                ));
            }
            if !matches!(b.encryption.as_str(), "AES256" | "aws:kms") {
                found.push((
                    r.addr.clone(),
                    "S3 Files needs a bucket encrypted with SSE-S3 or SSE-KMS",
                    "set the bucket's `encryption` to `AES256` or `aws:kms`",
                ));
            }
        }
        for (addr, message, help) in found {
            self.error("agentfs::s3files_bucket", &addr, "bucket", message, help);
        }
    }
}
