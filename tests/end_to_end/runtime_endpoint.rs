//! `agentcore_runtime_endpoint` end to end against the emulator: its ARN is an output; an
//! endpoint without `version` follows the runtime: after the runtime's update the plan shows it
//! behind (drift) and the next apply moves it to the newest version; destroy removes it.

use crate::support;

use support::text;

const SPEC: &str = r#"
[stack]
name = "endpoints"
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
name = "endpoint_agent"
container_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest"
role = "runtime"
environment_variables = { MODE = "MODE_VALUE" }

[agentcore_runtime_endpoint.prod]
runtime = "agent"
name = "prod"

[output.endpoint_arn]
value = "${agentcore_runtime_endpoint.prod.arn}"
"#;

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_without_a_version_follows_the_runtime() {
    let emu = support::Emulator::start();
    emu.configure(r#"{"delays": {"runtime_create": 0.1, "runtime_update": 0.1, "runtime_delete": 0.1}}"#);
    let dir = tempfile::tempdir().unwrap();
    let write = |mode: &str| std::fs::write(dir.path().join("agentfs.toml"), SPEC.replace("MODE_VALUE", mode)).unwrap();
    let apply = || {
        let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
        assert!(out.status.success(), "{}", text(&out));
    };
    write("one");
    apply();

    let out = emu.agentfs(dir.path(), &["output", "endpoint_arn"]);
    let arn = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        arn.contains(":runtime/endpoint_agent-") && arn.ends_with("/runtime-endpoint/prod"),
        "{}",
        text(&out)
    );
    let runtime_id = arn
        .split(":runtime/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let client = aws_sdk_bedrockagentcorecontrol::Client::new(&emu.sdk_config().await);
    let target = || async {
        client
            .get_agent_runtime_endpoint()
            .agent_runtime_id(&runtime_id)
            .endpoint_name("prod")
            .send()
            .await
            .unwrap()
            .target_version()
            .map(String::from)
    };
    assert_eq!(target().await.as_deref(), Some("1"));

    write("two");
    apply();
    let out = emu.agentfs(dir.path(), &["plan", "--json"]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    let endpoint = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "agentcore_runtime_endpoint.prod")
        .unwrap();
    assert_eq!(endpoint["action"], "update", "{endpoint:#}");
    apply();
    assert_eq!(target().await.as_deref(), Some("2"));
    let out = emu.agentfs(dir.path(), &["plan", "--json"]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["summary"]["update"], 0, "{plan:#}");

    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let inventory = emu.inventory();
    let left = &inventory["123456789012"]["us-east-1"]["bedrock-agentcore-control"]["agent_runtime_endpoints"];
    assert_eq!(left.as_array().map(Vec::len), Some(0), "{inventory:#}");
}
