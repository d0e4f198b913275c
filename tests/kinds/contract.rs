//! The resource contract, run for every kind (see `tests/support/contract.rs` for what is
//! checked). Each kind has one [`Case`] below (the runtime a second one, deployed from code):
//! the prerequisites it needs, its spec and its mutations with the outcome the engine must
//! choose. A kind without a case fails the test.
//!
//! `AGENTFS_CONTRACT_KINDS=vpc,route` runs only those kinds' cases.
//!
//! One test drives every case against one emulator; its clients are built from the emulator's
//! configuration (`Clients::from_config`), not from the process environment.

use crate::support;

use std::collections::BTreeMap;
use std::time::Instant;

use agentfs::spec::model::*;
use agentfs::spec::{Kind, ResourceSpec};
use serde_json::{Value, json};
use support::contract::{self, Case, Check, Mutation, Need, Outcome, trust};

fn team(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("team".to_string(), name.to_string())])
}

/// A tag change: every kind that carries tags updates them in place.
fn retag() -> Mutation {
    Mutation {
        what: "a tag changed and one added",
        set: |_| json!({"tags": {"team": "platform", "cost": "agents"}}),
        expect: Outcome::InPlace,
    }
}

fn rule(protocol: &str, port: i32, cidrs: &[&str], from_self: bool, description: Option<&str>) -> SecurityGroupRule {
    SecurityGroupRule {
        protocol: protocol.into(),
        from_port: port,
        to_port: port,
        cidr_blocks: cidrs.iter().map(|c| c.to_string()).collect(),
        source_security_group: None,
        from_self,
        description: description.map(String::from),
    }
}

fn posix_user(id: i64) -> Value {
    json!({"uid": id, "gid": id})
}

/// The code-artifact runtime's source directory, written by the test: a server whose answer
/// is `version`. The digest is stamped the way `agentfs plan` stamps it, so a content change
/// is a change of `code.sha256`.
fn code_source(version: &str) -> Value {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract-code-agent");
    std::fs::create_dir_all(dir.join("__pycache__")).unwrap();
    std::fs::write(
        dir.join("server.py"),
        format!("VERSION = {version:?}\nprint('serving', VERSION)\n"),
    )
    .unwrap();
    // Build debris: never part of the artifact, so never part of its digest.
    std::fs::write(dir.join("__pycache__/server.cpython-312.pyc"), version).unwrap();
    let zip = agentfs::resources::artifact::source_zip(&dir).unwrap();
    json!({
        "source": dir.to_string_lossy(),
        "bucket": "",
        "runtime": "PYTHON_3_12",
        "entry_point": ["server.py"],
        "sha256": zip.sha256,
    })
}

/// `code_source(version)` in the world's (versioned) bucket.
fn code(w: &contract::World, version: &str) -> Value {
    let mut code = code_source(version);
    code["bucket"] = json!(w.id(Need::Bucket));
    code
}

