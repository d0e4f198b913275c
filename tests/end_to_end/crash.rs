//! Crash at every step: the reference stack's apply (and then its destroy) is killed with
//! SIGKILL right after its k-th mutating AWS call, for every k from 1 to N, and the next run
//! must finish the job: exactly the spec's resources, once each, and then nothing at all.
//!
//! The kill is exact: the emulator's `hold_after_mutating_calls` knob lets the k-th mutating
//! call take effect but holds its answer, and holds every later call before it is executed.
//! So AWS has done exactly k writes and agentfs has not seen the k-th answer when it dies —
//! the worst moment, between AWS acting and the state recording it.
//!
//! Run with `cargo test --test end_to_end crash:: -- --nocapture` to see "k of N converged".

use crate::support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

const REFERENCE: &str = include_str!("../../examples/s3files-runtime.toml");
const STACK: &str = "fsverify";
/// Small but non-zero transition delays: resources are still pending when a kill lands.
const KNOBS: &str = r#"{"delays": {"*": 0.05}}"#;
/// Emulators (each with its own agentfs runs) working through the k's side by side.
const WORKERS: usize = 2;
const ACCOUNT: &str = "123456789012";

/// Mutating calls the emulator has served (faulted and held calls never reached it), as the
/// emulator's hold knob counts them: an unidentified `GET /path` is a read to both.
fn mutating_calls(emu: &support::Emulator) -> Vec<String> {
    emu.calls()
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["faulted"].is_null() && c["mutating"] == Value::Bool(true))
        .filter_map(|c| c["operation"].as_str())
        .map(String::from)
        .collect()
}

fn agentfs(emu: &support::Emulator, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(args)
        .current_dir(dir)
        .envs(emu.env())
        .stdin(Stdio::null())
        .output()
        .expect("agentfs runs")
}

/// The last lines of a run's output, for a failure message.
fn tail(out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(8)..].join("\n    ")
}

fn ok(out: &Output, what: &str) -> Result<(), String> {
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({}):\n    {}", out.status, tail(out)))
    }
}

