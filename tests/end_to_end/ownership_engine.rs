//! Against the emulator: agentfs changes and deletes only what it made. A name that already
//! exists is refused, not adopted; a create AWS refused leaves no intent behind and destroy never
//! creates; a resource deleted outside agentfs is made again with a new token; a resource tagged
//! for another stack is never deleted; a delete reports only what it deleted; the first Ctrl-C
//! ends a blocked delete's retries.

use crate::support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::text;

fn write(dir: &std::path::Path, spec: &str) {
    std::fs::write(dir.join("agentfs.toml"), spec).unwrap();
}

fn run(emu: &support::Emulator, dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = emu.agentfs(dir, args);
    (out.status.code(), text(&out))
}

fn state_file(dir: &std::path::Path, stack: &str) -> std::path::PathBuf {
    dir.join(".agentfs").join(format!("{stack}.state.json"))
}

fn state(dir: &std::path::Path, stack: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(state_file(dir, stack)).unwrap()).unwrap()
}

/// The operations the emulator served since call number `from` (oldest first).
fn operations_since(emu: &support::Emulator, from: usize) -> Vec<String> {
    emu.calls()
        .as_array()
        .unwrap()
        .iter()
        .skip(from)
        .map(|c| c["operation"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn call_count(emu: &support::Emulator) -> usize {
    emu.calls().as_array().map_or(0, Vec::len)
}

async fn ec2(emu: &support::Emulator) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&emu.sdk_config().await)
}

async fn s3(emu: &support::Emulator) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&emu.sdk_config().await)
            .force_path_style(true)
            .build(),
    )
}

async fn tags_of_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<(String, String)> {
    let out = s3.get_bucket_tagging().bucket(bucket).send().await.unwrap();
    let mut tags: Vec<(String, String)> = out
        .tag_set()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    tags.sort();
    tags
}

const BUCKET_SPEC: &str = r#"
[stack]
name = "owner"
region = "us-east-1"

[vpc.main]
cidr_block = "10.7.0.0/16"

[s3_bucket.data]
name = "team-shared-data"
versioning = true
force_destroy = true
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_that_already_exists_is_refused_and_never_emptied() {
    let emu = support::Emulator::start();
    let s3 = s3(&emu).await;
    s3.create_bucket().bucket("team-shared-data").send().await.unwrap();
    s3.put_object()
        .bucket("team-shared-data")
        .key("precious.txt")
        .body(b"not agentfs's".to_vec().into())
        .send()
        .await
        .unwrap();
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .tag_set(
            aws_sdk_s3::types::Tag::builder()
                .key("team")
                .value("data")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    s3.put_bucket_tagging()
        .bucket("team-shared-data")
        .tagging(tagging)
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), BUCKET_SPEC);

    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("already exists in this account and was not made by agentfs"),
        "{out}"
    );
    let recorded = state(dir.path(), "owner");
    assert!(
        recorded["resources"].get("s3_bucket.data").is_none(),
        "a refused create leaves no intent: {recorded:#}"
    );

    let from = call_count(&emu);
    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let destroyed = operations_since(&emu, from);
    assert!(
        !destroyed
            .iter()
            .any(|op| op.contains("Bucket") || op.contains("Object")),
        "destroy touched the bucket: {destroyed:?}"
    );
    let object = s3
        .get_object()
        .bucket("team-shared-data")
        .key("precious.txt")
        .send()
        .await
        .expect("the object is still there");
    assert_eq!(
        object.body.collect().await.unwrap().into_bytes().as_ref(),
        b"not agentfs's"
    );
    assert_eq!(
        tags_of_bucket(&s3, "team-shared-data").await,
        vec![("team".to_string(), "data".to_string())],
        "its tags are untouched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_agentfs_makes_carries_its_tags_from_the_create_call() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), BUCKET_SPEC);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let operations = operations_since(&emu, 0);
    assert!(
        operations.iter().any(|op| op == "CreateBucket") && !operations.iter().any(|op| op == "PutBucketTagging"),
        "the tags go with CreateBucket, not in a second call a crash can skip: {operations:?}"
    );
    let tags = tags_of_bucket(&s3(&emu).await, "team-shared-data").await;
    assert!(
        tags.contains(&("agentfs:resource".to_string(), "s3_bucket.data".to_string()))
            && tags.contains(&("agentfs:stack".to_string(), "owner".to_string())),
        "{tags:?}"
    );
    // A second apply after a lost state finds a bucket with this stack's tags: it is adopted.
    std::fs::remove_file(state_file(dir.path(), "owner")).unwrap();
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
}

const ROLE_SPEC: &str = r#"
[stack]
name = "refused"
region = "us-east-1"

