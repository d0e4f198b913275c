//! The neighbours of a runtime (examples/keys-logs-policies.toml) on the emulator: applied,
//! checked through the SDK, no drift, and destroyed leaving nothing but the key pending deletion
//! and the runtime's service-managed log group (with its retention).

use crate::support;

use support::text;

const EXAMPLE: &str = include_str!("../../examples/keys-logs-policies.toml");

#[tokio::test(flavor = "multi_thread")]
async fn keys_logs_and_policies_apply_show_no_drift_and_destroy_as_they_say() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), EXAMPLE).unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));

    let config = emu.sdk_config().await;
    let kms = aws_sdk_kms::Client::new(&config);
    let aliases = kms.list_aliases().send().await.unwrap();
    let alias = aliases
        .aliases()
        .iter()
        .find(|a| a.alias_name() == Some("alias/keysverify-data"))
        .expect("the key's alias");
    let key = alias.target_key_id().unwrap().to_string();
    assert!(
        kms.get_key_rotation_status()
            .key_id(&key)
            .send()
            .await
            .unwrap()
            .key_rotation_enabled()
    );

    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let bucket = "keysverify-data-123456789012";
    let encryption = s3.get_bucket_encryption().bucket(bucket).send().await.unwrap();
    let default = encryption.server_side_encryption_configuration().unwrap().rules()[0]
        .apply_server_side_encryption_by_default()
        .unwrap()
        .clone();
    assert_eq!(default.sse_algorithm().as_str(), "aws:kms");
    assert!(default.kms_master_key_id().unwrap().ends_with(&key));
    let block = s3.get_public_access_block().bucket(bucket).send().await.unwrap();
    assert_eq!(
        block.public_access_block_configuration().unwrap().block_public_policy(),
        Some(true)
    );
    assert!(
        s3.get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .unwrap()
            .policy()
            .is_some()
    );

    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let groups = logs.describe_log_groups().send().await.unwrap();
    let retention = |prefix: &str| {
        groups
            .log_groups()
            .iter()
            .find(|g| g.log_group_name().is_some_and(|n| n.starts_with(prefix)))
            .unwrap_or_else(|| panic!("no log group {prefix}"))
            .retention_in_days()
    };
    assert_eq!(retention("/agents/keysverify"), Some(30));
    assert_eq!(retention("/aws/bedrock-agentcore/runtimes/keysverify_agent"), Some(14));

    let iam = aws_sdk_iam::Client::new(&config);
    let attached = iam
        .list_attached_role_policies()
        .role_name("keysverify-runtime-role")
        .send()
        .await
        .unwrap();
    assert_eq!(
        attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_name())
            .collect::<Vec<_>>(),
        ["keysverify-data"]
    );

    let out = emu.agentfs(dir.path(), &["drift"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out = emu.agentfs(dir.path(), &["plan", "--destroy"]);
    assert!(
        text(&out).contains("scheduled for deletion in 7 days"),
        "{}",
        text(&out)
    );
    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("scheduled for deletion in 7 days"), "{said}");
    assert!(!said.contains("kms_key.data: deleted"), "{said}");

    let state = kms.describe_key().key_id(&key).send().await.unwrap();
    assert_eq!(
        state.key_metadata().unwrap().key_state().unwrap().as_str(),
        "PendingDeletion"
    );
    let groups = logs.describe_log_groups().send().await.unwrap();
    let left: Vec<&str> = groups.log_groups().iter().filter_map(|g| g.log_group_name()).collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].starts_with("/aws/bedrock-agentcore/runtimes/keysverify_agent"),
        "{left:?}"
    );
    assert!(
        iam.list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .send()
            .await
            .unwrap()
            .policies()
            .is_empty()
    );
}
