//! Progress of an apply or destroy: spinners on a terminal, one line per event in a log,
//! or one JSON object per line for CI. Every JSON event has `time` (RFC 3339, UTC, in
//! milliseconds); the stream ends with one `summary` event.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::json;

use crate::resources::Progress;
use crate::spec::Addr;

pub use crate::cli::OutputMode;

pub struct Reporter {
    mode: OutputMode,
    multi: Option<MultiProgress>,
    bars: Mutex<HashMap<Addr, ProgressBar>>,
    /// The phase last printed per resource, and when: plain output repeats it as a heartbeat.
    last_phase: Mutex<HashMap<Addr, (String, Instant)>>,
    started: Mutex<HashMap<Addr, Instant>>,
    /// When the reporter was made, for the summary's duration.
    created: Instant,
}

impl Reporter {
    pub fn new(mode: OutputMode) -> Reporter {
        use std::io::IsTerminal;
        let fancy = mode == OutputMode::Auto && std::io::stderr().is_terminal();
        let mode = if mode == OutputMode::Auto && !fancy {
            OutputMode::Plain
        } else {
            mode
        };
        Reporter {
            mode,
            multi: fancy.then(MultiProgress::new),
            bars: Mutex::new(HashMap::new()),
            last_phase: Mutex::new(HashMap::new()),
            started: Mutex::new(HashMap::new()),
            created: Instant::now(),
        }
    }

    pub fn is_json(&self) -> bool {
        self.mode == OutputMode::Json
    }

    /// Writes one JSON event (an object) with its `time`.
    pub fn emit(&self, mut event: serde_json::Value) {
        if let Some(fields) = event.as_object_mut() {
            fields.insert("time".into(), json!(timestamp(SystemTime::now())));
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{event}");
    }

    /// The closing event of a run (JSON only; text output ends with its own messages):
    /// `{"event": "summary", "command", "ok", "done", "failed", "skipped", "interrupted", "seconds"}`.
    pub fn summary(&self, command: &str, report: &super::Report) {
        if self.mode != OutputMode::Json {
            return;
        }
        let seconds = self.created.elapsed().as_secs_f64();
        self.emit(json!({
            "event": "summary",
            "command": command,
            "ok": report.ok(),
            "done": report.done,
            "failed": report.failures.len(),
            "skipped": report.skipped.len(),
            "interrupted": report.interrupted,
            "seconds": (seconds * 10.0).round() / 10.0,
        }));
    }

    fn line(&self, text: &str) {
        match &self.multi {
            Some(multi) => {
                let _ = multi.println(text);
            }
            None => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{text}");
            }
        }
    }

    pub fn start(&self, addr: &Addr, verb: &str) {
        if let Ok(mut started) = self.started.lock() {
            started.insert(addr.clone(), Instant::now());
        }
        match (&self.multi, self.mode) {
            (Some(multi), _) => {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix} {msg} [{elapsed}]")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(addr.to_string());
                bar.set_message(verb.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                if let Ok(mut bars) = self.bars.lock() {
                    bars.insert(addr.clone(), bar);
                }
            }
            (None, OutputMode::Json) => self.emit(json!({"event": "start", "address": addr, "action": verb})),
            (None, _) => self.line(&format!("{addr}: {verb}...")),
        }
    }

    pub fn phase(&self, addr: &Addr, text: &str) {
        // Log lines when the phase itself changes, not its elapsed counter, and otherwise every
        // HEARTBEAT so that a long wait never looks frozen.
        let key = text.split(" (").next().unwrap_or(text).to_string();
        let changed = self
            .last_phase
            .lock()
            .map(|mut last| {
                let due = line_due(last.get(addr), &key, Instant::now());
                if due {
                    last.insert(addr.clone(), (key, Instant::now()));
                }
                due
            })
            .unwrap_or(true);
        match (&self.multi, self.mode) {
            (Some(_), _) => {
                if let Some(bar) = self.bars.lock().ok().and_then(|b| b.get(addr).cloned()) {
                    bar.set_message(text.to_string());
                }
            }
            (None, OutputMode::Json) if changed => self.emit(json!({"event": "phase", "address": addr, "phase": text})),
            (None, _) if changed => self.line(&format!("{addr}: {text}")),
            _ => {}
        }
    }

    fn elapsed(&self, addr: &Addr) -> f64 {
        self.started
            .lock()
            .ok()
            .and_then(|s| s.get(addr).map(|t| t.elapsed().as_secs_f64()))
            .unwrap_or(0.0)
    }

    pub fn finish(&self, addr: &Addr, verb: &str) {
        let secs = self.elapsed(addr);
        if let Some(bar) = self.bars.lock().ok().and_then(|mut b| b.remove(addr)) {
            bar.finish_and_clear();
        }
        match self.mode {
            OutputMode::Json => self.emit(
                json!({"event": "done", "address": addr, "action": verb, "seconds": (secs * 10.0).round() / 10.0}),
            ),
            _ => self.line(&format!("{addr}: {verb} ({secs:.1}s)")),
        }
    }

    pub fn fail(&self, addr: &Addr, error: &str) {
        if let Some(bar) = self.bars.lock().ok().and_then(|mut b| b.remove(addr)) {
            bar.finish_and_clear();
        }
        match self.mode {
            OutputMode::Json => self.emit(json!({"event": "failed", "address": addr, "error": error})),
            _ => self.line(&format!("{addr}: FAILED: {error}")),
        }
    }

    /// A summary or notice line (JSON: `{"event": "message"}`).
    pub fn message(&self, text: &str) {
        match self.mode {
            OutputMode::Json => self.emit(json!({"event": "message", "text": text})),
            _ => self.line(text),
        }
    }
}

/// `time` as RFC 3339 in UTC with milliseconds: `2025-06-01T12:34:56.789Z`.
pub fn timestamp(time: SystemTime) -> String {
    use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
    let since_epoch = time.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let seconds = DateTime::from_secs(since_epoch.as_secs() as i64)
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default();
    format!("{}.{:03}Z", seconds.trim_end_matches('Z'), since_epoch.subsec_millis())
}

/// Progress of one resource, handed to its waiters.
pub struct ResourceProgress<'a> {
    pub reporter: &'a Reporter,
    pub addr: &'a Addr,
}

/// How often plain output repeats an unchanged phase (with its elapsed time).
const HEARTBEAT: Duration = Duration::from_secs(30);

/// Whether a phase deserves a line: it changed, or the last line is a heartbeat old.
fn line_due(last: Option<&(String, Instant)>, phase: &str, now: Instant) -> bool {
    match last {
        Some((printed, at)) => printed != phase || now.duration_since(*at) >= HEARTBEAT,
        None => true,
    }
}

impl Progress for ResourceProgress<'_> {
    fn phase(&self, text: &str) {
        self.reporter.phase(self.addr, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_phase_is_repeated_as_a_heartbeat() {
        let start = Instant::now();
        let last = ("waiting for available".to_string(), start);
        assert!(line_due(None, "waiting for available", start));
        assert!(!line_due(
            Some(&last),
            "waiting for available",
            start + Duration::from_secs(5)
        ));
        assert!(line_due(Some(&last), "waiting for available", start + HEARTBEAT));
        assert!(line_due(Some(&last), "retrying", start + Duration::from_secs(1)));
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_milliseconds() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_748_781_296_007);
        assert_eq!(timestamp(at), "2025-06-01T12:34:56.007Z");
        assert_eq!(timestamp(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }
}
