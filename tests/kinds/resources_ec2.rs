//! The EC2 resource kinds against the local emulator: the network of the reference stack is
//! created in dependency order, created again with the same tokens (no duplicates), updated in
//! place, and deleted in reverse order until nothing is left.
//!
//! One test drives the whole sequence against one emulator; its clients are built from the
//! emulator's configuration (`Clients::from_config`), not from the process environment.

use crate::support;

use std::collections::BTreeMap;

use agentfs::resources::{self, Call, Clients, Created, Ctx, Prior, Quiet};
use agentfs::spec::model::*;
use agentfs::spec::{Kind, ResourceSpec};
use aws_sdk_ec2::types::Filter;

const STACK: &str = "ec2test";
const REGION: &str = "us-east-1";

/// What the engine would keep in state for one resource.
struct Made {
    address: String,
    spec: ResourceSpec,
    token: String,
    tags: BTreeMap<String, String>,
    created: Created,
}

impl Made {
    fn id(&self) -> &str {
        &self.created.id
    }
}

fn tags_for(address: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::from([
        (resources::TAG_STACK.to_string(), STACK.to_string()),
        (resources::TAG_RESOURCE.to_string(), address.to_string()),
    ]);
    for (k, v) in extra {
        tags.insert(k.to_string(), v.to_string());
    }
    tags
}

fn call<'a>(address: &'a str, token: &'a str, tags: &'a BTreeMap<String, String>) -> Call<'a> {
    Call {
        address,
        token,
        tags,
        timeout: None,
        progress: &Quiet,
    }
}

async fn create(ctx: &Ctx, address: &str, spec: ResourceSpec) -> Made {
    let token = resources::client_token("test-lineage", address, 0);
    let tags = tags_for(address, &[]);
    let created = resources::create(ctx, &spec, &call(address, &token, &tags))
        .await
        .unwrap_or_else(|e| panic!("create {address}: {e}"));
    Made {
        address: address.to_string(),
        spec,
        token,
        tags,
        created,
    }
}

/// Create again with the same token: the contract says the same resource comes back.
async fn create_again(ctx: &Ctx, made: &Made) {
    let again = resources::create(ctx, &made.spec, &call(&made.address, &made.token, &made.tags))
        .await
        .unwrap_or_else(|e| panic!("second create {}: {e}", made.address));
    assert_eq!(
        again.id, made.created.id,
        "second create of {} made another",
        made.address
    );
}

async fn update(ctx: &Ctx, made: &mut Made, spec: ResourceSpec, tags: BTreeMap<String, String>) {
    let config = serde_json::to_value(&made.spec).unwrap();
    let prior = Prior {
        id: &made.created.id,
        attributes: &made.created.attributes,
        config: &config,
        tags: &made.tags,
    };
    let updated = resources::update(ctx, &spec, &call(&made.address, &made.token, &tags), &prior)
        .await
        .unwrap_or_else(|e| panic!("update {}: {e}", made.address));
    assert_eq!(updated.id, made.created.id, "update of {} changed its id", made.address);
    made.spec = spec;
    made.tags = tags;
    made.created = updated;
}

async fn delete(ctx: &Ctx, made: &Made) {
    let config = serde_json::to_value(&made.spec).unwrap();
    let prior = Prior {
        id: &made.created.id,
        attributes: &made.created.attributes,
        config: &config,
        tags: &made.tags,
    };
    let kind: Kind = made.spec.kind();
    resources::delete(ctx, kind, &made.address, &prior, None, &Quiet)
        .await
        .unwrap_or_else(|e| panic!("delete {}: {e}", made.address));
    // Deleting what is gone is done, not an error.
    resources::delete(ctx, kind, &made.address, &prior, None, &Quiet)
        .await
        .unwrap_or_else(|e| panic!("second delete {}: {e}", made.address));
}

fn stack_filter() -> Filter {
    Filter::builder()
        .name(format!("tag:{}", resources::TAG_STACK))
        .values(STACK)
        .build()
}

fn ingress_rule(protocol: &str, port: i32) -> SecurityGroupRule {
    SecurityGroupRule {
        protocol: protocol.into(),
        from_port: port,
        to_port: port,
        cidr_blocks: vec![],
        source_security_group: None,
        from_self: false,
        description: None,
    }
}

/// Counts what the stack owns, by the describe calls an operator would use.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    vpcs: usize,
    subnets: usize,
    internet_gateways: usize,
    addresses: usize,
    nat_gateways: usize,
    route_tables: usize,
    security_groups: usize,
    vpc_endpoints: usize,
}

