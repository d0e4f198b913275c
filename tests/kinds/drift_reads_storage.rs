//! Live reads (`agentfs::resources::read`) of the storage and runtime kinds against the
//! emulator: right after create every read equals the recorded configuration (no false
//! drift, also for policies written with single values where IAM answers lists); after a
//! change made behind agentfs's back with the SDKs, the read differs in exactly that field;
//! a deleted resource reads as `None`. The API calls of one batched read per kind are counted.
//!
//! One test runs the whole sequence against one emulator; its clients are built from the
//! emulator's configuration (`Clients::from_config`), not from the process environment.

use crate::support;

use std::collections::BTreeMap;
use std::time::Duration;

use agentfs::resources::{self, Call, Clients, Created, Ctx, Listed, Prior, Quiet, TAG_RESOURCE, TAG_STACK};
use agentfs::spec::ResourceSpec;
use agentfs::spec::model::*;
use aws_sdk_bedrockagentcorecontrol::types::{
    AgentRuntimeArtifact, ContainerConfiguration, NetworkConfiguration, NetworkMode, VpcConfig,
};
use serde_json::{Value, json};

const STACK: &str = "driftread";
const REGION: &str = "us-east-1";

/// What the engine records about one resource.
struct Rec {
    address: String,
    spec: ResourceSpec,
    created: Created,
    tags: BTreeMap<String, String>,
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
    /// The configuration as state records it (sensitive values as digests).
    fn config(&self) -> Value {
        agentfs::plan::config_json(&self.spec, &[])
    }
}

/// The spec's tags plus agentfs's own, as the engine sends them.
fn full_tags(address: &str, spec_tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut tags = spec_tags.clone();
    tags.insert(TAG_STACK.to_string(), STACK.to_string());
    tags.insert(TAG_RESOURCE.to_string(), address.to_string());
    tags
}

fn team(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("team".to_string(), name.to_string())])
}

async fn make(ctx: &Ctx, address: &str, spec: ResourceSpec) -> Rec {
    let token = resources::client_token("drift-lineage", address, 0);
    let spec_tags: BTreeMap<String, String> =
        serde_json::from_value(serde_json::to_value(&spec).unwrap()["tags"].clone()).unwrap_or_default();
    let tags = full_tags(address, &spec_tags);
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
        spec,
        created,
        tags,
    }
}

/// One batched read of `recs` (all of one kind); returns the answers and the API calls made.
async fn read(emu: &support::Emulator, ctx: &Ctx, recs: &[&Rec]) -> (Vec<Option<Value>>, usize) {
    let kind = recs[0].spec.kind();
    let configs: Vec<Value> = recs.iter().map(|r| r.config()).collect();
    let listed: Vec<Listed<'_>> = recs
        .iter()
        .zip(&configs)
        .map(|(r, config)| Listed {
            address: &r.address,
            prior: Prior {
                id: r.id(),
                attributes: &r.created.attributes,
                config,
                tags: &r.tags,
            },
        })
        .collect();
    let before = call_count(emu);
    let live = resources::read(ctx, kind, &listed)
        .await
        .unwrap_or_else(|e| panic!("read {kind:?}: {e:?}"));
    let calls = call_count(emu) - before;
    assert_eq!(live.len(), recs.len(), "one answer per record");
    (live, calls)
}

fn call_count(emu: &support::Emulator) -> usize {
    emu.calls().as_array().map_or(0, Vec::len)
}

