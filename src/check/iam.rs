//! IAM rules: what a role's policies allow, and who may assume it.

use serde_json::{Map, Value};

use super::{Findings, Rule};
use crate::lang::diag::Severity;
use crate::parse::ParsedSpec;
use crate::resources::ResourceSpec;

pub const SERVICE_WILDCARD_ON_ANY: Rule = Rule {
    id: "AFS-IAM-001",
    severity: Severity::Error,
    title: "every action of a service on every resource",
    why: "a service wildcard (`s3files:*`, `*`) on `Resource = \"*\"` grants every present and future action of the service, deletes and policy changes included, on every resource of the account: code running with the role can destroy or open up what other stacks own",
    fix: "list the actions the role calls (e.g. `s3files:ClientMount`, `s3files:ClientWrite`) and scope `Resource` to this stack's ARNs (`${s3files_file_system.data.arn}`)",
};

pub const SERVICE_WILDCARD: Rule = Rule {
    id: "AFS-IAM-002",
    severity: Severity::Warning,
    title: "every action of a service",
    why: "a service wildcard grants every present and future action of the service on the listed resources, deletes and policy changes included",
    fix: "list the actions the role calls",
};

pub const ANY_RESOURCE: Rule = Rule {
    id: "AFS-IAM-003",
    severity: Severity::Warning,
    title: "`Resource = \"*\"` for actions that take a resource",
    why: "these actions support resource-level permissions, so `*` grants them on every resource of the account rather than this stack's (actions that work only on `*`, such as `ecr:GetAuthorizationToken`, are not counted)",
    fix: "scope `Resource` to the ARNs the role uses, e.g. `${s3_bucket.data.arn}/*`, or move the `*`-only actions to a statement of their own",
};

pub const NOT_ACTION_ALLOW: Rule = Rule {
    id: "AFS-IAM-004",
    severity: Severity::Error,
    title: "`NotAction` with `Effect = \"Allow\"`",
    why: "Allow with NotAction grants every action except those listed, including every action AWS adds later",
    fix: "use `Action` with the actions the role needs; keep NotAction for Deny statements",
};

pub const TRUST_ANYONE: Rule = Rule {
    id: "AFS-IAM-005",
    severity: Severity::Error,
    title: "a trust policy that lets anyone assume the role",
    why: "`Principal = \"*\"` (or `{ AWS = \"*\" }`) without a condition lets any AWS account assume the role",
    fix: "name the service or account principal, e.g. `Principal = { Service = \"bedrock-agentcore.amazonaws.com\" }`",
};

pub const TRUST_NO_SOURCE: Rule = Rule {
    id: "AFS-IAM-006",
    severity: Severity::Warning,
    title: "a service trust without a source account or ARN",
    why: "without `aws:SourceAccount` or `aws:SourceArn` the service can be made to assume the role on behalf of another account (confused deputy)",
    fix: "add `Condition = { StringEquals = { \"aws:SourceAccount\" = \"${account_id}\" } }`",
};

/// Actions that accept only `Resource = "*"` (no resource-level permissions in the IAM service
/// authorization reference), so `*` is the narrowest grant for them. A trailing `*` matches a
/// prefix. Kept small on purpose: an action missing here gives a warning, never a silence.
pub const STAR_ONLY_ACTIONS: &[&str] = &[
    "ecr:GetAuthorizationToken",
    "logs:DescribeLogGroups",
    "sts:GetCallerIdentity",
    "s3:ListAllMyBuckets",
    "cloudwatch:PutMetricData",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "ec2:Describe*",
];

fn star_only(action: &str) -> bool {
    STAR_ONLY_ACTIONS.iter().any(|known| match known.strip_suffix('*') {
        Some(prefix) => action.len() >= prefix.len() && action[..prefix.len()].eq_ignore_ascii_case(prefix),
        None => action.eq_ignore_ascii_case(known),
    })
}

/// `*` or `service:*`.
fn service_wildcard(action: &str) -> bool {
    action == "*" || action.split_once(':').is_some_and(|(_, name)| name == "*")
}

