//! The AgentCore Runtime's serving options: protocol, custom JWT authorizer, session
//! lifecycle, request header allowlist and allowed ports. Each has its spec type, its offline
//! checks (the bedrock-agentcore-control service model's lengths, patterns, ranges and enums),
//! the SDK shape CreateAgentRuntime / UpdateAgentRuntime send, and the spec a read gives back.
//!
//! Kept apart from the runtime's spec so that it stays about the runtime itself.

use std::sync::LazyLock;

use aws_sdk_bedrockagentcorecontrol::error::BuildError;
use aws_sdk_bedrockagentcorecontrol::operation::get_agent_runtime::GetAgentRuntimeOutput;
use aws_sdk_bedrockagentcorecontrol::types::{
    AllowedPort as SdkAllowedPort, AuthorizerConfiguration, LifecycleConfiguration, PortRange, ProtocolConfiguration,
    RequestHeaderConfiguration, ServerProtocol,
};
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::api::API;
use crate::lang::api::Limits;
use crate::lang::kind::Check;
use crate::resources::agentcore::jwt;
pub use crate::resources::agentcore::jwt::{CustomClaim, JwtAuthorizer};

/// `protocolConfiguration`: how the runtime's container serves requests.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    /// `HTTP` (the service's default), `MCP`, `A2A` or `AGUI`.
    pub server_protocol: String,
    /// The container's port, 8000 to 12000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    /// The request path, e.g. `/invocations`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// `lifecycleConfiguration`, in seconds (60 to 1209600 each).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct SessionLifecycle {
    /// A session idle this long is stopped (the service's default is 900).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<i64>,
    /// No session lives longer (the service's default is 28800).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lifetime: Option<i64>,
}

/// One `allowedPorts` entry: a port, or `{ from = 9000, to = 9010 }`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(untagged)]
pub enum AllowedPort {
    Port(i64),
    Range { from: i64, to: i64 },
}

/// What GetAgentRuntime reports when no lifecycle was sent.
pub const DEFAULT_IDLE_SESSION_TIMEOUT: i64 = 900;
pub const DEFAULT_MAX_LIFETIME: i64 = 28800;

const PORTS: std::ops::RangeInclusive<i64> = 8000..=12000;

/// The model's limits for the runtime's `field`: its ApiMap is the one place they are written,
/// and the checks below only phrase them for the field.
fn limits(field: &str) -> &'static Limits {
    API.limits(field)
}

/// Whether the model refuses `text` for the runtime's `field`.
fn refused(field: &str, text: &str) -> bool {
    limits(field).refuses(text)
}

/// The model's numeric range for the runtime's `field`.
fn range(field: &str) -> std::ops::RangeInclusive<i64> {
    limits(field).whole_range()
}

fn regex(pattern: &str) -> Regex {
    // The patterns are the service model's, as literals in this file, covered by the tests below.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

static HEADER_NAME: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z][A-Za-z0-9_-]{0,255}$"));

/// The options of one runtime spec, checked and converted together.
pub struct Options<'a> {
    pub protocol: Option<&'a Protocol>,
    pub jwt_authorizer: Option<&'a JwtAuthorizer>,
    pub session_lifecycle: Option<&'a SessionLifecycle>,
    pub request_header_allowlist: &'a [String],
    pub allowed_ports: &'a [AllowedPort],
}