async fn counts(ec2: &aws_sdk_ec2::Client) -> Counts {
    let nat_gateways = ec2
        .describe_nat_gateways()
        .filter(stack_filter())
        .send()
        .await
        .unwrap()
        .nat_gateways()
        .iter()
        .filter(|n| n.state().is_none_or(|s| !s.as_str().eq_ignore_ascii_case("deleted")))
        .count();
    let vpc_endpoints = ec2
        .describe_vpc_endpoints()
        .filters(stack_filter())
        .send()
        .await
        .unwrap()
        .vpc_endpoints()
        .iter()
        .filter(|e| e.state().is_none_or(|s| !s.as_str().eq_ignore_ascii_case("deleted")))
        .count();
    Counts {
        vpcs: ec2
            .describe_vpcs()
            .filters(stack_filter())
            .send()
            .await
            .unwrap()
            .vpcs()
            .len(),
        subnets: ec2
            .describe_subnets()
            .filters(stack_filter())
            .send()
            .await
            .unwrap()
            .subnets()
            .len(),
        internet_gateways: ec2
            .describe_internet_gateways()
            .filters(stack_filter())
            .send()
            .await
            .unwrap()
            .internet_gateways()
            .len(),
        addresses: ec2
            .describe_addresses()
            .filters(stack_filter())
            .send()
            .await
            .unwrap()
            .addresses()
            .len(),
        nat_gateways,
        route_tables: ec2
            .describe_route_tables()
            .filters(stack_filter())
            .send()
            .await
            .unwrap()
            .route_tables()
            .len(),
        security_groups: ec2
            .describe_security_groups()
            .filters(stack_filter())
            .send()
            .await
            .unwrap()
            .security_groups()
            .len(),
        vpc_endpoints,
    }
}

async fn routes(ec2: &aws_sdk_ec2::Client, rtb: &str) -> aws_sdk_ec2::types::RouteTable {
    let out = ec2.describe_route_tables().route_table_ids(rtb).send().await.unwrap();
    out.route_tables()[0].clone()
}

fn default_route_target(table: &aws_sdk_ec2::types::RouteTable) -> Option<String> {
    table
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .and_then(|r| r.nat_gateway_id().or(r.gateway_id()).map(String::from))
}

async fn group(ec2: &aws_sdk_ec2::Client, id: &str) -> aws_sdk_ec2::types::SecurityGroup {
    let out = ec2.describe_security_groups().group_ids(id).send().await.unwrap();
    out.security_groups()[0].clone()
}

/// (protocol, from, to, source) of every permission, sources being CIDRs or group ids.
fn permissions(perms: &[aws_sdk_ec2::types::IpPermission]) -> Vec<(String, Option<i32>, Option<i32>, String)> {
    let mut out = Vec::new();
    for p in perms {
        let key = |source: &str| {
            (
                p.ip_protocol().unwrap_or_default().to_string(),
                p.from_port(),
                p.to_port(),
                source.to_string(),
            )
        };
        out.extend(p.ip_ranges().iter().filter_map(|r| r.cidr_ip()).map(key));
        out.extend(p.user_id_group_pairs().iter().filter_map(|g| g.group_id()).map(key));
    }
    out.sort();
    out
}

fn has_permission(
    perms: &[(String, Option<i32>, Option<i32>, String)],
    protocol: &str,
    port: Option<i32>,
    source: &str,
) -> bool {
    perms
        .iter()
        .any(|(p, from, _, s)| p == protocol && s == source && (port.is_none() || *from == port))
}

#[tokio::test(flavor = "multi_thread")]
async fn ec2_network_is_created_idempotently_updated_and_deleted() {
    let emu = support::Emulator::start();
    let clients = Clients::from_config(&emu.sdk_config().await, true);
    let account = Ctx::caller_account(&clients).await.expect("sts");
    let ctx = Ctx::new(clients, REGION, &account, STACK);
    network_roundtrip(&ctx, &emu).await;

    // Again through throttling and 503s: the SDK's retries and our waiters absorb them.
    emu.reset();
    emu.configure(r#"{"throttle_rate": 0.15, "unavailable_rate": 0.05, "fault_seed": 7}"#);
    network_roundtrip(&ctx, &emu).await;
    let faulted = emu
        .calls()
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["faulted"].is_null())
        .count();
    assert!(faulted > 0, "the fault knobs took effect");
}

