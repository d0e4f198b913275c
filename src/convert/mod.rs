//! `agentfs convert`: a CloudFormation template -> an agentfs spec a user can read and keep.
//!
//! [`yaml`] loads the template with lines and short-form tags, [`intrinsics`] turns intrinsic
//! functions into references and templates, [`map`] maps each resource's properties by its
//! kind's own table (`Resource::CFN`, see [`crate::spec::cfn`]), and [`emit`] writes the spec
//! in the kinds' section order with the template's comments. Nothing here names a kind.

mod emit;
pub mod intrinsics;
pub mod map;
pub mod yaml;

use std::collections::BTreeMap;

use intrinsics::Scope;
use yaml::{Node, Value};

use crate::spec::Kind;
use crate::spec::cfn::CfnType;

/// The kind and mapping of a CloudFormation type agentfs expresses.
pub fn type_of(type_name: &str) -> Option<(Kind, &'static CfnType)> {
    Kind::ALL
        .iter()
        .find_map(|k| k.cfn().iter().find(|t| t.type_name == type_name).map(|t| (*k, t)))
}

/// The mapping of a kind's own resource type (not one folded into it).
pub fn own_type(kind: &str) -> Option<&'static CfnType> {
    Kind::from_key(kind)?.cfn().iter().find(|t| t.fold.is_none())
}

/// A property or template value that cannot be expressed, at its template line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ConvertError {
    pub line: usize,
    pub message: String,
}

/// Why a template did not convert: every error at once, and the resources left out (which
/// are reported even then).
#[derive(Debug)]
pub struct Failure {
    pub errors: Vec<ConvertError>,
    pub unsupported: Vec<Unsupported>,
}

/// A resource left out, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsupported {
    pub logical_id: String,
    pub cfn_type: String,
    pub line: usize,
    pub reason: String,
}

/// A resource a `Condition` decided false at conversion leaves out (not an error: the
/// template says it does not exist with these parameter defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct Excluded {
    pub logical_id: String,
    pub cfn_type: String,
    /// `condition IsProd is false (Env=dev)`.
    pub reason: String,
}

/// The spec text and what it could not express or left out.
#[derive(Debug)]
pub struct Converted {
    pub spec: String,
    pub unsupported: Vec<Unsupported>,
    pub excluded: Vec<Excluded>,
}

/// One converted resource on its way to the emitter.
pub struct Entry {
    pub kind: &'static str,
    pub name: String,
    pub fields: toml::Table,
    pub comments: Vec<String>,
    pub line: usize,
}

/// `SubnetA` -> `subnet_a`, `VPC` -> `vpc`, `NATGateway` -> `nat_gateway`.
pub fn snake(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if i > 0 && (prev_lower || (next_lower && chars[i - 1].is_ascii_uppercase())) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(*c);
        } else {
            out.push('_');
        }
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, 'r');
    }
    out
}

/// A resource's name from its logical id, without the 8-character hash CDK appends
/// (`TestRuntimeExecutionRoleF819113E` -> `test_runtime_execution_role`).
pub fn resource_name(id: &str) -> String {
    let cut = id.len().saturating_sub(8);
    let (head, tail) = id.split_at(cut);
    let cdk_hash = head.len() >= 2
        && tail.len() == 8
        && tail.chars().all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
        && tail.chars().any(|c| c.is_ascii_digit())
        && head.ends_with(|c: char| c.is_ascii_alphanumeric());
    snake(if cdk_hash { head } else { id })
}

/// A valid stack name (a letter, then letters, digits or hyphens, at most 32) from a file name.
pub fn stack_name(stem: &str) -> String {
    let mut name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    let mut name = name.trim_matches('-').to_ascii_lowercase();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name = format!("stack-{name}");
    }
    name.truncate(32);
    name.trim_end_matches('-').to_string()
}