impl Options<'_> {
    pub fn check(&self, check: &mut Check<'_>) {
        if let Some(p) = self.protocol {
            check.one_of(
                "protocol.server_protocol",
                &p.server_protocol,
                "a server protocol",
                limits("protocol.server_protocol").one_of,
            );
            if let Some(port) = p.port {
                in_range(check, "protocol.port", port, range("protocol.port"), "a server port");
            }
            if let Some(path) = &p.path
                && refused("protocol.path", path)
            {
                check.error(
                    "agentfs::runtime_protocol",
                    "protocol.path",
                    format!("`{path}` is not a server path"),
                    "a `/` then letters, digits and `-._~/%`, at most 2048 characters, e.g. `/mcp`",
                );
            }
        }
        if let Some(jwt) = self.jwt_authorizer {
            jwt::check(jwt, "jwt_authorizer", "agentfs::runtime_authorizer", check);
        }
        if let Some(l) = self.session_lifecycle {
            if let Some(idle) = l.idle_timeout {
                in_range(
                    check,
                    "session_lifecycle.idle_timeout",
                    idle,
                    range("session_lifecycle.idle_timeout"),
                    "a time in seconds",
                );
            }
            if let Some(max) = l.max_lifetime {
                in_range(
                    check,
                    "session_lifecycle.max_lifetime",
                    max,
                    range("session_lifecycle.max_lifetime"),
                    "a time in seconds",
                );
            }
            let idle = l.idle_timeout.unwrap_or(DEFAULT_IDLE_SESSION_TIMEOUT);
            let max = l.max_lifetime.unwrap_or(DEFAULT_MAX_LIFETIME);
            if idle > max {
                check.error(
                    "agentfs::runtime_lifecycle",
                    "session_lifecycle.idle_timeout",
                    format!("an idle timeout of {idle}s is longer than the maximum lifetime of {max}s"),
                    "make `idle_timeout` at most `max_lifetime`",
                );
            }
        }
        self.check_headers(check);
        self.check_ports(check);
    }

    fn check_headers(&self, check: &mut Check<'_>) {
        let headers = self.request_header_allowlist;
        if let Some(most) = limits("request_header_allowlist")
            .max_len
            .filter(|m| headers.len() > *m)
        {
            check.error(
                "agentfs::runtime_headers",
                "request_header_allowlist",
                format!("{} headers; the API allows at most {most}", headers.len()),
                "list fewer headers",
            );
        }
        for (i, name) in headers.iter().enumerate() {
            let field = format!("request_header_allowlist[{i}]");
            if !HEADER_NAME.is_match(name) {
                check.error(
                    "agentfs::runtime_headers",
                    &field,
                    format!("`{name}` is not a header name"),
                    "a letter, then letters, digits, `_` or `-`, at most 256 characters",
                );
            } else if !(name.eq_ignore_ascii_case("Authorization")
                || name
                    .to_ascii_lowercase()
                    .starts_with("x-amzn-bedrock-agentcore-runtime-custom-"))
            {
                // The documented rule; the model itself only has the pattern above.
                check.warn(
                    "agentfs::runtime_headers",
                    &field,
                    format!("AgentCore passes only `Authorization` and `X-Amzn-Bedrock-AgentCore-Runtime-Custom-*` headers, not `{name}`"),
                    "prefix the header with `X-Amzn-Bedrock-AgentCore-Runtime-Custom-`",
                );
            }
            if let Some(first) = headers[..i].iter().position(|h| h.eq_ignore_ascii_case(name)) {
                check.error(
                    "agentfs::runtime_headers",
                    &field,
                    format!("`{name}` is listed twice (first at request_header_allowlist[{first}])"),
                    "list each header once",
                );
            }
        }
    }

    fn check_ports(&self, check: &mut Check<'_>) {
        let ports = self.allowed_ports;
        if let Some(most) = limits("allowed_ports").max_len.filter(|m| ports.len() > *m) {
            check.error(
                "agentfs::runtime_ports",
                "allowed_ports",
                format!("{} entries; the API allows at most {most}", ports.len()),
                "merge neighbouring ports into a range, e.g. `{ from = 9000, to = 9010 }`",
            );
        }
        for (i, port) in ports.iter().enumerate() {
            let field = format!("allowed_ports[{i}]");
            match *port {
                AllowedPort::Port(p) => in_range(check, &field, p, PORTS, "an allowed port"),
                AllowedPort::Range { from, to } => {
                    in_range(check, &format!("{field}.from"), from, PORTS, "an allowed port");
                    in_range(check, &format!("{field}.to"), to, PORTS, "an allowed port");
                    if from > to {
                        check.error(
                            "agentfs::runtime_ports",
                            &field,
                            format!("the range {from}..{to} is empty"),
                            "put the lower port in `from`",
                        );
                    }
                }
            }
        }
    }

    /// The options in the form a read reports them.
    pub fn to_read(&self) -> Read {
        Read {
            protocol: self.protocol.cloned(),
            jwt_authorizer: self.jwt_authorizer.cloned(),
            session_lifecycle: self.session_lifecycle.cloned(),
            request_header_allowlist: self.request_header_allowlist.to_vec(),
            allowed_ports: self.allowed_ports.to_vec(),
        }
    }

    /// The SDK shapes, `None` for an option the spec leaves out.
    pub fn to_sdk(&self) -> Result<Sdk, BuildError> {
        let protocol = match self.protocol {
            Some(p) => Some(
                ProtocolConfiguration::builder()
                    .server_protocol(ServerProtocol::from(p.server_protocol.as_str()))
                    .set_port(p.port.and_then(|v| i32::try_from(v).ok()))
                    .set_path(p.path.clone())
                    .build()?,
            ),
            None => None,
        };
        let authorizer = match self.jwt_authorizer {
            Some(jwt) => Some(AuthorizerConfiguration::CustomJwtAuthorizer(jwt::to_sdk(jwt)?)),
            None => None,
        };
        let lifecycle = self.session_lifecycle.map(|l| {
            LifecycleConfiguration::builder()
                .set_idle_runtime_session_timeout(l.idle_timeout.and_then(|v| i32::try_from(v).ok()))
                .set_max_lifetime(l.max_lifetime.and_then(|v| i32::try_from(v).ok()))
                .build()
        });
        let headers = (!self.request_header_allowlist.is_empty())
            .then(|| RequestHeaderConfiguration::RequestHeaderAllowlist(self.request_header_allowlist.to_vec()));
        let mut ports = Vec::new();
        for port in self.allowed_ports {
            ports.push(match *port {
                AllowedPort::Port(p) => SdkAllowedPort::Port(port_i32(p)),
                AllowedPort::Range { from, to } => {
                    SdkAllowedPort::PortRange(PortRange::builder().from(port_i32(from)).to(port_i32(to)).build()?)
                }
            });
        }
        Ok(Sdk {
            protocol,
            authorizer,
            session_lifecycle: lifecycle,
            headers,
            ports: (!ports.is_empty()).then_some(ports),
        })
    }
}

