//! IAM's policy grammar, shared by anything that writes policy documents: the offline checks
//! of a document's shape, the reading of what IAM returns, and the comparisons under which two
//! documents mean the same to IAM.

use serde_json::{Map, Value};

use crate::lang::kind::Check;

/// The grammar IAM applies to a policy document, so that a typo fails here, with its field,
/// and not halfway through an apply. `trust` documents need a principal in every statement.
pub(super) fn policy_shape(check: &mut Check<'_>, field: &str, policy: &Value, trust: bool) {
    let ok = policy.get("Statement").is_some_and(|s| s.is_array() || s.is_object());
    if !ok {
        check.error("agentfs::policy", field, "a policy document needs a `Statement`", "write `Version = \"2012-10-17\"` and `[[...Statement]]` entries with Effect, Action and Resource (or Principal)");
        return;
    }
    if let Some(version) = policy.get("Version")
        && !matches!(version.as_str(), Some("2012-10-17" | "2008-10-17"))
    {
        check.error(
            "agentfs::policy",
            &format!("{field}.Version"),
            format!(
                "`{}` is not a policy language version",
                version.as_str().map_or_else(|| version.to_string(), String::from)
            ),
            "use `Version = \"2012-10-17\"`",
        );
    }
    let items: Vec<&Value> = match &policy["Statement"] {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    for (i, statement) in items.into_iter().enumerate() {
        let at = format!("{field}.Statement[{i}]");
        let Some(statement) = statement.as_object() else {
            check.error(
                "agentfs::policy",
                &at,
                "a statement must be a table",
                "write `{ Effect = \"Allow\", Action = [...], Resource = [...] }`",
            );
            continue;
        };
        for key in statement.keys() {
            if !STATEMENT_KEYS.contains(&key.as_str()) {
                check.error(
                    "agentfs::policy",
                    &format!("{at}.{key}"),
                    format!("`{key}` is not a statement element"),
                    format!("use {}", STATEMENT_KEYS.join(", ")),
                );
            }
        }
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            other => check.error(
                "agentfs::policy",
                &format!("{at}.Effect"),
                format!(
                    "the Effect is {}",
                    other.map_or("missing".to_string(), |e| format!("`{e}`"))
                ),
                "use `Effect = \"Allow\"` or `\"Deny\"`",
            ),
        }
        one_of_pair(check, &at, statement, "Action", "NotAction", true);
        if trust {
            one_of_pair(check, &at, statement, "Principal", "NotPrincipal", true);
        } else {
            one_of_pair(check, &at, statement, "Resource", "NotResource", false);
            if statement.contains_key("Principal") || statement.contains_key("NotPrincipal") {
                check.error(
                    "agentfs::policy",
                    &format!("{at}.Principal"),
                    "an identity policy names no principal",
                    "remove `Principal`: the role is the principal",
                );
            }
        }
    }
}

const STATEMENT_KEYS: [&str; 9] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

/// Exactly one of `a` and `b` (when `required`; at most one otherwise); actions and resources
/// are a string or a list of strings.
fn one_of_pair(check: &mut Check<'_>, at: &str, statement: &Map<String, Value>, a: &str, b: &str, required: bool) {
    let present: Vec<&str> = [a, b].into_iter().filter(|k| statement.contains_key(*k)).collect();
    match present.as_slice() {
        [] if required => {
            let example = if a == "Principal" {
                "Principal = { Service = \"bedrock-agentcore.amazonaws.com\" }"
            } else {
                "Action = [\"s3:GetObject\"]"
            };
            check.error(
                "agentfs::policy",
                at,
                format!("the statement has neither `{a}` nor `{b}`"),
                format!("add `{example}`"),
            )
        }
        [_, _] => check.error(
            "agentfs::policy",
            &format!("{at}.{b}"),
            format!("the statement has both `{a}` and `{b}`"),
            format!("keep one of `{a}` and `{b}`"),
        ),
        [key] if !matches!(*key, "Principal" | "NotPrincipal") => {
            let value = &statement[*key];
            let strings = value.is_string()
                || value
                    .as_array()
                    .is_some_and(|items| !items.is_empty() && items.iter().all(Value::is_string));
            if !strings {
                check.error(
                    "agentfs::policy",
                    &format!("{at}.{key}"),
                    format!("`{key}` must be a string or a list of strings"),
                    format!("e.g. `{key} = [\"s3:GetObject\"]`"),
                );
            }
        }
        _ => {}
    }
}

/// Whether two policy documents mean the same: key order, a single value against a
/// one-element list, and the order of value lists do not matter.
pub(super) fn same_policy(a: &Value, b: &Value) -> bool {
    normalize(a) == normalize(b)
}

/// IAM returns policy documents URL-encoded (RFC 3986); some emulators return them plain.
pub(super) fn decode_policy(text: &str) -> Value {
    let decoded = urlencoding::decode(text)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| text.to_string());
    serde_json::from_str(&decoded)
        .or_else(|_| serde_json::from_str(text))
        .unwrap_or(Value::String(text.to_string()))
}

/// A comparable form of a policy: one-element lists become their element (IAM accepts and
/// returns either), lists of scalars are sorted, objects compare as maps.
pub(super) fn normalize(value: &Value) -> Value {
    match value {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(normalize).collect();
            if items.len() == 1 {
                return items.remove(0);
            }
            if items.iter().all(|v| !v.is_object() && !v.is_array()) {
                items.sort_by_key(|v| v.to_string());
            }
            Value::Array(items)
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect()),
        other => other.clone(),
    }
}

pub fn canonical_policy(value: &Value) -> Value {
    match value {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(canonical_policy).collect();
            if items.iter().all(Value::is_string) {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                items.dedup();
            }
            if items.len() == 1 {
                items.remove(0)
            } else {
                Value::Array(items)
            }
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), canonical_policy(v))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn policies_compare_as_json_with_single_values_and_lists_alike() {
        let spec = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]});
        let live = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C\
                    %22Principal%22%3A%7B%22Service%22%3A%5B%22bedrock-agentcore.amazonaws.com%22%5D%7D%2C\
                    %22Action%22%3A%5B%22sts%3AAssumeRole%22%5D%2C%22Condition%22%3A%7B%22StringEquals%22%3A\
                    %7B%22aws%3ASourceAccount%22%3A%22123456789012%22%7D%7D%7D%7D";
        assert_eq!(normalize(&decode_policy(live)), normalize(&spec));
        let other = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
            "Principal": {"Service": "bedrock-agentcore.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        assert_ne!(normalize(&other), normalize(&spec));
    }

    #[test]
    fn action_lists_compare_regardless_of_order() {
        let a = json!({"Action": ["s3:GetObject", "s3:PutObject"]});
        let b = json!({"Action": ["s3:PutObject", "s3:GetObject"]});
        assert_eq!(normalize(&a), normalize(&b));
    }
}
