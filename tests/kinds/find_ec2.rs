//! `resources::find` of the EC2 kinds against the local emulator: a recover (no ids) finds
//! exactly what was created for the stack, with the same id and attributes `create` returned
//! and the address from the `agentfs:resource` tag (none for routes and associations, which
//! are reached through the stack's route tables); an import (ids) finds just the known ids;
//! another stack's resources are never found.
//!
//! One test drives the whole sequence against one emulator; its clients are built from the
//! emulator's configuration (`Clients::from_config`), not from the process environment.

use crate::support;

use std::collections::BTreeMap;

use agentfs::resources::{self, Call, Clients, Created, Ctx, Found, Quiet};
use agentfs::spec::model::*;
use agentfs::spec::{Kind, ResourceSpec};

const STACK: &str = "findtest";
const OTHER: &str = "otherstack";
const REGION: &str = "us-east-1";

/// One created resource: its kind, address and what `create` returned.
struct Made {
    kind: Kind,
    stack: String,
    address: String,
    created: Created,
}

impl Made {
    fn id(&self) -> &str {
        &self.created.id
    }

    /// What a find should answer for it.
    fn found(&self) -> Found {
        let tagged = !matches!(self.kind, Kind::Route | Kind::RouteTableAssociation);
        Found {
            owner: agentfs::resources::tags::Owner {
                stack: tagged.then(|| self.stack.clone()),
                address: tagged.then(|| self.address.clone()),
            },
            created: self.created.clone(),
        }
    }
}

async fn create(ctx: &Ctx, address: &str, spec: ResourceSpec) -> Made {
    let token = resources::client_token(&format!("{}-lineage", ctx.stack), address, 0);
    let mut tags = BTreeMap::from([("team".to_string(), "storage".to_string())]);
    tags.insert(resources::TAG_STACK.into(), ctx.stack.clone());
    tags.insert(resources::TAG_RESOURCE.into(), address.into());
    let call = Call {
        address,
        token: &token,
        tags: &tags,
        timeout: None,
        progress: &Quiet,
    };
    let created = resources::create(ctx, &spec, &call)
        .await
        .unwrap_or_else(|e| panic!("create {address}: {e}"));
    Made {
        kind: spec.kind(),
        stack: ctx.stack.clone(),
        address: address.to_string(),
        created,
    }
}

async fn find(ctx: &Ctx, kind: Kind, ids: &[&str]) -> Vec<Found> {
    let mut found = resources::find(ctx, kind, ids)
        .await
        .unwrap_or_else(|e| panic!("find {kind} {ids:?}: {e}"));
    found.sort_by(|a, b| a.created.id.cmp(&b.created.id));
    found
}

fn sorted(made: &[&Made]) -> Vec<Found> {
    let mut found: Vec<Found> = made.iter().map(|m| m.found()).collect();
    found.sort_by(|a, b| a.created.id.cmp(&b.created.id));
    found
}

/// An id of `kind` that is well formed but unknown.
fn unknown_id(kind: Kind, table: &str) -> String {
    match kind {
        Kind::Vpc => "vpc-0123456789abcdef0".into(),
        Kind::Subnet => "subnet-0123456789abcdef0".into(),
        Kind::InternetGateway => "igw-0123456789abcdef0".into(),
        Kind::ElasticIp => "eipalloc-0123456789abcdef0".into(),
        Kind::NatGateway => "nat-0123456789abcdef0".into(),
        Kind::RouteTable => "rtb-0123456789abcdef0".into(),
        // A table that exists, a destination it has no route for.
        Kind::Route => format!("{table}_192.168.0.0/16"),
        Kind::RouteTableAssociation => "rtbassoc-0123456789abcdef0".into(),
        Kind::SecurityGroup => "sg-0123456789abcdef0".into(),
        Kind::VpcEndpoint => "vpce-0123456789abcdef0".into(),
        other => panic!("not an EC2 kind: {other}"),
    }
}

fn vpc_spec(cidr: &str) -> ResourceSpec {
    ResourceSpec::Vpc(VpcSpec {
        cidr_block: cidr.into(),
        enable_dns_support: true,
        enable_dns_hostnames: true,
        tags: Default::default(),
    })
}