[iam_role.taken]
name = "already-taken"
assume_role_policy = { Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "bedrock-agentcore.amazonaws.com" }, Action = "sts:AssumeRole" }] }
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_create_aws_refuses_leaves_no_intent_and_destroy_never_creates() {
    let emu = support::Emulator::start();
    let iam = aws_sdk_iam::Client::new(&emu.sdk_config().await);
    iam.create_role()
        .role_name("already-taken")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ROLE_SPEC);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("EntityAlreadyExists"), "{out}");
    let recorded = state(dir.path(), "refused");
    assert!(
        recorded["resources"].get("iam_role.taken").is_none(),
        "the refused create left an intent: {recorded:#}"
    );

    // An intent an older agentfs left behind (or one a crash left before the call): destroy
    // looks it up, finds nothing, and drops it without a single create call.
    let mut recorded = recorded;
    recorded["resources"]["iam_role.taken"] = serde_json::json!({
        "phase": "creating",
        "client_token": "agentfs-0123456789abcdef0123456789abcdef",
        "config": {"name": "already-taken", "assume_role_policy": {"Version": "2012-10-17", "Statement": []}},
    });
    std::fs::write(state_file(dir.path(), "refused"), recorded.to_string()).unwrap();
    let from = call_count(&emu);
    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let operations = operations_since(&emu, from);
    assert!(
        !operations.iter().any(|op| op.starts_with("Create")),
        "destroy sent a create: {operations:?}"
    );
    assert!(out.contains("nothing to delete"), "{out}");
    assert!(
        !state_file(dir.path(), "refused").exists(),
        "the intent is gone with the state"
    );
    iam.get_role()
        .role_name("already-taken")
        .send()
        .await
        .expect("the role that was not agentfs's is still there");
}

const ENDPOINT_SPEC: &str = r#"
[stack]
name = "tokens"
region = "us-east-1"

[vpc.main]
cidr_block = "10.8.0.0/16"

[route_table.private]
vpc = "main"

[route_table.other]
vpc = "main"

[vpc_endpoint.s3]
vpc = "main"
service = "s3"
route_tables = ["private"]
"#;

