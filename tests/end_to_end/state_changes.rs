//! Against the emulator: the state changes of issue 20 that real SDK calls prove (security
//! groups that name each other; `[[moved]]`, `[[removed]]`).

use crate::support;

use support::text;

fn write(dir: &std::path::Path, spec: &str) {
    std::fs::write(dir.join("agentfs.toml"), spec).unwrap();
}

fn run(emu: &support::Emulator, dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = emu.agentfs(dir, args);
    (out.status.code(), text(&out))
}

fn state(dir: &std::path::Path, stack: &str) -> serde_json::Value {
    let path = dir.join(".agentfs").join(format!("{stack}.state.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const PAIR: &str = r#"
[stack]
name = "pair"
region = "us-east-1"

[vpc.main]
cidr_block = "10.7.0.0/16"

[security_group.app]
vpc = "main"
description = "app servers"
ingress = [{ protocol = "tcp", from_port = 8080, to_port = 8080, source_security_group = "db" }]

[security_group.db]
vpc = "main"
description = "database"
ingress = [{ protocol = "tcp", from_port = 5432, to_port = 5432, source_security_group = "app" }]
"#;

#[tokio::test]
async fn security_groups_that_allow_each_other_apply_show_no_drift_and_destroy() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), PAIR);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let recorded = state(dir.path(), "pair");
    let id = |name: &str| recorded["resources"][name]["id"].as_str().unwrap().to_string();
    let (app, db) = (id("security_group.app"), id("security_group.db"));

    let ec2 = aws_sdk_ec2::Client::new(&emu.sdk_config().await);
    let groups = ec2
        .describe_security_groups()
        .group_ids(&app)
        .group_ids(&db)
        .send()
        .await
        .unwrap();
    let sources = |group: &str| -> Vec<String> {
        groups
            .security_groups()
            .iter()
            .filter(|g| g.group_id() == Some(group))
            .flat_map(|g| g.ip_permissions())
            .flat_map(|p| p.user_id_group_pairs())
            .filter_map(|pair| pair.group_id().map(String::from))
            .collect()
    };
    assert_eq!(sources(&app), std::slice::from_ref(&db));
    assert_eq!(sources(&db), std::slice::from_ref(&app));

    let (code, out) = run(&emu, dir.path(), &["drift"]);
    assert_eq!(code, Some(0), "no drift after apply:\n{out}");
    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "nothing to change:\n{out}");

    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve"]);
    assert_eq!(code, Some(0), "{out}");
    let left = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(&app)
                .values(&db)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(left.security_groups().is_empty(), "{left:?}");
}

const SUBNET: &str = r#"
[stack]
name = "rename"
region = "us-east-1"

[vpc.main]
cidr_block = "10.8.0.0/16"

[subnet.first]
vpc = "main"
cidr_block = "10.8.1.0/24"
az_index = 0
"#;

#[test]
fn state_mv_renames_a_record_under_the_lock_and_keeps_a_backup() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), SUBNET);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let id = state(dir.path(), "rename")["resources"]["subnet.first"]["id"].clone();

    let (code, out) = run(&emu, dir.path(), &["state", "mv", "subnet.first", "vpc.other"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("keeps the kind"), "{out}");
    let (code, out) = run(&emu, dir.path(), &["state", "mv", "subnet.first", "subnet.primary"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(state(dir.path(), "rename")["resources"]["subnet.primary"]["id"], id);
    assert!(dir.path().join(".agentfs/rename.state.json.backup").exists());
    let (code, out) = run(&emu, dir.path(), &["state", "mv", "subnet.first", "subnet.primary"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("`subnet.first` is not in the state"), "{out}");

    // The spec renamed too: nothing to do, nothing replaced.
    write(dir.path(), &SUBNET.replace("[subnet.first]", "[subnet.primary]"));
    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve"]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_moved_block_renames_in_the_plan_and_apply_without_a_replace() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), SUBNET);
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let id = state(dir.path(), "rename")["resources"]["subnet.first"]["id"].clone();
    let renamed = SUBNET.replace("[subnet.first]", "[subnet.primary]")
        + "\n[[moved]]\nfrom = \"subnet.first\"\nto = \"subnet.primary\"\n";
    write(dir.path(), &renamed);
    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("moved from `subnet.first`") && out.contains("1 to move"),
        "{out}"
    );
    let (code, out) = run(&emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(state(dir.path(), "rename")["resources"]["subnet.primary"]["id"], id);
    let (code, out) = run(&emu, dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&emu, dir.path(), &["destroy", "--auto-approve"]);
    assert_eq!(code, Some(0), "{out}");
}
