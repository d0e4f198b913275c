//! Test helper: one local AWS emulator (`emulator/serve`) per test, on a free port.
//!
//! ```ignore
//! mod support;
//! let emu = support::Emulator::start();
//! let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_agentfs"));
//! cmd.envs(emu.env());
//! ```
//! The emulator is stopped (by process id) when the `Emulator` is dropped. Only std and
//! serde_json are used: the control endpoints are spoken to over raw HTTP/1.1.
//! [`contract`] is the resource contract every kind is run through (`tests/kinds/contract.rs`).
#![allow(dead_code)]

pub mod contract;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Longest wait for the emulator to answer; the first start may create its virtualenv.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Knobs every test starts with unless it passes its own: no transition delays beyond 0.2 s,
/// no eventual consistency, no faults. Tests that exercise a behaviour turn its knob on.
pub const FAST_CONFIG: &str = r#"{"delays": {"*": 0.2}}"#;

pub struct Emulator {
    child: Child,
    port: u16,
}

impl Emulator {
    /// Starts an emulator with `FAST_CONFIG`.
    pub fn start() -> Emulator {
        Emulator::start_with(FAST_CONFIG)
    }

    /// Starts an emulator with the given JSON knobs (see emulator/README.md).
    pub fn start_with(config_json: &str) -> Emulator {
        let serve = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("emulator").join("serve");
        let mut child = Command::new(&serve)
            .args(["--port", "0", "--config", config_json])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", serve.display()));
        // `serve` prints `agentfs-emulator listening on http://127.0.0.1:PORT` once it is bound.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok);
            let _ = tx.send(first);
            for _ in lines {} // keep draining so the emulator never blocks on a full pipe
        });
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Some(line)) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("emulator did not start within {START_TIMEOUT:?}: {other:?}");
            }
        };
        let port = line
            .rsplit(':')
            .next()
            .and_then(|p| p.trim().parse::<u16>().ok())
            .unwrap_or_else(|| panic!("unexpected emulator banner: {line}"));
        let emulator = Emulator { child, port };
        let deadline = Instant::now() + START_TIMEOUT;
        while emulator.request("GET", "/_agentfs/health", None).is_err() {
            assert!(Instant::now() < deadline, "emulator on port {port} never answered");
            std::thread::sleep(Duration::from_millis(50));
        }
        emulator
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The one endpoint URL serving every AWS service.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Environment for an agentfs child process (or any AWS SDK/CLI) to use this emulator.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_DEFAULT_REGION", "us-east-1".to_string()),
            // keep a developer's own profile and IMDS out of the picture
            ("AWS_PROFILE", "".to_string()),
            ("AWS_CONFIG_FILE", "/dev/null".to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Everything that exists: `{account: {region|"global": {service: {kind: [...]}}}}`.
    pub fn inventory(&self) -> serde_json::Value {
        self.json("GET", "/_agentfs/inventory", None)
    }

    /// Every AWS call received, oldest first (`service`, `operation`, `status`, `faulted`, `time`...).
    pub fn calls(&self) -> serde_json::Value {
        self.json("GET", "/_agentfs/calls", None)
    }

    /// Merges knobs, e.g. `{"throttle_rate": 0.2, "fault_seed": 1}`; returns the resulting knobs.
    pub fn configure(&self, config_json: &str) -> serde_json::Value {
        self.json("POST", "/_agentfs/config", Some(config_json))
    }

    /// Drops every resource and the call log (knobs are kept).
    pub fn reset(&self) {
        self.json("POST", "/_agentfs/reset", Some("{}"));
    }

    fn json(&self, method: &str, path: &str, body: Option<&str>) -> serde_json::Value {
        let (status, text) = self
            .request(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert_eq!(status, 200, "{method} {path} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: bad JSON ({e}): {text}"))
    }

    fn request(&self, method: &str, path: &str, body: Option<&str>) -> std::io::Result<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let body = body.unwrap_or("");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let raw = String::from_utf8_lossy(&raw);
        let (head, payload) = raw
            .split_once("\r\n\r\n")
            .ok_or_else(|| std::io::Error::other("malformed HTTP response"))?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("no HTTP status"))?;
        Ok((status, payload.to_string()))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // `serve` execs python, so this id is the emulator itself.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Emulator {
    /// Runs the agentfs binary in `dir` against this emulator, with no terminal and no stdin.
    pub fn agentfs(&self, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_agentfs"))
            .args(args)
            .current_dir(dir)
            .envs(self.env())
            .stdin(Stdio::null())
            .output()
            .expect("agentfs runs")
    }

    /// AWS SDK configuration for this emulator, for checks made behind agentfs's back.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(self.endpoint())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await
    }
}

/// A command's stdout and stderr together, for assertions and failure messages.
pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
