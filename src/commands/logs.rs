//! `agentfs logs [RUNTIME] [--follow] [--since 10m] [--endpoint NAME]`: the runtime's CloudWatch
//! log events, oldest first, from the log group AgentCore writes an endpoint's sessions to.
//! The runtime is resolved from recorded state, so no spec is needed.

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::primitives::{DateTime, DateTimeFormat};

use crate::cli::LogsArgs;
use crate::pipeline::{CliError, check_account, connect, load_state, state_store};
use crate::resources::aws::api;
use crate::spec::Kind;
use crate::state::State;

/// How often `--follow` asks for new events.
const POLL: Duration = Duration::from_secs(2);

pub async fn logs(args: LogsArgs) -> Result<ExitCode, CliError> {
    let (store, stack, owner) = state_store(&args.store, None).await?;
    let state = load_state(&store, &owner).await?.ok_or_else(|| {
        CliError::Other(format!(
            "stack `{stack}` has no recorded state; run `agentfs apply` first"
        ))
    })?;
    // Checks the credentials first, with the words that say what to fix, and that they reach
    // the account the state was recorded in: another account's log group of the same name is
    // not this runtime's.
    let ctx = connect(&state.region, &state.stack).await?;
    check_account(&store, &state, &ctx)?;
    let runtime_id = runtime_id(&state, args.runtime.as_deref())?;
    let group = log_group(&runtime_id, &args.endpoint);
    let client = logs_client(&state.region).await;

    let mut reader = Reader {
        client,
        group,
        start: now_millis().saturating_sub(millis(args.since)),
        seen: HashSet::new(),
    };
    loop {
        match reader.read_new().await {
            Ok(lines) => {
                for line in lines {
                    crate::outln!("{line}");
                }
            }
            Err(e) if e.is_not_found() && args.follow => {}
            Err(e) if e.is_not_found() => {
                return Err(CliError::Other(format!(
                    "no log group {} yet: AgentCore creates it on the endpoint's first invocation\n  help: invoke the runtime, or pick another endpoint with --endpoint",
                    reader.group
                )));
            }
            Err(e) => return Err(CliError::Other(e.to_string())),
        }
        if !args.follow {
            return Ok(ExitCode::SUCCESS);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The documented log group of a runtime endpoint.
pub fn log_group(runtime_id: &str, endpoint: &str) -> String {
    format!("/aws/bedrock-agentcore/runtimes/{runtime_id}-{endpoint}")
}

/// The recorded id of the runtime `name` (`agentcore_runtime.<name>`), or of the stack's only
/// runtime when no name is given.
pub fn runtime_id(state: &State, name: Option<&str>) -> Result<String, CliError> {
    let runtimes: Vec<(&str, Option<&String>)> = state
        .resources
        .iter()
        .filter(|(addr, _)| addr.kind == Kind::AgentcoreRuntime)
        .map(|(addr, r)| (addr.name.as_str(), r.id.as_ref()))
        .collect();
    let names = || runtimes.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let (name, id) = match (name, runtimes.as_slice()) {
        (Some(want), _) => runtimes.iter().find(|(n, _)| *n == want).copied().ok_or_else(|| {
            CliError::Other(if runtimes.is_empty() {
                format!("stack `{}` has no agentcore_runtime", state.stack)
            } else {
                format!("no agentcore_runtime named `{want}`; runtimes: {}", names())
            })
        })?,
        (None, [one]) => *one,
        (None, []) => {
            return Err(CliError::Other(format!(
                "stack `{}` has no agentcore_runtime",
                state.stack
            )));
        }
        (None, _) => {
            return Err(CliError::Other(format!(
                "stack `{}` has several runtimes ({}); name one: `agentfs logs <RUNTIME>`",
                state.stack,
                names()
            )));
        }
    };
    id.cloned().ok_or_else(|| {
        CliError::Other(format!(
            "agentcore_runtime.{name} has no id recorded yet; run `agentfs apply`"
        ))
    })
}

async fn logs_client(region: &str) -> aws_sdk_cloudwatchlogs::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .load()
        .await;
    aws_sdk_cloudwatchlogs::Client::new(&config)
}

/// Reads a log group forward from `start`, each event once.
struct Reader {
    client: aws_sdk_cloudwatchlogs::Client,
    group: String,
    /// Milliseconds since the epoch: nothing older is asked for.
    start: i64,
    /// Ids of the events printed at `start` (FilterLogEvents' start is inclusive).
    seen: HashSet<String>,
}

impl Reader {
    /// The events not yet seen, one line each, oldest first.
    async fn read_new(&mut self) -> Result<Vec<String>, crate::resources::ApiError> {
        let mut lines = Vec::new();
        let mut pages = self
            .client
            .filter_log_events()
            .log_group_name(&self.group)
            .start_time(self.start)
            .into_paginator()
            .send();
        let mut events = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(api("logs:FilterLogEvents"))?;
            events.extend(page.events().iter().cloned());
        }
        events.sort_by_key(|e| e.timestamp().unwrap_or_default());
        for event in events {
            let id = event.event_id().unwrap_or_default().to_string();
            let at = event.timestamp().unwrap_or_default();
            if at == self.start && self.seen.contains(&id) {
                continue;
            }
            if at > self.start {
                self.start = at;
                self.seen.clear();
            }
            self.seen.insert(id);
            let when = DateTime::from_millis(at)
                .fmt(DateTimeFormat::DateTime)
                .unwrap_or_else(|_| at.to_string());
            let message = event.message().unwrap_or_default().trim_end_matches('\n');
            lines.push(format!(
                "{when} {} {message}",
                event.log_stream_name().unwrap_or_default()
            ));
        }
        Ok(lines)
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(millis)
        .unwrap_or_default()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_group_is_the_documented_one() {
        assert_eq!(
            log_group("agent-AbCdE12345", "DEFAULT"),
            "/aws/bedrock-agentcore/runtimes/agent-AbCdE12345-DEFAULT"
        );
    }
}
