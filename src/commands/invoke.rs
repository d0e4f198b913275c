//! `agentfs invoke [RUNTIME]`: InvokeAgentRuntime on a runtime the state records, the answer
//! streamed to stdout as it arrives.

use std::io::{Read, Write};
use std::process::ExitCode;

use crate::cli::InvokeArgs;
use crate::pipeline::{CliError, check_account, connect, load_state, state_store};
use crate::resources::aws::api;
use crate::spec::Kind;
use crate::state::State;

/// InvokeAgentRuntime's session ids are 33 to 256 characters.
const SESSION_MIN: usize = 33;
const SESSION_MAX: usize = 256;

pub async fn invoke(args: InvokeArgs) -> Result<ExitCode, CliError> {
    let payload = read_payload(&args.payload)?;
    if let Some(id) = &args.session {
        check_session(id)?;
    }
    let (store, stack, owner) = state_store(&args.store, None).await?;
    let state = load_state(&store, &owner).await?.ok_or_else(|| {
        CliError::Other(format!(
            "stack `{stack}` has no recorded state; run `agentfs apply` first"
        ))
    })?;
    // A runtime ARN names its account, but the credentials may reach another one: ask STS
    // first, so the refusal says which state and which account instead of AccessDenied.
    let ctx = connect(&state.region, &state.stack).await?;
    check_account(&store, &state, &ctx)?;
    let arn = runtime_arn(&state, args.runtime.as_deref())?;
    let session = args.session.clone().unwrap_or_else(|| {
        let id = new_session_id();
        crate::errln!("session: {id}");
        id
    });
    let out = ctx
        .clients
        .agentcore_runtime
        .invoke_agent_runtime()
        .agent_runtime_arn(&arn)
        .runtime_session_id(&session)
        .set_qualifier(args.qualifier.clone())
        .set_runtime_user_id(args.user_id.clone())
        .content_type("application/json")
        .accept("application/json, text/event-stream")
        .payload(payload.into())
        .send()
        .await
        .map_err(api("bedrock-agentcore:InvokeAgentRuntime"))
        .map_err(|e| CliError::Other(e.to_string()))?;
    let mut body = out.response;
    let mut stdout = std::io::stdout().lock();
    // Each chunk is written as it arrives: event streams show line by line.
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| CliError::Other(format!("reading the answer of {arn}: {e}")))?
    {
        stdout
            .write_all(&chunk)
            .and_then(|()| stdout.flush())
            .map_err(|e| CliError::Other(format!("writing the answer: {e}")))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn read_payload(arg: &str) -> Result<Vec<u8>, CliError> {
    if arg == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::Other(format!("reading the payload from stdin: {e}")))?;
        return Ok(bytes);
    }
    if let Some(file) = arg.strip_prefix('@') {
        return std::fs::read(file).map_err(|source| CliError::Read {
            path: file.into(),
            source,
        });
    }
    Ok(arg.as_bytes().to_vec())
}

fn check_session(id: &str) -> Result<String, CliError> {
    if (SESSION_MIN..=SESSION_MAX).contains(&id.len()) {
        Ok(id.to_string())
    } else {
        Err(CliError::Other(format!(
            "--session is {} characters; AgentCore session ids are {SESSION_MIN} to {SESSION_MAX}",
            id.len()
        )))
    }
}

/// A new session id: `agentfs-` and a UUID, 44 characters.
fn new_session_id() -> String {
    format!("agentfs-{}", uuid::Uuid::new_v4())
}

/// The ARN of the runtime named `name` (or the only runtime) in the recorded state.
fn runtime_arn(state: &State, name: Option<&str>) -> Result<String, CliError> {
    let runtimes: Vec<_> = state
        .resources
        .iter()
        .filter(|(addr, _)| addr.kind == Kind::AgentcoreRuntime)
        .collect();
    let names = || {
        runtimes
            .iter()
            .map(|(a, _)| a.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let chosen = match name {
        Some(wanted) => {
            let wanted = wanted.strip_prefix("agentcore_runtime.").unwrap_or(wanted);
            runtimes.iter().find(|(a, _)| a.name == wanted).ok_or_else(|| {
                CliError::Other(format!(
                    "stack `{}` has no runtime `{wanted}`; runtimes: {}",
                    state.stack,
                    names()
                ))
            })?
        }
        None => match runtimes.as_slice() {
            [one] => one,
            [] => return Err(CliError::Other(format!("stack `{}` has no agent runtime", state.stack))),
            _ => {
                return Err(CliError::Other(format!(
                    "stack `{}` has several runtimes ({}); name one",
                    state.stack,
                    names()
                )));
            }
        },
    };
    chosen
        .1
        .attributes
        .get("arn")
        .cloned()
        .ok_or_else(|| CliError::Other(format!("{} has no recorded ARN; run `agentfs apply`", chosen.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_sessions_meet_the_api_minimum() {
        let id = new_session_id();
        assert!(check_session(&id).is_ok(), "{id}");
        assert!(check_session("short").is_err());
    }
}
