//! What a new user meets first on the command line: help for every argument, exit codes that
//! scripts can trust, version and shell completions, flags that work on every command that
//! reads state. The tests of help, exit codes and completions need no emulator; the others
//! start one.

use crate::support;

use std::process::{Command, Output, Stdio};

use clap::CommandFactory;

fn agentfs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .expect("agentfs runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every command, argument, flag and possible value is explained in `--help`.
#[test]
fn every_argument_and_flag_has_help() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        if cmd.get_about().is_none() && !path.is_empty() {
            missing.push(format!("command `{path}`"));
        }
        for arg in cmd.get_arguments() {
            if arg.get_id() == "help" || arg.get_id() == "version" {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("`{path}` argument `{}`", arg.get_id()));
            }
            let values = if arg.get_action().takes_values() {
                arg.get_possible_values()
            } else {
                Vec::new()
            };
            for value in values {
                if value.get_help().is_none() && !value.is_hide_set() {
                    missing.push(format!(
                        "`{path}` argument `{}` value `{}`",
                        arg.get_id(),
                        value.get_name()
                    ));
                }
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            walk(sub, format!("{path} {}", sub.get_name()).trim(), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&agentfs::cli::Cli::command(), "", &mut missing);
    assert!(missing.is_empty(), "no help text for:\n{}", missing.join("\n"));
}

#[test]
fn top_level_help_documents_every_exit_code() {
    let out = agentfs(&["--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "Exit codes:",
        "drift found (`drift`)",
        "`plan --detailed-exitcode`",
        "64",
    ] {
        assert!(help.contains(needle), "`{needle}` missing from:\n{help}");
    }
    let out = agentfs(&["drift", "--help"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 drift found"));
}

/// Scripts read exit 2 as "changes present": a typo on the command line must not look like that.
#[test]
fn usage_errors_exit_64_and_help_and_version_exit_0() {
    for args in [
        &["--bogus"][..],
        &["plan", "--no-such-flag"],
        &["graph", "--format", "svg"],
        &["destroy", "--blocked-wait", "soon"],
        &["import", "agentfs.toml"],
        &["no-such-command"],
        &[],
    ] {
        let out = agentfs(args);
        assert_eq!(out.status.code(), Some(64), "agentfs {args:?}: {}", text(&out));
        assert!(!out.stderr.is_empty(), "agentfs {args:?} explains itself on stderr");
    }
    for args in [
        &["--help"][..],
        &["plan", "--help"],
        &["state", "push", "--help"],
        &["help", "drift"],
    ] {
        let out = agentfs(args);
        assert_eq!(out.status.code(), Some(0), "agentfs {args:?}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"));
    }
    let out = agentfs(&["--version"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("agentfs {}", env!("CARGO_PKG_VERSION"))
    );
}

/// A spec that is not UTF-8 is refused with the line and column of the first bad byte.
#[test]
fn a_spec_that_is_not_utf8_is_refused_with_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.toml");
    std::fs::write(&path, b"[stack]\nname = \"caf\xe9\"\nregion = \"us-east-1\"\n").unwrap();
    let out = agentfs(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("latin1.toml:2:12"), "{all}");
    assert!(all.contains("agentfs::encoding") && all.contains("0xe9"), "{all}");
}

#[test]
fn completions_are_printed_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F _agentfs"),
        ("zsh", "#compdef agentfs"),
        ("fish", "complete -c agentfs"),
    ] {
        let out = agentfs(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: no `{marker}` in\n{script}");
        assert!(
            script.contains("force-unlock") && script.contains("detailed-exitcode"),
            "{shell}"
        );
    }
    let out = agentfs(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
}

const SMALL: &str = r#"
[stack]
name = "ux"
region = "us-east-1"

[vpc.main]
cidr_block = "10.40.0.0/16"

[subnet.a]
vpc = "main"
cidr_block = "10.40.1.0/24"
az_index = 0
"#;

async fn create_bucket(emu: &support::Emulator, bucket: &str) {
    let config = emu.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket(bucket).send().await.unwrap();
}

/// Every command that reads a stack's state takes `--backend s3://bucket/key`, and none of
/// them falls back to (or creates) a local state when it is given.
#[tokio::test(flavor = "multi_thread")]
async fn backend_flag_is_taken_by_every_command_that_reads_state() {
    let emu = support::Emulator::start();
    create_bucket(&emu, "ux-state").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), SMALL).unwrap();
    let url = "s3://ux-state/team/ux.json";
    let run = |args: &[&str]| {
        let out = emu.agentfs(dir.path(), args);
        (out.status.code(), support::text(&out))
    };
    let (code, out) = run(&["apply", "--auto-approve", "--output", "plain", "--backend", url]);
    assert_eq!(code, Some(0), "{out}");

    let (code, out) = run(&["plan", "--detailed-exitcode", "--backend", url]);
    assert_eq!(code, Some(0), "plan reads the S3 state: {out}");
    assert!(out.contains("No changes"), "{out}");
    let (code, out) = run(&["drift", "--backend", url]);
    assert_eq!(code, Some(0), "drift reads the S3 state: {out}");
    let (code, out) = run(&["refresh", "--backend", url]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Refreshed 2 resources"), "{out}");

    let (code, out) = run(&["state", "show", "subnet.a", "--backend", url]);
    assert_eq!(code, Some(0), "{out}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    let subnet_id = shown["id"].as_str().unwrap().to_string();
    let (code, out) = run(&["state", "rm", "--backend", url, "subnet.a"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&["import", "--backend", url, "agentfs.toml", "subnet.a", &subnet_id]);
    assert_eq!(code, Some(0), "import writes the S3 state: {out}");
    let (code, out) = run(&["plan", "--detailed-exitcode", "--backend", url]);
    assert_eq!(code, Some(0), "the imported subnet is in the S3 state: {out}");

    let (code, out) = run(&["recover", "--force", "--backend", url]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Recovered 2 of 2") && out.contains(url), "{out}");

    assert!(!dir.path().join(".agentfs").exists(), "no local state was read or made");
    let (code, out) = run(&["destroy", "--auto-approve", "--output", "plain", "--backend", url]);
    assert_eq!(code, Some(0), "{out}");
}

/// `plan --destroy` previews a destroy (text and JSON, every action `delete`, dependents first)
/// and changes nothing; `destroy` shows the same list before it asks.
#[tokio::test(flavor = "multi_thread")]
async fn plan_destroy_previews_and_destroy_lists_what_goes_in_order() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), SMALL).unwrap();
    let run = |args: &[&str]| {
        let out = emu.agentfs(dir.path(), args);
        (out.status.code(), support::text(&out))
    };
    let (code, out) = run(&["plan", "--destroy", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "nothing recorded, nothing to destroy: {out}");
    assert!(out.contains("nothing to delete"), "{out}");
    let (code, out) = run(&["apply", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    let state_before = std::fs::read(dir.path().join(".agentfs/ux.state.json")).unwrap();

    let (code, out) = run(&["plan", "--destroy", "--detailed-exitcode"]);
    assert_eq!(code, Some(2), "{out}");
    let subnet = out.find("- subnet.a  (delete, wave 0)").expect(&out);
    let vpc = out.find("- vpc.main  (delete, wave 1)").expect(&out);
    assert!(subnet < vpc, "dependents first: {out}");
    assert!(
        out.contains("0 to create, 0 to update, 0 to replace, 2 to delete"),
        "{out}"
    );

    let out = emu.agentfs(dir.path(), &["plan", "--destroy", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["format_version"], 1);
    assert_eq!(plan["summary"]["delete"], 2);
    let changes = plan["changes"].as_array().unwrap();
    let order: Vec<&str> = changes.iter().map(|c| c["address"].as_str().unwrap()).collect();
    assert_eq!(order, ["subnet.a", "vpc.main"]);
    assert!(changes.iter().all(|c| c["action"] == "delete"), "{plan}");

    assert_eq!(
        std::fs::read(dir.path().join(".agentfs/ux.state.json")).unwrap(),
        state_before,
        "plan --destroy changes nothing"
    );
    let (code, out) = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, Some(0), "the stack is still there: {out}");

    // No terminal to confirm on: destroy lists what would go, then refuses.
    let (code, out) = run(&["destroy"]);
    assert_eq!(code, Some(1), "{out}");
    let subnet = out.find("- subnet.a  (delete, wave 0)").expect(&out);
    let vpc = out.find("- vpc.main  (delete, wave 1)").expect(&out);
    assert!(subnet < vpc && out.contains("--auto-approve"), "{out}");
    let (code, out) = run(&["destroy", "--auto-approve", "--output", "plain"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.find("- subnet.a").unwrap() < out.find("subnet.a: delete").unwrap(),
        "{out}"
    );
}

/// `agentfs apply --output json` in `dir`, its stdout read line by line.
fn spawn_apply(
    emu: &support::Emulator,
    dir: &std::path::Path,
) -> (
    std::process::Child,
    std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(["apply", "--auto-approve", "--output", "json"])
        .current_dir(dir)
        .envs(emu.env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

fn send(child: &std::process::Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Reads events until one for `address` with `event`; returns every line read.
fn until_event(lines: &mut impl Iterator<Item = std::io::Result<String>>, event: &str, address: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if parsed["event"] == event && parsed["address"] == address {
            return seen;
        }
    }
    panic!("no `{event}` event for {address} in:\n{}", seen.join("\n"));
}

fn stderr_of(child: &mut std::process::Child) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut text).unwrap();
    text
}

/// SIGTERM (a CI cancel, `docker stop`) is handled like the first Ctrl-C: nothing new starts,
/// the operation in flight finishes and is recorded, the lock is released; exit 143 (130 for
/// Ctrl-C), and the next apply converges.
#[test]
fn sigterm_and_ctrl_c_during_apply_finish_work_in_flight_release_the_lock_and_exit_143_or_130() {
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 0.2}, "latency_ms": {"CreateSubnet": 2500}}"#);
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        emu.reset();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("agentfs.toml"), SMALL).unwrap();
        let (mut child, mut lines) = spawn_apply(&emu, dir.path());
        until_event(&mut lines, "start", "subnet.a");
        send(&child, signal);
        let rest: Vec<String> = lines.map(Result::unwrap).collect();
        let stderr = stderr_of(&mut child);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "SIG{signal}:\n{}\n{stderr}", rest.join("\n"));
        assert!(
            rest.iter()
                .any(|l| l.contains(r#""event":"done""#) && l.contains("subnet.a")),
            "the create in flight finished: {rest:?}"
        );
        assert!(stderr.contains(&format!("SIG{signal}")), "{stderr}");
        let summary: serde_json::Value = serde_json::from_str(rest.last().unwrap()).unwrap();
        assert_eq!(summary["event"], "summary", "{rest:?}");
        assert_eq!(summary["interrupted"], format!("SIG{signal}"), "{summary}");
        assert!(
            !dir.path().join(".agentfs/ux.lock").exists(),
            "SIG{signal} left the lock"
        );
        let state: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(".agentfs/ux.state.json")).unwrap()).unwrap();
        assert_eq!(state["resources"]["subnet.a"]["phase"], "created", "{state}");
        let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
        assert_eq!(out.status.code(), Some(0), "{}", support::text(&out));
    }
}

/// A signal before the run (here while STS answers slowly) drops the command at once and
/// releases the lock.
#[test]
fn sigterm_before_any_change_releases_the_lock_and_exits_143() {
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 0.2}, "latency_ms": {"GetCallerIdentity": 5000}}"#);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), SMALL).unwrap();
    let (mut child, _lines) = spawn_apply(&emu, dir.path());
    let lock = dir.path().join(".agentfs/ux.lock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !lock.exists() {
        assert!(std::time::Instant::now() < deadline, "apply never took the lock");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let sent = std::time::Instant::now();
    send(&child, "TERM");
    let stderr = stderr_of(&mut child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(
        sent.elapsed() < std::time::Duration::from_secs(4),
        "it did not wait for STS"
    );
    assert!(
        stderr.contains("interrupted by SIGTERM") && stderr.contains("lock was released"),
        "{stderr}"
    );
    assert!(!lock.exists());
}

/// A process that cannot clean up (SIGKILL, a crash, a power cut) leaves its lock; the next
/// command on the same host sees that the holder is gone and takes the lock over.
#[test]
fn a_lock_left_by_a_killed_process_on_this_host_is_taken_over_with_a_warning() {
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 0.2}, "latency_ms": {"CreateSubnet": 2500}}"#);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), SMALL).unwrap();
    let (mut child, mut lines) = spawn_apply(&emu, dir.path());
    until_event(&mut lines, "start", "subnet.a");
    send(&child, "KILL");
    child.wait().unwrap();
    assert!(dir.path().join(".agentfs/ux.lock").exists(), "SIGKILL leaves the lock");
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    let text = support::text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("warning: taking over the lock of stack `ux`") && text.contains("no longer running"),
        "{text}"
    );
    assert!(!dir.path().join(".agentfs/ux.lock").exists());
}

