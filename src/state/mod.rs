//! Recorded state: what agentfs made, with the ids, attributes and dependencies
//! that a later plan, drift check or destroy needs without the spec.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::spec::Addr;

/// Bumped when the state file's shape changes incompatibly.
pub const STATE_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub format_version: u32,
    /// Random id of this stack's state history; a state of another lineage is another stack.
    pub lineage: String,
    /// Incremented on every write.
    pub serial: u64,
    pub stack: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default)]
    pub resources: BTreeMap<Addr, ResourceState>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputValue>,
}

impl State {
    pub fn new(stack: &str, region: &str) -> State {
        State {
            format_version: STATE_FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            stack: stack.to_string(),
            region: region.to_string(),
            account_id: None,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        }
    }
}

/// Where a resource stands. `Creating` is written before the create call, so a crash
/// between the call and its record leaves a trail the next apply follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "phase")]
pub enum Phase {
    /// A create was started with this idempotency token; the resource may or may not exist.
    Creating { client_token: String },
    /// The resource exists and `id` is its AWS id.
    Created,
    /// A delete was started; the resource may already be gone.
    Deleting,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceState {
    #[serde(flatten)]
    pub phase: Phase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Exported attributes (`id`, `arn`, ...) other resources and outputs read.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// The evaluated configuration as last applied (sensitive values redacted).
    #[serde(default)]
    pub config: serde_json::Value,
    /// What this resource depends on, so destroy can order deletes without the spec.
    #[serde(default)]
    pub deps: Vec<Addr>,
    /// How many times the resource was replaced; part of its idempotency tokens.
    #[serde(default)]
    pub generation: u32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prevent_destroy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputValue {
    pub value: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}
