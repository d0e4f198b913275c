//! What the AgentCore kinds share: the client token AgentCore accepts, and the runtimes of the
//! account and region (where a runtime's adoption and its endpoints' find start).

use aws_sdk_bedrockagentcorecontrol::types::AgentRuntime;

use super::aws::{ApiError, Ctx, api};

/// AgentCore's `clientToken` is 33 to 256 characters of letters, digits and hyphens.
pub const TOKEN_MIN: usize = 33;

/// `token` as a valid AgentCore client token: used as is when it already is one, otherwise
/// derived from it deterministically (same input, same token).
pub fn client_token(token: &str) -> String {
    let valid_chars = token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && token.starts_with(|c: char| c.is_ascii_alphanumeric())
        && token.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid_chars && (TOKEN_MIN..=256).contains(&token.len()) {
        return token.to_string();
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("agentfs-{hex}")
}

/// Every runtime of the account and region (ListAgentRuntimes, all pages).
pub async fn list_runtimes(ctx: &Ctx) -> Result<Vec<AgentRuntime>, ApiError> {
    ctx.clients
        .agentcore
        .list_agent_runtimes()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("bedrock-agentcore:ListAgentRuntimes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_tokens_meet_the_api_minimum() {
        let ours = super::super::client_token("lineage", "agentcore_runtime.agent", 0);
        assert!(ours.len() >= TOKEN_MIN);
        assert_eq!(client_token(&ours), ours);
        let short = client_token("abc");
        assert!(short.len() >= TOKEN_MIN && short.len() <= 256);
        assert_eq!(short, client_token("abc"));
        assert_ne!(short, client_token("abd"));
        assert!(short.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        let odd = client_token("has spaces and/slashes but is quite long enough");
        assert!(odd.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }
}
