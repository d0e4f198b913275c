//! `agentfs::resources::find` of the storage and runtime kinds against the emulator: with no
//! ids (recover) each kind answers exactly the resources tagged with the stack, with the same
//! attributes `create` returned and their `agentfs:resource` tags as addresses (mount targets,
//! which cannot be tagged, through the stack's file systems and without addresses); with ids
//! (import) it answers just the ids that exist, whatever their stack.
//!
//! One test runs the whole sequence against one emulator; its clients are built from the
//! emulator's configuration (`Clients::from_config`), not from the process environment.

use crate::support;

use std::collections::BTreeMap;

use agentfs::resources::{self, Call, Clients, Created, Ctx, Found, Quiet, TAG_RESOURCE, TAG_STACK};
use agentfs::spec::model::*;
use agentfs::spec::{Kind, ResourceSpec};
use serde_json::json;

const STACK: &str = "findstack";
const OTHER_STACK: &str = "otherstack";
const REGION: &str = "us-east-1";

/// What `create` answered for one resource.
struct Rec {
    address: String,
    stack: String,
    kind: Kind,
    created: Created,
}

impl Rec {
    fn id(&self) -> &str {
        &self.created.id
    }
    fn attr(&self, key: &str) -> &str {
        self.created
            .attributes
            .get(key)
            .unwrap_or_else(|| panic!("{} has no attribute {key}", self.address))
    }
    /// What `find` should answer for it.
    fn found(&self, tagged: bool) -> Found {
        Found {
            owner: agentfs::resources::tags::Owner {
                stack: tagged.then(|| self.stack.clone()),
                address: tagged.then(|| self.address.clone()),
            },
            created: self.created.clone(),
        }
    }
}

/// Creates through `agentfs::resources::create` with the tags the engine would send for `stack`.
async fn make(ctx: &Ctx, stack: &str, address: &str, spec: ResourceSpec) -> Rec {
    let token = resources::client_token(&format!("{stack}-lineage"), address, 0);
    let mut tags: BTreeMap<String, String> =
        serde_json::from_value(serde_json::to_value(&spec).unwrap()["tags"].clone()).unwrap_or_default();
    tags.insert(TAG_STACK.to_string(), stack.to_string());
    tags.insert(TAG_RESOURCE.to_string(), address.to_string());
    let call = Call {
        address,
        token: &token,
        tags: &tags,
        timeout: None,
        progress: &Quiet,
    };
    let created = resources::create(ctx, &spec, &call)
        .await
        .unwrap_or_else(|e| panic!("create {address}: {e:?}"));
    Rec {
        address: address.to_string(),
        stack: stack.to_string(),
        kind: spec.kind(),
        created,
    }
}

async fn find(ctx: &Ctx, kind: Kind, ids: &[&str]) -> Vec<Found> {
    let mut found = resources::find(ctx, kind, ids)
        .await
        .unwrap_or_else(|e| panic!("find {kind:?} {ids:?}: {e:?}"));
    found.sort_by(|a, b| a.created.id.cmp(&b.created.id));
    found
}

/// Recover answers exactly `expected` (in any order).
async fn assert_recovers(ctx: &Ctx, kind: Kind, expected: &[Found]) {
    let mut expected = expected.to_vec();
    expected.sort_by(|a, b| a.created.id.cmp(&b.created.id));
    assert_eq!(find(ctx, kind, &[]).await, expected, "recover {kind:?}");
}

/// Import of `id` (plus an unknown id) answers just `expected`.
async fn assert_imports(ctx: &Ctx, kind: Kind, id: &str, expected: Found) {
    assert_eq!(
        find(ctx, kind, &[id, "unknown"]).await,
        [expected],
        "import {kind:?} {id}"
    );
}

struct Network {
    subnets: Vec<String>,
    security_group: String,
}

async fn network(ctx: &Ctx) -> Network {
    let ec2 = &ctx.clients.ec2;
    let vpc = ec2.create_vpc().cidr_block("10.40.0.0/16").send().await.unwrap();
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    let mut subnets = Vec::new();
    for (i, cidr) in ["10.40.1.0/24", "10.40.2.0/24"].iter().enumerate() {
        let zone = ctx.availability_zone(i as u8).await.unwrap();
        let out = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(*cidr)
            .availability_zone(zone)
            .send()
            .await
            .unwrap();
        subnets.push(out.subnet().and_then(|s| s.subnet_id()).unwrap().to_string());
    }
    let sg = ec2
        .create_security_group()
        .vpc_id(&vpc)
        .group_name("find-nfs")
        .description("find test")
        .send()
        .await
        .unwrap();
    Network {
        subnets,
        security_group: sg.group_id().unwrap().to_string(),
    }
}

fn role(name: &str, service: &str) -> ResourceSpec {
    ResourceSpec::IamRole(IamRoleSpec {
        name: name.into(),
        description: None,
        assume_role_policy: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}),
        inline_policies: BTreeMap::new(),
        managed_policy_arns: Vec::new(),
        tags: BTreeMap::from([("team".to_string(), "storage".to_string())]),
    })
}