/// What CreateAgentRuntime and UpdateAgentRuntime send for the options.
#[derive(Debug, Clone, PartialEq)]
pub struct Sdk {
    pub protocol: Option<ProtocolConfiguration>,
    pub authorizer: Option<AuthorizerConfiguration>,
    pub session_lifecycle: Option<LifecycleConfiguration>,
    pub headers: Option<RequestHeaderConfiguration>,
    pub ports: Option<Vec<SdkAllowedPort>>,
}

/// The options as a read reports them, in spec form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Read {
    pub protocol: Option<Protocol>,
    pub jwt_authorizer: Option<JwtAuthorizer>,
    pub session_lifecycle: Option<SessionLifecycle>,
    pub request_header_allowlist: Vec<String>,
    pub allowed_ports: Vec<AllowedPort>,
}

impl Read {
    /// Whether a live runtime already has these options (so adoption needs no update).
    pub fn live_matches(&self, live: &GetAgentRuntimeOutput) -> bool {
        Read::from_live(live, self) == *self
    }

    #[cfg(test)]
    fn from_sdk(sdk: &Sdk) -> Read {
        Read {
            protocol: sdk.protocol.as_ref().map(protocol_from_sdk),
            jwt_authorizer: match &sdk.authorizer {
                Some(AuthorizerConfiguration::CustomJwtAuthorizer(c)) => Some(jwt::from_sdk(c)),
                _ => None,
            },
            session_lifecycle: sdk.session_lifecycle.as_ref().map(lifecycle_from_sdk),
            request_header_allowlist: match &sdk.headers {
                Some(RequestHeaderConfiguration::RequestHeaderAllowlist(h)) => h.clone(),
                _ => Vec::new(),
            },
            allowed_ports: sdk.ports.as_deref().map(ports_from_sdk).unwrap_or_default(),
        }
    }

