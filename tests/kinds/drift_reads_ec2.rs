//! Live reads (`resources::read`) of the EC2 kinds against the local emulator: right after
//! creation every read equals the recorded configuration (no false drift), each kind costs
//! one batched describe (the VPC's DNS flags two more calls per VPC), and changes made
//! behind agentfs's back show up as exactly that difference.
//!
//! One test drives the whole sequence against one emulator; its clients are built from the
//! emulator's configuration (`Clients::from_config`), not from the process environment.

use crate::support;

use std::collections::BTreeMap;

use agentfs::resources::{self, Call, Clients, Created, Ctx, Listed, Prior, Quiet};
use agentfs::spec::model::*;
use agentfs::spec::{Kind, ResourceSpec};
use aws_sdk_ec2::types::{AttributeBooleanValue, IpPermission, IpRange, Tag};
use serde_json::{Value, json};

const STACK: &str = "drifttest";
const REGION: &str = "us-east-1";

/// What the engine would keep in state for one resource.
struct Made {
    address: String,
    spec: ResourceSpec,
    config: Value,
    tags: BTreeMap<String, String>,
    created: Created,
}

impl Made {
    fn id(&self) -> &str {
        &self.created.id
    }
}

fn spec_tags(spec: &ResourceSpec) -> BTreeMap<String, String> {
    serde_json::to_value(spec).unwrap()["tags"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

async fn create(ctx: &Ctx, address: &str, spec: ResourceSpec) -> Made {
    let token = resources::client_token("drift-lineage", address, 0);
    let mut tags = spec_tags(&spec);
    tags.insert(resources::TAG_STACK.into(), STACK.into());
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
        address: address.to_string(),
        config: serde_json::to_value(&spec).unwrap(),
        spec,
        tags,
        created,
    }
}

/// A record of `made` with another (unknown) id, or another value of one field.
fn ghost(made: &Made, id: &str, field: Option<(&str, &str)>) -> Made {
    let mut config = made.config.clone();
    if let Some((key, value)) = field {
        config[key] = json!(value);
    }
    Made {
        address: format!("{}_ghost", made.address),
        spec: made.spec.clone(),
        config,
        tags: made.tags.clone(),
        created: Created::new(id),
    }
}

/// One batched read of `made` (all of one kind): the answers and the AWS calls it took.
async fn read(ctx: &Ctx, emu: &support::Emulator, made: &[&Made]) -> (Vec<Option<Value>>, Vec<String>) {
    let kind: Kind = made[0].spec.kind();
    let listed: Vec<Listed<'_>> = made
        .iter()
        .map(|m| Listed {
            address: &m.address,
            prior: Prior {
                id: m.id(),
                attributes: &m.created.attributes,
                config: &m.config,
                tags: &m.tags,
            },
        })
        .collect();
    let before = calls(emu).len();
    let live = resources::read(ctx, kind, &listed)
        .await
        .unwrap_or_else(|e| panic!("read {kind}: {e}"));
    let made_calls = calls(emu)[before..].to_vec();
    assert_eq!(live.len(), made.len(), "one answer per record");
    (live, made_calls)
}

fn calls(emu: &support::Emulator) -> Vec<String> {
    emu.calls()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["operation"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The recorded config with `change` applied: what a read must answer after that change.
fn changed(made: &Made, change: impl FnOnce(&mut Value)) -> Option<Value> {
    let mut value = made.config.clone();
    change(&mut value);
    Some(value)
}

fn rule(protocol: &str, port: i32, cidrs: &[&str]) -> SecurityGroupRule {
    SecurityGroupRule {
        protocol: protocol.into(),
        from_port: port,
        to_port: port,
        cidr_blocks: cidrs.iter().map(|c| c.to_string()).collect(),
        source_security_group: None,
        from_self: false,
        description: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ec2_reads_are_batched_and_show_exactly_the_drift() {
    let emu = support::Emulator::start();
    let clients = Clients::from_config(&emu.sdk_config().await, true);
    let account = Ctx::caller_account(&clients).await.expect("sts");
    let ctx = Ctx::new(clients, REGION, &account, STACK);
    let ctx = &ctx;
    let ec2 = ctx.clients.ec2.clone();

    // ---- the network of the reference stack, with a few user tags ----
    let team = BTreeMap::from([("team".to_string(), "storage".to_string())]);
    let vpc = create(
        ctx,
        "vpc.main",
        ResourceSpec::Vpc(VpcSpec {
            cidr_block: "10.30.0.0/16".into(),
            enable_dns_support: true,
            enable_dns_hostnames: true,
            tags: team.clone(),
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
    let public_a = create(ctx, "subnet.public_a", subnet("10.30.101.0/24", 0, true)).await;
    let private_b = create(ctx, "subnet.private_b", subnet("10.30.2.0/24", 1, false)).await;
    let zone_c = ctx.availability_zone(2).await.unwrap();
    let spare = create(
        ctx,
        "subnet.spare",
        ResourceSpec::Subnet(SubnetSpec {
            vpc: vpc.id().to_string(),
            cidr_block: "10.30.3.0/24".into(),
            az_index: None,
            availability_zone: Some(zone_c),
            availability_zone_id: None,
            map_public_ip_on_launch: false,
            tags: team.clone(),
        }),
    )
    .await;
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
        ResourceSpec::ElasticIp(ElasticIpSpec { tags: team.clone() }),
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
    let table = || {
        ResourceSpec::RouteTable(RouteTableSpec {
            vpc: vpc.id().to_string(),
            tags: Default::default(),
        })
    };
    let public_rt = create(ctx, "route_table.public", table()).await;
    let private_rt = create(ctx, "route_table.private", table()).await;
    let route = |rtb: &Made, igw: Option<&Made>, nat: Option<&Made>| {
        ResourceSpec::Route(RouteSpec {
            route_table: rtb.id().to_string(),
            destination_cidr_block: "0.0.0.0/0".into(),
            internet_gateway: igw.map(|m| m.id().to_string()),
            nat_gateway: nat.map(|m| m.id().to_string()),
        })
    };
    let public_route = create(ctx, "route.public_default", route(&public_rt, Some(&igw), None)).await;
    let private_route = create(ctx, "route.private_default", route(&private_rt, None, Some(&nat))).await;
    let assoc = |rtb: &Made, subnet: &Made| {
        ResourceSpec::RouteTableAssociation(RouteTableAssociationSpec {
            route_table: rtb.id().to_string(),
            subnet: subnet.id().to_string(),
        })
    };
    let public_assoc = create(ctx, "route_table_association.public_a", assoc(&public_rt, &public_a)).await;
    let private_assoc = create(ctx, "route_table_association.private_b", assoc(&private_rt, &private_b)).await;
    let mut nfs = rule("tcp", 2049, &[]);
    nfs.from_self = true;
    nfs.description = Some("NFS from itself".into());
    let mut https = rule("tcp", 443, &["10.0.0.0/8", "172.16.0.0/12"]);
    https.description = Some("HTTPS inside".into());
    let fs_sg = create(
        ctx,
        "security_group.fs",
        ResourceSpec::SecurityGroup(SecurityGroupSpec {
            vpc: vpc.id().to_string(),
            name: None,
            description: "drift test group".into(),
            ingress: vec![nfs, https],
            egress: None,
            tags: Default::default(),
        }),
    )
    .await;
    let mut from_fs = rule("tcp", 8080, &[]);
    from_fs.source_security_group = Some(fs_sg.id().to_string());
    let app_sg = create(
        ctx,
        "security_group.app",
        ResourceSpec::SecurityGroup(SecurityGroupSpec {
            vpc: vpc.id().to_string(),
            name: Some("drift-app".into()),
            description: "app group".into(),
            ingress: vec![from_fs],
            egress: Some(vec![rule("tcp", 443, &["0.0.0.0/0"])]),
            tags: team.clone(),
        }),
    )
    .await;
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

    let kinds: Vec<Vec<&Made>> = vec![
        vec![&vpc],
        vec![&public_a, &private_b, &spare],
        vec![&igw],
        vec![&eip],
        vec![&nat],
        vec![&public_rt, &private_rt],
        vec![&public_route, &private_route],
        vec![&public_assoc, &private_assoc],
        vec![&fs_sg, &app_sg],
        vec![&endpoint],
    ];

    // ---- no false drift, and the cost of one read of everything ----
    let mut total_calls = 0;
    let mut total_resources = 0;
    for made in &kinds {
        let kind = made[0].spec.kind();
        let (live, made_calls) = read(ctx, &emu, made).await;
        for (m, l) in made.iter().zip(&live) {
            assert_eq!(l.as_ref(), Some(&m.config), "{} reads back as recorded", m.address);
        }
        // One describe per kind; the VPC adds its two DNS attributes per VPC.
        let ceiling = if kind == Kind::Vpc { 1 + 2 * made.len() } else { 1 };
        println!(
            "read {kind}: {} resources, {} calls {made_calls:?}",
            made.len(),
            made_calls.len()
        );
        assert!(made_calls.len() <= ceiling, "{kind} took {made_calls:?}");
        total_calls += made_calls.len();
        total_resources += made.len();
    }
    let per_resource = total_calls as f64 / total_resources as f64;
    println!("whole network: {total_calls} calls for {total_resources} resources ({per_resource:.2} per resource)");
    assert!(
        per_resource <= 1.0,
        "{total_calls} calls for {total_resources} resources"
    );

    // ---- an unknown id costs the batch nothing: it reads as gone, the others as they are ----
    let ghosts = [
        ghost(&vpc, "vpc-0123456789abcdef0", None),
        ghost(&public_a, "subnet-0123456789abcdef0", None),
        ghost(&igw, "igw-0123456789abcdef0", None),
        ghost(&eip, "eipalloc-0123456789abcdef0", None),
        ghost(&nat, "nat-0123456789abcdef0", None),
        ghost(&public_rt, "rtb-0123456789abcdef0", None),
        ghost(
            &public_route,
            "rtb-0123456789abcdef0_0.0.0.0/0",
            Some(("route_table", "rtb-0123456789abcdef0")),
        ),
        ghost(&public_assoc, "rtbassoc-0123456789abcdef0", None),
        ghost(&fs_sg, "sg-0123456789abcdef0", None),
        ghost(&endpoint, "vpce-0123456789abcdef0", None),
    ];
    for (made, ghost) in kinds.iter().zip(&ghosts) {
        let mut batch = made.clone();
        batch.insert(0, ghost);
        let (live, made_calls) = read(ctx, &emu, &batch).await;
        let kind = ghost.spec.kind();
        println!("read {kind} with an unknown id: {made_calls:?}");
        assert_eq!(live[0], None, "unknown {kind} reads as gone");
        for (m, l) in made.iter().zip(&live[1..]) {
            assert_eq!(
                l.as_ref(),
                Some(&m.config),
                "{} still reads back as recorded",
                m.address
            );
        }
    }

    // ---- changes behind agentfs's back ----
    // subnet: public IPs on launch flipped; another subnet deleted.
    ec2.modify_subnet_attribute()
        .subnet_id(private_b.id())
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    ec2.delete_subnet().subnet_id(spare.id()).send().await.unwrap();
    let (live, made_calls) = read(ctx, &emu, &[&public_a, &private_b, &spare]).await;
    assert_eq!(live[0].as_ref(), Some(&public_a.config));
    assert_eq!(
        live[1],
        changed(&private_b, |v| v["map_public_ip_on_launch"] = json!(true))
    );
    assert_eq!(live[2], None, "deleted subnet is gone, not an error");
    println!("read subnet with one deleted: {made_calls:?}");
    assert!(made_calls.len() <= 2, "{made_calls:?}");

    // vpc: DNS hostnames turned off, a tag changed.
    ec2.modify_vpc_attribute()
        .vpc_id(vpc.id())
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(false).build())
        .send()
        .await
        .unwrap();
    ec2.create_tags()
        .resources(vpc.id())
        .tags(Tag::builder().key("team").value("platform").build())
        .send()
        .await
        .unwrap();
    let (live, _) = read(ctx, &emu, &[&vpc]).await;
    assert_eq!(
        live[0],
        changed(&vpc, |v| {
            v["enable_dns_hostnames"] = json!(false);
            v["tags"]["team"] = json!("platform");
        })
    );

    // security group: an ingress rule added by hand, and one source of a recorded rule revoked.
    ec2.authorize_security_group_ingress()
        .group_id(fs_sg.id())
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("192.168.0.0/16").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    ec2.revoke_security_group_ingress()
        .group_id(fs_sg.id())
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(IpRange::builder().cidr_ip("172.16.0.0/12").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    // ...and the app group's egress opened to everything.
    ec2.authorize_security_group_egress()
        .group_id(app_sg.id())
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (live, made_calls) = read(ctx, &emu, &[&fs_sg, &app_sg]).await;
    assert_eq!(made_calls.len(), 1, "{made_calls:?}");
    assert_eq!(
        live[0],
        changed(&fs_sg, |v| {
            v["ingress"][1]["cidr_blocks"] = json!(["10.0.0.0/8"]);
            v["ingress"]
                .as_array_mut()
                .unwrap()
                .push(json!({"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["192.168.0.0/16"]}));
        }),
        "the extra rule follows the recorded ones"
    );
    assert_eq!(
        live[1],
        changed(&app_sg, |v| {
            v["egress"]
                .as_array_mut()
                .unwrap()
                .push(json!({"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}));
        })
    );

    // routes: the private one pointed at the internet gateway, the public one deleted.
    ec2.replace_route()
        .route_table_id(private_rt.id())
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(igw.id())
        .send()
        .await
        .unwrap();
    ec2.delete_route()
        .route_table_id(public_rt.id())
        .destination_cidr_block("0.0.0.0/0")
        .send()
        .await
        .unwrap();
    let (live, made_calls) = read(ctx, &emu, &[&public_route, &private_route]).await;
    assert_eq!(made_calls.len(), 1, "{made_calls:?}");
    assert_eq!(live[0], None, "deleted route is gone");
    assert_eq!(
        live[1],
        changed(&private_route, |v| {
            v.as_object_mut().unwrap().remove("nat_gateway");
            v["internet_gateway"] = json!(igw.id());
        })
    );

    // association: the private subnet disassociated by hand.
    ec2.disassociate_route_table()
        .association_id(private_assoc.id())
        .send()
        .await
        .unwrap();
    let (live, made_calls) = read(ctx, &emu, &[&public_assoc, &private_assoc]).await;
    assert_eq!(made_calls.len(), 1, "{made_calls:?}");
    assert_eq!(live, vec![Some(public_assoc.config.clone()), None]);

    // elastic ip and route table: tags added by hand.
    for made in [&eip, &public_rt] {
        ec2.create_tags()
            .resources(made.id())
            .tags(Tag::builder().key("owner").value("alice").build())
            .send()
            .await
            .unwrap();
    }
    let (live, _) = read(ctx, &emu, &[&eip]).await;
    assert_eq!(live[0], changed(&eip, |v| v["tags"]["owner"] = json!("alice")));
    let (live, _) = read(ctx, &emu, &[&public_rt, &private_rt]).await;
    assert_eq!(live[0], changed(&public_rt, |v| v["tags"]["owner"] = json!("alice")));
    assert_eq!(live[1].as_ref(), Some(&private_rt.config));

    // vpc endpoint: the public table added by hand, then the endpoint deleted.
    ec2.modify_vpc_endpoint()
        .vpc_endpoint_id(endpoint.id())
        .add_route_table_ids(public_rt.id())
        .send()
        .await
        .unwrap();
    let (live, _) = read(ctx, &emu, &[&endpoint]).await;
    assert_eq!(
        live[0],
        changed(&endpoint, |v| v["route_tables"] =
            json!([private_rt.id(), public_rt.id()]))
    );
    ec2.delete_vpc_endpoints()
        .vpc_endpoint_ids(endpoint.id())
        .send()
        .await
        .unwrap();
    let (live, _) = read(ctx, &emu, &[&endpoint]).await;
    assert_eq!(live[0], None, "deleting/deleted endpoint is gone");

    // nat gateway: deleted by hand (deleting counts as gone), internet gateway detached.
    ec2.delete_nat_gateway().nat_gateway_id(nat.id()).send().await.unwrap();
    let (live, _) = read(ctx, &emu, &[&nat]).await;
    assert_eq!(live[0], None, "deleting NAT gateway is gone");
    let (live, _) = read(ctx, &emu, &[&igw]).await;
    assert_eq!(live[0].as_ref(), Some(&igw.config));
}
