//! The whole agent loop on the emulator: the example agent deployed as code, invoked from two
//! sessions that share one S3 Files directory, files reaching the bucket and objects reaching
//! the agent, a code change applied in place, and a destroy that leaves nothing.

use crate::support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::{Emulator, text};

const SESSION_A: &str = "agent-loop-session-a-000000000000000000";
const SESSION_B: &str = "agent-loop-session-b-000000000000000000";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The example agent and its spec in a fresh directory; the artifact bucket without
/// `force_destroy`, so destroy only succeeds when the runtime took its artifact with it.
fn example(dir: &Path) {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/agent");
    copy_dir(&example, dir);
    let spec = std::fs::read_to_string(dir.join("agentfs.toml")).unwrap();
    let strict = spec.replacen(
        "name = \"${stack}-artifacts-${account_id}-${region}\"\nversioning = true\nencryption = \"AES256\"\nforce_destroy = true",
        "name = \"${stack}-artifacts-${account_id}-${region}\"\nversioning = true\nencryption = \"AES256\"",
        1,
    );
    assert_ne!(strict, spec, "the example's artifact bucket changed shape");
    // An endpoint that stays on the first version whatever the code becomes.
    let pinned = format!(
        "{strict}\n[agentcore_runtime_endpoint.pinned]\nruntime = \"agent\"\nname = \"pinned\"\nversion = \"1\"\n"
    );
    std::fs::write(dir.join("agentfs.toml"), pinned).unwrap();
}

fn invoke(emu: &Emulator, dir: &Path, session: &str, payload: &str) -> serde_json::Value {
    invoke_at(emu, dir, &["--session", session, "--payload", payload])
}