fn bucket(name: &str) -> ResourceSpec {
    ResourceSpec::S3Bucket(S3BucketSpec {
        name: name.into(),
        versioning: true,
        encryption: "AES256".into(),
        kms_key_id: None,
        block_public_access: None,
        policy: None,
        lifecycle_rules: Vec::new(),
        force_destroy: true,
        tags: BTreeMap::new(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_recovers_the_stack_and_imports_by_id() {
    let emu = support::Emulator::start();
    let clients = Clients::from_config(&emu.sdk_config().await, true);
    let account = Ctx::caller_account(&clients).await.unwrap();
    let ctx = Ctx::new(clients, REGION, &account, STACK);
    let net = network(&ctx).await;

    // ---- this stack ----------------------------------------------------------------------
    let s3files_role = make(
        &ctx,
        STACK,
        "iam_role.s3files",
        role("find-s3files-role", "elasticfilesystem.amazonaws.com"),
    )
    .await;
    let runtime_role = make(
        &ctx,
        STACK,
        "iam_role.runtime",
        role("find-runtime-role", "bedrock-agentcore.amazonaws.com"),
    )
    .await;
    let data = make(
        &ctx,
        STACK,
        "s3_bucket.data",
        bucket(&format!("{STACK}-data-{account}")),
    )
    .await;
    let fs = make(
        &ctx,
        STACK,
        "s3files_file_system.data",
        ResourceSpec::S3FilesFileSystem(S3FilesFileSystemSpec {
            bucket: data.attr("arn").to_string(),
            role: s3files_role.attr("arn").to_string(),
            prefix: None,
            kms_key_id: None,
            accept_bucket_warning: true,
            force_delete: false,
            tags: BTreeMap::new(),
        }),
    )
    .await;
    let mut mount_targets = Vec::new();
    for (i, subnet) in net.subnets.iter().enumerate() {
        mount_targets.push(
            make(
                &ctx,
                STACK,
                &format!("s3files_mount_target.mt{i}"),
                ResourceSpec::S3FilesMountTarget(S3FilesMountTargetSpec {
                    file_system: fs.id().to_string(),
                    subnet: subnet.clone(),
                    security_groups: vec![net.security_group.clone()],
                }),
            )
            .await,
        );
    }
    let access_point = |file_system: &str| {
        ResourceSpec::S3FilesAccessPoint(S3FilesAccessPointSpec {
            file_system: file_system.to_string(),
            posix_user: Some(PosixUser {
                uid: 1000,
                gid: 1000,
                secondary_gids: Vec::new(),
            }),
            root_directory: None,
            tags: BTreeMap::new(),
        })
    };
    let ap = make(&ctx, STACK, "s3files_access_point.agent", access_point(fs.id())).await;
    let efs = make(
        &ctx,
        STACK,
        "efs_file_system.shared",
        ResourceSpec::EfsFileSystem(EfsFileSystemSpec {
            performance_mode: "generalPurpose".into(),
            throughput_mode: "elastic".into(),
            provisioned_throughput_mibps: None,
            encrypted: true,
            tags: BTreeMap::new(),
        }),
    )
    .await;
    let efs_mt = make(
        &ctx,
        STACK,
        "efs_mount_target.a",
        ResourceSpec::EfsMountTarget(EfsMountTargetSpec {
            file_system: efs.id().to_string(),
            subnet: net.subnets[0].clone(),
            security_groups: vec![net.security_group.clone()],
        }),
    )
    .await;
    let efs_ap = make(
        &ctx,
        STACK,
        "efs_access_point.agent",
        ResourceSpec::EfsAccessPoint(EfsAccessPointSpec {
            file_system: efs.id().to_string(),
            posix_user: None,
            root_directory: None,
            tags: BTreeMap::new(),
        }),
    )
    .await;
    let agent = make(
        &ctx,
        STACK,
        "agentcore_runtime.agent",
        ResourceSpec::AgentcoreRuntime(AgentcoreRuntimeSpec {
            name: "find_agent".into(),
            description: None,
            container_uri: Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest".into()),
            code: None,
            image: None,
            role: runtime_role.attr("arn").to_string(),
            network_mode: "VPC".into(),
            subnets: net.subnets.clone(),
            security_groups: vec![net.security_group.clone()],
            environment_variables: BTreeMap::new(),
            sensitive_environment_variables: Vec::new(),
            filesystem: vec![FilesystemMount {
                mount_path: "/mnt/data".into(),
                s3files_access_point: Some(ap.attr("arn").to_string()),
                efs_access_point: None,
                session_storage: false,
            }],
            tags: BTreeMap::new(),
            protocol: None,
            jwt_authorizer: None,
            session_lifecycle: None,
            request_header_allowlist: Vec::new(),
            allowed_ports: Vec::new(),
        }),
    )
    .await;

    // ---- another stack's, and untagged ones: never recovered -------------------------------
    let other_role = make(
        &ctx,
        OTHER_STACK,
        "iam_role.s3files",
        role("find-other-role", "elasticfilesystem.amazonaws.com"),
    )
    .await;
    let other_bucket = make(
        &ctx,
        OTHER_STACK,
        "s3_bucket.data",
        bucket(&format!("{OTHER_STACK}-data-{account}")),
    )
    .await;
    let other_ap = make(&ctx, OTHER_STACK, "s3files_access_point.agent", access_point(fs.id())).await;
    let other_efs = make(
        &ctx,
        OTHER_STACK,
        "efs_file_system.shared",
        ResourceSpec::EfsFileSystem(EfsFileSystemSpec {
            performance_mode: "generalPurpose".into(),
            throughput_mode: "elastic".into(),
            provisioned_throughput_mibps: None,
            encrypted: true,
            tags: BTreeMap::new(),
        }),
    )
    .await;
    let other_efs_mt = make(
        &ctx,
        OTHER_STACK,
        "efs_mount_target.a",
        ResourceSpec::EfsMountTarget(EfsMountTargetSpec {
            file_system: other_efs.id().to_string(),
            subnet: net.subnets[1].clone(),
            security_groups: Vec::new(),
        }),
    )
    .await;
    let untagged = format!("{STACK}-untagged-{account}");
    ctx.clients.s3.create_bucket().bucket(&untagged).send().await.unwrap();

    // ---- recover: exactly this stack's, as create answered -------------------------------
    assert_recovers(
        &ctx,
        Kind::IamRole,
        &[s3files_role.found(true), runtime_role.found(true)],
    )
    .await;
    assert_recovers(&ctx, Kind::S3Bucket, &[data.found(true)]).await;
    assert_recovers(&ctx, Kind::S3FilesFileSystem, &[fs.found(true)]).await;
    let mts: Vec<Found> = mount_targets.iter().map(|m| m.found(false)).collect();
    assert_recovers(&ctx, Kind::S3FilesMountTarget, &mts).await;
    assert_recovers(&ctx, Kind::S3FilesAccessPoint, &[ap.found(true)]).await;
    assert_recovers(&ctx, Kind::EfsFileSystem, &[efs.found(true)]).await;
    assert_recovers(&ctx, Kind::EfsMountTarget, &[efs_mt.found(false)]).await;
    assert_recovers(&ctx, Kind::EfsAccessPoint, &[efs_ap.found(true)]).await;
    assert_recovers(&ctx, Kind::AgentcoreRuntime, &[agent.found(true)]).await;

    // ---- import: just the ids that exist ----------------------------------------------------
    // Roles by name (what users know) and by RoleId (what state records).
    assert_imports(&ctx, Kind::IamRole, "find-runtime-role", runtime_role.found(true)).await;
    assert_imports(&ctx, Kind::IamRole, runtime_role.id(), runtime_role.found(true)).await;
    for rec in [&data, &fs, &mount_targets[1], &ap, &efs, &efs_mt, &efs_ap, &agent] {
        let tagged = !matches!(rec.kind, Kind::S3FilesMountTarget | Kind::EfsMountTarget);
        assert_imports(&ctx, rec.kind, rec.id(), rec.found(tagged)).await;
    }
    // Import does not ask which stack made it.
    assert_imports(&ctx, Kind::IamRole, "find-other-role", other_role.found(true)).await;
    assert_imports(&ctx, Kind::S3Bucket, other_bucket.id(), other_bucket.found(true)).await;
    assert_imports(&ctx, Kind::S3FilesAccessPoint, other_ap.id(), other_ap.found(true)).await;
    assert_imports(&ctx, Kind::EfsMountTarget, other_efs_mt.id(), other_efs_mt.found(false)).await;
    assert_imports(
        &ctx,
        Kind::S3Bucket,
        &untagged,
        Found {
            owner: Default::default(),
            created: Created::new(untagged.as_str())
                .with("arn", format!("arn:aws:s3:::{untagged}"))
                .with("name", untagged.as_str()),
        },
    )
    .await;
    // Nothing but unknown ids: nothing, and no error.
    for kind in [
        Kind::IamRole,
        Kind::S3Bucket,
        Kind::S3FilesFileSystem,
        Kind::S3FilesMountTarget,
        Kind::S3FilesAccessPoint,
        Kind::EfsFileSystem,
        Kind::EfsMountTarget,
        Kind::EfsAccessPoint,
        Kind::AgentcoreRuntime,
    ] {
        assert_eq!(find(&ctx, kind, &["unknown"]).await, [], "{kind:?}");
    }

    // ---- deleted resources are gone from both --------------------------------------------
    ctx.clients
        .agentcore
        .delete_agent_runtime()
        .agent_runtime_id(agent.id())
        .send()
        .await
        .unwrap();
    assert_recovers(&ctx, Kind::AgentcoreRuntime, &[]).await;
    assert_eq!(find(&ctx, Kind::AgentcoreRuntime, &[agent.id()]).await, []);
}