/// Top-level fields where `live` differs from what `rec` recorded.
fn drift(rec: &Rec, live: &Option<Value>) -> Vec<String> {
    let live = live
        .as_ref()
        .unwrap_or_else(|| panic!("{} reads as deleted", rec.address));
    let recorded = rec.config();
    let (Value::Object(a), Value::Object(b)) = (&recorded, live) else {
        panic!("not objects: {recorded} / {live}");
    };
    let mut keys: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

async fn assert_no_drift(emu: &support::Emulator, ctx: &Ctx, recs: &[&Rec]) -> usize {
    let (live, calls) = read(emu, ctx, recs).await;
    for (rec, live) in recs.iter().zip(&live) {
        assert_eq!(
            live.as_ref(),
            Some(&rec.config()),
            "false drift on {}: {:?}",
            rec.address,
            drift(rec, live)
        );
    }
    calls
}

struct Network {
    subnets: Vec<String>,
    security_group: String,
    other_group: String,
}

async fn network(ctx: &Ctx) -> Network {
    let ec2 = &ctx.clients.ec2;
    let vpc = ec2.create_vpc().cidr_block("10.30.0.0/16").send().await.unwrap();
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    let mut subnets = Vec::new();
    for (i, cidr) in ["10.30.1.0/24", "10.30.2.0/24"].iter().enumerate() {
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
    let mut groups = Vec::new();
    for name in ["driftread-nfs", "driftread-other"] {
        let sg = ec2
            .create_security_group()
            .vpc_id(&vpc)
            .group_name(name)
            .description("drift read test")
            .send()
            .await
            .unwrap();
        groups.push(sg.group_id().unwrap().to_string());
    }
    Network {
        subnets,
        security_group: groups[0].clone(),
        other_group: groups[1].clone(),
    }
}

async fn wait_runtime_ready(ctx: &Ctx, id: &str) {
    for _ in 0..200 {
        let out = ctx
            .clients
            .agentcore
            .get_agent_runtime()
            .agent_runtime_id(id)
            .send()
            .await
            .unwrap();
        if out.status().as_str() == "READY" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("runtime {id} never became READY");
}

/// UpdateAgentRuntime behind agentfs's back: the spec's settings with other file systems
/// and security groups.
async fn update_runtime_by_hand(
    ctx: &Ctx,
    rec: &Rec,
    filesystems: Vec<aws_sdk_bedrockagentcorecontrol::types::FilesystemConfiguration>,
    security_groups: Vec<String>,
    env: &BTreeMap<String, String>,
) {
    let ResourceSpec::AgentcoreRuntime(spec) = &rec.spec else {
        unreachable!()
    };
    wait_runtime_ready(ctx, rec.id()).await;
    ctx.clients
        .agentcore
        .update_agent_runtime()
        .agent_runtime_id(rec.id())
        .agent_runtime_artifact(AgentRuntimeArtifact::ContainerConfiguration(
            ContainerConfiguration::builder()
                .container_uri(spec.container_uri.clone().unwrap())
                .build()
                .unwrap(),
        ))
        .role_arn(&spec.role)
        .network_configuration(
            NetworkConfiguration::builder()
                .network_mode(NetworkMode::Vpc)
                .network_mode_config(
                    VpcConfig::builder()
                        .set_subnets(Some(spec.subnets.clone()))
                        .set_security_groups(Some(security_groups))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .set_description(spec.description.clone())
        .set_environment_variables(Some(env.iter().map(|(k, v)| (k.clone(), v.clone())).collect()))
        .set_filesystem_configurations(Some(filesystems))
        .send()
        .await
        .unwrap();
    wait_runtime_ready(ctx, rec.id()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_reads_match_state_and_show_each_change() {
    let emu = support::Emulator::start();
    let clients = Clients::from_config(&emu.sdk_config().await, true);
    let account = Ctx::caller_account(&clients).await.unwrap();
    let ctx = Ctx::new(clients, REGION, &account, STACK);
    let net = network(&ctx).await;
    let bucket_name = format!("{STACK}-{account}-{REGION}");

    // ---- the reference stack's storage half --------------------------------------------
    // Trust policies written both ways: single strings, and one-element lists with the
    // statement as a bare object. IAM may answer either shape; neither is drift.
    let s3files_role = make(
        &ctx,
        "iam_role.s3files",
        ResourceSpec::IamRole(IamRoleSpec {
            name: "driftread-s3files-role".into(),
            description: Some("S3 Files service role".into()),
            assume_role_policy: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "elasticfilesystem.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            inline_policies: BTreeMap::from([(
                "bucket".to_string(),
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject"],
                    "Resource": [format!("arn:aws:s3:::{bucket_name}"), format!("arn:aws:s3:::{bucket_name}/*")]}]}),
            )]),
            managed_policy_arns: Vec::new(),
            tags: team("storage"),
        }),
    )
    .await;
    let runtime_role = make(
        &ctx,
        "iam_role.runtime",
        ResourceSpec::IamRole(IamRoleSpec {
            name: "driftread-runtime-role".into(),
            description: None,
            assume_role_policy: json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
                "Principal": {"Service": ["bedrock-agentcore.amazonaws.com"]}, "Action": ["sts:AssumeRole"],
                "Condition": {"StringEquals": {"aws:SourceAccount": account.clone()}}}}),
            inline_policies: BTreeMap::from([(
                "ecr".to_string(),
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Action": "ecr:BatchGetImage", "Resource": "*"}]}),
            )]),
            managed_policy_arns: Vec::new(),
            tags: BTreeMap::new(),
        }),
    )
    .await;
    let bucket = make(
        &ctx,
        "s3_bucket.data",
        ResourceSpec::S3Bucket(S3BucketSpec {
            name: bucket_name.clone(),
            versioning: true,
            encryption: "AES256".into(),
            kms_key_id: None,
            block_public_access: None,
            policy: None,
            lifecycle_rules: Vec::new(),
            force_destroy: true,
            tags: team("storage"),
        }),
    )
    .await;
    let fs = make(
        &ctx,
        "s3files_file_system.data",
        ResourceSpec::S3FilesFileSystem(S3FilesFileSystemSpec {
            bucket: bucket.attr("arn").to_string(),
            role: s3files_role.attr("arn").to_string(),
            prefix: None,
            kms_key_id: None,
            accept_bucket_warning: true,
            force_delete: false,
            tags: team("storage"),
        }),
    )
    .await;
    let mut mount_targets = Vec::new();
    for (i, subnet) in net.subnets.iter().enumerate() {
        mount_targets.push(
            make(
                &ctx,
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
    let ap = make(
        &ctx,
        "s3files_access_point.agent",
        ResourceSpec::S3FilesAccessPoint(S3FilesAccessPointSpec {
            file_system: fs.id().to_string(),
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
            tags: team("storage"),
        }),
    )
    .await;
    let env = BTreeMap::from([
        ("MODE".to_string(), "one".to_string()),
        ("API_KEY".to_string(), "s3cret-value".to_string()),
    ]);
    let agent = make(
        &ctx,
        "agentcore_runtime.agent",
        ResourceSpec::AgentcoreRuntime(AgentcoreRuntimeSpec {
            name: "driftread_agent".into(),
            description: Some("drift read runtime".into()),
            container_uri: Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest".into()),
            code: None,
            image: None,
            role: runtime_role.attr("arn").to_string(),
            network_mode: "VPC".into(),
            subnets: net.subnets.clone(),
            security_groups: vec![net.security_group.clone()],
            environment_variables: env.clone(),
            sensitive_environment_variables: vec!["API_KEY".into()],
            filesystem: vec![FilesystemMount {
                mount_path: "/mnt/data".into(),
                s3files_access_point: Some(ap.attr("arn").to_string()),
                efs_access_point: None,
                session_storage: false,
            }],
            tags: team("agents"),
            protocol: None,
            jwt_authorizer: None,
            session_lifecycle: None,
            request_header_allowlist: Vec::new(),
            allowed_ports: Vec::new(),
        }),
    )
    .await;
    assert!(
        agent.config()["environment_variables"]["API_KEY"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"),
        "state records sensitive values as digests"
    );

    // ---- no drift right after create, and what one batched read per kind costs ------------
    let roles = [&s3files_role, &runtime_role];
    let mts: Vec<&Rec> = mount_targets.iter().collect();
    let per_kind = [
        ("iam_role", roles.len(), assert_no_drift(&emu, &ctx, &roles).await),
        ("s3_bucket", 1, assert_no_drift(&emu, &ctx, &[&bucket]).await),
        ("s3files_file_system", 1, assert_no_drift(&emu, &ctx, &[&fs]).await),
        (
            "s3files_mount_target",
            mts.len(),
            assert_no_drift(&emu, &ctx, &mts).await,
        ),
        ("s3files_access_point", 1, assert_no_drift(&emu, &ctx, &[&ap]).await),
        ("agentcore_runtime", 1, assert_no_drift(&emu, &ctx, &[&agent]).await),
    ];
    let resources: usize = per_kind.iter().map(|k| k.1).sum();
    let calls: usize = per_kind.iter().map(|k| k.2).sum();
    for (kind, count, calls) in &per_kind {
        eprintln!("drift read {kind}: {count} resource(s), {calls} API call(s)");
    }
    eprintln!(
        "drift read storage kinds: {calls} API calls for {resources} resources = {:.2} per resource",
        calls as f64 / resources as f64
    );
    assert_eq!(resources, 8);
    assert!(calls <= 10, "{calls} calls for {resources} resources: {per_kind:?}");

    // ---- changes behind agentfs's back ---------------------------------------------------
    // S3 refuses to change versioning of a bucket with a file system attached: a second bucket.
    let logs_name = format!("{STACK}-logs-{account}");
    let logs = make(
        &ctx,
        "s3_bucket.logs",
        ResourceSpec::S3Bucket(S3BucketSpec {
            name: logs_name.clone(),
            versioning: true,
            encryption: "AES256".into(),
            kms_key_id: None,
            block_public_access: None,
            policy: None,
            lifecycle_rules: Vec::new(),
            force_destroy: false,
            tags: BTreeMap::new(),
        }),
    )
    .await;
    let s3 = &ctx.clients.s3;
    let (live, _) = read(&emu, &ctx, &[&bucket, &logs]).await;
    assert_eq!(live, [Some(bucket.config()), Some(logs.config())]);
    // Versioning suspended.
    s3.put_bucket_versioning()
        .bucket(&logs_name)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (live, _) = read(&emu, &ctx, &[&logs]).await;
    assert_eq!(drift(&logs, &live[0]), ["versioning"]);
    assert_eq!(live[0].as_ref().unwrap()["versioning"], json!(false));
    // Default encryption removed.
    s3.delete_bucket_encryption().bucket(&logs_name).send().await.unwrap();
    let (live, _) = read(&emu, &ctx, &[&logs]).await;
    assert_eq!(drift(&logs, &live[0]), ["encryption", "versioning"]);
    assert_ne!(live[0].as_ref().unwrap()["encryption"], json!("AES256"));
    // Tags added by hand to a bucket that had none of the user's.
    s3.put_bucket_tagging()
        .bucket(&logs_name)
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .set_tag_set(Some(
                    logs.tags
                        .iter()
                        .chain([(&"owner".to_string(), &"me".to_string())])
                        .map(|(k, v)| aws_sdk_s3::types::Tag::builder().key(k).value(v).build().unwrap())
                        .collect(),
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (live, _) = read(&emu, &ctx, &[&logs]).await;
    assert_eq!(drift(&logs, &live[0]), ["encryption", "tags", "versioning"]);
    assert_eq!(live[0].as_ref().unwrap()["tags"], json!({"owner": "me"}));

    // A trust policy edited, and an inline policy added by hand to the other role.
    let iam = &ctx.clients.iam;
    iam.update_assume_role_policy()
        .role_name("driftread-runtime-role")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let widened =
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
    iam.put_role_policy()
        .role_name("driftread-s3files-role")
        .policy_name("added-by-hand")
        .policy_document(widened.to_string())
        .send()
        .await
        .unwrap();
    let (live, calls) = read(&emu, &ctx, &roles).await;
    assert_eq!(calls, 1, "both roles in one GetAccountAuthorizationDetails");
    assert_eq!(drift(&s3files_role, &live[0]), ["inline_policies"]);
    let inline = &live[0].as_ref().unwrap()["inline_policies"];
    assert_eq!(inline["added-by-hand"], widened);
    assert_eq!(inline["bucket"], s3files_role.config()["inline_policies"]["bucket"]);
    assert_eq!(drift(&runtime_role, &live[1]), ["assume_role_policy"]);
    assert_eq!(
        live[1].as_ref().unwrap()["assume_role_policy"]["Statement"][0]["Principal"]["Service"],
        json!("ec2.amazonaws.com")
    );
    // An inline policy edited.
    iam.put_role_policy()
        .role_name("driftread-runtime-role")
        .policy_name("ecr")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    let (live, _) = read(&emu, &ctx, &[&runtime_role]).await;
    assert_eq!(
        drift(&runtime_role, &live[0]),
        ["assume_role_policy", "inline_policies"]
    );
    assert_eq!(
        live[0].as_ref().unwrap()["inline_policies"]["ecr"]["Statement"][0]["Action"],
        json!("ecr:*")
    );

    // A tag changed on the file system.
    ctx.clients
        .s3files
        .tag_resource()
        .resource_id(fs.id())
        .tags(
            aws_sdk_s3files::types::Tag::builder()
                .key("team")
                .value("someone-else")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (live, _) = read(&emu, &ctx, &[&fs]).await;
    assert_eq!(drift(&fs, &live[0]), ["tags"]);
    assert_eq!(live[0].as_ref().unwrap()["tags"], json!({"team": "someone-else"}));

    // A mount target's security groups changed.
    ctx.clients
        .s3files
        .update_mount_target()
        .mount_target_id(mount_targets[1].id())
        .security_groups(&net.other_group)
        .send()
        .await
        .unwrap();
    let (live, _) = read(&emu, &ctx, &mts).await;
    assert_eq!(live[0], Some(mount_targets[0].config()));
    assert_eq!(drift(&mount_targets[1], &live[1]), ["security_groups"]);
    assert_eq!(live[1].as_ref().unwrap()["security_groups"], json!([net.other_group]));

    // The runtime's file systems, then its network, changed.
    update_runtime_by_hand(&ctx, &agent, Vec::new(), vec![net.security_group.clone()], &env).await;
    let (live, _) = read(&emu, &ctx, &[&agent]).await;
    assert_eq!(drift(&agent, &live[0]), ["filesystem"]);
    assert_eq!(live[0].as_ref().unwrap()["filesystem"], json!([]));
    update_runtime_by_hand(&ctx, &agent, Vec::new(), vec![net.other_group.clone()], &env).await;
    let (live, _) = read(&emu, &ctx, &[&agent]).await;
    assert_eq!(drift(&agent, &live[0]), ["filesystem", "security_groups"]);
    // A sensitive value changed: seen as a different digest, never in clear.
    let mut env2 = env.clone();
    env2.insert("API_KEY".into(), "rotated-by-hand".into());
    update_runtime_by_hand(&ctx, &agent, Vec::new(), vec![net.other_group.clone()], &env2).await;
    let (live, _) = read(&emu, &ctx, &[&agent]).await;
    assert_eq!(
        drift(&agent, &live[0]),
        ["environment_variables", "filesystem", "security_groups"]
    );
    let key = live[0].as_ref().unwrap()["environment_variables"]["API_KEY"].clone();
    assert_eq!(key, json!(agentfs::plan::redact("rotated-by-hand")));

    // The access point deleted: `None`, and the other answers of the batch are unaffected.
    ctx.clients
        .s3files
        .delete_access_point()
        .access_point_id(ap.id())
        .send()
        .await
        .unwrap();
    let (live, _) = read(&emu, &ctx, &[&ap]).await;
    assert_eq!(live, [None]);

    // A role deleted by hand reads as `None` while the other still reads.
    for policy in ["ecr"] {
        iam.delete_role_policy()
            .role_name("driftread-runtime-role")
            .policy_name(policy)
            .send()
            .await
            .unwrap();
    }
    iam.delete_role()
        .role_name("driftread-runtime-role")
        .send()
        .await
        .unwrap();
    let (live, _) = read(&emu, &ctx, &roles).await;
    assert!(live[0].is_some());
    assert_eq!(live[1], None);

    // ---- EFS ----------------------------------------------------------------------------
    let efs_fs = make(
        &ctx,
        "efs_file_system.shared",
        ResourceSpec::EfsFileSystem(EfsFileSystemSpec {
            performance_mode: "generalPurpose".into(),
            throughput_mode: "elastic".into(),
            provisioned_throughput_mibps: None,
            encrypted: true,
            tags: team("storage"),
        }),
    )
    .await;
    let efs_mt = make(
        &ctx,
        "efs_mount_target.mt0",
        ResourceSpec::EfsMountTarget(EfsMountTargetSpec {
            file_system: efs_fs.id().to_string(),
            subnet: net.subnets[0].clone(),
            security_groups: vec![net.security_group.clone()],
        }),
    )
    .await;
    let efs_ap = make(
        &ctx,
        "efs_access_point.agent",
        ResourceSpec::EfsAccessPoint(EfsAccessPointSpec {
            file_system: efs_fs.id().to_string(),
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
                    permissions: "755".into(),
                }),
            }),
            tags: team("storage"),
        }),
    )
    .await;
    let efs_calls = [
        assert_no_drift(&emu, &ctx, &[&efs_fs]).await,
        assert_no_drift(&emu, &ctx, &[&efs_mt]).await,
        assert_no_drift(&emu, &ctx, &[&efs_ap]).await,
    ];
    eprintln!("drift read efs (file system, mount target, access point): {efs_calls:?} API calls");
    let efs = &ctx.clients.efs;
    efs.modify_mount_target_security_groups()
        .mount_target_id(efs_mt.id())
        .security_groups(&net.other_group)
        .send()
        .await
        .unwrap();
    let (live, _) = read(&emu, &ctx, &[&efs_mt]).await;
    assert_eq!(drift(&efs_mt, &live[0]), ["security_groups"]);
    efs.untag_resource()
        .resource_id(efs_fs.id())
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let (live, _) = read(&emu, &ctx, &[&efs_fs]).await;
    assert_eq!(drift(&efs_fs, &live[0]), ["tags"]);
    efs.delete_access_point()
        .access_point_id(efs_ap.id())
        .send()
        .await
        .unwrap();
    let (live, _) = read(&emu, &ctx, &[&efs_ap]).await;
    assert_eq!(live, [None]);

    // A bucket deleted: `None`, and the other bucket of the batch still reads.
    s3.delete_bucket().bucket(&logs_name).send().await.unwrap();
    let (live, _) = read(&emu, &ctx, &[&bucket, &logs]).await;
    assert_eq!(live, [Some(bucket.config()), None]);
}