fn invoke_at(emu: &Emulator, dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["invoke"];
    all.extend_from_slice(args);
    let out = emu.agentfs(dir, &all);
    assert!(out.status.success(), "invoke failed: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out)))
}

fn state(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(".agentfs/agentdemo.state.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn operations(emu: &Emulator, name: &str) -> usize {
    emu.calls()
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["operation"] == name)
        .count()
}

/// The object's content once the export delay has passed (polled; the delay is the emulator's).
async fn object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(out) = s3.get_object().bucket(bucket).key(key).send().await {
            let bytes = out.body.collect().await.unwrap().into_bytes();
            return String::from_utf8(bytes.to_vec()).unwrap();
        }
        assert!(Instant::now() < deadline, "s3://{bucket}/{key} never appeared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_runs_shares_its_files_with_the_bucket_and_updates_in_place() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    example(dir);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&emu.sdk_config().await)
            .force_path_style(true)
            .build(),
    );

    let out = emu.agentfs(dir, &["apply", "--auto-approve"]);
    assert!(out.status.success(), "apply: {}", text(&out));
    let recorded = state(dir);
    let runtime = &recorded["resources"]["agentcore_runtime.agent"]["attributes"];
    let key = runtime["artifact_key"].as_str().unwrap().to_string();
    assert_eq!(key, "agentfs/agentdemo/agentdemo_agent/code.zip");
    let first_version = runtime["artifact_version"].as_str().unwrap().to_string();
    assert!(!first_version.is_empty(), "{runtime}");
    let data_bucket = "agentdemo-123456789012-us-east-1";
    let artifacts = "agentdemo-artifacts-123456789012-us-east-1";

    // Two sessions, one shared directory.
    let a = invoke(
        &emu,
        dir,
        SESSION_A,
        r#"{"write": {"name": "a.txt", "text": "from A"}}"#,
    );
    assert_eq!(a["session"], SESSION_A);
    assert_eq!(a["version"], "1");
    let b = invoke(
        &emu,
        dir,
        SESSION_B,
        r#"{"write": {"name": "b.txt", "text": "from B"}}"#,
    );
    assert_eq!(b["files"], serde_json::json!({"a.txt": "from A", "b.txt": "from B"}));

    // Files under the access point's root /agent are objects under agent/.
    assert_eq!(object(&s3, data_bucket, "agent/a.txt").await, "from A");
    assert_eq!(object(&s3, data_bucket, "agent/b.txt").await, "from B");

    // An object put into the bucket is a file at the next invocation.
    s3.put_object()
        .bucket(data_bucket)
        .key("agent/inbox/from-s3.txt")
        .body(b"put into the bucket".to_vec().into())
        .send()
        .await
        .unwrap();
    let seen = invoke(&emu, dir, SESSION_A, "{}");
    assert_eq!(seen["files"]["inbox/from-s3.txt"], "put into the bucket", "{seen}");

    // Nothing changed: no upload, no runtime update.
    let puts = operations(&emu, "PutObject");
    let updates = operations(&emu, "UpdateAgentRuntime");
    let out = emu.agentfs(dir, &["apply", "--auto-approve"]);
    assert!(text(&out).contains("Nothing to do"), "{}", text(&out));
    assert_eq!(operations(&emu, "PutObject"), puts);
    assert_eq!(operations(&emu, "UpdateAgentRuntime"), updates);

    // A code change is an in-place update, after which the new code answers.
    let server = dir.join("src/server.py");
    let code = std::fs::read_to_string(&server).unwrap();
    std::fs::write(&server, code.replace("VERSION = \"1\"", "VERSION = \"2\"")).unwrap();
    let plan = emu.agentfs(dir, &["plan"]);
    let plan = text(&plan);
    assert!(plan.contains("~ agentcore_runtime.agent"), "{plan}");
    assert!(plan.contains("code.sha256"), "{plan}");
    assert!(plan.contains("1 to update, 0 to replace"), "{plan}");
    let out = emu.agentfs(dir, &["apply", "--auto-approve"]);
    assert!(out.status.success(), "apply: {}", text(&out));
    assert_eq!(operations(&emu, "UpdateAgentRuntime"), updates + 1);
    let recorded = state(dir);
    let runtime = &recorded["resources"]["agentcore_runtime.agent"]["attributes"];
    assert_ne!(runtime["artifact_version"].as_str().unwrap(), first_version);
    assert_eq!(runtime["version"], "2");
    let again = invoke(&emu, dir, SESSION_A, "{}");
    assert_eq!(again["version"], "2");
    // The endpoint pinned to version 1 still runs the first code.
    let old = invoke_at(
        &emu,
        dir,
        &["--qualifier", "pinned", "--session", SESSION_B, "--payload", "{}"],
    );
    assert_eq!(old["version"], "1", "{old}");
    assert_eq!(old["files"]["a.txt"], "from A");
    // The shared files outlive the code change.
    assert_eq!(again["files"]["a.txt"], "from A");
    let versions = s3
        .list_object_versions()
        .bucket(artifacts)
        .prefix(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 2, "one artifact version per upload");

    // Pointed at the first upload behind agentfs's back: drift names the code, apply restores it.
    let agentcore = aws_sdk_bedrockagentcorecontrol::Client::new(&emu.sdk_config().await);
    let id = recorded["resources"]["agentcore_runtime.agent"]["id"].as_str().unwrap();
    let live = agentcore.get_agent_runtime().agent_runtime_id(id).send().await.unwrap();
    let Some(aws_sdk_bedrockagentcorecontrol::types::AgentRuntimeArtifact::CodeConfiguration(code)) =
        live.agent_runtime_artifact().cloned()
    else {
        panic!("not deployed from code: {live:?}");
    };
    let first = aws_sdk_bedrockagentcorecontrol::types::Code::S3(
        aws_sdk_bedrockagentcorecontrol::types::S3Location::builder()
            .bucket(artifacts)
            .prefix(&key)
            .version_id(&first_version)
            .build()
            .unwrap(),
    );
    let mut rolled_back = code.clone();
    rolled_back.code = Some(first);
    agentcore
        .update_agent_runtime()
        .agent_runtime_id(id)
        .agent_runtime_artifact(
            aws_sdk_bedrockagentcorecontrol::types::AgentRuntimeArtifact::CodeConfiguration(rolled_back),
        )
        .role_arn(live.role_arn())
        .set_description(live.description().map(String::from))
        .set_environment_variables(live.environment_variables().cloned())
        .set_filesystem_configurations(Some(live.filesystem_configurations().to_vec()))
        .set_network_configuration(live.network_configuration().cloned())
        .send()
        .await
        .unwrap();
    let ready = Instant::now() + Duration::from_secs(20);
    while agentcore
        .get_agent_runtime()
        .agent_runtime_id(id)
        .send()
        .await
        .unwrap()
        .status()
        .as_str()
        != "READY"
    {
        assert!(Instant::now() < ready, "the runtime never became READY again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drift = emu.agentfs(dir, &["drift"]);
    assert_eq!(drift.status.code(), Some(2), "{}", text(&drift));
    assert!(text(&drift).contains("code.sha256"), "{}", text(&drift));
    let out = emu.agentfs(dir, &["apply", "--auto-approve"]);
    assert!(out.status.success(), "apply: {}", text(&out));
    let drift = emu.agentfs(dir, &["drift"]);
    assert_eq!(drift.status.code(), Some(0), "{}", text(&drift));
    assert_eq!(invoke(&emu, dir, SESSION_A, "{}")["version"], "2");

    // Destroy leaves nothing; the artifact bucket (no force_destroy) is only deletable because
    // the runtime's delete took every version of its artifact.
    let out = emu.agentfs(dir, &["destroy", "--auto-approve"]);
    assert!(out.status.success(), "destroy: {}", text(&out));
    let buckets = s3.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().is_empty(), "{:?}", buckets.buckets());
    // The log groups AgentCore made for the runtime's endpoints stay, as in AWS: they were
    // never agentfs's.
    let runtimes = emu.inventory()["123456789012"]["us-east-1"]["bedrock-agentcore-control"].to_string();
    assert!(!runtimes.contains("agentdemo_agent"), "{runtimes}");
    let out = emu.agentfs(dir, &["invoke", "--payload", "{}"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("has no recorded state"), "{}", text(&out));
}

#[test]
fn code_and_container_uri_together_are_refused_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    example(dir.path());
    let spec = std::fs::read_to_string(dir.path().join("agentfs.toml")).unwrap();
    let both = spec.replacen(
        "role = \"runtime\"\nnetwork_mode",
        "role = \"runtime\"\ncontainer_uri = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1\"\nnetwork_mode",
        1,
    );
    assert_ne!(both, spec);
    std::fs::write(dir.path().join("agentfs.toml"), both).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(["validate", "agentfs.toml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("`container_uri` and `code` are set together"),
        "{}",
        text(&out)
    );

    // A missing source directory is an error at code.source.
    std::fs::remove_dir_all(dir.path().join("src")).unwrap();
    let spec = std::fs::read_to_string(dir.path().join("agentfs.toml")).unwrap();
    std::fs::write(
        dir.path().join("agentfs.toml"),
        spec.replace(
            "container_uri = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1\"\n",
            "",
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(["validate", "agentfs.toml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("agentcore_runtime.agent.code.source"),
        "{}",
        text(&out)
    );
}
