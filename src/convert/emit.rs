//! Writes the converted spec: `[variable.*]`, `[stack]`, the resources in the kinds' section
//! order (template order within a kind), then `[output.*]`, each with its comments.

use std::fmt::Write;

use super::Entry;

/// Full-line comments directly above `line` (1-based) in the template, as TOML comments.
pub fn comments_above(text: &str, line: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut at = line.saturating_sub(1);
    // A resource's line is that of its logical id.
    while at > 0 {
        let l = lines.get(at - 1).map(|l| l.trim()).unwrap_or_default();
        if !l.starts_with('#') {
            break;
        }
        out.push(l.to_string());
        at -= 1;
    }
    out.reverse();
    out
}

fn table(prefix: &str, name: &str, fields: &toml::Table) -> String {
    let mut inner = toml::Table::new();
    inner.insert(name.to_string(), toml::Value::Table(fields.clone()));
    let mut outer = toml::Table::new();
    outer.insert(prefix.to_string(), toml::Value::Table(inner));
    toml::to_string(&outer).unwrap_or_default()
}

pub fn spec(
    stack: &str,
    header: &[String],
    variables: &[(String, toml::Table, usize)],
    mut entries: Vec<Entry>,
    outputs: &[(String, toml::Table, Vec<String>)],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Converted from a CloudFormation template by `agentfs convert`.");
    for line in header {
        let _ = writeln!(out, "#{}{line}", if line.is_empty() { "" } else { " " });
    }
    out.push('\n');
    for (name, t, _) in variables {
        out.push_str(&table("variable", name, t));
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "[stack]\nname = \"{stack}\"          # ${{stack}} (was AWS::StackName)\nregion = \"{}\"       # ${{region}}: set the region to deploy to\n",
        super::REGION
    );
    let order = |kind: &str| {
        crate::spec::Kind::ALL
            .iter()
            .position(|k| k.key() == kind)
            .unwrap_or(usize::MAX)
    };
    entries.sort_by_key(|e| (order(e.kind), e.line));
    for e in &entries {
        for c in &e.comments {
            let _ = writeln!(out, "{c}");
        }
        out.push_str(&table(e.kind, &e.name, &e.fields));
        out.push('\n');
    }
    for (name, t, comments) in outputs {
        for c in comments {
            let _ = writeln!(out, "{c}");
        }
        out.push_str(&table("output", name, t));
        out.push('\n');
    }
    out
}
