//! Drift: read the live stack (batched per kind, kinds concurrently), put what AWS says
//! in place of what the state recorded, and plan the spec against that. Every change the
//! plan then shows is a difference between the live stack and the spec.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use serde::Serialize;

use crate::plan::{Action, AttributeChange, Plan};
use crate::provider::Provider;
use crate::resources::{DispatchError, Listed, Prior, TAG_RESOURCE, TAG_STACK};
use crate::spec::{Addr, Kind};
use crate::state::{Phase, State};

/// Bumped when the JSON report's shape changes incompatibly.
pub const DRIFT_FORMAT_VERSION: u32 = 1;

/// What AWS said about each recorded resource: its live configuration, or `None` if gone.
pub type Live = BTreeMap<Addr, Option<serde_json::Value>>;

/// Reads every created resource of `state`, one batch per kind, all kinds at once.
pub async fn read_live<P: Provider>(provider: &P, state: &State) -> Result<Live, DispatchError> {
    let mut by_kind: BTreeMap<Kind, Vec<(&Addr, &crate::state::ResourceState)>> = BTreeMap::new();
    for (addr, r) in &state.resources {
        if r.phase == Phase::Created && r.id.is_some() {
            by_kind.entry(addr.kind).or_default().push((addr, r));
        }
    }
    let reads = by_kind.into_iter().map(|(kind, records)| async move {
        let addresses: Vec<String> = records.iter().map(|(a, _)| a.to_string()).collect();
        let tags: Vec<BTreeMap<String, String>> = records
            .iter()
            .map(|(a, r)| recorded_tags(&state.stack, a, &r.config))
            .collect();
        let listed: Vec<Listed<'_>> = records
            .iter()
            .zip(&addresses)
            .zip(&tags)
            .map(|(((_, r), address), tags)| Listed {
                address,
                prior: Prior {
                    id: r.id.as_deref().unwrap_or_default(),
                    attributes: &r.attributes,
                    config: &r.config,
                    tags,
                },
            })
            .collect();
        let live = provider.read(kind, &listed).await?;
        Ok::<_, DispatchError>(records.iter().map(|(a, _)| (*a).clone()).zip(live).collect::<Vec<_>>())
    });
    let mut out = Live::new();
    for batch in join_all(reads).await {
        out.extend(batch?);
    }
    Ok(out)
}