/// Converts template text. `stack` names the stack. With `partial`, properties agentfs cannot
/// express become comments in the spec instead of errors.
pub fn convert(text: &str, stack: &str, partial: bool) -> Result<Converted, Failure> {
    let fail = |errors: Vec<ConvertError>| Failure {
        errors,
        unsupported: Vec::new(),
    };
    let root = yaml::load(text).map_err(|e| fail(vec![e]))?;
    if let Some(transform) = root.get("Transform") {
        let names: Vec<&str> = match &transform.value {
            Value::Str(s) => vec![s.as_str()],
            Value::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
            _ => Vec::new(),
        };
        if let Some(sam) = names.iter().find(|n| n.starts_with("AWS::Serverless")) {
            return Err(fail(vec![ConvertError {
                line: transform.line,
                message: format!(
                    "this is a SAM template (`Transform: {sam}`); transform it to CloudFormation first (`sam build` then `sam package`, or read the processed template from the CloudFormation console) and convert that"
                ),
            }]));
        }
    }
    let resources = root.get("Resources").ok_or_else(|| {
        fail(vec![ConvertError {
            line: 1,
            message: "the template has no Resources".into(),
        }])
    })?;
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (id, resource) in resources.entries() {
        if !seen.insert(id.as_str()) {
            errors.push(ConvertError {
                line: resource.line,
                message: format!("logical id `{id}` is defined twice (CloudFormation refuses the template)"),
            });
        }
    }
    let mut scope = Scope {
        resources: BTreeMap::new(),
        parameters: BTreeMap::new(),
        conditions: root
            .get("Conditions")
            .map(|c| c.entries().iter().cloned().collect())
            .unwrap_or_default(),
        excluded: BTreeMap::new(),
        choices: Default::default(),
        unmanaged: resources
            .entries()
            .iter()
            .filter(|(_, r)| type_of(cfn_type_name(r)).is_none())
            .map(|(id, r)| (id.clone(), cfn_type_name(r).to_string()))
            .collect(),
        partial,
        stack: stack.to_string(),
        region: REGION.to_string(),
        mappings: root.get("Mappings").cloned(),
        stand_ins: Default::default(),
        cidr_blocks: resources
            .entries()
            .iter()
            .filter_map(|(id, r)| Some((id.clone(), r.get("Properties")?.get("CidrBlock")?.clone())))
            .collect(),
    };
    let mut variables: Vec<(String, toml::Table, usize)> = Vec::new();
    for (id, param) in root.get("Parameters").map(Node::entries).unwrap_or_default() {
        let name = snake(id);
        let mut t = toml::Table::new();
        let declared = param.get("Type").and_then(Node::as_str).unwrap_or("String");
        let var_type = if declared == "Number" { "number" } else { "string" };
        t.insert("type".into(), toml::Value::String(var_type.into()));
        let mut description = param.get("Description").and_then(Node::as_str).map(String::from);
        // Typed parameters name things that exist outside the template; agentfs variables hold
        // their text, and the description says what to give.
        if let Some(note) = parameter_note(declared) {
            description = Some(match description {
                Some(d) => format!("{d} ({note})"),
                None => note,
            });
        }
        if let Some(d) = description {
            t.insert("description".into(), toml::Value::String(d));
        }
        if let Some(default) = param.get("Default") {
            let value = match (&default.value, var_type) {
                (Value::Int(i), "number") => toml::Value::Integer(*i),
                (Value::Int(i), _) => toml::Value::String(i.to_string()),
                (Value::Str(s), "number") => s
                    .parse()
                    .map(toml::Value::Integer)
                    .unwrap_or(toml::Value::String(s.clone())),
                (Value::Str(s), _) => toml::Value::String(s.clone()),
                (Value::Bool(b), _) => toml::Value::String(b.to_string()),
                _ => toml::Value::String(String::new()),
            };
            t.insert("default".into(), value);
        }
        if matches!(
            param.get("NoEcho").map(|n| &n.value),
            Some(Value::Bool(true)) | Some(Value::Str(_))
        ) {
            t.insert("sensitive".into(), toml::Value::Boolean(true));
        }
        scope
            .parameters
            .insert(id.clone(), (name.clone(), param.get("Default").cloned()));
        variables.push((name, t, param.line));
    }

    let mut unsupported = Vec::new();
    let mut excluded = Vec::new();
    // Logical id -> the comment saying which condition held for it.
    let mut held: BTreeMap<String, String> = BTreeMap::new();
    let mut used_names: BTreeMap<(String, String), String> = BTreeMap::new();
    for (id, resource) in resources.entries() {
        let cfn_type = resource.get("Type").and_then(Node::as_str).unwrap_or_default();
        if let Some(cond) = resource.get("Condition") {
            match resource_condition(&scope, id, cond) {
                Ok((name, d)) if d.holds => {
                    held.insert(
                        id.clone(),
                        format!(
                            "# `{id}` has Condition {name}: {}, so it is converted (unconditionally).",
                            d.describe(&name)
                        ),
                    );
                }
                Ok((name, d)) => {
                    scope.excluded.insert(id.clone(), d.describe(&name));
                    excluded.push(Excluded {
                        logical_id: id.clone(),
                        cfn_type: cfn_type.to_string(),
                        reason: d.describe(&name),
                    });
                    continue;
                }
                // Converted anyway so references to it do not add errors of their own.
                Err(e) => errors.push(e),
            }
        }
        match type_of(cfn_type_name(resource)) {
            Some((kind, t)) if t.fold.is_none() => {
                let kind = kind.key();
                let mut name = resource_name(id);
                // Drop a kind word that repeats the kind: `VpcEndpointS3` -> `s3`.
                for word in [format!("{kind}_"), format!("_{kind}")] {
                    if name.len() > word.len() && (name.starts_with(&word) || name.ends_with(&word)) {
                        name = name.replacen(&word, "", 1);
                    }
                }
                if used_names.contains_key(&(kind.to_string(), name.clone())) {
                    name = snake(id);
                }
                used_names.insert((kind.to_string(), name.clone()), id.clone());
                scope.resources.insert(id.clone(), (kind.to_string(), name));
            }
            Some(_) => {}
            None => unsupported.push(Unsupported {
                logical_id: id.clone(),
                cfn_type: cfn_type.to_string(),
                line: resource.line,
                reason: if cfn_type.is_empty() {
                    format!("`{id}` has no Type")
                } else {
                    format!(
                        "`{id}` is {} `{cfn_type}`, which agentfs does not manage",
                        article(cfn_type)
                    )
                },
            }),
        }
    }

    let mut entries: Vec<Entry> = Vec::new();
    let mut refs_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Folded resource -> the resource it is part of, for `DependsOn`.
    let mut folded: BTreeMap<String, String> = BTreeMap::new();
    // Values resources give to list fields of others (a policy's `Roles`), with who gives them.
    let mut additions: Vec<(String, map::Addition)> = Vec::new();
    // Own types first, so folded ones find the entry they fold into.
    for own in [true, false] {
        for (id, resource) in resources.entries() {
            if scope.excluded.contains_key(id) {
                continue;
            }
            let Some((kind, t)) = type_of(cfn_type_name(resource)) else {
                continue;
            };
            if t.fold.is_none() != own {
                continue;
            }
            scope.take_choices();
            let mapped = match map::resource(&scope, t, id, resource.get("Properties")) {
                Ok(m) => m,
                Err(e) => {
                    errors.extend(e);
                    continue;
                }
            };
            let mut comments = mapped.comments.clone();
            if partial {
                for r in &mapped.refused {
                    comments.push(format!("# Left out (template line {}): {}", r.line, r.message));
                }
            } else {
                errors.extend(mapped.refused.iter().cloned());
            }
            let Some(fold) = t.fold else {
                let name = scope.resources[id].1.clone();
                comments.splice(0..0, emit::comments_above(text, resource.line));
                comments.extend(held.get(id).cloned());
                comments.extend(scope.take_choices());
                refs_of.insert(id.clone(), mapped.refs);
                additions.extend(mapped.additions.into_iter().map(|a| (id.clone(), a)));
                entries.push(Entry {
                    kind: kind.key(),
                    name,
                    fields: mapped.fields,
                    comments,
                    line: resource.line,
                });
                continue;
            };
            let parent = mapped.parent.unwrap_or_default();
            let target = scope.resources.get(&parent).cloned();
            let Some(entry) = target.and_then(|(k, n)| {
                entries
                    .iter_mut()
                    .find(|e| e.kind == kind.key() && e.kind == k && e.name == n)
            }) else {
                errors.push(ConvertError {
                    line: resource.line,
                    message: format!(
                        "`{id}` ({}) is part of a {}, but `{parent}` is not one that was converted",
                        t.type_name,
                        kind.key()
                    ),
                });
                continue;
            };
            folded.insert(id.clone(), parent.clone());
            match fold.into {
                Some(list) => {
                    let items = entry
                        .fields
                        .entry(list)
                        .or_insert_with(|| toml::Value::Array(Vec::new()));
                    if let toml::Value::Array(items) = items {
                        items.push(toml::Value::Table(mapped.fields));
                    }
                }
                None => {
                    entry.fields.extend(mapped.fields);
                    comments.insert(
                        0,
                        format!(
                            "# `{id}` ({}) is folded in.",
                            t.type_name.rsplit("::").next().unwrap_or_default()
                        ),
                    );
                }
            }
            entry.comments.extend(comments);
            entry.comments.extend(scope.take_choices());
            if let Some(refs) = refs_of.get_mut(&parent) {
                refs.extend(mapped.refs);
            }
        }
    }

    for (from, addition) in additions {
        let target = scope.resources.get(&addition.target).cloned();
        let Some(entry) = target.and_then(|(k, n)| entries.iter_mut().find(|e| e.kind == k && e.name == n)) else {
            errors.push(ConvertError {
                line: addition.line,
                message: format!("`{}` is not a resource that was converted", addition.target),
            });
            continue;
        };
        let items = entry
            .fields
            .entry(addition.field)
            .or_insert_with(|| toml::Value::Array(Vec::new()));
        let toml::Value::Array(items) = items else {
            errors.push(ConvertError {
                line: addition.line,
                message: format!("`{}` of `{}` is not a list", addition.field, addition.target),
            });
            continue;
        };
        if !items.contains(&addition.value) {
            items.push(addition.value);
        }
        entry.comments.push(format!(
            "# `{}` takes `{from}`, which names this resource (template line {}).",
            addition.field, addition.line
        ));
        // The taker now references the giver: a DependsOn between them is implied.
        refs_of.entry(addition.target).or_default().push(from);
    }

    // DependsOn, DeletionPolicy.
    for (id, resource) in resources.entries() {
        let Some((kind, name)) = scope.resources.get(id).cloned() else {
            continue;
        };
        let Some(entry) = entries.iter_mut().find(|e| e.kind == kind && e.name == name) else {
            continue;
        };
        if let Some(depends) = resource.get("DependsOn") {
            let ids: Vec<&str> = match &depends.value {
                Value::Str(s) => vec![s.as_str()],
                Value::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
                _ => Vec::new(),
            };
            let implied = refs_of.get(id).cloned().unwrap_or_default();
            let mut list = Vec::new();
            for dep in ids {
                if implied.iter().any(|r| r == dep) {
                    continue;
                }
                if let Err(e) = scope.not_excluded(dep, depends.line) {
                    errors.push(e);
                    continue;
                }
                if let Some(t) = scope.unmanaged.get(dep) {
                    if partial {
                        entry.comments.push(format!(
                            "# DependsOn `{dep}` dropped: it is an `{t}`, which agentfs does not manage; make sure it exists first."
                        ));
                    } else {
                        errors.push(ConvertError {
                            line: depends.line,
                            message: format!("DependsOn `{dep}`, which is an `{t}`, which agentfs does not manage"),
                        });
                    }
                    continue;
                }
                // Waiting for a folded resource is waiting for the one it is part of.
                let dep = folded.get(dep).map_or(dep, String::as_str);
                if dep == id || implied.iter().any(|r| r == dep) {
                    continue;
                }
                match scope.resources.get(dep) {
                    Some((k, n)) => {
                        let addr = toml::Value::String(format!("{k}.{n}"));
                        if !list.contains(&addr) {
                            list.push(addr);
                        }
                    }
                    None => errors.push(ConvertError {
                        line: depends.line,
                        message: format!("DependsOn `{dep}`, which is not converted"),
                    }),
                }
            }
            if !list.is_empty() {
                entry.fields.insert("depends_on".into(), toml::Value::Array(list));
            }
        }
        let policy = |key: &str| resource.get(key).and_then(Node::as_str).map(String::from);
        let retain = [policy("DeletionPolicy"), policy("UpdateReplacePolicy")]
            .iter()
            .any(|p| p.as_deref() == Some("Retain"));
        if retain {
            let mut lifecycle = toml::Table::new();
            lifecycle.insert("prevent_destroy".into(), toml::Value::Boolean(true));
            entry.fields.insert("lifecycle".into(), toml::Value::Table(lifecycle));
            entry.comments.push(
                "# DeletionPolicy Retain: CloudFormation would leave the resource behind on delete; agentfs refuses\n# to destroy or replace it at all while prevent_destroy is set (remove it to delete)."
                    .into(),
            );
        }
        let force = Kind::from_key(&kind).and_then(|k| {
            k.fields()
                .into_iter()
                .find(|f| f == "force_destroy" || f == "force_delete")
        });
        if let Some(force) = force
            && policy("DeletionPolicy").as_deref() == Some("Delete")
        {
            entry.comments.push(format!(
                "# DeletionPolicy Delete: CloudFormation fails to delete it while it holds data; agentfs does too unless\n# {force} = true, which deletes what it holds first:\n# {force} = true"
            ));
        }
    }

    let mut outputs = Vec::new();
    for (id, output) in root.get("Outputs").map(Node::entries).unwrap_or_default() {
        let Some(value) = output.get("Value") else { continue };
        let mut comments = Vec::new();
        if let Some(cond) = output.get("Condition") {
            match resource_condition(&scope, id, cond) {
                Ok((name, d)) if !d.holds => {
                    excluded.push(Excluded {
                        logical_id: id.clone(),
                        cfn_type: "output".into(),
                        reason: d.describe(&name),
                    });
                    continue;
                }
                Ok((name, d)) => comments.push(format!(
                    "# Output `{id}` has Condition {name}: {}, so it is converted (unconditionally).",
                    d.describe(&name)
                )),
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            }
        }
        scope.take_choices();
        match scope.value(value).and_then(|v| scope.text(&v, value.line)) {
            Ok(text) => {
                comments.extend(scope.take_choices());
                let mut t = toml::Table::new();
                t.insert("value".into(), toml::Value::String(text));
                if let Some(d) = output.get("Description").and_then(Node::as_str) {
                    t.insert("description".into(), toml::Value::String(d.into()));
                }
                outputs.push((snake(id), t, comments));
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        errors.dedup();
        return Err(Failure { errors, unsupported });
    }
    for (name, what) in scope.stand_ins.take() {
        let mut t = toml::Table::new();
        t.insert("type".into(), toml::Value::String("string".into()));
        t.insert("description".into(), toml::Value::String(what));
        if !variables.iter().any(|(n, _, _)| *n == name) {
            variables.push((name, t, 0));
        }
    }
    let description = root.get("Description").and_then(Node::as_str);
    let mut header: Vec<String> = description
        .map(|d| d.lines().map(String::from).collect())
        .unwrap_or_default();
    if !unsupported.is_empty() {
        header.push(String::new());
        header.push("Left out: resources of types agentfs does not manage (type, logical id, template line).".into());
        header.push("References to them are variables below, to fill in with what they are.".into());
        for u in &unsupported {
            header.push(format!("  {}  {}  line {}", u.cfn_type, u.logical_id, u.line));
        }
    }
    Ok(Converted {
        spec: emit::spec(stack, &header, &variables, entries, &outputs),
        unsupported,
        excluded,
    })
}

/// `an` before a vowel (`an AWS::...`), `a` otherwise (`a Custom::...`).
fn article(word: &str) -> &'static str {
    if word.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

/// The region the converted spec names (the user sets the real one); `AWS::Region` in
/// `Fn::FindInMap` and `Fn::Split` is read as this.
pub const REGION: &str = "us-east-1";

/// What a typed parameter's variable must hold, said in its description.
fn parameter_note(declared: &str) -> Option<String> {
    if let Some(inner) = declared.strip_prefix("AWS::SSM::Parameter::Value<") {
        let inner = inner.trim_end_matches('>');
        return Some(format!(
            "was an SSM parameter of type {inner}: give the parameter's value, which CloudFormation read from SSM at deploy"
        ));
    }
    if declared.starts_with("List<") || declared.starts_with("AWS::") {
        let list = declared.starts_with("List<");
        let inner = declared.trim_start_matches("List<").trim_end_matches('>');
        return Some(format!(
            "was a parameter of type {declared}: give {} of an existing {}",
            if list {
                "the comma-separated values"
            } else {
                "the value"
            },
            inner.trim_start_matches("AWS::").replace("::", " ")
        ));
    }
    None
}

fn cfn_type_name(resource: &Node) -> &str {
    resource.get("Type").and_then(Node::as_str).unwrap_or_default()
}

/// Decides a resource's (or output's) `Condition: Name`; an undecidable one is an error at the
/// `Condition` line, with the line of the part that could not be decided.
fn resource_condition(scope: &Scope, id: &str, cond: &Node) -> Result<(String, intrinsics::Decision), ConvertError> {
    let name = cond.as_str().ok_or_else(|| ConvertError {
        line: cond.line,
        message: format!("`Condition` of `{id}` must name a condition"),
    })?;
    scope
        .condition(name, cond.line)
        .map(|d| (name.to_string(), d))
        .map_err(|e| ConvertError {
            line: cond.line,
            message: format!(
                "`{id}` has Condition {name}, which cannot be decided at conversion: {} (line {})",
                e.message, e.line
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdk_hashes_are_dropped_and_long_file_names_make_valid_stack_names() {
        assert_eq!(
            resource_name("TestRuntimeExecutionRoleF819113E"),
            "test_runtime_execution_role"
        );
        assert_eq!(resource_name("PrivateSubnet1"), "private_subnet1");
        assert_eq!(resource_name("ABCDEF12"), "abcdef12");
        let name = stack_name("aws-cdk-bedrock-agentcore-runtime-with-custom-role.template");
        assert!(
            name.len() <= 32 && crate::spec::rules::stack_name(&name).is_ok(),
            "{name}"
        );
        assert_eq!(stack_name("01_vpc"), "stack-01-vpc");
    }

    #[test]
    fn names_from_logical_ids() {
        assert_eq!(snake("SubnetA"), "subnet_a");
        assert_eq!(snake("VPC"), "vpc");
        assert_eq!(snake("NATGateway"), "nat_gateway");
        assert_eq!(snake("PrivateSubnet1"), "private_subnet1");
    }
}
