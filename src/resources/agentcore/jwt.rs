//! The custom JWT authorizer AgentCore runtimes and gateways share
//! (`authorizerConfiguration.customJWTAuthorizer`): its spec type, its offline checks (the
//! service model's patterns and enums), and its SDK shape both ways.

use std::sync::LazyLock;

use aws_sdk_bedrockagentcorecontrol::error::BuildError;
use aws_sdk_bedrockagentcorecontrol::types::{
    AuthorizingClaimMatchValueType, ClaimMatchOperatorType, ClaimMatchValueType, CustomClaimValidationType,
    CustomJwtAuthorizerConfiguration, InboundTokenClaimValueType,
};
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::lang::api::Limits;
use crate::lang::kind::Check;

/// The model's pattern of `CustomJWTAuthorizerConfiguration$discoveryUrl`.
pub const DISCOVERY_URL: &str = r"[^\s?#]+/\.well-known/(openid-configuration|oauth-authorization-server)(/[^\s?#]+)?";

/// `authorizerConfiguration.customJWTAuthorizer`: inbound OAuth instead of SigV4.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct JwtAuthorizer {
    /// The issuer's `.../.well-known/openid-configuration` (or `oauth-authorization-server`) URL.
    pub discovery_url: String,
    /// Accepted `aud` values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_audience: Vec<String>,
    /// Accepted `client_id` values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_clients: Vec<String>,
    /// Accepted scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_scopes: Vec<String>,
    /// Further claims a token must carry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_claims: Vec<CustomClaim>,
}

/// One `customClaims` entry: the claim `name` must match `value` (EQUALS) or `values`
/// (CONTAINS, CONTAINS_ANY).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CustomClaim {
    pub name: String,
    /// `STRING` or `STRING_ARRAY`.
    pub value_type: String,
    /// `EQUALS`, `CONTAINS` or `CONTAINS_ANY`.
    pub operator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

const CLAIM_VALUE_TYPES: &[&str] = &["STRING", "STRING_ARRAY"];
const CLAIM_OPERATORS: &[&str] = &["EQUALS", "CONTAINS", "CONTAINS_ANY"];

fn regex(pattern: &str) -> Regex {
    // The patterns are the service model's, as literals in this file, covered by the runtime's tests.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

pub static SCOPE: LazyLock<Regex> = LazyLock::new(|| regex(r"^[\x21\x23-\x5B\x5D-\x7E]{1,255}$"));
pub static CLAIM_NAME: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z0-9_.\-:]{1,255}$"));
pub static CLAIM_VALUE: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z0-9_.\-]{1,255}$"));

/// Checks `jwt`, found at the spec field `at` (`jwt_authorizer`); findings carry the rule `code`.
pub fn check(jwt: &JwtAuthorizer, at: &str, code: &'static str, check: &mut Check<'_>) {
    if Limits::NONE.pattern(DISCOVERY_URL).refuses(&jwt.discovery_url) {
        check.error(
            code,
            &format!("{at}.discovery_url"),
            format!("`{}` is not a discovery URL", jwt.discovery_url),
            "end it in `/.well-known/openid-configuration`, e.g. `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/.well-known/openid-configuration`",
        );
    }
    for (i, scope) in jwt.allowed_scopes.iter().enumerate() {
        if !SCOPE.is_match(scope) {
            check.error(
                code,
                &format!("{at}.allowed_scopes[{i}]"),
                format!("`{scope}` is not a scope"),
                "1 to 255 printable characters without spaces, `\"` or `\\`",
            );
        }
    }
    for (i, claim) in jwt.custom_claims.iter().enumerate() {
        let field = format!("{at}.custom_claims[{i}]");
        if !CLAIM_NAME.is_match(&claim.name) {
            check.error(
                code,
                &format!("{field}.name"),
                format!("`{}` is not a claim name", claim.name),
                "1 to 255 letters, digits or `_.-:`",
            );
        }
        check.one_of(
            &format!("{field}.value_type"),
            &claim.value_type,
            "a claim value type",
            CLAIM_VALUE_TYPES,
        );
        check.one_of(
            &format!("{field}.operator"),
            &claim.operator,
            "a claim operator",
            CLAIM_OPERATORS,
        );
        match (&claim.value, claim.values.is_empty()) {
            (Some(_), false) | (None, true) => check.error(
                code,
                &field,
                "a custom claim needs exactly one of `value` and `values`",
                "`value = \"...\"` with EQUALS, `values = [\"...\"]` with CONTAINS or CONTAINS_ANY",
            ),
            _ => {}
        }
        let values = claim.value.iter().chain(claim.values.iter());
        for value in values {
            if !CLAIM_VALUE.is_match(value) {
                check.error(
                    code,
                    &field,
                    format!("`{value}` is not a claim match value"),
                    "1 to 255 letters, digits or `_.-`",
                );
            }
        }
    }
}

pub fn to_sdk(jwt: &JwtAuthorizer) -> Result<CustomJwtAuthorizerConfiguration, BuildError> {
    let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    let mut claims = Vec::new();
    for claim in &jwt.custom_claims {
        let value = match &claim.value {
            Some(v) => ClaimMatchValueType::MatchValueString(v.clone()),
            None => ClaimMatchValueType::MatchValueStringList(claim.values.clone()),
        };
        claims.push(
            CustomClaimValidationType::builder()
                .inbound_token_claim_name(&claim.name)
                .inbound_token_claim_value_type(InboundTokenClaimValueType::from(claim.value_type.as_str()))
                .authorizing_claim_match_value(
                    AuthorizingClaimMatchValueType::builder()
                        .claim_match_value(value)
                        .claim_match_operator(ClaimMatchOperatorType::from(claim.operator.as_str()))
                        .build()?,
                )
                .build()?,
        );
    }
    CustomJwtAuthorizerConfiguration::builder()
        .discovery_url(&jwt.discovery_url)
        .set_allowed_audience(list(&jwt.allowed_audience))
        .set_allowed_clients(list(&jwt.allowed_clients))
        .set_allowed_scopes(list(&jwt.allowed_scopes))
        .set_custom_claims((!claims.is_empty()).then_some(claims))
        .build()
}

pub fn from_sdk(c: &CustomJwtAuthorizerConfiguration) -> JwtAuthorizer {
    JwtAuthorizer {
        discovery_url: c.discovery_url().to_string(),
        allowed_audience: c.allowed_audience().to_vec(),
        allowed_clients: c.allowed_clients().to_vec(),
        allowed_scopes: c.allowed_scopes().to_vec(),
        custom_claims: c
            .custom_claims()
            .iter()
            .map(|claim| {
                let matcher = claim.authorizing_claim_match_value();
                let (value, values) = match matcher.and_then(|m| m.claim_match_value()) {
                    Some(ClaimMatchValueType::MatchValueString(v)) => (Some(v.clone()), Vec::new()),
                    Some(ClaimMatchValueType::MatchValueStringList(v)) => (None, v.clone()),
                    _ => (None, Vec::new()),
                };
                CustomClaim {
                    name: claim.inbound_token_claim_name().to_string(),
                    value_type: claim.inbound_token_claim_value_type().as_str().to_string(),
                    operator: matcher
                        .map(|m| m.claim_match_operator().as_str().to_string())
                        .unwrap_or_default(),
                    value,
                    values,
                }
            })
            .collect(),
    }
}