fn recorded_tags(stack: &str, addr: &Addr, config: &serde_json::Value) -> BTreeMap<String, String> {
    let mut tags: BTreeMap<String, String> = config
        .get("tags")
        .and_then(|t| t.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    tags.insert(TAG_STACK.into(), stack.to_string());
    tags.insert(TAG_RESOURCE.into(), addr.to_string());
    tags
}

/// The state as AWS sees it: live configurations replace recorded ones, and resources
/// deleted behind agentfs's back leave the state (so the plan creates them again).
pub fn refreshed(state: &State, live: &Live) -> State {
    let mut state = state.clone();
    for (addr, seen) in live {
        match seen {
            Some(config) => {
                if let Some(r) = state.resources.get_mut(addr) {
                    let mut config = config.clone();
                    keep_digests(&r.config, &mut config);
                    r.config = config;
                }
            }
            None => {
                state.resources.remove(addr);
            }
        }
    }
    state
}

/// Where the recorded configuration holds a digest (a sensitive value), the live value is
/// recorded and compared as its digest too: what AWS reads back never reaches the state.
fn keep_digests(recorded: &serde_json::Value, live: &mut serde_json::Value) {
    use serde_json::Value;
    match (recorded, live) {
        (Value::String(digest), live) if digest.starts_with("sha256:") => {
            let text = match &*live {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            *live = Value::String(crate::plan::redact(&text));
        }
        (Value::Object(recorded), Value::Object(live)) => {
            for (key, value) in live.iter_mut() {
                if let Some(r) = recorded.get(key) {
                    keep_digests(r, value);
                }
            }
        }
        (Value::Array(recorded), Value::Array(live)) => {
            for (r, value) in recorded.iter().zip(live.iter_mut()) {
                keep_digests(r, value);
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// Recorded, but gone from AWS.
    Deleted,
    /// Exists with attributes other than the spec's.
    Changed,
    /// In the spec, never created.
    NotCreated,
    /// Recorded and live, but no longer in the spec.
    NotInSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttributeDrift {
    pub path: String,
    /// What AWS has now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<serde_json::Value>,
    /// What the spec wants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<serde_json::Value>,
    /// What is known only after apply (as in the plan's `after_unknown`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_unknown: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourceDrift {
    pub address: Addr,
    pub kind: Kind,
    pub drift: DriftKind,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeDrift>,
}

/// The drift report (`agentfs drift --json`, format_version 1).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub format_version: u32,
    pub stack: String,
    pub region: String,
    /// Resources whose live configuration was read.
    pub checked: usize,
    pub drifted: bool,
    pub resources: Vec<ResourceDrift>,
    /// Existing resources (read, not owned) that changed since the last apply read them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub existing: Vec<String>,
}

/// Turns a plan made against the refreshed state into a drift report.
pub fn report(plan: &Plan, recorded: &State, live: &Live) -> Report {
    let resources: Vec<ResourceDrift> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| {
            let drift = match c.action {
                Action::Delete => DriftKind::NotInSpec,
                Action::Create if matches!(live.get(&c.address), Some(None)) => DriftKind::Deleted,
                Action::Create if !recorded.resources.contains_key(&c.address) => DriftKind::NotCreated,
                _ => DriftKind::Changed,
            };
            let attributes = if drift == DriftKind::Changed {
                c.attributes.iter().map(attribute).collect()
            } else {
                Vec::new()
            };
            ResourceDrift {
                address: c.address.clone(),
                kind: c.kind,
                drift,
                attributes,
            }
        })
        .collect();
    Report {
        format_version: DRIFT_FORMAT_VERSION,
        stack: plan.stack.clone(),
        region: plan.region.clone(),
        checked: live.len(),
        drifted: !resources.is_empty(),
        resources,
        existing: Vec::new(),
    }
}

fn attribute(change: &AttributeChange) -> AttributeDrift {
    AttributeDrift {
        path: change.path.clone(),
        live: change.before.clone(),
        desired: change.after.clone(),
        desired_unknown: change.after_unknown.clone(),
        sensitive: change.sensitive,
    }
}

/// The report as text, grouped by resource.
pub fn text(report: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if !report.drifted {
        let _ = writeln!(
            out,
            "No drift: the {} live resources of stack `{}` match the spec.",
            report.checked, report.stack
        );
        return out;
    }
    for change in &report.existing {
        let _ = writeln!(out, "<= {change}");
    }
    let _ = writeln!(
        out,
        "Drift in stack `{}` ({} resources read):",
        report.stack, report.checked
    );
    for r in &report.resources {
        let what = match r.drift {
            DriftKind::Deleted => "deleted outside agentfs",
            DriftKind::Changed => "changed outside agentfs",
            DriftKind::NotCreated => "in the spec but never created",
            DriftKind::NotInSpec => "no longer in the spec",
        };
        let _ = writeln!(out, "\n  {}: {what}", r.address);
        for a in &r.attributes {
            let show =
                |v: &Option<serde_json::Value>| v.as_ref().map_or_else(|| "(none)".to_string(), |v| v.to_string());
            let (live, desired) = if a.sensitive {
                ("(sensitive)".into(), "(sensitive)".into())
            } else {
                (
                    show(&a.live),
                    a.desired_unknown.as_ref().map_or_else(
                        || show(&a.desired),
                        |u| u.as_str().map_or_else(|| u.to_string(), String::from),
                    ),
                )
            };
            let _ = writeln!(out, "      {}: live {live}, spec {desired}", a.path);
        }
    }
    let _ = writeln!(
        out,
        "\n`agentfs apply` repairs this; `agentfs refresh` records the live values instead."
    );
    out
}
