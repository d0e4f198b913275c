//! Ownership against the emulator: agentfs changes only what its own state records for the
//! stack, region and account it runs for. Another stack's state, a changed region or another
//! account is refused before any AWS call that changes anything; the state belongs to the
//! spec beside it; import does not take another stack's resource; every state write keeps
//! the previous state as a backup.

use crate::support;

use std::path::Path;

use serde_json::Value;
use support::text;

fn spec(stack: &str, region: &str, cidr: &str) -> String {
    format!(
        "[stack]\nname = \"{stack}\"\nregion = \"{region}\"\n\n[vpc.main]\ncidr_block = \"{cidr}\"\n\n[s3_bucket.data]\nname = \"{stack}-owned-data\"\nforce_destroy = true\n"
    )
}

/// The operations of calls the emulator received since `from` that change something.
fn mutating_since(emu: &support::Emulator, from: usize) -> Vec<String> {
    emu.calls().as_array().unwrap()[from..]
        .iter()
        .filter(|c| c["mutating"] == Value::Bool(true))
        .filter_map(|c| c["operation"].as_str().map(String::from))
        .collect()
}

fn calls_so_far(emu: &support::Emulator) -> usize {
    emu.calls().as_array().unwrap().len()
}

fn buckets(emu: &support::Emulator) -> String {
    emu.inventory().to_string()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Stack A's state copied to B's name is refused by every command of B before any call,
/// naming the stack it records; A's bucket is untouched.
#[tokio::test(flavor = "multi_thread")]
async fn another_stacks_state_is_refused_before_any_call() {
    let emu = support::Emulator::start();
    let a = tempfile::tempdir().unwrap();
    std::fs::write(
        a.path().join("agentfs.toml"),
        spec("alpha", "us-east-1", "10.50.0.0/16"),
    )
    .unwrap();
    let out = emu.agentfs(a.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(buckets(&emu).contains("alpha-owned-data"));

    let b = tempfile::tempdir().unwrap();
    std::fs::write(b.path().join("agentfs.toml"), spec("beta", "us-east-1", "10.51.0.0/16")).unwrap();
    std::fs::create_dir(b.path().join(".agentfs")).unwrap();
    std::fs::copy(
        a.path().join(".agentfs/alpha.state.json"),
        b.path().join(".agentfs/beta.state.json"),
    )
    .unwrap();

    let before = calls_so_far(&emu);
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve", "--output", "plain"],
        &["drift"],
        &["refresh"],
        &["import", "agentfs.toml", "vpc.main", "vpc-0123"],
        &["destroy", "--auto-approve", "--output", "plain"],
        &["destroy", "--stack", "beta", "--auto-approve", "--output", "plain"],
    ] {
        let out = emu.agentfs(b.path(), args);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {said}");
        assert!(
            said.contains("records stack `alpha`, not `beta`") && said.contains("another stack's state"),
            "{args:?}: {said}"
        );
    }
    assert_eq!(calls_so_far(&emu), before, "refused before any AWS call");
    assert!(
        buckets(&emu).contains("alpha-owned-data"),
        "alpha's bucket is still there"
    );

    let out = emu.agentfs(a.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "alpha is untouched: {}", text(&out));
}

/// A state recorded in another account is refused once STS has named the credentials'
/// account, before any other call.
#[tokio::test(flavor = "multi_thread")]
async fn a_state_of_another_account_is_refused_after_sts_only() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("agentfs.toml"),
        spec("acct", "us-east-1", "10.52.0.0/16"),
    )
    .unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let path = dir.path().join(".agentfs/acct.state.json");
    let mut state = read_json(&path);
    let ours = state["account_id"].as_str().unwrap().to_string();
    state["account_id"] = Value::from("999999999999");
    std::fs::write(&path, serde_json::to_vec_pretty(&state).unwrap()).unwrap();

    let before = calls_so_far(&emu);
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve", "--output", "plain"],
        &["destroy", "--auto-approve", "--output", "plain"],
        &["logs"],
        &["invoke", "--payload", "{}"],
    ] {
        let out = emu.agentfs(dir.path(), args);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {said}");
        assert!(
            said.contains("account 999999999999") && said.contains(&format!("account {ours}")),
            "{args:?}: {said}"
        );
    }
    let operations: Vec<String> = emu.calls().as_array().unwrap()[before..]
        .iter()
        .filter_map(|c| c["operation"].as_str().map(String::from))
        .collect();
    assert!(
        operations.iter().all(|op| op == "GetCallerIdentity"),
        "only STS was asked: {operations:?}"
    );
    assert!(buckets(&emu).contains("acct-owned-data"));
}

