//! Lost state rebuilt from tags, and an existing resource adopted by id, against the emulator.

use crate::support;

use support::text;

use aws_config::BehaviorVersion;

const REFERENCE: &str = include_str!("../../examples/s3files-runtime.toml");

#[tokio::test(flavor = "multi_thread")]
async fn lost_state_is_recovered_from_tags_and_the_next_plan_is_empty() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), REFERENCE).unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let state_file = dir.path().join(".agentfs/fsverify.state.json");
    let before: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    std::fs::remove_file(&state_file).unwrap();

    let out = emu.agentfs(dir.path(), &["recover"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Recovered 26 of 26"), "{}", text(&out));
    let after: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    for (addr, resource) in before["resources"].as_object().unwrap() {
        assert_eq!(after["resources"][addr]["id"], resource["id"], "{addr}");
        assert_eq!(after["resources"][addr]["attributes"], resource["attributes"], "{addr}");
    }
    let out = emu.agentfs(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["recover"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a second recover must not overwrite a state"
    );

    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_vpc_is_imported_and_then_managed() {
    let emu = support::Emulator::start();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emu.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpc = ec2.create_vpc().cidr_block("10.40.0.0/16").send().await.unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let spec = "[stack]\nname = \"adopt\"\nregion = \"us-east-1\"\n\n[vpc.main]\ncidr_block = \"10.40.0.0/16\"\ntags = { team = \"agents\" }\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), spec).unwrap();

    let out = emu.agentfs(dir.path(), &["import", "agentfs.toml", "vpc.main", &vpc_id]);
    assert!(out.status.success(), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("~ vpc.main") && text(&out).contains("tags.team"),
        "{}",
        text(&out)
    );
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let described = ec2.describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap();
    let tags = described.vpcs()[0].tags();
    assert!(
        tags.iter()
            .any(|t| t.key() == Some("team") && t.value() == Some("agents")),
        "{tags:?}"
    );
    let vpcs = ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("cidr")
                .values("10.40.0.0/16")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1, "imported, not duplicated");

    let out = emu.agentfs(dir.path(), &["import", "agentfs.toml", "vpc.main", "vpc-unknown"]);
    assert_eq!(out.status.code(), Some(1));
}
