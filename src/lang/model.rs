//! The TOML model of what is not a resource: `[stack]`, `[backend]`, `[output.*]` and the
//! settings every resource accepts (`depends_on`, `lifecycle`, `timeouts`). Each kind's own
//! struct lives in its file under `src/resources/`.
//!
//! Fields that name another resource (`vpc = "main"`) hold that resource's name as parsed;
//! lowering rewrites them to `${vpc.main.id}` templates so that, after evaluation,
//! the same structs carry live ids and the engine reads one shape throughout.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::kind::Tags;

/// `[stack]`: the stack's name, region and tags every resource carries.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StackSettings {
    /// Stack name: `${stack}` in templates, and the `agentfs:stack` tag. Letters, digits, hyphens.
    pub name: String,
    /// AWS region, e.g. `us-east-1`: `${region}` in templates.
    pub region: String,
    /// Tags added to every taggable resource.
    #[serde(default)]
    pub tags: Tags,
}

/// `[backend]`: where the stack's state lives. Absent: `.agentfs/<stack>.state.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BackendSpec {
    /// State in S3, locked with S3 conditional writes; versioning on the bucket is recommended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3BackendSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3BackendSpec {
    pub bucket: String,
    /// Object key of the state; defaults to `agentfs/<stack>.state.json`. The lock is `<key>.lock`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Region of the state bucket; defaults to the stack's region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// `[output.NAME]`: a value printed after apply and by `agentfs output`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// A template, usually one attribute: `${vpc.main.id}`; or a list of them
    /// (`["${subnet.a.id}", "${subnet.b.id}"]`), recorded and shown as a list.
    pub value: OutputExpr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Hide the value in plain output.
    #[serde(default)]
    pub sensitive: bool,
}

/// `[[moved]]`: a resource renamed in the spec; its recorded copy takes the new address
/// without a replacement.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MovedSpec {
    /// The old address, `kind.name`.
    pub from: String,
    /// The new address, declared in the spec, of the same kind.
    pub to: String,
}

/// `[[removed]]`: a resource agentfs stops managing: forgotten from the state, left in AWS.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RemovedSpec {
    /// The address, `kind.name`, no longer declared in the spec.
    pub from: String,
}

/// An output's value as written: one template, or a list of them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum OutputExpr {
    One(String),
    List(Vec<String>),
}

impl OutputExpr {
    /// Every template, with the path suffix it sits at (`""` or `"[i]"`).
    pub fn items(&self) -> Vec<(String, &str)> {
        match self {
            OutputExpr::One(text) => vec![(String::new(), text.as_str())],
            OutputExpr::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("[{i}]"), t.as_str()))
                .collect(),
        }
    }

    /// As written, for plans: the template, or the list as TOML writes it.
    pub fn expression(&self) -> String {
        match self {
            OutputExpr::One(text) => text.clone(),
            OutputExpr::List(items) => serde_json::to_string(items).unwrap_or_default(),
        }
    }
}

/// `[[import]]`: an existing resource adopted as a resource of the spec on the next apply
/// (read, never created), then updated to the spec where it differs.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ImportSpec {
    /// The address, `kind.name`, declared in the spec.
    pub to: String,
    /// The resource's AWS id (or name, for kinds identified by name).
    pub id: String,
}

/// Settings every resource accepts besides its kind's own fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Explicit dependencies as `kind.name`, where no field reference exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    #[serde(default, skip_serializing_if = "Lifecycle::is_default")]
    pub lifecycle: Lifecycle,
    /// Per-resource waits, e.g. `{ create = "15m", delete = "45m" }`.
    #[serde(default, skip_serializing_if = "Timeouts::is_default")]
    pub timeouts: Timeouts,
}

/// Terraform-style lifecycle rules.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Refuse to destroy or replace this resource.
    #[serde(default)]
    pub prevent_destroy: bool,
    /// Attributes (e.g. `tags`) whose live changes are neither drift nor updates.
    #[serde(default)]
    pub ignore_changes: Vec<String>,
    /// Findings of `agentfs check` (rule ids such as `AFS-IAM-001`) and lints
    /// (`agentfs::lint::...`) accepted for this resource, each with its reason: still listed,
    /// as accepted, but no longer counted by `check --fail-on` nor printed as warnings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<Accept>,
}

/// One accepted finding: `{ rule = "AFS-IAM-003", reason = "..." }`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Accept {
    /// A rule id of `agentfs check` or a lint code.
    pub rule: String,
    /// Why the finding is acceptable here (required).
    pub reason: String,
}

impl Lifecycle {
    fn is_default(&self) -> bool {
        self == &Lifecycle::default()
    }
}

/// Waiter time limits as durations (`90s`, `10m`, `1h`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<String>,
}

impl Timeouts {
    fn is_default(&self) -> bool {
        self == &Timeouts::default()
    }
}

/// Parses `90s`, `10m`, `2h` (or a bare number of seconds).
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number.checked_mul(60)?,
        "h" => number.checked_mul(3600)?,
        _ => return None,
    };
    Some(std::time::Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("10m").unwrap().as_secs(), 600);
        assert_eq!(parse_duration("2h").unwrap().as_secs(), 7200);
        assert_eq!(parse_duration("45").unwrap().as_secs(), 45);
        assert!(parse_duration("10 minutes").is_none());
        assert!(parse_duration("m").is_none());
    }
}