fn subnet_spec(vpc: &Made, cidr: &str, az: u8, public: bool) -> ResourceSpec {
    ResourceSpec::Subnet(SubnetSpec {
        vpc: vpc.id().to_string(),
        cidr_block: cidr.into(),
        az_index: Some(az),
        availability_zone: None,
        availability_zone_id: None,
        map_public_ip_on_launch: public,
        tags: Default::default(),
    })
}

fn table_spec(vpc: &Made) -> ResourceSpec {
    ResourceSpec::RouteTable(RouteTableSpec {
        vpc: vpc.id().to_string(),
        tags: Default::default(),
    })
}

fn route_spec(table: &Made, igw: Option<&Made>, nat: Option<&Made>) -> ResourceSpec {
    ResourceSpec::Route(RouteSpec {
        route_table: table.id().to_string(),
        destination_cidr_block: "0.0.0.0/0".into(),
        internet_gateway: igw.map(|m| m.id().to_string()),
        nat_gateway: nat.map(|m| m.id().to_string()),
    })
}

fn association_spec(table: &Made, subnet: &Made) -> ResourceSpec {
    ResourceSpec::RouteTableAssociation(RouteTableAssociationSpec {
        route_table: table.id().to_string(),
        subnet: subnet.id().to_string(),
    })
}

