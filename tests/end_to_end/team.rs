//! Team state on S3 against the emulator: S3 conditional writes as the lock, a stale lock
//! shown with its age and removed by force-unlock, and `state` commands with their checks.

use crate::support;

use support::text;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_config::BehaviorVersion;

const SPEC: &str = r#"
[stack]
name = "team"
region = "us-east-1"

[backend.s3]
bucket = "team-state"

[vpc.main]
cidr_block = "10.30.0.0/16"

[subnet.a]
vpc = "main"
cidr_block = "10.30.1.0/24"
az_index = 0

[elastic_ip.nat]
[internet_gateway.igw]
vpc = "main"

[nat_gateway.nat]
subnet = "a"
elastic_ip = "nat"
depends_on = ["internet_gateway.igw"]
"#;

async fn s3(emu: &support::Emulator) -> aws_sdk_s3::Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emu.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
}

async fn state_object(s3: &aws_sdk_s3::Client) -> serde_json::Value {
    let object = s3
        .get_object()
        .bucket("team-state")
        .key("agentfs/team.state.json")
        .send()
        .await
        .unwrap();
    serde_json::from_slice(&object.body.collect().await.unwrap().to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_simultaneous_applies_one_runs_the_other_fails_fast_naming_the_holder() {
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 1.5}}"#);
    let s3 = s3(&emu).await;
    s3.create_bucket().bucket("team-state").send().await.unwrap();
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [&one, &two] {
        std::fs::write(dir.path().join("agentfs.toml"), SPEC).unwrap();
    }
    let spawn = |dir: &Path| {
        Command::new(env!("CARGO_BIN_EXE_agentfs"))
            .args(["apply", "--auto-approve", "--output", "plain"])
            .current_dir(dir)
            .envs(emu.env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(one.path()), spawn(two.path()));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let outcomes = [(a.status.success(), text(&a)), (b.status.success(), text(&b))];
    let winners = outcomes.iter().filter(|(ok, _)| *ok).count();
    assert_eq!(winners, 1, "exactly one apply runs: {outcomes:#?}");
    let (_, loser) = outcomes.iter().find(|(ok, _)| !ok).unwrap();
    assert!(
        loser.contains("is locked") && loser.contains("held by") && loser.contains("for `apply`"),
        "{loser}"
    );

    let state = state_object(&s3).await;
    assert_eq!(state["resources"].as_object().unwrap().len(), 5);
    assert!(
        state["resources"]
            .as_object()
            .unwrap()
            .values()
            .all(|r| r["phase"] == "created")
    );
    assert!(
        s3.head_object()
            .bucket("team-state")
            .key("agentfs/team.state.json.lock")
            .send()
            .await
            .is_err(),
        "lock released"
    );

    let out = emu.agentfs(one.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = emu.agentfs(two.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_lock_of_a_killed_process_is_reported_with_its_age_and_force_unlocked() {
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 2}}"#);
    let s3 = s3(&emu).await;
    s3.create_bucket().bucket("team-state").send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), SPEC).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(["apply", "--auto-approve", "--output", "plain"])
        .current_dir(dir.path())
        .envs(emu.env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock_key = "agentfs/team.state.json.lock";
    for _ in 0..200 {
        if s3.head_object().bucket("team-state").key(lock_key).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;

    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(out.status.code(), Some(1));
    let message = text(&out);
    assert!(
        message.contains("since") && message.contains("s ago") && message.contains("force-unlock"),
        "{message}"
    );
    let id = message
        .split("lock id ")
        .nth(1)
        .unwrap()
        .split(['.', ' ', '\n'])
        .next()
        .unwrap()
        .to_string();
    let out = emu.agentfs(dir.path(), &["force-unlock", &id]);
    assert!(out.status.success(), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "the killed apply is completed: {}", text(&out));
    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn state_commands_pull_push_rm_and_migrate_with_safety_checks() {
    let emu = support::Emulator::start();
    let s3 = s3(&emu).await;
    s3.create_bucket().bucket("team-state").send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let local = SPEC.replace("[backend.s3]\nbucket = \"team-state\"\n", "");
    std::fs::write(dir.path().join("agentfs.toml"), &local).unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));

    let out = emu.agentfs(dir.path(), &["state", "list"]);
    assert!(text(&out).contains("nat_gateway.nat\tnat-"), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["state", "pull"]);
    let pulled: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut older = pulled.clone();
    older["serial"] = serde_json::json!(1);
    std::fs::write(dir.path().join("older.json"), older.to_string()).unwrap();
    let out = emu.agentfs(dir.path(), &["state", "push", "older.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("older than the stored serial"), "{}", text(&out));
    let mut foreign = pulled.clone();
    foreign["lineage"] = serde_json::json!("another-stack");
    std::fs::write(dir.path().join("foreign.json"), foreign.to_string()).unwrap();
    let out = emu.agentfs(dir.path(), &["state", "push", "foreign.json"]);
    assert!(text(&out).contains("another stack's state"), "{}", text(&out));

    let out = emu.agentfs(
        dir.path(),
        &["state", "migrate", "--to", "s3://team-state/agentfs/team.state.json"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(state_object(&s3).await["lineage"], pulled["lineage"]);
    std::fs::write(dir.path().join("agentfs.toml"), SPEC).unwrap();
    std::fs::remove_dir_all(dir.path().join(".agentfs")).unwrap();
    let out = emu.agentfs(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the migrated state is the stack's: {}",
        text(&out)
    );

    let out = emu.agentfs(dir.path(), &["state", "rm", "elastic_ip.nat"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(state_object(&s3).await["resources"].get("elastic_ip.nat").is_none());
}
