//! Secrets stay secret: with `RUST_LOG=trace` (which turns on the AWS SDK's own logs), a spec
//! whose runtime has a sensitive environment variable is planned, applied, checked for drift,
//! updated with a new secret value and destroyed; and none of the secret values, the secret
//! access key or the session token appears in stdout, stderr, the plan or the state file,
//! which is created 0600.

use crate::support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

const REFERENCE: &str = include_str!("../../examples/s3files-runtime.toml");
const SECRET: &str = "s3cr3t-value-123";
const NEW_SECRET: &str = "s3cr3t-value-456";
const ACCESS_KEY_ID: &str = "AKIDSECRETMARKER";
const SECRET_KEY: &str = "secretkeymarker";
const SESSION_TOKEN: &str = "sessiontokenmarker";
/// What must never be shown or written. The access key id is not secret (AWS puts it in every
/// request's Authorization header), but no log prints headers, so it must not appear either.
const MARKERS: [&str; 5] = [SECRET, NEW_SECRET, SECRET_KEY, SESSION_TOKEN, ACCESS_KEY_ID];

fn spec(secret: &str) -> String {
    let plain = "environment_variables = { WORKSPACE = \"/mnt/data\" }";
    assert!(REFERENCE.contains(plain));
    REFERENCE.replace(
        plain,
        &format!(
            "environment_variables = {{ WORKSPACE = \"/mnt/data\", API_TOKEN = \"{secret}\" }}\n\
             sensitive_environment_variables = [\"API_TOKEN\"]"
        ),
    )
}

struct Run<'a> {
    emu: &'a support::Emulator,
    dir: &'a Path,
    /// Every byte agentfs printed, to look for the markers in.
    printed: String,
}

impl Run<'_> {
    /// Runs agentfs with the marker credentials and `rust_log`, and keeps what it printed.
    fn agentfs(&mut self, rust_log: &str, args: &[&str]) -> Output {
        let mut env = self.emu.env();
        for (key, value) in &mut env {
            match key.as_str() {
                "AWS_ACCESS_KEY_ID" => *value = ACCESS_KEY_ID.into(),
                "AWS_SECRET_ACCESS_KEY" => *value = SECRET_KEY.into(),
                _ => {}
            }
        }
        env.push(("AWS_SESSION_TOKEN".into(), SESSION_TOKEN.into()));
        let out = Command::new(env!("CARGO_BIN_EXE_agentfs"))
            .args(args)
            .current_dir(self.dir)
            .envs(env)
            .env("RUST_LOG", rust_log)
            .stdin(Stdio::null())
            .output()
            .expect("agentfs runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        for marker in MARKERS {
            for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                if let Some(at) = text.find(marker) {
                    let from = text[..at].char_indices().rev().nth(300).map_or(0, |(i, _)| i);
                    panic!(
                        "`agentfs {}` (RUST_LOG={rust_log}) printed `{marker}` on {stream}:\n...{}",
                        args.join(" "),
                        &text[from..(at + marker.len() + 100).min(text.len())]
                    );
                }
            }
        }
        self.printed.push_str(&stdout);
        self.printed.push_str(&stderr);
        out
    }

    fn ok(&mut self, rust_log: &str, args: &[&str]) -> Output {
        let out = self.agentfs(rust_log, args);
        assert!(
            out.status.success(),
            "`agentfs {}` failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .rev()
                .take(20)
                .collect::<Vec<_>>()
                .join("\n")
        );
        out
    }

    /// Every file agentfs wrote under .agentfs/ (state, lock, temporary files) and the
    /// saved plan hold no marker, and the state file is 0600.
    fn check_files(&self, state_expected: bool) {
        let state = self.dir.join(".agentfs/fsverify.state.json");
        assert_eq!(state.exists(), state_expected, "{}", state.display());
        if state_expected {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "state file mode {mode:o}");
        }
        let mut files = vec![];
        if let Ok(entries) = std::fs::read_dir(self.dir.join(".agentfs")) {
            files.extend(entries.map(|e| e.unwrap().path()));
        }
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for marker in MARKERS {
                assert!(!text.contains(marker), "{} holds `{marker}`", file.display());
            }
        }
    }
}

#[test]
fn no_secret_in_output_logs_plan_or_state() {
    let emu = support::Emulator::start_with(r#"{"delays": {"*": 0.05}}"#);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), spec(SECRET)).unwrap();
    let mut run = Run {
        emu: &emu,
        dir: dir.path(),
        printed: String::new(),
    };

    run.ok("trace", &["validate"]);
    let plan = run.ok("trace", &["plan", "--json"]);
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).expect("plan --json prints JSON");
    assert!(
        plan.to_string().contains("API_TOKEN"),
        "the plan should name the variable"
    );
    run.ok("trace", &["plan"]);

    run.ok("trace", &["apply", "--auto-approve", "--output", "plain"]);
    run.check_files(true);
    // The value did reach AWS: the runtime holds it (so it was in a request body).
    let inventory = emu.inventory().to_string();
    assert!(inventory.contains(SECRET), "the runtime lacks its secret: {inventory}");

    run.ok("trace", &["apply", "--auto-approve", "--output", "json"]);
    run.ok("trace", &["plan", "--json"]);
    run.ok("trace", &["drift"]);
    run.ok("trace", &["drift", "--json"]);
    run.ok("trace", &["refresh"]);
    run.ok("trace", &["output"]);
    run.ok("trace", &["output", "--json"]);
    run.check_files(true);

    // A new secret value: planned and applied through UpdateAgentRuntime, here with the SDK's
    // wire-level targets asked for by name.
    std::fs::write(dir.path().join("agentfs.toml"), spec(NEW_SECRET)).unwrap();
    let wire =
        "trace,aws_smithy_runtime=trace,aws_smithy_runtime_api=trace,aws_sigv4=trace,hyper=trace,hyper_util=trace";
    let changed = run.agentfs(wire, &["plan", "--detailed-exitcode"]);
    assert_eq!(changed.status.code(), Some(2), "a new secret value is a change");
    run.ok(wire, &["apply", "--auto-approve", "--output", "plain"]);
    run.check_files(true);
    assert!(
        emu.inventory().to_string().contains(NEW_SECRET),
        "the update did not reach AWS"
    );
    run.ok(wire, &["drift"]);

    run.ok("trace", &["destroy", "--auto-approve", "--output", "plain"]);
    run.check_files(false);

    // The logs were on: the SDK's debug events (not its wire-level traces) were printed.
    assert!(
        run.printed.contains("aws_smithy_runtime") || run.printed.contains("aws_config"),
        "RUST_LOG=trace printed no SDK log at all"
    );
    println!(
        "{} bytes printed with RUST_LOG=trace, none of them a secret",
        run.printed.len()
    );
}