/// A changed region is refused with what to do, before any call: nothing of the old region is
/// forgotten, and no create is planned in the new one.
#[tokio::test(flavor = "multi_thread")]
async fn a_region_change_is_refused_with_how_to_go_on() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("agentfs.toml"),
        spec("moving", "us-east-1", "10.53.0.0/16"),
    )
    .unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let state_before = std::fs::read(dir.path().join(".agentfs/moving.state.json")).unwrap();

    std::fs::write(
        dir.path().join("agentfs.toml"),
        spec("moving", "us-west-2", "10.53.0.0/16"),
    )
    .unwrap();
    let before = calls_so_far(&emu);
    for args in [
        &["plan"][..],
        &["plan", "--no-refresh"],
        &["apply", "--auto-approve", "--output", "plain"],
        &["refresh"],
    ] {
        let out = emu.agentfs(dir.path(), args);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {said}");
        assert!(
            said.contains("records stack `moving` in us-east-1, but the spec says region us-west-2")
                && said.contains("Destroy it first in us-east-1 with `agentfs destroy --stack moving`")
                && said.contains("set region back to \"us-east-1\""),
            "{args:?}: {said}"
        );
        assert!(!said.contains("to create"), "no plan is shown: {said}");
    }
    assert_eq!(calls_so_far(&emu), before, "refused before any AWS call");
    assert_eq!(
        std::fs::read(dir.path().join(".agentfs/moving.state.json")).unwrap(),
        state_before,
        "the state is unchanged"
    );

    // What the message says to do: destroy it where it is, with no spec.
    let out = emu.agentfs(
        dir.path(),
        &["destroy", "--stack", "moving", "--auto-approve", "--output", "plain"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("in us-east-1"), "{}", text(&out));
    assert!(mutating_since(&emu, before).iter().any(|op| op == "DeleteVpc"));
}