/// agentfs in `dir` with nothing of the developer's AWS setup: only `env` is set.
fn agentfs_bare(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> (Option<i32>, String, std::time::Duration) {
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

fn assert_short_and_plain(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() <= 2, "one or two lines, not:\n{stderr}");
    for raw in ["{", "ProviderAttempt", "ConnectorError", "DispatchFailure"] {
        assert!(!stderr.contains(raw), "no SDK debug dump (`{raw}`):\n{stderr}");
    }
}

#[test]
fn missing_credentials_say_which_sources_were_tried_and_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), SMALL).unwrap();
    let (code, stderr, _) = agentfs_bare(dir.path(), &[], &["apply", "--auto-approve"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_short_and_plain(&stderr);
    for needle in [
        "no AWS credentials found",
        "AWS_ACCESS_KEY_ID",
        "profile `default`",
        "~/.aws/credentials",
        "SSO",
        "web identity",
        "container",
        "instance metadata",
        "help: set AWS_PROFILE",
        "aws sso login",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        assert!(stderr.contains(needle), "`{needle}` missing:\n{stderr}");
    }
    assert!(!dir.path().join(".agentfs/ux.lock").exists(), "the lock was released");

    // A profile that cannot produce credentials is named, with its own reason.
    std::fs::write(
        dir.path().join("config"),
        "[profile team]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .unwrap();
    let config = dir.path().join("config");
    let env = [("AWS_PROFILE", "team"), ("AWS_CONFIG_FILE", config.to_str().unwrap())];
    let (code, stderr, _) = agentfs_bare(dir.path(), &env, &["drift"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_short_and_plain(&stderr);
    assert!(
        stderr.contains("profile `team`") && stderr.contains("aws sso login --profile team"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_endpoint_is_named_and_reported_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), SMALL).unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
    ];
    let (code, stderr, took) = agentfs_bare(dir.path(), &env, &["apply", "--auto-approve"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_short_and_plain(&stderr);
    assert!(
        stderr.contains(&format!("cannot reach AWS STS at {endpoint}")) && stderr.contains("Connection refused"),
        "{stderr}"
    );
    assert!(stderr.contains("AWS_ENDPOINT_URL"), "{stderr}");
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
}

/// Every line of `--output json` is one JSON object with an RFC 3339 UTC `time`; the stream
/// ends with one `summary` event.
fn check_json_stream(stdout: &str) -> Vec<serde_json::Value> {
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let shape = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$").unwrap();
    let mut last = String::new();
    for event in &events {
        let time = event["time"].as_str().unwrap_or_else(|| panic!("no time: {event}"));
        assert!(shape.is_match(time), "not RFC 3339 UTC: {time}");
        assert!(time >= last.as_str(), "time goes back: {last} then {time}");
        last = time.to_string();
    }
    let summaries = events.iter().filter(|e| e["event"] == "summary").count();
    assert_eq!(summaries, 1, "{stdout}");
    assert_eq!(events.last().unwrap()["event"], "summary", "{stdout}");
    events
}

#[test]
fn json_events_carry_a_timestamp_and_end_with_a_summary() {
    let emu = support::Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), SMALL).unwrap();
    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", support::text(&out));
    let events = check_json_stream(&String::from_utf8_lossy(&out.stdout));
    let summary = events.last().unwrap();
    assert_eq!(summary["command"], "apply");
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["done"], 2);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["skipped"], 0);
    assert_eq!(summary["interrupted"], serde_json::Value::Null);
    assert!(summary["seconds"].as_f64().unwrap() > 0.0, "{summary}");
    assert!(events.iter().any(|e| e["event"] == "outputs" || e["event"] == "done"));

    let out = emu.agentfs(dir.path(), &["apply", "--auto-approve", "--output", "json"]);
    let events = check_json_stream(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(events.last().unwrap()["done"], 0, "nothing to do");

    let out = emu.agentfs(dir.path(), &["destroy", "--auto-approve", "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", support::text(&out));
    let events = check_json_stream(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(events.last().unwrap()["command"], "destroy");
    assert_eq!(events.last().unwrap()["done"], 2);
}

/// `agentfs` in `dir` with no terminal, no stdin and no AWS configuration.
fn agentfs_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("agentfs runs")
}

/// A full disk is an error (exit 1, said on stderr); a pipe whose reader has gone is a quiet
/// exit with 141, as a shell reports for a Unix tool killed by SIGPIPE. Neither panics.
#[test]
fn a_full_disk_is_an_error_and_a_closed_pipe_a_quiet_exit() {
    for args in [
        &["schema"][..],
        &["completions", "bash"],
        &["graph", "examples/s3files-runtime.toml"],
    ] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_agentfs"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write the output") && stderr.contains("No space left on device"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");

        // The read end is closed before agentfs starts, so its first write meets no reader.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_agentfs"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(141), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "quiet: {args:?}: {stderr}");
    }
}

/// Diagnostics go to stderr; with stderr gone (its reader closed) the command still ends with
/// its own exit code: 1 for a spec with an error, 0 for one with only warnings, never a panic.
#[test]
fn a_closed_stderr_changes_no_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n[vpc.main]\ncidr_block = \"10.0.0.0/16\"\ncolour = \"blue\"\n",
    )
    .unwrap();
    for (file, code) in [(bad.to_str().unwrap(), 1), ("examples/s3files-runtime.toml", 0)] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_agentfs"))
            .args(["validate", file])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stderr(writer)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{file}");
    }
}

