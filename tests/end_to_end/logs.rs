//! `agentfs logs` against the emulator: events put into the runtime's log group (as AgentCore
//! would) are printed oldest first; `--since` bounds how far back; `--follow` prints events
//! that arrive later; the runtime is found from state, by name or as the stack's only one.

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use support::text;

const SPEC: &str = r#"
[stack]
name = "logs"
region = "us-east-1"

[iam_role.runtime]
name = "${stack}-runtime"

[iam_role.runtime.assume_role_policy]
Version = "2012-10-17"

[[iam_role.runtime.assume_role_policy.Statement]]
Effect = "Allow"
Principal = { Service = "bedrock-agentcore.amazonaws.com" }
Action = "sts:AssumeRole"

[agentcore_runtime.agent]
name = "logs_agent"
container_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest"
role = "runtime"

[output.runtime_id]
value = "${agentcore_runtime.agent.id}"
"#;

fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_prints_the_runtime_log_group() {
    let emu = support::Emulator::start();
    emu.configure(r#"{"delays": {"runtime_create": 0.1, "runtime_update": 0.1, "runtime_delete": 0.1}}"#);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), SPEC).unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));

    // Before the first invocation there is no log group: a clear error.
    let out = emu.agentfs(dir.path(), &["logs"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("no log group /aws/bedrock-agentcore/runtimes/logs_agent-"),
        "{}",
        text(&out)
    );

    let out = emu.agentfs(dir.path(), &["output", "runtime_id"]);
    let runtime_id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let group = format!("/aws/bedrock-agentcore/runtimes/{runtime_id}-DEFAULT");
    let logs = aws_sdk_cloudwatchlogs::Client::new(&emu.sdk_config().await);
    logs.create_log_group().log_group_name(&group).send().await.unwrap();
    let stream = "2026/12/01/[runtime-logs]session-one";
    logs.create_log_stream()
        .log_group_name(&group)
        .log_stream_name(stream)
        .send()
        .await
        .unwrap();
    let event = |at: i64, message: &str| InputLogEvent::builder().timestamp(at).message(message).build().unwrap();
    let now = now_millis();
    logs.put_log_events()
        .log_group_name(&group)
        .log_stream_name(stream)
        .log_events(event(now - 2 * 3600 * 1000, "two hours ago"))
        .log_events(event(now - 60 * 1000, "agent started"))
        .log_events(event(now - 30 * 1000, "wrote /mnt/data/x.json"))
        .send()
        .await
        .unwrap();

    let out = emu.agentfs(dir.path(), &["logs"]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 2, "{printed}");
    assert!(lines[0].ends_with(&format!("{stream} agent started")), "{printed}");
    assert!(lines[1].ends_with("wrote /mnt/data/x.json"), "{printed}");

    let out = emu.agentfs(dir.path(), &["logs", "agent", "--since", "3h"]);
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(printed.lines().count(), 3, "{}", text(&out));
    assert!(printed.lines().next().unwrap().ends_with("two hours ago"), "{printed}");

    let out = emu.agentfs(dir.path(), &["logs", "other"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("no agentcore_runtime named `other`; runtimes: agent"),
        "{}",
        text(&out)
    );
    let out = emu.agentfs(dir.path(), &["logs", "--since", "soon"]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));

    // --follow: an event put after the start is printed once it arrives.
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(["logs", "--follow"])
        .current_dir(dir.path())
        .envs(emu.env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    logs.put_log_events()
        .log_group_name(&group)
        .log_stream_name(stream)
        .log_events(event(now_millis(), "a later event"))
        .send()
        .await
        .unwrap();
    // The earlier events come first; a generous bound only guards against a hang.
    let mut seen = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        let done = line.ends_with("a later event");
        seen.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(seen.len(), 3, "{seen:#?}");
    assert!(seen[2].ends_with("a later event"), "{seen:#?}");
}
