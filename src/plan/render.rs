//! The plan as a person reads it: grouped by layer, in dependency order, with what
//! each resource gets and what is only known after apply.

use std::fmt::Write;

use serde_json::Value;

use super::{Action, AttributeChange, Plan, ResourceChange};
use crate::lang::Group;

const GROUPS: [Group; 4] = [Group::Network, Group::Identity, Group::Storage, Group::Compute];

/// Renders the plan as text. `verbose` also lists resources with no change.
pub fn text(plan: &Plan, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Plan for stack `{}` in {}:", plan.stack, plan.region);
    reads(&mut out, plan);
    if !plan.stack_refs.is_empty() {
        let _ = writeln!(out, "\nRead from other stacks' recorded outputs (read-only, no lock):");
        for used in &plan.stack_refs {
            let value = match &used.value {
                Some(value) if !used.sensitive => show(value),
                _ => "(sensitive)".into(),
            };
            let _ = writeln!(out, "  {} = {value}  (from {})", used.reference, used.from);
        }
    }
    if !plan.summary.has_changes() {
        let _ = writeln!(
            out,
            "\nNo changes. The live stack matches the spec ({} resources).",
            plan.summary.no_op
        );
        left_out(&mut out, plan);
        return out;
    }
    let _ = writeln!(
        out,
        "Resources are applied in dependency order; each starts once the ones it names are done (\"wave\" = depth)."
    );
    for group in GROUPS {
        let changes: Vec<&ResourceChange> = plan
            .changes
            .iter()
            .filter(|c| {
                c.group == group
                    && !matches!(c.action, Action::Delete | Action::Forget)
                    && (verbose || c.action != Action::NoOp || !c.deposed.is_empty() || c.moved_from.is_some())
            })
            .collect();
        if changes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}", group.title());
        for change in changes {
            resource(&mut out, change);
        }
    }
    let deletes: Vec<&ResourceChange> = plan.changes.iter().filter(|c| c.action == Action::Delete).collect();
    if !deletes.is_empty() {
        let _ = writeln!(out, "\nRemoved from the spec (deleted, dependents first)");
        for change in deletes {
            resource(&mut out, change);
        }
    }
    let forgotten: Vec<&ResourceChange> = plan.changes.iter().filter(|c| c.action == Action::Forget).collect();
    if !forgotten.is_empty() {
        let _ = writeln!(
            out,
            "\nNo longer managed (forgotten from the state, left in AWS as they are)"
        );
        for change in forgotten {
            resource(&mut out, change);
        }
    }
    if !plan.outputs.is_empty() {
        let _ = writeln!(out, "\nOutputs");
        for output in &plan.outputs {
            let value = match (&output.value, &output.value_unknown, output.sensitive) {
                (_, _, true) => "(sensitive)".to_string(),
                (Some(v), _, _) => show(v),
                (None, Some(e), _) => format!("(known after apply: {e})"),
                (None, None, _) => "(unknown)".into(),
            };
            let _ = writeln!(out, "  {} = {value}", output.name);
        }
    }
    left_out(&mut out, plan);
    let s = plan.summary;
    let mut state_only = String::new();
    if s.moved > 0 {
        state_only.push_str(&format!(", {} to move", s.moved));
    }
    if s.import > 0 {
        state_only.push_str(&format!(", {} to import", s.import));
    }
    if s.forget > 0 {
        state_only.push_str(&format!(", {} no longer managed", s.forget));
    }
    let _ = writeln!(
        out,
        "\nPlan: {} to create, {} to update, {} to replace, {} to delete{state_only}, {} unchanged.",
        s.create, s.update, s.replace, s.delete, s.no_op
    );
    out
}

/// Existing resources, shown as Terraform shows data sources: read, never changed.
fn reads(out: &mut String, plan: &Plan) {
    if plan.reads.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nExisting resources (read, never created, changed or deleted)");
    for read in &plan.reads {
        let id = read.id.as_deref().unwrap_or("(read at apply)");
        let how = if read.literal {
            "literal id".to_string()
        } else {
            format!("found by {}", read.selector)
        };
        let _ = writeln!(out, "  <= {}  read: {id}  ({how})", read.address);
        for (key, value) in read.attributes.iter().filter(|(k, _)| *k != "id") {
            let _ = writeln!(out, "       {key} = {value:?}");
        }
        for change in &read.changes {
            let _ = writeln!(out, "       ! {change}");
        }
    }
}

/// The resources with changes that `--target` / `--exclude` leave out of this run.
fn left_out(out: &mut String, plan: &Plan) {
    if plan.left_out.is_empty() {
        return;
    }
    let names: Vec<String> = plan.left_out.iter().map(|a| a.to_string()).collect();
    let _ = writeln!(
        out,
        "\nLeft out because of --target / --exclude (their changes wait for a run without them): {}",
        names.join(", ")
    );
}

fn resource(out: &mut String, change: &ResourceChange) {
    let (symbol, verb) = match change.action {
        Action::Replace if change.create_before_destroy => ("+/-", "replace, new copy first"),
        Action::NoOp if change.moved_from.is_some() => ("->", "moved"),
        Action::Create if change.import_id.is_some() => ("<=", "import"),
        Action::NoOp if !change.deposed.is_empty() => ("-", "old copy deleted"),
        action => (action.symbol(), action.verb()),
    };
    let _ = writeln!(out, "  {symbol} {}  ({verb}, wave {})", change.address, change.wave);
    for reason in &change.reasons {
        let _ = writeln!(out, "      # {reason}");
    }
    for id in &change.deposed {
        let _ = writeln!(
            out,
            "      # the old copy {id}, left by an earlier replace, is deleted once nothing uses it"
        );
    }
    if matches!(change.action, Action::Delete | Action::Forget) {
        return;
    }
    let width = change.attributes.iter().map(|a| a.path.len()).max().unwrap_or(0);
    for attr in &change.attributes {
        let _ = writeln!(out, "      {:width$} = {}", attr.path, attribute(attr, change.action));
    }
}

/// `(known after apply: ...)` for a scalar; for a list, every item, known or not.
fn unknown_text(unknown: &serde_json::Value, known: Option<&serde_json::Value>) -> String {
    match unknown {
        serde_json::Value::Array(expressions) => {
            let items: Vec<String> = expressions
                .iter()
                .enumerate()
                .map(|(i, e)| match e.as_str() {
                    Some(e) => format!("(known after apply: {e})"),
                    None => known.and_then(|k| k.get(i)).map_or_else(|| "null".into(), show),
                })
                .collect();
            format!("[{}]", items.join(", "))
        }
        serde_json::Value::String(e) => format!("(known after apply: {e})"),
        other => format!("(known after apply: {other})"),
    }
}

fn attribute(attr: &AttributeChange, action: Action) -> String {
    let after = if attr.sensitive {
        "(sensitive value)".to_string()
    } else if let Some(unknown) = &attr.after_unknown {
        unknown_text(unknown, attr.after.as_ref())
    } else {
        attr.after.as_ref().map_or_else(|| "(removed)".into(), show)
    };
    let forces = if attr.forces_replacement {
        "  # forces replacement"
    } else {
        ""
    };
    if action == Action::Create {
        after
    } else {
        let before = if attr.sensitive {
            "(sensitive value)".into()
        } else {
            attr.before.as_ref().map_or_else(|| "(none)".into(), show)
        };
        format!("{before} -> {after}{forces}")
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}
