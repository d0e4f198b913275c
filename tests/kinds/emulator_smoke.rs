//! The local AWS emulator through the Rust SDK: one endpoint URL serves EC2, S3 (path-style),
//! IAM, STS, S3 Files and AgentCore control.

use crate::support;

use aws_config::BehaviorVersion;
use aws_sdk_bedrockagentcorecontrol::types::{
    AgentRuntimeArtifact, ContainerConfiguration, FilesystemConfiguration, NetworkConfiguration, NetworkMode,
    SessionStorageConfiguration,
};

#[tokio::test(flavor = "multi_thread")]
async fn every_service_answers_on_one_endpoint() {
    let emu = support::Emulator::start();
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emu.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;

    let identity = aws_sdk_sts::Client::new(&sdk)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    let account = identity.account().unwrap().to_string();

    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let vpc = ec2.create_vpc().cidr_block("10.20.0.0/16").send().await.unwrap();
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    let described = ec2.describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap();
    assert_eq!(described.vpcs().len(), 1);

    // Path-style, as the engine configures it.
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    let bucket = format!("fsverify-{account}-us-east-1");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("state.json")
        .body(b"{}".to_vec().into())
        .send()
        .await
        .unwrap();
    let got = s3.get_object().bucket(&bucket).key("state.json").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"{}");
    // Against a loopback IP endpoint the SDK picks path-style even without force_path_style.
    let s3_default = aws_sdk_s3::Client::new(&sdk);
    let listed = s3_default.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert_eq!(listed.key_count(), Some(1));

    let iam = aws_sdk_iam::Client::new(&sdk);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"elasticfilesystem.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role = iam
        .create_role()
        .role_name("fsverify-s3files-service-role")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let role_arn = role.role().unwrap().arn().to_string();
    assert_eq!(
        iam.get_role()
            .role_name("fsverify-s3files-service-role")
            .send()
            .await
            .unwrap()
            .role()
            .unwrap()
            .arn(),
        role_arn
    );

    let s3files = aws_sdk_s3files::Client::new(&sdk);
    let fs = s3files
        .create_file_system()
        .bucket(format!("arn:aws:s3:::{bucket}"))
        .role_arn(&role_arn)
        .accept_bucket_warning(true)
        .send()
        .await
        .unwrap();
    let fs_id = fs.file_system_id().unwrap().to_string();
    assert_eq!(fs.status().map(|s| s.as_str()), Some("creating"));
    let got = s3files.get_file_system().file_system_id(&fs_id).send().await.unwrap();
    assert_eq!(
        got.file_system_arn(),
        Some(format!("arn:aws:s3files:us-east-1:{account}:file-system/{fs_id}").as_str())
    );

    let agentcore = aws_sdk_bedrockagentcorecontrol::Client::new(&sdk);
    let created = agentcore
        .create_agent_runtime()
        .agent_runtime_name("fsverify_runtime")
        .agent_runtime_artifact(AgentRuntimeArtifact::ContainerConfiguration(
            ContainerConfiguration::builder()
                .container_uri(format!("{account}.dkr.ecr.us-east-1.amazonaws.com/fsverify:latest"))
                .build()
                .unwrap(),
        ))
        .role_arn(&role_arn)
        .network_configuration(
            NetworkConfiguration::builder()
                .network_mode(NetworkMode::Public)
                .build()
                .unwrap(),
        )
        .filesystem_configurations(FilesystemConfiguration::SessionStorage(
            SessionStorageConfiguration::builder()
                .mount_path("/mnt/data")
                .build()
                .unwrap(),
        ))
        .send()
        .await
        .unwrap();
    let runtime_id = created.agent_runtime_id().to_string();
    assert!(created.agent_runtime_arn().ends_with(&format!(":runtime/{runtime_id}")));
    let got = agentcore
        .get_agent_runtime()
        .agent_runtime_id(&runtime_id)
        .send()
        .await
        .unwrap();
    assert_eq!(got.filesystem_configurations().len(), 1);

    let inventory = emu.inventory();
    assert_eq!(
        inventory[&account]["us-east-1"]["ec2"]["vpcs"][0]["id"],
        vpc_id.as_str()
    );
    assert_eq!(
        inventory[&account]["us-east-1"]["s3files"]["file_systems"][0]["fileSystemId"],
        fs_id.as_str()
    );
    let operations: Vec<String> = emu
        .calls()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}:{}",
                c["service"].as_str().unwrap(),
                c["operation"].as_str().unwrap()
            )
        })
        .collect();
    for expected in [
        "sts:GetCallerIdentity",
        "ec2:CreateVpc",
        "s3:CreateBucket",
        "iam:CreateRole",
        "s3files:CreateFileSystem",
        "bedrock-agentcore-control:CreateAgentRuntime",
    ] {
        assert!(
            operations.iter().any(|o| o == expected),
            "{expected} missing from {operations:?}"
        );
    }
}