fn group_spec(vpc: &Made, name: Option<&str>) -> ResourceSpec {
    ResourceSpec::SecurityGroup(SecurityGroupSpec {
        vpc: vpc.id().to_string(),
        name: name.map(String::from),
        description: "find test group".into(),
        ingress: vec![SecurityGroupRule {
            protocol: "tcp".into(),
            from_port: 2049,
            to_port: 2049,
            cidr_blocks: vec![],
            source_security_group: None,
            from_self: true,
            description: None,
        }],
        egress: None,
        tags: Default::default(),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn ec2_find_recovers_the_stack_and_imports_by_id() {
    let emu = support::Emulator::start();
    let clients = Clients::from_config(&emu.sdk_config().await, true);
    let account = Ctx::caller_account(&clients).await.expect("sts");
    let ctx = Ctx::new(clients.clone(), REGION, &account, STACK);
    let ctx = &ctx;
    let other = Ctx::new(clients, REGION, &account, OTHER);
    let other = &other;

    // ---- another stack's network, created first: none of it may be found ----
    let o_vpc = create(other, "vpc.main", vpc_spec("10.40.0.0/16")).await;
    let o_subnet = create(other, "subnet.a", subnet_spec(&o_vpc, "10.40.1.0/24", 0, false)).await;
    let o_igw = create(
        other,
        "internet_gateway.main",
        ResourceSpec::InternetGateway(InternetGatewaySpec {
            vpc: o_vpc.id().to_string(),
            tags: Default::default(),
        }),
    )
    .await;
    let o_eip = create(
        other,
        "elastic_ip.spare",
        ResourceSpec::ElasticIp(ElasticIpSpec {
            tags: Default::default(),
        }),
    )
    .await;
    // (The emulator ignores tag filters on DescribeNatGateways: find checks the tags itself.)
    let o_nat = create(
        other,
        "nat_gateway.main",
        ResourceSpec::NatGateway(NatGatewaySpec {
            subnet: o_subnet.id().to_string(),
            elastic_ip: o_eip.id().to_string(),
            tags: Default::default(),
        }),
    )
    .await;
    let o_rt = create(other, "route_table.main", table_spec(&o_vpc)).await;
    let o_route = create(other, "route.default", route_spec(&o_rt, Some(&o_igw), None)).await;
    let o_assoc = create(other, "route_table_association.a", association_spec(&o_rt, &o_subnet)).await;
    let o_sg = create(other, "security_group.fs", group_spec(&o_vpc, None)).await;

    // ---- this stack's network ----
    let vpc = create(ctx, "vpc.main", vpc_spec("10.30.0.0/16")).await;
    let public_a = create(ctx, "subnet.public_a", subnet_spec(&vpc, "10.30.101.0/24", 0, true)).await;
    let private_b = create(ctx, "subnet.private_b", subnet_spec(&vpc, "10.30.2.0/24", 1, false)).await;
    let igw = create(
        ctx,
        "internet_gateway.main",
        ResourceSpec::InternetGateway(InternetGatewaySpec {
            vpc: vpc.id().to_string(),
            tags: Default::default(),
        }),
    )
    .await;
    let eip = create(
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
    let public_rt = create(ctx, "route_table.public", table_spec(&vpc)).await;
    let private_rt = create(ctx, "route_table.private", table_spec(&vpc)).await;
    let public_route = create(ctx, "route.public_default", route_spec(&public_rt, Some(&igw), None)).await;
    let private_route = create(ctx, "route.private_default", route_spec(&private_rt, None, Some(&nat))).await;
    let public_assoc = create(
        ctx,
        "route_table_association.public_a",
        association_spec(&public_rt, &public_a),
    )
    .await;
    let private_assoc = create(
        ctx,
        "route_table_association.private_b",
        association_spec(&private_rt, &private_b),
    )
    .await;
    let fs_sg = create(ctx, "security_group.fs", group_spec(&vpc, None)).await;
    let app_sg = create(ctx, "security_group.app", group_spec(&vpc, Some("find-app"))).await;
    // A gateway endpoint adds its own route (to `vpce-...`) to the private table.
    let endpoint = create(
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

    let tables = ctx
        .clients
        .ec2
        .describe_route_tables()
        .route_table_ids(private_rt.id())
        .send()
        .await
        .unwrap();
    let gateways: Vec<&str> = tables.route_tables()[0]
        .routes()
        .iter()
        .filter_map(|r| r.gateway_id())
        .collect();
    assert!(gateways.contains(&"local"), "{gateways:?}");
    assert!(gateways.iter().any(|g| g.starts_with("vpce-")), "{gateways:?}");

    let kinds: Vec<Vec<&Made>> = vec![
        vec![&vpc],
        vec![&public_a, &private_b],
        vec![&igw],
        vec![&eip],
        vec![&nat],
        vec![&public_rt, &private_rt],
        vec![&public_route, &private_route],
        vec![&public_assoc, &private_assoc],
        vec![&fs_sg, &app_sg],
        vec![&endpoint],
    ];
    let others = [
        &o_vpc, &o_subnet, &o_igw, &o_eip, &o_nat, &o_rt, &o_route, &o_assoc, &o_sg,
    ];

    for made in &kinds {
        let kind = made[0].kind;
        // ---- recover: exactly the stack's resources, as create returned them ----
        let found = find(ctx, kind, &[]).await;
        println!("find {kind}: {found:?}");
        assert_eq!(found, sorted(made), "recover {kind}");
        for o in others.iter().filter(|o| o.kind == kind) {
            assert!(
                found.iter().all(|f| f.created.id != o.id()),
                "{kind} {} of another stack found",
                o.id()
            );
        }

        // ---- import: just the known id; unknown and malformed ids are left out ----
        let unknown = unknown_id(kind, public_rt.id());
        for m in made {
            let found = find(ctx, kind, &[m.id(), "unknown-id", &unknown]).await;
            assert_eq!(found, vec![m.found()], "import {kind} {}", m.id());
        }
        let found = find(ctx, kind, &[&unknown]).await;
        assert_eq!(found, vec![], "import of an unknown {kind}");
    }

    // Import does not care about the stack: the other stack's resources are found by id.
    for o in others {
        let found = find(ctx, o.kind, &[o.id()]).await;
        assert_eq!(found, vec![o.found()], "import {} of another stack", o.kind);
    }
    // ...and the other stack recovers just its own.
    assert_eq!(find(other, Kind::Route, &[]).await, vec![o_route.found()]);
    assert_eq!(
        find(other, Kind::RouteTableAssociation, &[]).await,
        vec![o_assoc.found()]
    );
    assert_eq!(find(other, Kind::Vpc, &[]).await, vec![o_vpc.found()]);

    // ---- gone resources: a deleting NAT gateway and a deleted endpoint are not found ----
    let ec2 = &ctx.clients.ec2;
    ec2.delete_nat_gateway().nat_gateway_id(nat.id()).send().await.unwrap();
    assert_eq!(find(ctx, Kind::NatGateway, &[]).await, vec![]);
    assert_eq!(find(ctx, Kind::NatGateway, &[nat.id()]).await, vec![]);
    ec2.delete_vpc_endpoints()
        .vpc_endpoint_ids(endpoint.id())
        .send()
        .await
        .unwrap();
    assert_eq!(find(ctx, Kind::VpcEndpoint, &[]).await, vec![]);
    assert_eq!(find(ctx, Kind::VpcEndpoint, &[endpoint.id()]).await, vec![]);
}