async fn network_roundtrip(ctx: &Ctx, emu: &support::Emulator) {
    let ec2 = ctx.clients.ec2.clone();
    let account = ctx.account_id.clone();
    let zone_a = ctx.availability_zone(0).await.unwrap();
    let zone_b = ctx.availability_zone(1).await.unwrap();

    // ---- create, in dependency order ----
    let vpc = create(
        ctx,
        "vpc.main",
        ResourceSpec::Vpc(VpcSpec {
            cidr_block: "10.20.0.0/16".into(),
            enable_dns_support: true,
            enable_dns_hostnames: true,
            tags: Default::default(),
        }),
    )
    .await;
    let subnet = |cidr: &str, az: u8, public: bool| {
        ResourceSpec::Subnet(SubnetSpec {
            vpc: vpc.id().to_string(),
            cidr_block: cidr.into(),
            az_index: Some(az),
            availability_zone: None,
            availability_zone_id: None,
            map_public_ip_on_launch: public,
            tags: Default::default(),
        })
    };
    let public_a = create(ctx, "subnet.public_a", subnet("10.20.101.0/24", 0, true)).await;
    let mut private_b = create(ctx, "subnet.private_b", subnet("10.20.2.0/24", 1, false)).await;
    let igw = create(
        ctx,
        "internet_gateway.main",
        ResourceSpec::InternetGateway(InternetGatewaySpec {
            vpc: vpc.id().to_string(),
            tags: Default::default(),
        }),
    )
    .await;
    let mut eip = create(
        ctx,
        "elastic_ip.nat",
        ResourceSpec::ElasticIp(ElasticIpSpec {
            tags: Default::default(),
        }),
    )
    .await;
    let nat = create(
        ctx,
        "nat_gateway.main",
        ResourceSpec::NatGateway(NatGatewaySpec {
            subnet: public_a.id().to_string(),
            elastic_ip: eip.id().to_string(),
            tags: Default::default(),
        }),
    )
    .await;
    let table = |name: &str| {
        let _ = name;
        ResourceSpec::RouteTable(RouteTableSpec {
            vpc: vpc.id().to_string(),
            tags: Default::default(),
        })
    };
    let public_rt = create(ctx, "route_table.public", table("public")).await;
    let private_rt = create(ctx, "route_table.private", table("private")).await;
    let route = |rtb: &Made, igw: Option<&Made>, nat: Option<&Made>| {
        ResourceSpec::Route(RouteSpec {
            route_table: rtb.id().to_string(),
            destination_cidr_block: "0.0.0.0/0".into(),
            internet_gateway: igw.map(|m| m.id().to_string()),
            nat_gateway: nat.map(|m| m.id().to_string()),
        })
    };
    let public_route = create(ctx, "route.public_default", route(&public_rt, Some(&igw), None)).await;
    let mut private_route = create(ctx, "route.private_default", route(&private_rt, None, Some(&nat))).await;
    let assoc = |rtb: &Made, subnet: &Made| {
        ResourceSpec::RouteTableAssociation(RouteTableAssociationSpec {
            route_table: rtb.id().to_string(),
            subnet: subnet.id().to_string(),
        })
    };
    let public_assoc = create(ctx, "route_table_association.public_a", assoc(&public_rt, &public_a)).await;
    let private_assoc = create(ctx, "route_table_association.private_b", assoc(&private_rt, &private_b)).await;
    let mut nfs = ingress_rule("tcp", 2049);
    nfs.from_self = true;
    nfs.description = Some("NFS from itself".into());
    let sg_spec = SecurityGroupSpec {
        vpc: vpc.id().to_string(),
        name: None,
        description: "agentfs test group".into(),
        ingress: vec![nfs.clone()],
        egress: None,
        tags: Default::default(),
    };
    let mut sg = create(ctx, "security_group.fs", ResourceSpec::SecurityGroup(sg_spec.clone())).await;
    let mut endpoint = create(
        ctx,
        "vpc_endpoint.s3",
        ResourceSpec::VpcEndpoint(VpcEndpointSpec {
            vpc: vpc.id().to_string(),
            service: "s3".into(),
            endpoint_type: "Gateway".into(),
            route_tables: vec![private_rt.id().to_string()],
            subnets: Vec::new(),
            security_groups: Vec::new(),
            private_dns: None,
            policy: None,
            tags: Default::default(),
        }),
    )
    .await;

    // ---- what AWS now holds ----
    let subnets = ec2
        .describe_subnets()
        .subnet_ids(public_a.id())
        .subnet_ids(private_b.id())
        .send()
        .await
        .unwrap();
    for s in subnets.subnets() {
        let (cidr, zone, public) = if s.subnet_id() == Some(public_a.id()) {
            ("10.20.101.0/24", &zone_a, true)
        } else {
            ("10.20.2.0/24", &zone_b, false)
        };
        assert_eq!(s.vpc_id(), Some(vpc.id()));
        assert_eq!(s.cidr_block(), Some(cidr));
        assert_eq!(s.availability_zone(), Some(zone.as_str()));
        assert_eq!(s.map_public_ip_on_launch(), Some(public), "{:?}", s.subnet_id());
        assert!(
            s.tags()
                .iter()
                .any(|t| t.key() == Some(resources::TAG_STACK) && t.value() == Some(STACK)),
            "subnet tagged at creation"
        );
    }
    assert_eq!(subnets.subnets().len(), 2);
    assert_eq!(public_a.created.attributes["availability_zone"], zone_a);
    assert_eq!(public_a.created.attributes["cidr_block"], "10.20.101.0/24");
    assert!(public_a.created.attributes["arn"].ends_with(&format!(":subnet/{}", public_a.id())));

    let gateways = ec2
        .describe_internet_gateways()
        .internet_gateway_ids(igw.id())
        .send()
        .await
        .unwrap();
    let attached: Vec<_> = gateways.internet_gateways()[0]
        .attachments()
        .iter()
        .filter_map(|a| a.vpc_id())
        .collect();
    assert_eq!(attached, vec![vpc.id()]);

    let addresses = ec2.describe_addresses().allocation_ids(eip.id()).send().await.unwrap();
    assert_eq!(
        addresses.addresses()[0].public_ip(),
        eip.created.attributes.get("public_ip").map(String::as_str)
    );
    assert!(eip.id().starts_with("eipalloc-"));

    let nats = ec2
        .describe_nat_gateways()
        .nat_gateway_ids(nat.id())
        .send()
        .await
        .unwrap();
    let live_nat = &nats.nat_gateways()[0];
    assert_eq!(live_nat.state().map(|s| s.as_str()), Some("available"));
    assert_eq!(live_nat.subnet_id(), Some(public_a.id()));
    assert_eq!(
        live_nat.nat_gateway_addresses()[0].allocation_id(),
        Some(eip.id()),
        "NAT uses the EIP"
    );

    let public_table = routes(&ec2, public_rt.id()).await;
    let private_table = routes(&ec2, private_rt.id()).await;
    assert_eq!(default_route_target(&public_table).as_deref(), Some(igw.id()));
    assert_eq!(default_route_target(&private_table).as_deref(), Some(nat.id()));
    assert_eq!(public_route.id(), format!("{}_0.0.0.0/0", public_rt.id()));
    let associated = |table: &aws_sdk_ec2::types::RouteTable, made: &Made, subnet: &Made| {
        table
            .associations()
            .iter()
            .any(|a| a.route_table_association_id() == Some(made.id()) && a.subnet_id() == Some(subnet.id()))
    };
    assert!(associated(&public_table, &public_assoc, &public_a));
    assert!(associated(&private_table, &private_assoc, &private_b));
    assert!(public_assoc.id().starts_with("rtbassoc-"));

    let live_sg = group(&ec2, sg.id()).await;
    assert_eq!(live_sg.group_name(), Some("ec2test-fs"));
    assert_eq!(sg.created.attributes["name"], "ec2test-fs");
    assert_eq!(live_sg.vpc_id(), Some(vpc.id()));
    let ingress = permissions(live_sg.ip_permissions());
    assert_eq!(
        ingress,
        vec![("tcp".into(), Some(2049), Some(2049), sg.id().to_string())]
    );
    let egress = permissions(live_sg.ip_permissions_egress());
    assert!(
        has_permission(&egress, "-1", None, "0.0.0.0/0"),
        "default egress kept: {egress:?}"
    );

    let endpoints = ec2
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(endpoint.id())
        .send()
        .await
        .unwrap();
    let live_endpoint = &endpoints.vpc_endpoints()[0];
    assert!(
        live_endpoint
            .state()
            .is_some_and(|s| s.as_str().eq_ignore_ascii_case("available"))
    );
    assert_eq!(live_endpoint.service_name(), Some("com.amazonaws.us-east-1.s3"));
    assert_eq!(live_endpoint.route_table_ids(), [private_rt.id().to_string()]);
    assert_eq!(
        endpoint.created.attributes["service_name"],
        "com.amazonaws.us-east-1.s3"
    );

    let expected = Counts {
        vpcs: 1,
        subnets: 2,
        internet_gateways: 1,
        addresses: 1,
        nat_gateways: 1,
        route_tables: 2,
        security_groups: 1,
        vpc_endpoints: 1,
    };
    assert_eq!(counts(&ec2).await, expected);

    // ---- create again with the same tokens: a resumed apply makes nothing new ----
    for made in [
        &vpc,
        &public_a,
        &private_b,
        &igw,
        &eip,
        &nat,
        &public_rt,
        &private_rt,
        &public_route,
        &private_route,
        &public_assoc,
        &private_assoc,
        &sg,
        &endpoint,
    ] {
        create_again(ctx, made).await;
    }
    assert_eq!(counts(&ec2).await, expected);
    let private_table = routes(&ec2, private_rt.id()).await;
    assert_eq!(
        private_table
            .associations()
            .iter()
            .filter(|a| !a.main().unwrap_or(false))
            .count(),
        1
    );
    let live_sg = group(&ec2, sg.id()).await;
    assert_eq!(permissions(live_sg.ip_permissions()).len(), 1, "no duplicate rules");

    // ---- updates in place ----
    // subnet: public IPs on launch, and a tag.
    let mut spec = subnet("10.20.2.0/24", 1, true);
    update(
        ctx,
        &mut private_b,
        spec.clone(),
        tags_for("subnet.private_b", &[("team", "storage")]),
    )
    .await;
    let s = ec2.describe_subnets().subnet_ids(private_b.id()).send().await.unwrap();
    assert_eq!(s.subnets()[0].map_public_ip_on_launch(), Some(true));
    assert!(
        s.subnets()[0]
            .tags()
            .iter()
            .any(|t| t.key() == Some("team") && t.value() == Some("storage"))
    );
    if let ResourceSpec::Subnet(s) = &mut spec {
        s.map_public_ip_on_launch = false;
    }
    update(ctx, &mut private_b, spec, tags_for("subnet.private_b", &[])).await;
    let s = ec2.describe_subnets().subnet_ids(private_b.id()).send().await.unwrap();
    assert_eq!(s.subnets()[0].map_public_ip_on_launch(), Some(false));
    assert!(
        !s.subnets()[0].tags().iter().any(|t| t.key() == Some("team")),
        "stale tag removed"
    );

    // route: NAT -> IGW -> NAT (ReplaceRoute).
    update(
        ctx,
        &mut private_route,
        route(&private_rt, Some(&igw), None),
        BTreeMap::new(),
    )
    .await;
    assert_eq!(
        default_route_target(&routes(&ec2, private_rt.id()).await).as_deref(),
        Some(igw.id())
    );
    update(
        ctx,
        &mut private_route,
        route(&private_rt, None, Some(&nat)),
        BTreeMap::new(),
    )
    .await;
    assert_eq!(
        default_route_target(&routes(&ec2, private_rt.id()).await).as_deref(),
        Some(nat.id())
    );

    // security group: one more ingress rule, and egress limited to HTTPS.
    let mut https = ingress_rule("tcp", 443);
    https.cidr_blocks = vec!["10.0.0.0/8".into()];
    let mut limited = sg_spec.clone();
    limited.ingress.push(https.clone());
    let mut out = ingress_rule("tcp", 443);
    out.cidr_blocks = vec!["0.0.0.0/0".into()];
    limited.egress = Some(vec![out]);
    update(
        ctx,
        &mut sg,
        ResourceSpec::SecurityGroup(limited),
        tags_for("security_group.fs", &[]),
    )
    .await;
    let live_sg = group(&ec2, sg.id()).await;
    let ingress = permissions(live_sg.ip_permissions());
    assert!(has_permission(&ingress, "tcp", Some(2049), sg.id()), "{ingress:?}");
    assert!(has_permission(&ingress, "tcp", Some(443), "10.0.0.0/8"), "{ingress:?}");
    assert_eq!(ingress.len(), 2);
    let egress = permissions(live_sg.ip_permissions_egress());
    assert_eq!(egress, vec![("tcp".into(), Some(443), Some(443), "0.0.0.0/0".into())]);
    // ...and back: the HTTPS ingress revoked, the default egress restored.
    update(
        ctx,
        &mut sg,
        ResourceSpec::SecurityGroup(sg_spec.clone()),
        tags_for("security_group.fs", &[]),
    )
    .await;
    let live_sg = group(&ec2, sg.id()).await;
    assert_eq!(
        permissions(live_sg.ip_permissions()),
        vec![("tcp".into(), Some(2049), Some(2049), sg.id().to_string())]
    );
    let egress = permissions(live_sg.ip_permissions_egress());
    assert_eq!(egress.len(), 1, "{egress:?}");
    assert!(has_permission(&egress, "-1", None, "0.0.0.0/0"), "{egress:?}");

    // vpc endpoint: on both route tables, then back on the private one.
    let endpoint_spec = |tables: Vec<String>| {
        ResourceSpec::VpcEndpoint(VpcEndpointSpec {
            vpc: vpc.id().to_string(),
            service: "s3".into(),
            endpoint_type: "Gateway".into(),
            route_tables: tables,
            subnets: Vec::new(),
            security_groups: Vec::new(),
            private_dns: None,
            policy: None,
            tags: Default::default(),
        })
    };
    let both = vec![private_rt.id().to_string(), public_rt.id().to_string()];
    update(
        ctx,
        &mut endpoint,
        endpoint_spec(both),
        tags_for("vpc_endpoint.s3", &[]),
    )
    .await;
    let live = ec2
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(endpoint.id())
        .send()
        .await
        .unwrap();
    let mut tables = live.vpc_endpoints()[0].route_table_ids().to_vec();
    tables.sort();
    let mut want = vec![private_rt.id().to_string(), public_rt.id().to_string()];
    want.sort();
    assert_eq!(tables, want);
    update(
        ctx,
        &mut endpoint,
        endpoint_spec(vec![private_rt.id().to_string()]),
        tags_for("vpc_endpoint.s3", &[]),
    )
    .await;
    let live = ec2
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(endpoint.id())
        .send()
        .await
        .unwrap();
    assert_eq!(live.vpc_endpoints()[0].route_table_ids(), [private_rt.id().to_string()]);

    // elastic ip: tags only.
    update(
        ctx,
        &mut eip,
        ResourceSpec::ElasticIp(ElasticIpSpec {
            tags: Default::default(),
        }),
        tags_for("elastic_ip.nat", &[("Name", "nat")]),
    )
    .await;
    let live = ec2.describe_addresses().allocation_ids(eip.id()).send().await.unwrap();
    assert!(
        live.addresses()[0]
            .tags()
            .iter()
            .any(|t| t.key() == Some("Name") && t.value() == Some("nat"))
    );

    // ---- delete in reverse order ----
    delete(ctx, &endpoint).await;
    let gone = ec2
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(endpoint.id())
        .send()
        .await;
    assert!(
        gone.map(|o| o
            .vpc_endpoints()
            .iter()
            .all(|e| e.state().is_some_and(|s| s.as_str().eq_ignore_ascii_case("deleted"))))
            .unwrap_or(true),
        "endpoint gone"
    );
    delete(ctx, &sg).await;
    delete(ctx, &private_assoc).await;
    delete(ctx, &public_assoc).await;
    delete(ctx, &private_route).await;
    delete(ctx, &public_route).await;
    assert_eq!(default_route_target(&routes(&ec2, public_rt.id()).await), None);
    delete(ctx, &private_rt).await;
    delete(ctx, &public_rt).await;
    delete(ctx, &nat).await;
    // The NAT is deleted (or forgotten) before delete returns, so the EIP can go at once.
    let nats = ec2.describe_nat_gateways().nat_gateway_ids(nat.id()).send().await;
    assert!(
        nats.map(|o| o
            .nat_gateways()
            .iter()
            .all(|n| n.state().is_some_and(|s| s.as_str() == "deleted")))
            .unwrap_or(true)
    );
    delete(ctx, &eip).await;
    delete(ctx, &igw).await;
    delete(ctx, &private_b).await;
    delete(ctx, &public_a).await;
    delete(ctx, &vpc).await;

    assert_eq!(
        counts(&ec2).await,
        Counts {
            vpcs: 0,
            subnets: 0,
            internet_gateways: 0,
            addresses: 0,
            nat_gateways: 0,
            route_tables: 0,
            security_groups: 0,
            vpc_endpoints: 0,
        }
    );
    // The emulator's own view: nothing of ours is left in EC2.
    let inventory = emu.inventory();
    let ec2_left = &inventory[&account][REGION]["ec2"];
    if let Some(kinds) = ec2_left.as_object() {
        for (kind, items) in kinds {
            assert!(
                items.as_array().is_none_or(|a| a.is_empty()),
                "{kind} left behind: {items}"
            );
        }
    }
}