fn endpoint_id(dir: &std::path::Path) -> String {
    state(dir, "tokens")["resources"]["vpc_endpoint.s3"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resource_deleted_outside_agentfs_is_made_again_with_a_new_token() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ENDPOINT_SPEC);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let mut gone = vec![endpoint_id(dir.path())];
    let ec2 = ec2(&emu).await;
    ec2.delete_vpc_endpoints()
        .vpc_endpoint_ids(&gone[0])
        .send()
        .await
        .unwrap();
    // Deleted by hand while the spec changed: a token the first create already used would be
    // refused as "the same client token as a previous, non-identical request".
    write(
        dir.path(),
        &ENDPOINT_SPEC.replace(r#"["private"]"#, r#"["private", "other"]"#),
    );

    for round in 0..2 {
        let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
        assert_eq!(code, Some(0), "round {round}: {out}");
        let id = endpoint_id(dir.path());
        assert!(
            !gone.contains(&id),
            "round {round}: a deleted endpoint was answered again"
        );
        let live = ec2.describe_vpc_endpoints().vpc_endpoint_ids(&id).send().await.unwrap();
        let endpoint = &live.vpc_endpoints()[0];
        assert_eq!(endpoint.route_table_ids().len(), 2, "round {round}: {endpoint:?}");
        let (code, out) = run(&emu, dir.path(), &["drift"]);
        assert_eq!(code, Some(0), "round {round}: {out}");
        // Then the same after `state rm`: the address stays creatable.
        ec2.delete_vpc_endpoints().vpc_endpoint_ids(&id).send().await.unwrap();
        let (code, out) = run(&emu, dir.path(), &["state", "rm", "vpc_endpoint.s3"]);
        assert_eq!(code, Some(0), "{out}");
        gone.push(id);
    }
}

const VPC_SPEC: &str = r#"
[stack]
name = "alpha"
region = "us-east-1"

[vpc.main]
cidr_block = "10.6.0.0/16"
timeouts = { delete = "30m" }
"#;

/// Applies [`VPC_SPEC`] in `dir`; the VPC's id.
fn applied_vpc(emu: &support::Emulator, dir: &std::path::Path) -> String {
    write(dir, VPC_SPEC);
    let (code, out) = run(emu, dir, &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    state(dir, "alpha")["resources"]["vpc.main"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_never_deletes_a_resource_tagged_for_another_stack() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let vpc = applied_vpc(&emu, dir.path());
    // As if this state had been copied from, or imported, another stack's VPC.
    let ec2 = ec2(&emu).await;
    ec2.create_tags()
        .resources(&vpc)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("agentfs:stack")
                .value("platform")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let from = call_count(&emu);
    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("agentfs:stack = `platform`"), "{out}");
    assert!(
        !operations_since(&emu, from).iter().any(|op| op == "DeleteVpc"),
        "DeleteVpc was sent"
    );
    let live = ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap();
    assert_eq!(live.vpcs().len(), 1, "the other stack's VPC is still there");
    assert_eq!(
        state(dir.path(), "alpha")["resources"]["vpc.main"]["phase"],
        "created",
        "still recorded, for the user to `state rm`"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_reports_only_what_it_deleted() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let vpc = applied_vpc(&emu, dir.path());
    ec2(&emu).await.delete_vpc().vpc_id(&vpc).send().await.unwrap();
    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve", "--output", "json"]);
    assert_eq!(code, Some(0), "{out}");
    let done: Vec<serde_json::Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["event"] == "done")
        .collect();
    assert_eq!(done.len(), 1, "{out}");
    let said = done[0].to_string();
    assert!(said.contains("already gone") && !said.contains("\"deleted\""), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_ctrl_c_ends_a_blocked_delete_at_once() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let vpc = applied_vpc(&emu, dir.path());
    // Something agentfs does not manage keeps the VPC in use (DependencyViolation) for the
    // whole 30-minute delete timeout.
    let ec2 = ec2(&emu).await;
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.6.1.0/24")
        .send()
        .await
        .unwrap();
    let subnet = subnet.subnet().and_then(|s| s.subnet_id()).unwrap().to_string();

    let from = call_count(&emu);
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(["destroy", "--auto-approve", "--output", "plain"])
        .current_dir(dir.path())
        .envs(emu.env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while operations_since(&emu, from)
        .iter()
        .filter(|op| *op == "DeleteVpc")
        .count()
        < 2
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "destroy never retried DeleteVpc"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let signalled = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    // Bounded only so that a regression fails instead of hanging for the 30-minute timeout.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still waiting 60 s after the first Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = text(&child.wait_with_output().unwrap());
    assert_eq!(status.code(), Some(130), "{out}");
    assert_eq!(
        state(dir.path(), "alpha")["resources"]["vpc.main"]["phase"],
        "created",
        "a refused delete leaves the resource recorded as it was: {out}"
    );

    ec2.delete_subnet().subnet_id(&subnet).send().await.unwrap();
    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
}

const AGENTCORE_SPEC: &str = r#"
[stack]
name = "owner"
region = "us-east-1"

[agentcore_memory.shared]
name = "shared_memory"
event_expiry_days = 30

[agentcore_memory.mine]
name = "mine_memory"
description = "as the spec says"
event_expiry_days = 30
"#;

/// A memory of the spec's name that someone else made is refused and left as it is; one that
/// an earlier, cut-short attempt of this very resource made (its tags say so) is adopted and
/// brought to the spec, not made twice.
#[tokio::test(flavor = "multi_thread")]
async fn an_agentcore_name_taken_by_another_is_refused_and_our_own_is_adopted() {
    let emu = support::Emulator::start();
    let agentcore = aws_sdk_bedrockagentcorecontrol::Client::new(&emu.sdk_config().await);
    let theirs = agentcore
        .create_memory()
        .name("shared_memory")
        .event_expiry_duration(7)
        .send()
        .await
        .unwrap()
        .memory
        .unwrap();
    let ours = agentcore
        .create_memory()
        .name("mine_memory")
        .event_expiry_duration(7)
        .tags("agentfs:stack", "owner")
        .tags("agentfs:resource", "agentcore_memory.mine")
        .send()
        .await
        .unwrap()
        .memory
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), AGENTCORE_SPEC);

    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("already exists") && out.contains("was not made by agentfs"),
        "{out}"
    );
    let recorded = state(dir.path(), "owner");
    assert!(
        recorded["resources"].get("agentcore_memory.shared").is_none(),
        "{recorded:#}"
    );
    assert_eq!(
        recorded["resources"]["agentcore_memory.mine"]["id"],
        ours.id(),
        "{recorded:#}"
    );

    let get = |id: String| {
        let agentcore = agentcore.clone();
        async move {
            agentcore
                .get_memory()
                .memory_id(id)
                .send()
                .await
                .unwrap()
                .memory
                .unwrap()
        }
    };
    let theirs_now = get(theirs.id().to_string()).await;
    assert_eq!(theirs_now.event_expiry_duration(), 7, "the other memory was changed");
    let tags = agentcore
        .list_tags_for_resource()
        .resource_arn(theirs.arn())
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags().is_none_or(|t| t.is_empty()),
        "the other memory was tagged: {tags:?}"
    );
    let ours_now = get(ours.id().to_string()).await;
    assert_eq!(ours_now.event_expiry_duration(), 30);
    assert_eq!(ours_now.description(), Some("as the spec says"));
    let listed = agentcore.list_memories().send().await.unwrap();
    assert_eq!(listed.memories().len(), 2, "a memory was made twice: {listed:?}");
}