/// A string or a list of strings, each with its path below `key`.
fn strings<'v>(statement: &'v Map<String, Value>, key: &str) -> Vec<(String, &'v str)> {
    match statement.get(key) {
        Some(Value::String(s)) => vec![(key.to_string(), s.as_str())],
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_str().map(|s| (format!("{key}[{i}]"), s)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Each statement of a policy document with its path (`Statement[0]`, or `Statement`).
fn statements(policy: &Value) -> Vec<(String, &Map<String, Value>)> {
    match policy.get("Statement") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_object().map(|s| (format!("Statement[{i}]"), s)))
            .collect(),
        Some(Value::Object(one)) => vec![("Statement".to_string(), one)],
        _ => Vec::new(),
    }
}

fn allows(statement: &Map<String, Value>) -> bool {
    statement.get("Effect").and_then(Value::as_str) == Some("Allow")
}

pub(super) fn check(spec: &ParsedSpec, out: &mut Findings<'_>) {
    for resource in &spec.resources {
        match &resource.spec {
            ResourceSpec::IamRole(role) => {
                trust(resource, &role.assume_role_policy, out);
                for (name, policy) in &role.inline_policies {
                    grants(
                        resource,
                        &format!("inline_policies.{name}"),
                        &format!("policy `{name}`"),
                        policy,
                        out,
                    );
                }
            }
            // A managed policy grants whatever roles attach it: the same rules, on its document.
            ResourceSpec::IamPolicy(policy) => {
                grants(resource, "document", "the policy", &policy.document, out);
            }
            _ => {}
        }
    }
}

/// What the Allow statements of `policy` (at `field`, called `what` in messages) grant.
fn grants(resource: &crate::parse::ParsedResource, field: &str, what: &str, policy: &Value, out: &mut Findings<'_>) {
    for (at, statement) in statements(policy) {
        if !allows(statement) {
            continue;
        }
        let base = format!("{field}.{at}");
        if statement.contains_key("NotAction") {
            out.add(
                &NOT_ACTION_ALLOW,
                resource,
                &format!("{base}.NotAction"),
                format!("{what} allows every action but those listed"),
            );
        }
        let any_resource = strings(statement, "Resource").iter().any(|(_, r)| *r == "*");
        let actions = strings(statement, "Action");
        for (path, action) in &actions {
            if !service_wildcard(action) {
                continue;
            }
            let (rule, message) = if any_resource {
                (
                    &SERVICE_WILDCARD_ON_ANY,
                    format!("{what} allows `{action}` on every resource"),
                )
            } else {
                (&SERVICE_WILDCARD, format!("{what} allows `{action}`"))
            };
            out.add(rule, resource, &format!("{base}.{path}"), message);
        }
        if any_resource {
            let scoped: Vec<&str> = actions
                .iter()
                .map(|(_, a)| *a)
                .filter(|a| !service_wildcard(a) && !star_only(a))
                .collect();
            if !scoped.is_empty() {
                out.add(
                    &ANY_RESOURCE,
                    resource,
                    &format!("{base}.Resource"),
                    format!("{what} allows `{}` on `*`", scoped.join("`, `")),
                );
            }
        }
    }
}

fn trust(resource: &crate::parse::ParsedResource, policy: &Value, out: &mut Findings<'_>) {
    for (at, statement) in statements(policy) {
        if !allows(statement) {
            continue;
        }
        let base = format!("assume_role_policy.{at}");
        let principal = statement.get("Principal");
        let anyone = match principal {
            Some(Value::String(s)) => s == "*",
            Some(Value::Object(p)) => match p.get("AWS") {
                Some(Value::String(s)) => s == "*",
                Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some("*")),
                _ => false,
            },
            _ => false,
        };
        let conditions: Vec<&String> = statement
            .get("Condition")
            .and_then(Value::as_object)
            .map(|ops| {
                ops.values()
                    .filter_map(Value::as_object)
                    .flat_map(|m| m.keys())
                    .collect()
            })
            .unwrap_or_default();
        if anyone && conditions.is_empty() {
            out.add(
                &TRUST_ANYONE,
                resource,
                &format!("{base}.Principal"),
                "any AWS principal may assume the role",
            );
        }
        let service = principal
            .and_then(Value::as_object)
            .is_some_and(|p| p.contains_key("Service"));
        let scoped = conditions.iter().any(|k| {
            [
                "aws:SourceAccount",
                "aws:SourceArn",
                "aws:SourceOrgID",
                "aws:SourceOrgPaths",
            ]
            .iter()
            .any(|known| k.eq_ignore_ascii_case(known))
        });
        if service && !scoped {
            out.add(
                &TRUST_NO_SOURCE,
                resource,
                &base,
                "the service may assume the role for any account",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{STACK, findings, ids};

    fn role(policy_statement: &str, trust: &str) -> String {
        format!(
            r#"{STACK}
[iam_role.r]
name = "r"
[iam_role.r.assume_role_policy]
Version = "2012-10-17"
[[iam_role.r.assume_role_policy.Statement]]
{trust}
[iam_role.r.inline_policies.p]
Version = "2012-10-17"
[[iam_role.r.inline_policies.p.Statement]]
{policy_statement}
"#
        )
    }

    const TRUST: &str = "Effect = \"Allow\"\nPrincipal = { Service = \"bedrock-agentcore.amazonaws.com\" }\nAction = \"sts:AssumeRole\"\nCondition = { StringEquals = { \"aws:SourceAccount\" = \"${account_id}\" } }";

    #[test]
    fn service_wildcard_on_any_resource_is_an_error_with_its_line() {
        let text = role(
            "Effect = \"Allow\"\nAction = [\"s3files:*\", \"elasticfilesystem:*\"]\nResource = \"*\"",
            TRUST,
        );
        let found = findings(&text);
        let wild: Vec<_> = found.iter().filter(|f| f.rule == "AFS-IAM-001").collect();
        assert_eq!(wild.len(), 2, "{found:?}");
        assert_eq!(wild[0].field, "iam_role.r.inline_policies.p.Statement[0].Action[0]");
        assert!(wild[0].message.contains("s3files:*"));
        let line = text[..wild[0].span.clone().unwrap().start].matches('\n').count() + 1;
        assert_eq!(&text.lines().nth(line - 1).unwrap()[..6], "Action");
    }

    #[test]
    fn listed_actions_on_scoped_resources_are_clean() {
        let text = role(
            "Effect = \"Allow\"\nAction = [\"s3files:ClientMount\", \"s3files:ClientWrite\"]\nResource = \"${s3files_file_system.data.arn}\"",
            TRUST,
        );
        assert!(ids(&text).is_empty(), "{:?}", ids(&text));
    }

    #[test]
    fn service_wildcard_on_scoped_resource_is_a_warning() {
        let text = role(
            "Effect = \"Allow\"\nAction = \"s3:*\"\nResource = \"arn:aws:s3:::b/*\"",
            TRUST,
        );
        assert_eq!(ids(&text), ["AFS-IAM-002"]);
    }

    #[test]
    fn star_resource_only_for_actions_that_take_a_resource() {
        let flagged = role(
            "Effect = \"Allow\"\nAction = [\"ecr:GetAuthorizationToken\", \"s3:GetObject\"]\nResource = \"*\"",
            TRUST,
        );
        let found = findings(&flagged);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "AFS-IAM-003");
        assert!(found[0].message.contains("s3:GetObject") && !found[0].message.contains("GetAuthorizationToken"));
        let clean = role(
            "Effect = \"Allow\"\nAction = [\"ecr:GetAuthorizationToken\", \"ec2:DescribeSubnets\"]\nResource = \"*\"",
            TRUST,
        );
        assert!(ids(&clean).is_empty(), "{:?}", ids(&clean));
    }

    #[test]
    fn not_action_with_allow_is_an_error_and_with_deny_is_not() {
        let allow = role(
            "Effect = \"Allow\"\nNotAction = \"iam:*\"\nResource = \"arn:aws:s3:::b\"",
            TRUST,
        );
        assert_eq!(ids(&allow), ["AFS-IAM-004"]);
        let deny = role("Effect = \"Deny\"\nNotAction = \"iam:*\"\nResource = \"*\"", TRUST);
        assert!(ids(&deny).is_empty(), "{:?}", ids(&deny));
    }

    #[test]
    fn trust_of_anyone_is_an_error() {
        let open = role(
            "Effect = \"Allow\"\nAction = \"s3:GetObject\"\nResource = \"arn:aws:s3:::b/*\"",
            "Effect = \"Allow\"\nPrincipal = { AWS = \"*\" }\nAction = \"sts:AssumeRole\"",
        );
        assert_eq!(ids(&open), ["AFS-IAM-005"]);
        let named = role(
            "Effect = \"Allow\"\nAction = \"s3:GetObject\"\nResource = \"arn:aws:s3:::b/*\"",
            "Effect = \"Allow\"\nPrincipal = { AWS = \"arn:aws:iam::123456789012:root\" }\nAction = \"sts:AssumeRole\"",
        );
        assert!(ids(&named).is_empty(), "{:?}", ids(&named));
    }

    #[test]
    fn a_managed_policy_document_meets_the_same_rules_as_inline_ones() {
        let text = format!(
            "{STACK}[iam_policy.tools]\nname = \"tools\"\ndocument = {{ Version = \"2012-10-17\", Statement = [{{ Effect = \"Allow\", Action = [\"s3:GetObject\", \"*\"], Resource = \"*\" }}] }}\n"
        );
        let found = findings(&text);
        let ids: Vec<_> = found.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(ids, ["AFS-IAM-001", "AFS-IAM-003"], "{found:?}");
        assert_eq!(found[0].field, "iam_policy.tools.document.Statement[0].Action[1]");
    }

    #[test]
    fn service_trust_without_source_account_is_a_warning() {
        let text = role(
            "Effect = \"Allow\"\nAction = \"s3:GetObject\"\nResource = \"arn:aws:s3:::b/*\"",
            "Effect = \"Allow\"\nPrincipal = { Service = \"bedrock-agentcore.amazonaws.com\" }\nAction = \"sts:AssumeRole\"",
        );
        let found = findings(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "AFS-IAM-006");
        assert_eq!(found[0].field, "iam_role.r.assume_role_policy.Statement[0]");
    }
}