/// Starts `agentfs <command>` with the emulator holding everything after the k-th mutating
/// call, waits for that call, kills the process with SIGKILL and releases the emulator.
/// Returns the operation the process was killed after.
fn kill_after(emu: &support::Emulator, dir: &Path, command: &str, k: usize) -> Result<String, String> {
    let before = mutating_calls(emu).len();
    emu.configure(&format!(r#"{{"hold_after_mutating_calls": {k}}}"#));
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args([command, "--auto-approve", "--output", "plain"])
        .current_dir(dir)
        .envs(emu.env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let outcome = loop {
        let seen = mutating_calls(emu).split_off(before);
        if seen.len() >= k {
            break Ok(seen[k - 1].clone());
        }
        if let Some(status) = child.try_wait().unwrap() {
            break Err(format!(
                "{command} ended ({status}) after only {} mutating call(s)",
                seen.len()
            ));
        }
        if started.elapsed() > Duration::from_secs(120) {
            break Err(format!("{command} never made its {k}th mutating call"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    emu.configure(r#"{"hold_after_mutating_calls": null}"#);
    let served = mutating_calls(emu).len() - before;
    if outcome.is_ok() && served != k {
        return Err(format!("the emulator served {served} mutating calls instead of {k}"));
    }
    outcome
}

/// The dead process could not release its lock.
fn force_unlock(emu: &support::Emulator, dir: &Path) -> Result<(), String> {
    let lock = dir.join(format!(".agentfs/{STACK}.lock"));
    let Ok(text) = std::fs::read_to_string(&lock) else {
        return Ok(());
    };
    let info: Value = serde_json::from_str(&text).map_err(|e| format!("unreadable lock file: {e}: {text}"))?;
    let id = info["id"].as_str().ok_or("lock file without an id")?;
    ok(&agentfs(emu, dir, &["force-unlock", id]), "force-unlock")
}

fn list<'a>(inv: &'a Value, path: &[&str]) -> Vec<&'a Value> {
    let mut node = &inv[ACCOUNT];
    for p in path {
        node = &node[*p];
    }
    node.as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

/// The value of the `agentfs:stack` tag, whatever the service's tag shape.
fn stack_tag(entry: &Value) -> Option<&str> {
    match &entry["tags"] {
        Value::Object(tags) => tags.get("agentfs:stack").and_then(Value::as_str),
        Value::Array(tags) => tags
            .iter()
            .find(|t| t["key"] == "agentfs:stack" || t["Key"] == "agentfs:stack")
            .and_then(|t| t["value"].as_str().or(t["Value"].as_str())),
        _ => None,
    }
}

/// Every list in the inventory, by its path (`us-east-1/ec2/vpcs`).
fn all_lists(inv: &Value) -> Vec<(String, Vec<Value>)> {
    fn walk(node: &Value, path: String, out: &mut Vec<(String, Vec<Value>)>) {
        match node {
            Value::Object(map) => {
                for (k, v) in map {
                    let next = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}/{k}")
                    };
                    walk(v, next, out);
                }
            }
            Value::Array(items) => out.push((path, items.clone())),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&inv[ACCOUNT], String::new(), &mut out);
    out
}

/// What the emulator holds is exactly the reference stack, each resource once and tagged.
fn check_exact_stack(inv: &Value) -> Result<(), String> {
    let mut problems = Vec::new();
    let route_tables: Vec<Value> = list(inv, &["us-east-1", "ec2", "route_tables"])
        .into_iter()
        .filter(|t| t["main"] != true)
        .cloned()
        .collect();
    let groups: Vec<Value> = list(inv, &["us-east-1", "ec2", "security_groups"])
        .into_iter()
        .filter(|g| g["default"] != true)
        .cloned()
        .collect();
    // (path, expected count, tagged with agentfs:stack)
    let expected: [(&str, usize, bool); 15] = [
        ("us-east-1/ec2/vpcs", 1, true),
        ("us-east-1/ec2/subnets", 4, true),
        ("us-east-1/ec2/internet_gateways", 1, true),
        ("us-east-1/ec2/addresses", 1, true),
        ("us-east-1/ec2/nat_gateways", 1, true),
        ("us-east-1/ec2/route_tables", 2, true),
        ("us-east-1/ec2/vpc_endpoints", 1, true),
        ("us-east-1/ec2/security_groups", 1, true),
        // one for the NAT gateway, one per mount target, one per runtime subnet
        ("us-east-1/ec2/network_interfaces", 5, false),
        ("us-east-1/s3files/file_systems", 1, true),
        ("us-east-1/s3files/mount_targets", 2, false),
        ("us-east-1/s3files/access_points", 1, true),
        ("us-east-1/bedrock-agentcore-control/agent_runtimes", 1, true),
        ("global/s3", 1, true),
        ("global/iam/roles", 2, true),
    ];
    for (path, items) in all_lists(inv) {
        let items: Vec<Value> = match path.as_str() {
            "us-east-1/ec2/route_tables" => route_tables.clone(),
            "us-east-1/ec2/security_groups" => groups.clone(),
            _ => items,
        };
        let (want, tagged) = expected
            .iter()
            .find(|(p, _, _)| *p == path)
            .map_or((0, false), |(_, n, t)| (*n, *t));
        if items.len() != want {
            let ids: Vec<String> = items
                .iter()
                .map(|i| {
                    [
                        "id",
                        "allocation_id",
                        "name",
                        "fileSystemId",
                        "mountTargetId",
                        "accessPointId",
                        "agentRuntimeId",
                    ]
                    .iter()
                    .find_map(|k| i[*k].as_str())
                    .unwrap_or("?")
                    .to_string()
                })
                .collect();
            problems.push(format!("{path}: {} instead of {want} {ids:?}", items.len()));
        }
        if tagged {
            for item in &items {
                if stack_tag(item) != Some(STACK) {
                    problems.push(format!(
                        "{path}: untagged {}",
                        item.to_string().chars().take(160).collect::<String>()
                    ));
                }
            }
        }
    }
    for (path, want, _) in expected {
        if list(inv, &path.split('/').collect::<Vec<_>>()).is_empty() && want > 0 {
            problems.push(format!("{path}: none instead of {want}"));
        }
    }
    // The routes and associations, which the inventory lists inside their tables.
    let targets: Vec<String> = route_tables
        .iter()
        .flat_map(|t| t["routes"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["destination"] == "0.0.0.0/0")
        .filter_map(|r| {
            r["target"]
                .as_str()
                .map(|t| t.split('-').next().unwrap_or("").to_string())
        })
        .collect();
    let mut sorted = targets.clone();
    sorted.sort();
    if sorted != ["igw", "nat"] {
        problems.push(format!(
            "default routes target {targets:?} instead of one igw and one nat"
        ));
    }
    let associations: usize = route_tables
        .iter()
        .map(|t| t["subnet_associations"].as_array().map_or(0, Vec::len))
        .sum();
    if associations != 4 {
        problems.push(format!("{associations} subnet associations instead of 4"));
    }
    let mut policies: Vec<usize> = list(inv, &["global", "iam", "roles"])
        .iter()
        .map(|r| r["inline_policies"].as_array().map_or(0, Vec::len))
        .collect();
    policies.sort();
    if policies != [1, 4] {
        problems.push(format!("inline policies per role {policies:?} instead of [1, 4]"));
    }
    if let Some(bucket) = list(inv, &["global", "s3"]).first()
        && bucket["versioning"] != "Enabled"
    {
        problems.push(format!("bucket versioning {}", bucket["versioning"]));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn check_nothing_left(inv: &Value) -> Result<(), String> {
    let left: Vec<String> = all_lists(inv)
        .into_iter()
        .filter(|(_, items)| !items.is_empty())
        .map(|(path, items)| format!("{path}: {}", items.len()))
        .collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("left behind: {}", left.join(", ")))
    }
}

/// After the crash: the next run completes, the live stack is exactly the spec, AWS agrees
/// with the state (drift exit 0), and destroy removes everything.
fn finish_apply(emu: &support::Emulator, dir: &Path) -> Result<(), String> {
    ok(
        &agentfs(emu, dir, &["apply", "--auto-approve", "--output", "plain"]),
        "resumed apply",
    )?;
    check_exact_stack(&emu.inventory()).map_err(|e| format!("after the resumed apply: {e}"))?;
    let drift = agentfs(emu, dir, &["drift"]);
    if drift.status.code() != Some(0) {
        return Err(format!(
            "drift after the resumed apply ({}):\n    {}",
            drift.status,
            tail(&drift)
        ));
    }
    finish_destroy(emu, dir)
}

fn finish_destroy(emu: &support::Emulator, dir: &Path) -> Result<(), String> {
    ok(
        &agentfs(emu, dir, &["destroy", "--auto-approve", "--output", "plain"]),
        "destroy",
    )?;
    check_nothing_left(&emu.inventory()).map_err(|e| format!("after destroy: {e}"))?;
    if dir.join(format!(".agentfs/{STACK}.state.json")).exists() {
        return Err("destroy left a state file".into());
    }
    Ok(())
}

fn fresh_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), REFERENCE).unwrap();
    dir
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Apply,
    Destroy,
}

/// One k: fresh emulator state and directory, the kill, then recovery and the checks.
fn one_k(emu: &support::Emulator, phase: Phase, k: usize) -> Result<String, String> {
    emu.reset();
    let dir = fresh_dir();
    let dir = dir.path();
    let killed_after = match phase {
        Phase::Apply => kill_after(emu, dir, "apply", k)?,
        Phase::Destroy => {
            ok(
                &agentfs(emu, dir, &["apply", "--auto-approve", "--output", "plain"]),
                "first apply",
            )?;
            kill_after(emu, dir, "destroy", k)?
        }
    };
    let result = force_unlock(emu, dir).and_then(|()| match phase {
        Phase::Apply => finish_apply(emu, dir),
        Phase::Destroy => finish_destroy(emu, dir),
    });
    result
        .map(|()| killed_after.clone())
        .map_err(|e| format!("killed after {killed_after}: {e}"))
}

/// N: the mutating calls of one uninterrupted apply (or destroy) of the reference stack.
fn count_mutating_calls(emu: &support::Emulator, phase: Phase) -> (usize, Vec<String>) {
    emu.reset();
    let dir = fresh_dir();
    let out = agentfs(emu, dir.path(), &["apply", "--auto-approve", "--output", "plain"]);
    ok(&out, "apply").unwrap();
    check_exact_stack(&emu.inventory()).unwrap();
    let applied = mutating_calls(emu);
    let out = agentfs(emu, dir.path(), &["destroy", "--auto-approve", "--output", "plain"]);
    ok(&out, "destroy").unwrap();
    check_nothing_left(&emu.inventory()).unwrap();
    let all = mutating_calls(emu);
    let calls = match phase {
        Phase::Apply => applied,
        Phase::Destroy => all[applied.len()..].to_vec(),
    };
    (calls.len(), calls)
}

fn crash_at_every_step(phase: Phase) {
    let name = if phase == Phase::Apply { "apply" } else { "destroy" };
    let started = Instant::now();
    let emulators: Vec<support::Emulator> = (0..WORKERS).map(|_| support::Emulator::start_with(KNOBS)).collect();
    let (n, operations) = count_mutating_calls(&emulators[0], phase);
    println!("{name}: N = {n} mutating calls: {}", operations.join(" "));
    assert!(n > 10, "suspiciously few mutating calls: {operations:?}");

    let next = AtomicUsize::new(1);
    let results: Mutex<Vec<(usize, Result<String, String>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for emu in &emulators {
            let (next, results) = (&next, &results);
            scope.spawn(move || {
                loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    if k > n {
                        break;
                    }
                    let result = one_k(emu, phase, k);
                    match &result {
                        Ok(op) => println!("{name} killed after call {k}/{n} ({op}): converged"),
                        Err(e) => println!("{name} killed after call {k}/{n}: FAILED: {e}"),
                    }
                    results.lock().unwrap().push((k, result));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(k, _)| *k);
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(k, r)| r.as_ref().err().map(|e| format!("k={k}: {e}")))
        .collect();
    println!(
        "{name} interrupted at every step: {} of {n} converged ({:.0?})",
        n - failures.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {n} interrupted {name}s did not converge:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn apply_killed_after_every_mutating_call_converges() {
    crash_at_every_step(Phase::Apply);
}

#[test]
fn destroy_killed_after_every_mutating_call_converges() {
    crash_at_every_step(Phase::Destroy);
}