fn cases() -> Vec<Case> {
    use Need::*;
    vec![
        Case {
            kind: Kind::Vpc,
            variant: None,
            needs: &[],
            spec: |_| {
                ResourceSpec::Vpc(VpcSpec {
                    cidr_block: "10.70.0.0/16".into(),
                    enable_dns_support: true,
                    enable_dns_hostnames: false,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                Mutation {
                    what: "DNS hostnames on, and a tag",
                    set: |_| json!({"enable_dns_hostnames": true, "tags": team("platform")}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another CIDR block",
                    set: |_| json!({"cidr_block": "10.71.0.0/16"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::Subnet,
            variant: None,
            needs: &[Vpc],
            spec: |w| {
                ResourceSpec::Subnet(SubnetSpec {
                    vpc: w.id(Vpc),
                    cidr_block: "10.60.9.0/24".into(),
                    az_index: Some(2),
                    availability_zone: None,
                    availability_zone_id: None,
                    map_public_ip_on_launch: false,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                Mutation {
                    what: "public IPs on launch, and a tag",
                    set: |_| json!({"map_public_ip_on_launch": true, "tags": team("platform")}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another CIDR block",
                    set: |_| json!({"cidr_block": "10.60.10.0/24"}),
                    expect: Outcome::Replace,
                },
                Mutation {
                    what: "another availability zone",
                    set: |_| json!({"az_index": 0}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::InternetGateway,
            variant: None,
            needs: &[SpareVpc, Vpc],
            spec: |w| {
                ResourceSpec::InternetGateway(InternetGatewaySpec {
                    vpc: w.id(SpareVpc),
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "another VPC",
                    set: |w| json!({"vpc": w.id(Vpc)}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::ElasticIp,
            variant: None,
            needs: &[],
            spec: |_| ResourceSpec::ElasticIp(ElasticIpSpec { tags: team("contract") }),
            mutations: vec![retag()],
            known_violations: vec![],
        },
        Case {
            kind: Kind::NatGateway,
            variant: None,
            needs: &[InternetGateway, SubnetA, SubnetB, ElasticIp],
            spec: |w| {
                ResourceSpec::NatGateway(NatGatewaySpec {
                    subnet: w.id(SubnetA),
                    elastic_ip: w.id(ElasticIp),
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "another subnet",
                    set: |w| json!({"subnet": w.id(SubnetB)}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::RouteTable,
            variant: None,
            needs: &[Vpc, SpareVpc],
            spec: |w| {
                ResourceSpec::RouteTable(RouteTableSpec {
                    vpc: w.id(Vpc),
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "another VPC",
                    set: |w| json!({"vpc": w.id(SpareVpc)}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::Route,
            variant: None,
            needs: &[RouteTable, InternetGateway, NatGateway],
            spec: |w| {
                ResourceSpec::Route(RouteSpec {
                    route_table: w.id(RouteTable),
                    destination_cidr_block: "0.0.0.0/0".into(),
                    internet_gateway: Some(w.id(InternetGateway)),
                    nat_gateway: None,
                })
            },
            mutations: vec![
                Mutation {
                    what: "through the NAT gateway instead",
                    set: |w| json!({"internet_gateway": null, "nat_gateway": w.id(NatGateway)}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another destination",
                    set: |_| json!({"destination_cidr_block": "192.168.0.0/16"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::RouteTableAssociation,
            variant: None,
            needs: &[RouteTable, SpareRouteTable, SubnetA, SubnetB],
            spec: |w| {
                ResourceSpec::RouteTableAssociation(RouteTableAssociationSpec {
                    route_table: w.id(RouteTable),
                    subnet: w.id(SubnetA),
                })
            },
            // Both fields force replacement: there is nothing to change in place.
            mutations: vec![
                Mutation {
                    what: "another subnet",
                    set: |w| json!({"subnet": w.id(SubnetB)}),
                    expect: Outcome::Replace,
                },
                Mutation {
                    what: "another route table",
                    set: |w| json!({"route_table": w.id(SpareRouteTable)}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::SecurityGroup,
            variant: None,
            needs: &[Vpc],
            spec: |w| {
                ResourceSpec::SecurityGroup(SecurityGroupSpec {
                    vpc: w.id(Vpc),
                    name: None,
                    description: "contract group".into(),
                    ingress: vec![rule("tcp", 443, &["10.0.0.0/8"], false, Some("https inside"))],
                    egress: None,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                Mutation {
                    what: "NFS from itself added, egress limited to HTTPS",
                    set: |_| {
                        json!({
                            "ingress": [
                                rule("tcp", 443, &["10.0.0.0/8"], false, Some("https inside")),
                                rule("tcp", 2049, &[], true, None),
                            ],
                            "egress": [rule("tcp", 443, &["0.0.0.0/0"], false, None)],
                        })
                    },
                    expect: Outcome::InPlace,
                },
                retag(),
                Mutation {
                    what: "another description",
                    set: |_| json!({"description": "another description"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::VpcEndpoint,
            variant: None,
            needs: &[Vpc, RouteTable, SpareRouteTable],
            spec: |w| {
                ResourceSpec::VpcEndpoint(VpcEndpointSpec {
                    vpc: w.id(Vpc),
                    service: "s3".into(),
                    endpoint_type: "Gateway".into(),
                    route_tables: vec![w.id(RouteTable)],
                    subnets: Vec::new(),
                    security_groups: Vec::new(),
                    private_dns: None,
                    policy: None,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                Mutation {
                    what: "on a second route table, and a tag",
                    set: |w| json!({"route_tables": [w.id(RouteTable), w.id(SpareRouteTable)], "tags": team("platform")}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another service",
                    set: |_| json!({"service": "dynamodb"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::VpcEndpoint,
            variant: Some("interface"),
            needs: &[Vpc, SubnetA, SubnetB, SecurityGroup, SpareSecurityGroup],
            spec: |w| {
                ResourceSpec::VpcEndpoint(VpcEndpointSpec {
                    vpc: w.id(Vpc),
                    service: "ecr.api".into(),
                    endpoint_type: "Interface".into(),
                    route_tables: Vec::new(),
                    subnets: vec![w.id(SubnetA)],
                    security_groups: vec![w.id(SecurityGroup)],
                    private_dns: Some(true),
                    policy: None,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                Mutation {
                    what: "a second subnet, another group, and a tag",
                    set: |w| {
                        json!({"subnets": [w.id(SubnetA), w.id(SubnetB)],
                            "security_groups": [w.id(SpareSecurityGroup)], "tags": team("platform")})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "private DNS off and a policy",
                    set: |_| {
                        json!({"private_dns": false, "policy": {"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage", "ecr:GetAuthorizationToken"],
                            "Resource": "*"}]}})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "the policy reset to AWS's default, one subnet left",
                    set: |w| json!({"policy": null, "subnets": [w.id(SubnetB)]}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another service",
                    set: |_| json!({"service": "ecr.dkr"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::IamRole,
            variant: None,
            needs: &[ManagedPolicy, SpareManagedPolicy],
            spec: |_| {
                ResourceSpec::IamRole(IamRoleSpec {
                    name: "agentfs-contract-case".into(),
                    description: Some("contract case role".into()),
                    assume_role_policy: trust("bedrock-agentcore.amazonaws.com"),
                    inline_policies: BTreeMap::from([(
                        "ecr".to_string(),
                        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                            "Action": "ecr:BatchGetImage", "Resource": "*"}]}),
                    )]),
                    managed_policy_arns: Vec::new(),
                    tags: team("contract"),
                })
            },
            mutations: vec![
                Mutation {
                    what: "another inline policy, description and trust",
                    set: |_| {
                        json!({
                            "description": "changed in place",
                            "assume_role_policy": trust("ec2.amazonaws.com"),
                            "inline_policies": {"logs": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                "Action": ["logs:PutLogEvents", "logs:CreateLogStream"], "Resource": "*"}]}},
                        })
                    },
                    expect: Outcome::InPlace,
                },
                retag(),
                Mutation {
                    what: "a managed policy attached",
                    set: |w| json!({"managed_policy_arns": [w.attr(ManagedPolicy, "arn")]}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another managed policy instead",
                    set: |w| json!({"managed_policy_arns": [w.attr(SpareManagedPolicy, "arn")]}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another name",
                    set: |_| json!({"name": "agentfs-contract-renamed"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::S3Bucket,
            variant: None,
            needs: &[],
            spec: |w| {
                ResourceSpec::S3Bucket(S3BucketSpec {
                    name: format!("agentfs-contract-case-{}", w.account()),
                    versioning: false,
                    encryption: "AES256".into(),
                    kms_key_id: None,
                    block_public_access: None,
                    policy: None,
                    lifecycle_rules: Vec::new(),
                    force_destroy: false,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                Mutation {
                    what: "versioning on, and a tag",
                    set: |_| json!({"versioning": true, "tags": team("platform")}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "SSE-KMS with a key, every public access blocked",
                    set: |w| {
                        json!({"encryption": "aws:kms",
                            "kms_key_id": format!("arn:aws:kms:us-east-1:{}:key/00000000-0000-0000-0000-000000000000", w.account()),
                            "block_public_access": true})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "public access settings one by one, and a bucket policy",
                    set: |w| {
                        json!({"block_public_access": {"block_public_acls": true, "ignore_public_acls": true,
                                "block_public_policy": false, "restrict_public_buckets": true},
                            "policy": {"Version": "2012-10-17", "Statement": [{"Sid": "tls", "Effect": "Deny",
                                "Principal": "*", "Action": "s3:*",
                                "Resource": format!("arn:aws:s3:::agentfs-contract-case-{}/*", w.account()),
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "the policy removed, SSE-S3 again, lifecycle rules",
                    set: |_| {
                        json!({"policy": null, "encryption": "AES256", "kms_key_id": null, "lifecycle_rules": [
                            {"id": "scratch", "prefix": "tmp/", "enabled": true, "expiration_days": 7},
                            {"id": "versions", "prefix": "", "enabled": true, "noncurrent_version_expiration_days": 30,
                                "abort_incomplete_multipart_upload_days": 2},
                        ]})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "the lifecycle rules removed",
                    set: |_| json!({"lifecycle_rules": null}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "force_destroy on",
                    set: |_| json!({"force_destroy": true}),
                    expect: Outcome::LocalOnly,
                },
                Mutation {
                    what: "another name",
                    set: |w| json!({"name": format!("agentfs-contract-renamed-{}", w.account())}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::S3FilesFileSystem,
            variant: None,
            // The world's bucket: another prefix, so another file system.
            needs: &[Bucket, S3FilesRole, RuntimeRole],
            spec: |w| {
                ResourceSpec::S3FilesFileSystem(S3FilesFileSystemSpec {
                    bucket: w.attr(Bucket, "arn"),
                    role: w.attr(S3FilesRole, "arn"),
                    prefix: Some("contract/".into()),
                    kms_key_id: None,
                    accept_bucket_warning: true,
                    force_delete: false,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "another prefix",
                    set: |_| json!({"prefix": "other/"}),
                    expect: Outcome::Replace,
                },
                Mutation {
                    what: "another role",
                    set: |w| json!({"role": w.attr(RuntimeRole, "arn")}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::S3FilesMountTarget,
            variant: None,
            needs: &[S3FilesFileSystem, SubnetA, SubnetB, SecurityGroup, SpareSecurityGroup],
            spec: |w| {
                ResourceSpec::S3FilesMountTarget(S3FilesMountTargetSpec {
                    file_system: w.id(S3FilesFileSystem),
                    subnet: w.id(SubnetA),
                    security_groups: vec![w.id(SecurityGroup)],
                })
            },
            mutations: vec![
                Mutation {
                    what: "another security group",
                    set: |w| json!({"security_groups": [w.id(SpareSecurityGroup)]}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another subnet",
                    set: |w| json!({"subnet": w.id(SubnetB)}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::S3FilesAccessPoint,
            variant: None,
            needs: &[S3FilesFileSystem],
            spec: |w| {
                ResourceSpec::S3FilesAccessPoint(S3FilesAccessPointSpec {
                    file_system: w.id(S3FilesFileSystem),
                    posix_user: Some(PosixUser {
                        uid: 1000,
                        gid: 1000,
                        secondary_gids: Vec::new(),
                    }),
                    root_directory: Some(RootDirectory {
                        path: "/agent".into(),
                        creation_permissions: Some(CreationPermissions {
                            owner_uid: 1000,
                            owner_gid: 1000,
                            permissions: "0755".into(),
                        }),
                    }),
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "another POSIX user",
                    set: |_| json!({"posix_user": posix_user(2000)}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::EfsFileSystem,
            variant: None,
            needs: &[],
            spec: |_| {
                ResourceSpec::EfsFileSystem(EfsFileSystemSpec {
                    performance_mode: "generalPurpose".into(),
                    throughput_mode: "elastic".into(),
                    provisioned_throughput_mibps: None,
                    encrypted: true,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                Mutation {
                    what: "bursting throughput, and a tag",
                    set: |_| json!({"throughput_mode": "bursting", "tags": team("platform")}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "unencrypted",
                    set: |_| json!({"encrypted": false}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::EfsMountTarget,
            variant: None,
            needs: &[EfsFileSystem, SubnetA, SubnetB, SecurityGroup, SpareSecurityGroup],
            spec: |w| {
                ResourceSpec::EfsMountTarget(EfsMountTargetSpec {
                    file_system: w.id(EfsFileSystem),
                    subnet: w.id(SubnetA),
                    security_groups: vec![w.id(SecurityGroup)],
                })
            },
            mutations: vec![
                Mutation {
                    what: "another security group",
                    set: |w| json!({"security_groups": [w.id(SpareSecurityGroup)]}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another subnet",
                    set: |w| json!({"subnet": w.id(SubnetB)}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::EfsAccessPoint,
            variant: None,
            needs: &[EfsFileSystem],
            spec: |w| {
                ResourceSpec::EfsAccessPoint(EfsAccessPointSpec {
                    file_system: w.id(EfsFileSystem),
                    posix_user: Some(PosixUser {
                        uid: 1000,
                        gid: 1000,
                        secondary_gids: vec![2000],
                    }),
                    root_directory: Some(RootDirectory {
                        path: "/agent".into(),
                        creation_permissions: Some(CreationPermissions {
                            owner_uid: 1000,
                            owner_gid: 1000,
                            permissions: "755".into(),
                        }),
                    }),
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "another root directory",
                    set: |_| json!({"root_directory": {"path": "/other"}}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::AgentcoreRuntime,
            variant: None,
            needs: &[RuntimeRole, SubnetA, SubnetB, SecurityGroup],
            spec: |w| {
                ResourceSpec::AgentcoreRuntime(AgentcoreRuntimeSpec {
                    name: "contract_agent".into(),
                    description: Some("contract case runtime".into()),
                    container_uri: Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest".into()),
                    code: None,
                    image: None,
                    role: w.attr(RuntimeRole, "arn"),
                    network_mode: "VPC".into(),
                    subnets: vec![w.id(SubnetA), w.id(SubnetB)],
                    security_groups: vec![w.id(SecurityGroup)],
                    environment_variables: BTreeMap::from([
                        ("MODE".to_string(), "one".to_string()),
                        ("API_KEY".to_string(), "s3cret-value".to_string()),
                    ]),
                    sensitive_environment_variables: vec!["API_KEY".into()],
                    filesystem: vec![FilesystemMount {
                        mount_path: "/mnt/scratch".into(),
                        s3files_access_point: None,
                        efs_access_point: None,
                        session_storage: true,
                    }],
                    tags: team("contract"),
                    protocol: Some(Box::new(Protocol {
                        server_protocol: "MCP".into(),
                        port: Some(8000),
                        path: Some("/mcp".into()),
                    })),
                    jwt_authorizer: Some(Box::new(JwtAuthorizer {
                        discovery_url: "https://idp.example.com/pool/.well-known/openid-configuration".into(),
                        allowed_audience: vec!["agents".into()],
                        allowed_clients: vec!["client-1".into()],
                        allowed_scopes: vec!["agent/invoke".into()],
                        custom_claims: vec![CustomClaim {
                            name: "cognito:groups".into(),
                            value_type: "STRING_ARRAY".into(),
                            operator: "CONTAINS".into(),
                            value: None,
                            values: vec!["admins".into()],
                        }],
                    })),
                    session_lifecycle: Some(Box::new(SessionLifecycle {
                        idle_timeout: Some(600),
                        max_lifetime: None,
                    })),
                    request_header_allowlist: vec!["X-Amzn-Bedrock-AgentCore-Runtime-Custom-Trace".into()],
                    allowed_ports: vec![AllowedPort::Port(8080), AllowedPort::Range { from: 9000, to: 9010 }],
                })
            },
            mutations: vec![
                Mutation {
                    what: "an environment variable and a tag",
                    set: |_| {
                        json!({
                            "environment_variables": {"MODE": "two", "API_KEY": "s3cret-value"},
                            "tags": team("platform"),
                        })
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "protocol, authorizer, lifecycle, headers and ports changed",
                    set: |_| {
                        json!({
                            "protocol": {"server_protocol": "HTTP"},
                            "jwt_authorizer": {
                                "discovery_url": "https://idp.example.com/other/.well-known/openid-configuration",
                                "allowed_clients": ["client-2"],
                                "custom_claims": [{"name": "tier", "value_type": "STRING",
                                    "operator": "EQUALS", "value": "gold"}],
                            },
                            "session_lifecycle": {"idle_timeout": 120, "max_lifetime": 3600},
                            "request_header_allowlist": ["Authorization"],
                            "allowed_ports": [{"from": 8100, "to": 8200}],
                        })
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "serving options removed",
                    set: |_| {
                        json!({
                            "protocol": null, "jwt_authorizer": null, "session_lifecycle": null,
                            "request_header_allowlist": null, "allowed_ports": null,
                        })
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "MODE marked sensitive too",
                    set: |_| json!({"sensitive_environment_variables": ["API_KEY", "MODE"]}),
                    expect: Outcome::LocalOnly,
                },
                Mutation {
                    what: "another name",
                    set: |_| json!({"name": "contract_agent_renamed"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::AgentcoreRuntime,
            variant: Some("code"),
            needs: &[RuntimeRole, Bucket],
            spec: |w| {
                ResourceSpec::AgentcoreRuntime(AgentcoreRuntimeSpec {
                    name: "contract_code_agent".into(),
                    description: None,
                    container_uri: None,
                    code: Some(serde_json::from_value(code(w, "1")).unwrap()),
                    image: None,
                    role: w.attr(RuntimeRole, "arn"),
                    network_mode: "PUBLIC".into(),
                    subnets: Vec::new(),
                    security_groups: Vec::new(),
                    environment_variables: BTreeMap::new(),
                    sensitive_environment_variables: Vec::new(),
                    filesystem: Vec::new(),
                    tags: team("contract"),
                    protocol: None,
                    jwt_authorizer: None,
                    session_lifecycle: None,
                    request_header_allowlist: Vec::new(),
                    allowed_ports: Vec::new(),
                })
            },
            mutations: vec![
                // No code change: the recorded artifact stays, nothing is uploaded.
                retag(),
                Mutation {
                    what: "the code's content changed",
                    set: |w| json!({"code": code(w, "2")}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another entry point and runtime",
                    set: |w| {
                        let mut code = code(w, "2");
                        code["runtime"] = json!("PYTHON_3_13");
                        code["entry_point"] = json!(["opentelemetry-instrument", "server.py"]);
                        json!({"code": code})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another name",
                    set: |_| json!({"name": "contract_code_agent_renamed"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: Vec::new(),
        },
        Case {
            kind: Kind::AgentcoreRuntimeEndpoint,
            variant: None,
            needs: &[Runtime],
            spec: |w| {
                ResourceSpec::AgentcoreRuntimeEndpoint(AgentcoreRuntimeEndpointSpec {
                    runtime: w.id(Runtime),
                    name: "contract_prod".into(),
                    description: Some("contract case endpoint".into()),
                    version: None,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "pinned to version 1 and described anew",
                    set: |_| json!({"version": "1", "description": "pinned"}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "following the newest version again, no description",
                    set: |_| json!({"version": null, "description": null}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another name",
                    set: |_| json!({"name": "contract_staging"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::EcrRepository,
            variant: None,
            needs: &[],
            spec: |_| {
                ResourceSpec::EcrRepository(EcrRepositorySpec {
                    name: "agentfs-contract/agent".into(),
                    image_tag_mutability: "MUTABLE".into(),
                    scan_on_push: false,
                    encryption: "AES256".into(),
                    kms_key: None,
                    force_delete: false,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "tags immutable and images scanned on push",
                    set: |_| json!({"image_tag_mutability": "IMMUTABLE", "scan_on_push": true}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "force_delete set",
                    set: |_| json!({"force_delete": true}),
                    expect: Outcome::LocalOnly,
                },
                Mutation {
                    what: "KMS encryption",
                    set: |_| json!({"encryption": "KMS"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::KmsKey,
            variant: None,
            needs: &[],
            spec: |_| {
                ResourceSpec::KmsKey(KmsKeySpec {
                    description: Some("contract case key".into()),
                    alias: Some("alias/agentfs-contract".into()),
                    enable_rotation: false,
                    deletion_window_days: 7,
                    policy: None,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "rotation on, another alias and description",
                    set: |_| {
                        json!({"enable_rotation": true, "alias": "alias/agentfs-contract-renamed",
                            "description": "changed in place"})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "a key policy",
                    set: |w| {
                        json!({"policy": {"Version": "2012-10-17", "Statement": [{"Sid": "account",
                            "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{}:root", w.account())},
                            "Action": "kms:*", "Resource": "*"}]}})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "a longer deletion window",
                    set: |_| json!({"deletion_window_days": 30}),
                    expect: Outcome::LocalOnly,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::IamPolicy,
            variant: None,
            needs: &[],
            spec: |_| {
                ResourceSpec::IamPolicy(IamPolicySpec {
                    name: "agentfs-contract-tools".into(),
                    path: "/agentfs/".into(),
                    description: Some("contract case policy".into()),
                    document: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "document version 2",
                    set: |_| json!({"document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "document version 3",
                    set: |_| json!({"document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "*"}]}}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "document version 4",
                    set: |_| json!({"document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "document version 5",
                    set: |_| json!({"document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "document version 6 (IAM's limit of five: the oldest goes first)",
                    set: |_| json!({"document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:CreateLogStream", "Resource": "*"}]}}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another description",
                    set: |_| json!({"description": "immutable in IAM"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::LogGroup,
            variant: None,
            needs: &[],
            spec: |_| {
                ResourceSpec::LogGroup(LogGroupSpec {
                    name: "/agentfs/contract".into(),
                    retention_days: Some(30),
                    kms_key_id: None,
                    service_managed: false,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "another retention, and a key",
                    set: |w| {
                        json!({"retention_days": 365,
                            "kms_key_id": format!("arn:aws:kms:us-east-1:{}:key/00000000-0000-0000-0000-000000000000", w.account())})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "kept forever, without a key",
                    set: |_| json!({"retention_days": null, "kms_key_id": null}),
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another name",
                    set: |_| json!({"name": "/agentfs/contract-renamed"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::AgentcoreMemory,
            variant: None,
            needs: &[RuntimeRole],
            spec: |_| {
                ResourceSpec::AgentcoreMemory(AgentcoreMemorySpec {
                    name: "contract_memory".into(),
                    description: Some("contract case memory".into()),
                    event_expiry_days: 30,
                    strategies: vec![
                        serde_json::from_value(json!(
                            {"type": "semantic", "name": "facts", "namespaces": ["/facts/{actorId}"]}
                        ))
                        .unwrap(),
                    ],
                    encryption_key: None,
                    execution_role: None,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "longer expiry, a summary strategy added, the facts moved",
                    set: |_| {
                        json!({"event_expiry_days": 90, "description": "described anew", "strategies": [
                            {"type": "semantic", "name": "facts", "namespaces": ["/facts/{actorId}/v2"]},
                            {"type": "summary", "name": "summaries"},
                        ]})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "facts removed, summaries turned custom, an execution role",
                    set: |w| {
                        json!({"execution_role": w.attr(RuntimeRole, "arn"), "strategies": [
                            {"type": "custom", "name": "summaries", "base": "summary",
                             "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
                             "consolidation_prompt": "Keep it to three lines."},
                            {"type": "user_preference", "name": "likes", "description": "what the user likes"},
                        ]})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another name",
                    set: |_| json!({"name": "contract_memory_renamed"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::AgentcoreGateway,
            variant: None,
            needs: &[RuntimeRole],
            spec: |w| {
                ResourceSpec::AgentcoreGateway(AgentcoreGatewaySpec {
                    name: "contract-tools".into(),
                    description: Some("contract case gateway".into()),
                    role: w.attr(RuntimeRole, "arn"),
                    protocol: "MCP".into(),
                    authorizer: Some("AWS_IAM".into()),
                    jwt_authorizer: None,
                    kms_key: None,
                    mcp: None,
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "a JWT authorizer, semantic tool search, no description",
                    set: |_| {
                        json!({"authorizer": null, "description": null,
                            "jwt_authorizer": {
                                "discovery_url": "https://idp.example.com/.well-known/openid-configuration",
                                "allowed_clients": ["client-1"]},
                            "mcp": {"search_type": "SEMANTIC", "instructions": "Use the weather tools."}})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "IAM again, MCP options gone, renamed",
                    set: |_| json!({"jwt_authorizer": null, "mcp": null, "name": "contract-tools-2"}),
                    expect: Outcome::InPlace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::AgentcoreGatewayTarget,
            variant: None,
            needs: &[Gateway],
            spec: |w| {
                ResourceSpec::AgentcoreGatewayTarget(
                    serde_json::from_value(json!({
                        "gateway": w.id(Gateway),
                        "name": "weather",
                        "lambda_arn": "arn:aws:lambda:us-east-1:123456789012:function:weather",
                        "tools": [{"name": "get_weather", "description": "Weather for a city",
                            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                "required": ["city"]}}],
                    }))
                    .unwrap(),
                )
            },
            mutations: vec![
                Mutation {
                    what: "described, and a second tool",
                    set: |_| {
                        json!({"description": "weather tools", "tools": [
                            {"name": "get_weather", "description": "Weather for a city",
                             "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                "required": ["city"]}},
                            {"name": "get_forecast", "description": "Forecast",
                             "input_schema": {"type": "object", "properties": {
                                "days": {"type": "array", "items": {"type": "integer"}}}}},
                        ]})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "an MCP server instead of the Lambda function",
                    set: |_| {
                        json!({"lambda_arn": null, "tools": null,
                            "mcp_server": "https://mcp.example.com/weather"})
                    },
                    expect: Outcome::InPlace,
                },
                Mutation {
                    what: "another name",
                    set: |_| json!({"name": "forecast"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::AgentcoreBrowser,
            variant: None,
            needs: &[RuntimeRole, Bucket, SubnetA, SecurityGroup],
            spec: |w| {
                ResourceSpec::AgentcoreBrowser(AgentcoreBrowserSpec {
                    name: "contract_browser".into(),
                    description: Some("contract case browser".into()),
                    execution_role: Some(w.attr(RuntimeRole, "arn")),
                    network_mode: "VPC".into(),
                    subnets: vec![w.id(SubnetA)],
                    security_groups: vec![w.id(SecurityGroup)],
                    recording: Some(Recording {
                        bucket: w.attr(Bucket, "name"),
                        prefix: "recordings/".into(),
                    }),
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "no recording (AgentCore has no UpdateBrowser)",
                    set: |_| json!({"recording": null}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
        Case {
            kind: Kind::AgentcoreCodeInterpreter,
            variant: None,
            needs: &[RuntimeRole],
            spec: |w| {
                ResourceSpec::AgentcoreCodeInterpreter(AgentcoreCodeInterpreterSpec {
                    name: "contract_code_interpreter".into(),
                    description: None,
                    execution_role: Some(w.attr(RuntimeRole, "arn")),
                    network_mode: "SANDBOX".into(),
                    subnets: Vec::new(),
                    security_groups: Vec::new(),
                    tags: team("contract"),
                })
            },
            mutations: vec![
                retag(),
                Mutation {
                    what: "public network (AgentCore has no UpdateCodeInterpreter)",
                    set: |_| json!({"network_mode": "PUBLIC"}),
                    expect: Outcome::Replace,
                },
            ],
            known_violations: vec![],
        },
    ]
}

/// Every kind has one case without a variant, and no two cases share a name (checked without
/// an emulator, so it fails fast).
#[test]
fn every_kind_has_one_contract_case() {
    let cases = cases();
    for kind in Kind::ALL {
        let count = cases.iter().filter(|c| c.kind == *kind && c.variant.is_none()).count();
        assert_eq!(
            count, 1,
            "{kind} has {count} contract cases without a variant in tests/kinds/contract.rs: every kind needs exactly one"
        );
    }
    let names: std::collections::BTreeSet<String> = cases.iter().map(Case::name).collect();
    assert_eq!(names.len(), cases.len(), "two contract cases share a name");
}

/// The runtime is also checked deployed from code, not only from a container.
#[test]
fn a_runtime_deployed_from_code_has_a_case() {
    assert!(
        cases()
            .iter()
            .any(|c| c.kind == Kind::AgentcoreRuntime && c.variant == Some("code")),
        "no contract case deploys an agentcore_runtime from code"
    );
}

/// The expected-failure markers are strict: a marked check that fails is tolerated, an
/// unmarked failure is not, and neither is a marker whose check passes.
#[test]
fn known_violations_are_strict() {
    use contract::{Ran, Report};
    let report = |failure: Option<&str>, known: bool| Report {
        kind: Kind::Vpc,
        name: "vpc".into(),
        ran: vec![Ran {
            check: Check::NoUndeclaredAttributes,
            context: "create".into(),
            failure: failure.map(String::from),
        }],
        known: if known {
            vec![(Check::NoUndeclaredAttributes, "marked")]
        } else {
            Vec::new()
        },
        took: Default::default(),
    };
    let verdict = |r: Report| std::panic::catch_unwind(|| contract::verdict(&[r])).is_ok();
    assert!(
        verdict(report(Some("undeclared [\"arn\"]"), true)),
        "a marked failure passes"
    );
    assert!(verdict(report(None, false)), "no failure, no marker passes");
    assert!(
        !verdict(report(Some("undeclared [\"arn\"]"), false)),
        "an unmarked failure fails"
    );
    assert!(!verdict(report(None, true)), "a marker whose check passes fails");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_keeps_the_resource_contract() {
    let started = Instant::now();
    let mut cases = cases();
    let missing: Vec<&Kind> = Kind::ALL
        .iter()
        .filter(|k| !cases.iter().any(|c| c.kind == **k))
        .collect();
    assert!(missing.is_empty(), "kinds without a contract case: {missing:?}");
    if let Ok(only) = std::env::var("AGENTFS_CONTRACT_KINDS") {
        let only: Vec<&str> = only.split(',').map(str::trim).collect();
        cases.retain(|c| only.contains(&c.kind.key()));
    }
    let mut harness = contract::Harness::start().await;
    let mut reports = Vec::new();
    for case in &cases {
        let report = harness.run(case).await;
        println!(
            "contract {}: {} checks in {:.1}s",
            case.kind,
            report.ran.len(),
            report.took.as_secs_f64()
        );
        for ran in report.unexpected() {
            println!(
                "  step {} {:?} ({}): {}",
                ran.check.step(),
                ran.check,
                ran.context,
                ran.failure.as_deref().unwrap_or_default()
            );
        }
        reports.push(report);
    }
    harness.teardown().await;
    println!(
        "contract: {} kinds in {:.1}s",
        reports.len(),
        started.elapsed().as_secs_f64()
    );
    contract::verdict(&reports);
}