    /// What GetAgentRuntime reports, with the service's defaults read as "not set" where the
    /// recorded spec did not set them (so an absent option is not drift).
    pub fn from_live(live: &GetAgentRuntimeOutput, recorded: &Read) -> Read {
        let protocol = live.protocol_configuration().map(protocol_from_sdk);
        let protocol = match (&recorded.protocol, protocol) {
            (None, Some(p)) if p.server_protocol == "HTTP" && p.port.is_none() && p.path.is_none() => None,
            (_, p) => p,
        };
        let lifecycle = live.lifecycle_configuration().map(lifecycle_from_sdk);
        let lifecycle = match (&recorded.session_lifecycle, lifecycle) {
            (None, Some(l))
                if l.idle_timeout.is_none_or(|v| v == DEFAULT_IDLE_SESSION_TIMEOUT)
                    && l.max_lifetime.is_none_or(|v| v == DEFAULT_MAX_LIFETIME) =>
            {
                None
            }
            // A field the spec leaves out reads as the service's default: not drift.
            (Some(want), Some(mut l)) => {
                if want.idle_timeout.is_none() && l.idle_timeout == Some(DEFAULT_IDLE_SESSION_TIMEOUT) {
                    l.idle_timeout = None;
                }
                if want.max_lifetime.is_none() && l.max_lifetime == Some(DEFAULT_MAX_LIFETIME) {
                    l.max_lifetime = None;
                }
                Some(l)
            }
            (_, l) => l,
        };
        Read {
            protocol,
            jwt_authorizer: match live.authorizer_configuration() {
                Some(AuthorizerConfiguration::CustomJwtAuthorizer(c)) => Some(jwt::from_sdk(c)),
                _ => None,
            },
            session_lifecycle: lifecycle,
            request_header_allowlist: match live.request_header_configuration() {
                Some(RequestHeaderConfiguration::RequestHeaderAllowlist(h)) => h.clone(),
                _ => Vec::new(),
            },
            allowed_ports: ports_from_sdk(live.allowed_ports()),
        }
    }
}

fn in_range(check: &mut Check<'_>, field: &str, value: i64, range: std::ops::RangeInclusive<i64>, what: &str) {
    if !range.contains(&value) {
        check.error(
            "agentfs::range",
            field,
            format!("{value} is out of range for {what}"),
            format!("use {} to {}", range.start(), range.end()),
        );
    }
}

fn port_i32(port: i64) -> i32 {
    // Checked to lie in 8000..=12000 before any call.
    i32::try_from(port).unwrap_or_default()
}

fn protocol_from_sdk(p: &ProtocolConfiguration) -> Protocol {
    Protocol {
        server_protocol: p.server_protocol().as_str().to_string(),
        port: p.port().map(i64::from),
        path: p.path().map(String::from),
    }
}

fn lifecycle_from_sdk(l: &LifecycleConfiguration) -> SessionLifecycle {
    SessionLifecycle {
        idle_timeout: l.idle_runtime_session_timeout().map(i64::from),
        max_lifetime: l.max_lifetime().map(i64::from),
    }
}

fn ports_from_sdk(ports: &[SdkAllowedPort]) -> Vec<AllowedPort> {
    ports
        .iter()
        .filter_map(|p| match p {
            SdkAllowedPort::Port(p) => Some(AllowedPort::Port(i64::from(*p))),
            SdkAllowedPort::PortRange(r) => Some(AllowedPort::Range {
                from: i64::from(r.from()),
                to: i64::from(r.to()),
            }),
            // Kinds agentfs does not know yet are left out.
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_patterns_accept_and_refuse() {
        assert!(!refused("protocol.path", "/mcp"));
        assert!(refused("protocol.path", "mcp"));
        assert!(refused("protocol.path", &format!("/{}", "a".repeat(2048))));
        assert!(!refused(
            "jwt_authorizer.discovery_url",
            "https://idp.example.com/pool/.well-known/openid-configuration"
        ));
        assert!(refused(
            "jwt_authorizer.discovery_url",
            "https://idp.example.com/jwks.json"
        ));
        assert_eq!(range("session_lifecycle.max_lifetime"), 60..=1_209_600);
        assert_eq!(range("protocol.port"), PORTS);
        assert_eq!(limits("protocol.server_protocol").one_of.len(), 4);
        assert_eq!(limits("allowed_ports").max_len, Some(5));
        assert!(jwt::SCOPE.is_match("agent/invoke"));
        assert!(!jwt::SCOPE.is_match("has space"));
        assert!(HEADER_NAME.is_match("X-Amzn-Bedrock-AgentCore-Runtime-Custom-Trace"));
        assert!(!HEADER_NAME.is_match("1bad"));
        assert!(jwt::CLAIM_NAME.is_match("cognito:groups"));
        assert!(!jwt::CLAIM_VALUE.is_match("a b"));
    }

    #[test]
    fn ports_round_trip_through_the_sdk_shape() {
        let ports = vec![AllowedPort::Port(8080), AllowedPort::Range { from: 9000, to: 9010 }];
        let options = Options {
            protocol: None,
            jwt_authorizer: None,
            session_lifecycle: None,
            request_header_allowlist: &[],
            allowed_ports: &ports,
        };
        let sdk = options.to_sdk().unwrap();
        assert_eq!(Read::from_sdk(&sdk).allowed_ports, ports);
    }
}
