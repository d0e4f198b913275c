//! Runtime rules: who may invoke a runtime, and secrets written into its environment.

use super::{Findings, Rule};
use crate::lang::diag::Severity;
use crate::parse::ParsedSpec;
use crate::resources::ResourceSpec;

pub const PUBLIC_NO_AUTHORIZER: Rule = Rule {
    id: "AFS-RT-001",
    severity: Severity::Warning,
    title: "a PUBLIC runtime without an authorizer",
    why: "without `jwt_authorizer` the runtime is invoked with IAM (SigV4) credentials only: every principal of the account whose policies allow `bedrock-agentcore:InvokeAgentRuntime` on it can start sessions, and end users cannot be told apart",
    fix: "add `jwt_authorizer = { discovery_url = \"...\", allowed_clients = [\"...\"] }`, or accept the finding when IAM callers are the intended ones",
};

pub const SECRET_FORMAT: Rule = Rule {
    id: "AFS-SEC-001",
    severity: Severity::Error,
    title: "a credential in an environment variable",
    why: "the value has the format of an AWS access key id or a private key: it is in the spec file (and its history), in every plan, and readable by anyone who can call GetAgentRuntime",
    fix: "remove it and rotate it; give the runtime's role the permissions instead, or pass the value through a `sensitive = true` variable",
};

pub const SECRET_NAME: Rule = Rule {
    id: "AFS-SEC-002",
    severity: Severity::Error,
    title: "a secret-named environment variable with a literal value",
    why: "a variable named like a secret (`*_SECRET`, `*_TOKEN`, `*PASSWORD*`, `*_API_KEY`) holds a value written in the spec: it is in the file's history, in plans, and readable by anyone who can call GetAgentRuntime",
    fix: "declare a `[variable.NAME]` with `sensitive = true` and use `${var.NAME}`, or fetch the secret at run time from Secrets Manager with the runtime's role",
};

/// Whether a value has a well-known credential format.
fn credential_format(value: &str) -> bool {
    let key_id = value.as_bytes().windows(20).any(|w| {
        (w.starts_with(b"AKIA") || w.starts_with(b"ASIA"))
            && w[4..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    });
    key_id || (value.contains("-----BEGIN") && value.contains("PRIVATE KEY"))
}

/// Whether a variable name says it holds a secret.
fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "SECRET_KEY"]
        .iter()
        .any(|s| upper == *s || upper.ends_with(&format!("_{s}")))
        || upper.contains("PASSWORD")
        || upper.contains("PASSWD")
}

pub(super) fn check(spec: &ParsedSpec, out: &mut Findings<'_>) {
    for resource in &spec.resources {
        let ResourceSpec::AgentcoreRuntime(runtime) = &resource.spec else {
            continue;
        };
        if runtime.network_mode == "PUBLIC" && runtime.jwt_authorizer.is_none() {
            out.add(
                &PUBLIC_NO_AUTHORIZER,
                resource,
                "network_mode",
                "the runtime is PUBLIC and has no `jwt_authorizer`",
            );
        }
        for (name, value) in &runtime.environment_variables {
            let field = format!("environment_variables.{name}");
            let path = format!("{}.{field}", resource.addr);
            // A sensitive variable's value is not in the file; a template is not a literal.
            let from_variable = spec
                .sensitive_uses
                .iter()
                .any(|u| path == u.path || path.starts_with(&format!("{}.", u.path)));
            let template = value.trim_start().starts_with("${") && value.trim_end().ends_with('}');
            if from_variable || template || value.is_empty() {
                continue;
            }
            if credential_format(value) {
                out.add(
                    &SECRET_FORMAT,
                    resource,
                    &field,
                    format!("`{name}` holds what looks like an access key id or a private key"),
                );
            } else if secret_name(name) {
                out.add(
                    &SECRET_NAME,
                    resource,
                    &field,
                    format!("`{name}` is named like a secret and its value is written in the spec"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{STACK, findings, ids};

    fn runtime(extra: &str) -> String {
        format!(
            r#"{STACK}
[agentcore_runtime.agent]
name = "agent"
container_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/a:latest"
role = "r"
{extra}
"#
        )
    }

    #[test]
    fn public_runtime_without_authorizer_is_a_warning() {
        let found = findings(&runtime("network_mode = \"PUBLIC\""));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "AFS-RT-001");
        assert_eq!(found[0].field, "agentcore_runtime.agent.network_mode");
        let with_jwt = runtime(
            "network_mode = \"PUBLIC\"\njwt_authorizer = { discovery_url = \"https://idp.example.com/.well-known/openid-configuration\", allowed_clients = [\"app\"] }",
        );
        assert!(ids(&with_jwt).is_empty(), "{:?}", ids(&with_jwt));
    }

    #[test]
    fn access_key_ids_and_private_keys_in_values_are_errors() {
        let text = runtime(
            "network_mode = \"VPC\"\nenvironment_variables = { AWS_ACCESS_KEY_ID = \"AKIAIOSFODNN7EXAMPLE\", CERT = \"-----BEGIN RSA PRIVATE KEY-----\\nMIIB\" }",
        );
        assert_eq!(ids(&text), ["AFS-SEC-001", "AFS-SEC-001"]);
        let clean =
            runtime("network_mode = \"VPC\"\nenvironment_variables = { WORKSPACE = \"/mnt/data\", AKIA = \"short\" }");
        assert!(ids(&clean).is_empty(), "{:?}", ids(&clean));
    }

    #[test]
    fn secret_names_with_literal_values_are_errors_but_sensitive_variables_are_not() {
        let literal = runtime(
            "network_mode = \"VPC\"\nenvironment_variables = { GITHUB_TOKEN = \"ghp_abc\", DB_PASSWORD = \"hunter2\" }",
        );
        assert_eq!(ids(&literal), ["AFS-SEC-002", "AFS-SEC-002"]);
        let from_variable = format!(
            "[variable.token]\nsensitive = true\ndefault = \"x\"\n{}",
            runtime(
                "network_mode = \"VPC\"\nenvironment_variables = { GITHUB_TOKEN = \"${var.token}\", TOKEN_URL_PATH = \"/t\" }"
            )
        );
        assert!(ids(&from_variable).is_empty(), "{:?}", ids(&from_variable));
    }
}