/// State lives beside the spec: a plan run from another directory finds it, and a state left
/// under the working directory (where agentfs used to keep it) is neither used nor ignored.
#[tokio::test(flavor = "multi_thread")]
async fn state_lives_beside_the_spec_wherever_the_command_runs() {
    let emu = support::Emulator::start();
    let root = tempfile::tempdir().unwrap();
    let x = root.path().join("x");
    let elsewhere = root.path().join("elsewhere");
    std::fs::create_dir_all(&x).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(x.join("agentfs.toml"), spec("beside", "us-east-1", "10.54.0.0/16")).unwrap();
    let out = emu.agentfs(&x, &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));

    let out = emu.agentfs(&elsewhere, &["plan", "--detailed-exitcode", "../x/agentfs.toml"]);
    assert_eq!(out.status.code(), Some(0), "no changes from elsewhere: {}", text(&out));
    let out = emu.agentfs(
        &elsewhere,
        &["apply", "--auto-approve", "--output", "plain", "../x/agentfs.toml"],
    );
    assert!(
        out.status.success() && text(&out).contains("Nothing to do"),
        "{}",
        text(&out)
    );
    assert!(!elsewhere.join(".agentfs").exists(), "no second state was made");
    let out = emu.agentfs(&elsewhere, &["state", "list", "--spec", "../x/agentfs.toml"]);
    assert!(
        out.status.success() && text(&out).contains("vpc.main"),
        "{}",
        text(&out)
    );

    // The old place: the state under the working directory, none beside the spec.
    std::fs::create_dir_all(elsewhere.join(".agentfs")).unwrap();
    std::fs::rename(
        x.join(".agentfs/beside.state.json"),
        elsewhere.join(".agentfs/beside.state.json"),
    )
    .unwrap();
    let before = calls_so_far(&emu);
    let out = emu.agentfs(&elsewhere, &["plan", "../x/agentfs.toml"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("holds a state of stack `beside`") && said.contains("mv .agentfs/beside.state.json"),
        "{said}"
    );
    assert_eq!(calls_so_far(&emu), before, "refused before any AWS call");

    std::fs::rename(
        elsewhere.join(".agentfs/beside.state.json"),
        x.join(".agentfs/beside.state.json"),
    )
    .unwrap();
    let out = emu.agentfs(&x, &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// Import refuses a resource tagged as another stack's, naming it, unless --force; and an id
/// the state already records, under any address.
#[tokio::test(flavor = "multi_thread")]
async fn import_refuses_another_stacks_resource_and_an_id_recorded_twice() {
    let emu = support::Emulator::start();
    let a = tempfile::tempdir().unwrap();
    std::fs::write(
        a.path().join("agentfs.toml"),
        spec("owner", "us-east-1", "10.55.0.0/16"),
    )
    .unwrap();
    let out = emu.agentfs(a.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let vpc_id = read_json(&a.path().join(".agentfs/owner.state.json"))["resources"]["vpc.main"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let b = tempfile::tempdir().unwrap();
    let taker = "[stack]\nname = \"taker\"\nregion = \"us-east-1\"\n\n[vpc.main]\ncidr_block = \"10.55.0.0/16\"\n\n[vpc.again]\ncidr_block = \"10.55.0.0/16\"\n";
    std::fs::write(b.path().join("agentfs.toml"), taker).unwrap();
    let out = emu.agentfs(b.path(), &["import", "agentfs.toml", "vpc.main", &vpc_id]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("agentfs:stack = `owner`")
            && said.contains("belongs to stack `owner`")
            && said.contains("--force"),
        "{said}"
    );
    assert!(!b.path().join(".agentfs/taker.state.json").exists(), "nothing recorded");

    let out = emu.agentfs(b.path(), &["import", "--force", "agentfs.toml", "vpc.main", &vpc_id]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("may delete it"), "{}", text(&out));

    let out = emu.agentfs(b.path(), &["import", "--force", "agentfs.toml", "vpc.again", &vpc_id]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("already recorded in this state as vpc.main"), "{said}");

    let help = emu.agentfs(b.path(), &["import", "--help"]);
    let help = text(&help);
    assert!(
        help.contains("--force") && help.contains("state still records it") && help.contains("may delete it"),
        "{help}"
    );
}

/// Every local write keeps the state it replaces as `<stack>.state.json.backup` (0600), and
/// `recover --force` replaces a state that does not parse.
#[tokio::test(flavor = "multi_thread")]
async fn local_writes_keep_a_backup_and_recover_force_replaces_an_unreadable_state() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("agentfs.toml"),
        spec("kept", "us-east-1", "10.56.0.0/16"),
    )
    .unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let state_path = dir.path().join(".agentfs/kept.state.json");
    let backup_path = dir.path().join(".agentfs/kept.state.json.backup");
    let state = read_json(&state_path);
    let backup = read_json(&backup_path);
    assert_eq!(
        backup["serial"].as_u64().unwrap() + 1,
        state["serial"].as_u64().unwrap()
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    std::fs::write(&state_path, "{ this is not a state").unwrap();
    let out = emu.agentfs(dir.path(), &["recover"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("is not valid") && said.contains("--force"), "{said}");
    let out = emu.agentfs(dir.path(), &["recover", "--force"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Recovered 2 of 2"), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(&backup_path).unwrap(),
        "{ this is not a state",
        "the unreadable state is kept as the backup"
    );
    let out = emu.agentfs(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
}

async fn s3(emu: &support::Emulator) -> aws_sdk_s3::Client {
    let config = emu.sdk_config().await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
}

async fn object(s3: &aws_sdk_s3::Client, key: &str) -> Vec<u8> {
    let out = s3.get_object().bucket("owned-state").key(key).send().await.unwrap();
    out.body.collect().await.unwrap().to_vec()
}

/// On S3 every write keeps the state it replaces as `<key>.backup`, and `state push --force`
/// replaces a state object that does not parse.
#[tokio::test(flavor = "multi_thread")]
async fn s3_writes_keep_a_backup_and_state_push_force_replaces_an_unreadable_state() {
    let emu = support::Emulator::start();
    let s3 = s3(&emu).await;
    s3.create_bucket().bucket("owned-state").send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let with_backend = format!(
        "{}\n[backend.s3]\nbucket = \"owned-state\"\n",
        spec("remote", "us-east-1", "10.57.0.0/16")
    );
    std::fs::write(dir.path().join("agentfs.toml"), with_backend).unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
    let key = "agentfs/remote.state.json";
    let state: Value = serde_json::from_slice(&object(&s3, key).await).unwrap();
    let backup: Value = serde_json::from_slice(&object(&s3, &format!("{key}.backup")).await).unwrap();
    assert_eq!(
        backup["serial"].as_u64().unwrap() + 1,
        state["serial"].as_u64().unwrap()
    );
    assert_eq!(backup["lineage"], state["lineage"]);

    let saved = dir.path().join("saved.json");
    std::fs::write(&saved, serde_json::to_vec_pretty(&state).unwrap()).unwrap();
    s3.put_object()
        .bucket("owned-state")
        .key(key)
        .body(b"not json"[..].to_vec().into())
        .send()
        .await
        .unwrap();
    let out = emu.agentfs(dir.path(), &["state", "push", "saved.json"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("is not valid") && said.contains("--force"), "{said}");
    let out = emu.agentfs(dir.path(), &["state", "push", "--force", "saved.json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(object(&s3, &format!("{key}.backup")).await, b"not json");
    let out = emu.agentfs(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    assert!(out.status.success(), "{}", text(&out));
}