/// `--parallelism 0` would never start an operation: a usage error.
#[test]
fn parallelism_zero_is_a_usage_error() {
    for args in [
        &["apply", "--parallelism", "0", "examples/s3files-runtime.toml"][..],
        &["destroy", "--parallelism", "0", "--stack", "none"],
    ] {
        let out = agentfs(args);
        assert_eq!(out.status.code(), Some(64), "agentfs {args:?}: {}", text(&out));
        assert!(text(&out).contains("at least 1"), "{}", text(&out));
    }
}

/// Destroy lists what it would delete, then asks; "Destroying N resource(s)" comes only once
/// the question is answered yes (here it cannot be: there is no terminal).
#[test]
fn destroy_says_destroying_only_after_the_question() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".agentfs")).unwrap();
    let state = serde_json::json!({
        "format_version": 1,
        "lineage": "0b5d6c1e-1111-4222-8333-944445555666",
        "serial": 3,
        "stack": "asked",
        "region": "us-east-1",
        "resources": {
            "vpc.main": {"phase": "created", "id": "vpc-0123456789abcdef0", "attributes": {"id": "vpc-0123456789abcdef0"}, "config": {}, "deps": []}
        }
    });
    std::fs::write(
        dir.path().join(".agentfs/asked.state.json"),
        serde_json::to_vec_pretty(&state).unwrap(),
    )
    .unwrap();
    let out = agentfs_in(dir.path(), &["destroy", "--output", "plain"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("- vpc.main  (delete, wave 0)") && all.contains("--auto-approve"),
        "{all}"
    );
    assert!(!all.contains("Destroying"), "nothing is being destroyed: {all}");
}

/// A 5 MB value in a spec field comes back cut to a few hundred characters with its size.
#[test]
fn a_huge_value_is_not_echoed_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let value = "a".repeat(5_000_000);
    let spec = format!(
        "[stack]\nname = \"huge\"\nregion = \"us-east-1\"\n\n[s3_bucket.data]\nname = \"{value}\"\n\n[vpc.main]\ncidr_block = \"{value}\"\n\n[iam_role.r]\nname = \"{value}\"\nassume_role_policy = \"{{}}\"\ntags = {{ k = \"{value}\" }}\n"
    );
    std::fs::write(dir.path().join("agentfs.toml"), spec).unwrap();
    for args in [&["validate"][..], &["validate", "--json"]] {
        let out = agentfs_in(dir.path(), args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{}", &all[..all.len().min(2000)]);
        assert!(all.len() < 10_000, "{args:?}: {} bytes of output", all.len());
        assert!(all.contains("… (5000000 bytes)"), "{args:?}: {all}");
    }
}
