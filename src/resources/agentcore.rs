//! What the AgentCore kinds share: the client token AgentCore accepts, the runtimes of the
//! account and region (where a runtime's adoption and its endpoints' find start), the errors
//! of a role not yet usable, and how a create that met a name conflict tells its own earlier
//! attempt from someone else's resource.

pub mod jwt;

use std::collections::BTreeMap;

use aws_sdk_bedrockagentcorecontrol::types::AgentRuntime;

use super::{Recorded, tags};
use crate::aws::{ApiError, Ctx, api};

/// Errors AgentCore gives while a just-created role is not yet usable by the service.
pub fn role_not_yet_usable(e: &ApiError) -> bool {
    let message = e.message.to_ascii_lowercase();
    (e.is("ValidationException") && message.contains("role validation failed"))
        || e.is("AccessDeniedException")
        || (e.is("ValidationException") && message.contains("access denied"))
}

/// After a create met a name conflict: the live tags of the resource of that name (at `arn`)
/// when agentfs made it for this address of this stack (an earlier attempt cut short), else
/// the refusal "already exists and was not made by agentfs", which changes nothing.
pub async fn claim(
    ctx: &Ctx,
    operation: &'static str,
    what: &str,
    name: &str,
    arn: &str,
    address: &str,
    wanted: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let live = tags::agentcore(ctx, arn).await?;
    if tags::made_for(&live, wanted) {
        return Ok(live);
    }
    Err(ApiError::new(
        operation,
        "ConflictException",
        format!(
            "{what} named `{name}` already exists ({arn}) and was not made by agentfs for {address} in stack `{}`: \
             choose another name or delete it",
            ctx.stack
        ),
    ))
}

/// The network fields of a browser or code interpreter: subnets and security groups belong
/// to VPC mode, which needs both.
pub fn check_network(
    check: &mut crate::lang::kind::Check<'_>,
    code: &'static str,
    mode: &str,
    subnets: &[String],
    security_groups: &[String],
) {
    if mode == "VPC" {
        for (field, list) in [("subnets", subnets), ("security_groups", security_groups)] {
            if list.is_empty() {
                check.error(
                    code,
                    field,
                    format!("VPC network mode needs `{field}`"),
                    "name at least one",
                );
            }
        }
    } else if !subnets.is_empty() || !security_groups.is_empty() {
        check.error(
            code,
            "network_mode",
            format!("subnets and security groups are for VPC network mode, not `{mode}`"),
            "set network_mode = \"VPC\", or leave them out",
        );
    }
}

/// The SDK's refusal to build a request (a required member left out) as the call's error.
pub fn invalid(operation: &'static str) -> impl Fn(aws_sdk_bedrockagentcorecontrol::error::BuildError) -> ApiError {
    move |e| ApiError::new(operation, "InvalidRequest", e.to_string())
}

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

/// Reads recorded AgentCore resources of one kind: per resource, its Get call and
/// ListTagsForResource (on its recorded `arn`) together. One that is gone, being deleted
/// (`deleting`), or whose tags are gone reads as `None`; `live_spec` builds the rest's spec.
pub async fn read_with_tags<S, L>(
    ctx: &Ctx,
    records: &[Recorded<'_, S>],
    get: impl AsyncFn(&Ctx, &str) -> Result<L, ApiError>,
    deleting: impl Fn(&L) -> bool,
    live_spec: impl Fn(&S, &L, &BTreeMap<String, String>) -> S,
) -> Result<Vec<Option<S>>, ApiError> {
    let (get, deleting, live_spec) = (&get, &deleting, &live_spec);
    futures_util::future::try_join_all(records.iter().map(|r| async move {
        let arn = r.attributes.get("arn").cloned().unwrap_or_default();
        let (live, tags) = tokio::join!(get(ctx, r.id), tags::agentcore(ctx, &arn));
        let live = match live {
            Ok(live) if deleting(&live) => return Ok(None),
            Ok(live) => live,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let tags = match tags {
            Ok(tags) => tags,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(live_spec(r.spec, &live, &tags)))
    }))
    .await
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
