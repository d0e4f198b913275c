//! One resource's properties -> its kind's fields, by the kind's own table
//! ([`crate::spec::cfn`]). This module names no kind: every type, property path, field and
//! refusal comes from the registry.

use toml::Value as Toml;

use super::ConvertError;
use super::intrinsics::{Scope, Val};
use super::yaml::{Node, Value};
use crate::spec::cfn::{CfnType, To, parse_bool};

/// A property value with its intrinsics resolved, each part keeping its template line.
#[derive(Debug, Clone)]
pub struct Tree {
    pub line: usize,
    pub value: Part,
}

#[derive(Debug, Clone)]
pub enum Part {
    Leaf(Val),
    Map(Vec<(String, Tree)>),
    Seq(Vec<Tree>),
}

fn err(line: usize, message: impl Into<String>) -> ConvertError {
    ConvertError {
        line,
        message: message.into(),
    }
}

fn is_intrinsic(entries: &[(String, Node)]) -> bool {
    matches!(entries, [(key, _)] if key == "Ref" || key.starts_with("Fn::"))
}

/// Resolves intrinsics wherever they stand, keeping the lines of plain maps and lists; every
/// value that cannot be resolved is an error in `errors` (all of them, not just the first).
pub fn resolve(scope: &Scope, node: &Node, errors: &mut Vec<ConvertError>) -> Tree {
    let value = match &node.value {
        Value::Map(entries) if !is_intrinsic(entries) => Part::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), resolve(scope, v, errors)))
                .collect(),
        ),
        Value::Seq(items) => Part::Seq(items.iter().map(|i| resolve(scope, i, errors)).collect()),
        _ => match scope.value(node) {
            Ok(v) => return from_val(v, node.line),
            Err(e) => {
                errors.push(e);
                Part::Leaf(Val::Str(String::new()))
            }
        },
    };
    Tree { line: node.line, value }
}

fn from_val(v: Val, line: usize) -> Tree {
    let value = match v {
        Val::List(items) => Part::Seq(items.into_iter().map(|i| from_val(i, line)).collect()),
        Val::Map(entries) => Part::Map(entries.into_iter().map(|(k, v)| (k, from_val(v, line))).collect()),
        other => Part::Leaf(other),
    };
    Tree { line, value }
}

/// What one resource became.
#[derive(Debug, Default)]
pub struct Mapped {
    pub fields: toml::Table,
    /// Logical ids its fields reference (so a `DependsOn` on them is already implied).
    pub refs: Vec<String>,
    /// For a folded type: the logical id of the resource it is part of.
    pub parent: Option<String>,
    /// Properties agentfs cannot express, with the reason: errors, or with `--partial`
    /// comments in the spec.
    pub refused: Vec<ConvertError>,
    /// What the spec should say about how a field was filled in.
    pub comments: Vec<String>,
    /// Values for list fields of other resources of the template ([`To::AddTo`]).
    pub additions: Vec<Addition>,
}

/// A value this resource adds to a list field of another resource.
#[derive(Debug)]
pub struct Addition {
    /// The logical id of the resource that takes the value.
    pub target: String,
    pub field: &'static str,
    pub value: Toml,
    pub line: usize,
}

/// Maps the `Properties` of one resource of `cfn`'s type. Every property present ends as a
/// field, a refusal or an error; the errors are all reported.
pub fn resource(
    scope: &Scope,
    cfn: &'static CfnType,
    id: &str,
    props: Option<&Node>,
) -> Result<Mapped, Vec<ConvertError>> {
    let mut m = Mapper {
        scope,
        cfn,
        id,
        out: Mapped::default(),
        errors: Vec::new(),
    };
    if let Some(node) = props {
        let tree = resolve(scope, node, &mut m.errors);
        if m.errors.is_empty() {
            if let Some(fold) = cfn.fold {
                m.parent(&tree, fold.parent);
            }
            m.walk(&tree, "", &mut Vec::new());
        }
    }
    if let Some(fold) = cfn.fold
        && m.out.parent.is_none()
        && m.errors.is_empty()
    {
        m.errors.push(err(
            props.map_or(0, |p| p.line),
            format!("{} needs `{}`", cfn.type_name, fold.parent),
        ));
    }
    if let Some((field, name)) = cfn.generated_name
        && !m.out.fields.contains_key(field)
    {
        let generated = name(id);
        m.out.comments.push(format!(
            "# No name in the template: CloudFormation would generate one; agentfs names it `{generated}`, the same on every apply."
        ));
        m.out.fields.insert(field.to_string(), Toml::String(generated));
    }
    if let Some(finish) = cfn.finish
        && let Err(e) = finish(&mut m.out.fields)
    {
        m.errors.push(err(props.map_or(0, |p| p.line), e));
    }
    if m.errors.is_empty() { Ok(m.out) } else { Err(m.errors) }
}

struct Mapper<'a> {
    scope: &'a Scope,
    cfn: &'static CfnType,
    id: &'a str,
    out: Mapped,
    errors: Vec<ConvertError>,
}

impl Mapper<'_> {
    fn parent(&mut self, tree: &Tree, key: &str) {
        let Part::Map(entries) = &tree.value else { return };
        let Some((_, node)) = entries.iter().find(|(k, _)| k == key) else {
            return;
        };
        match &node.value {
            Part::Leaf(Val::Ref(id, _) | Val::Attr(id, _, _)) => self.out.parent = Some(id.clone()),
            _ => self
                .errors
                .push(err(node.line, format!("`{key}` must name a resource of this template"))),
        }
    }

    fn walk(&mut self, tree: &Tree, path: &str, idx: &mut Vec<usize>) {
        if let Some(prop) = self.cfn.prop(path) {
            if let Err(e) = self.apply(prop.to, tree, path, idx) {
                self.errors.push(e);
            }
            if !matches!(prop.to, To::Flag(_)) {
                return;
            }
        }
        match &tree.value {
            Part::Map(entries) => {
                for (key, child) in entries {
                    let at = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    if self.cfn.prop(&at).is_none() && !self.cfn.has_beneath(&at) {
                        self.errors.push(err(
                            child.line,
                            format!("property `{at}` is not a property of {}", self.cfn.type_name),
                        ));
                        continue;
                    }
                    self.walk(child, &at, idx);
                }
            }
            Part::Seq(items) => {
                let at = format!("{path}[]");
                for (i, item) in items.iter().enumerate() {
                    idx.push(i);
                    self.walk(item, &at, idx);
                    idx.pop();
                }
            }
            Part::Leaf(v) if !path.is_empty() && self.cfn.prop(path).is_none() => {
                let what = if self.cfn.has_beneath(&format!("{path}[]")) {
                    "a list"
                } else {
                    "an object"
                };
                let got = match v {
                    Val::Str(s) if s.contains("${var.") => " (a parameter cannot stand for it)",
                    _ => "",
                };
                self.errors.push(err(
                    tree.line,
                    format!("`{path}` of {} must be {what}{got}", self.cfn.type_name),
                ));
            }
            Part::Leaf(_) => {}
        }
    }

    fn set(&mut self, field: &str, idx: &[usize], value: Toml, line: usize) -> Result<(), ConvertError> {
        set(&mut self.out.fields, field, idx, value).map_err(|e| err(line, e))
    }

    fn apply(&mut self, to: To, tree: &Tree, path: &str, idx: &[usize]) -> Result<(), ConvertError> {
        let line = tree.line;
        let type_name = self.cfn.type_name;
        match to {
            To::Field(field) => {
                let value = self.to_toml(tree)?;
                self.set(field, idx, value, line)
            }
            To::StringMap(field) => {
                let Part::Map(entries) = &tree.value else {
                    return Err(err(line, format!("`{path}` must be a map of strings")));
                };
                let mut table = toml::Table::new();
                for (k, v) in entries {
                    table.insert(k.clone(), self.text_value(v)?);
                }
                self.set(field, idx, Toml::Table(table), line)
            }
            To::Bool(field) => {
                let value = match self.leaf(tree, path)? {
                    Val::Bool(b) => Toml::Boolean(*b),
                    Val::Str(s) if parse_bool(s).is_some() => Toml::Boolean(parse_bool(s).unwrap_or_default()),
                    Val::Str(s) if s.contains("${") => Toml::String(s.clone()),
                    other => return Err(err(line, format!("`{path}` must be true or false, not {other:?}"))),
                };
                self.set(field, idx, value, line)
            }
            To::Int(field) => {
                let value = match self.leaf(tree, path)? {
                    Val::Int(i) => Toml::Integer(*i),
                    Val::Str(s) if s.trim().parse::<i64>().is_ok() => {
                        Toml::Integer(s.trim().parse().unwrap_or_default())
                    }
                    Val::Str(s) if s.contains("${") => Toml::String(s.clone()),
                    _ => return Err(err(line, format!("`{path}` must be a whole number"))),
                };
                self.set(field, idx, value, line)
            }
            To::Ref(field, kind) => {
                let v = self.leaf(tree, path)?.clone();
                let name = self.reference(&v, line, kind, path)?;
                self.set(field, idx, name, line)
            }
            To::RefOrSelf {
                field,
                kind,
                self_field,
            } => {
                let v = self.leaf(tree, path)?.clone();
                match &v {
                    Val::Ref(id, _) | Val::Attr(id, _, _) if Some(id) == self.out.parent.as_ref() => {
                        self.set(self_field, idx, Toml::Boolean(true), line)
                    }
                    _ => {
                        let name = self.reference(&v, line, kind, path)?;
                        self.set(field, idx, name, line)
                    }
                }
            }
            To::Pairs { field, key, value } => {
                let Part::Seq(items) = &tree.value else {
                    return Err(err(line, format!("`{path}` must be a list of {{{key}, {value}}}")));
                };
                let mut table = toml::Table::new();
                for item in items {
                    let Part::Map(entries) = &item.value else {
                        return Err(err(item.line, format!("`{path}` must be a list of {{{key}, {value}}}")));
                    };
                    for (k, v) in entries {
                        if k != key && k != value {
                            return Err(err(
                                v.line,
                                format!("property `{path}[].{k}` is not a property of {type_name}"),
                            ));
                        }
                    }
                    let get = |k: &str| entries.iter().find(|(n, _)| n == k).map(|(_, v)| v);
                    let (Some(k), Some(v)) = (get(key), get(value)) else {
                        return Err(err(item.line, format!("each item of `{path}` needs {key} and {value}")));
                    };
                    let Part::Leaf(kv) = &k.value else {
                        return Err(err(k.line, format!("`{path}[].{key}` must be a string")));
                    };
                    let v = match &v.value {
                        Part::Leaf(_) => self.text_value(v)?,
                        _ => self.to_toml(v)?,
                    };
                    table.insert(self.scope.text(kv, k.line)?, v);
                }
                self.set(field, idx, Toml::Table(table), line)
            }
            To::Flag(field) => self.set(field, idx, Toml::Boolean(true), line),
            To::Parent => Ok(()),
            To::Az { name, index } => match self.leaf(tree, path)? {
                Val::AzIndex(i) => {
                    let i = i64::from(*i);
                    self.set(index, idx, Toml::Integer(i), line)
                }
                _ => {
                    let value = self.to_toml(tree)?;
                    self.set(name, idx, value, line)
                }
            },
            To::Only(values) => {
                let v = self.leaf(tree, path)?.clone();
                let text = self.scope.text(&v, line)?;
                if values.iter().any(|a| a.eq_ignore_ascii_case(&text)) {
                    Ok(())
                } else {
                    let accepted: Vec<String> = values.iter().map(|a| format!("`{a}`")).collect();
                    Err(err(
                        line,
                        format!(
                            "`{path}` of {type_name} is `{text}`; agentfs does only {}",
                            accepted.join(" or ")
                        ),
                    ))
                }
            }
            To::With(field, f) => {
                let v = self.leaf(tree, path)?.clone();
                let text = self.scope.text(&v, line)?;
                let value = f(&text).map_err(|e| err(line, format!("`{path}`: {e}")))?;
                self.set(field, idx, value, line)
            }
            To::AddTo { kind, field, attribute } => {
                let target = match self.leaf(tree, path)? {
                    Val::Ref(id, _) | Val::Attr(id, _, _) => id.clone(),
                    _ => {
                        return Err(err(
                            line,
                            format!("`{path}` of {type_name}: expected a `Ref` to a {kind} of this template"),
                        ));
                    }
                };
                match self.scope.resources.get(&target) {
                    Some((k, _)) if k == kind => {}
                    Some((k, _)) => {
                        return Err(err(line, format!("`{target}` is a {k}, but a {kind} is needed here")));
                    }
                    None => return Err(err(line, format!("`{target}` is not a resource of this template"))),
                }
                let (own_kind, own_name) = self
                    .scope
                    .resources
                    .get(self.id)
                    .ok_or_else(|| err(line, format!("`{}` is not a resource of this template", self.id)))?;
                self.out.additions.push(Addition {
                    target,
                    field,
                    value: Toml::String(format!("${{{own_kind}.{own_name}.{attribute}}}")),
                    line,
                });
                Ok(())
            }
            To::Refuse(reason) => {
                self.out.refused.push(err(
                    line,
                    format!("property `{path}` of {type_name} cannot be expressed: {reason}"),
                ));
                Ok(())
            }
        }
    }

    fn leaf<'t>(&self, tree: &'t Tree, path: &str) -> Result<&'t Val, ConvertError> {
        match &tree.value {
            Part::Leaf(v) => Ok(v),
            _ => Err(err(tree.line, format!("`{path}` must be a single value"))),
        }
    }

    /// A field naming another resource of `kind`: `Ref` (or `Fn::GetAtt`) -> its name.
    fn reference(&mut self, v: &Val, line: usize, kind: &str, path: &str) -> Result<Toml, ConvertError> {
        let id = match v {
            Val::Ref(id, _) | Val::Attr(id, _, _) => id,
            _ => {
                return Err(err(
                    line,
                    format!(
                        "`{path}` of {}: expected a `Ref` to a {kind} of this template",
                        self.cfn.type_name
                    ),
                ));
            }
        };
        let (target_kind, name) = self
            .scope
            .resources
            .get(id)
            .ok_or_else(|| err(line, format!("`{id}` is not a resource of this template")))?;
        if target_kind != kind {
            return Err(err(
                line,
                format!("`{id}` is a {target_kind}, but a {kind} is needed here"),
            ));
        }
        self.out.refs.push(id.clone());
        Ok(Toml::String(name.clone()))
    }

    /// A scalar as text (`1` -> `"1"`), as CloudFormation passes tag and variable values.
    fn text_value(&self, tree: &Tree) -> Result<Toml, ConvertError> {
        match &tree.value {
            Part::Leaf(v) => Ok(Toml::String(self.scope.text(v, tree.line)?)),
            _ => Err(err(tree.line, "a map or list cannot be a string value")),
        }
    }

    fn to_toml(&self, tree: &Tree) -> Result<Toml, ConvertError> {
        Ok(match &tree.value {
            Part::Seq(items) => Toml::Array(items.iter().map(|i| self.to_toml(i)).collect::<Result<_, _>>()?),
            Part::Map(entries) => {
                let mut t = toml::Table::new();
                for (k, v) in entries {
                    t.insert(k.clone(), self.to_toml(v)?);
                }
                Toml::Table(t)
            }
            Part::Leaf(v) => match v {
                Val::Int(i) => Toml::Integer(*i),
                Val::Float(f) => Toml::Float(*f),
                Val::Bool(b) => Toml::Boolean(*b),
                Val::AzIndex(_) => {
                    return Err(err(
                        tree.line,
                        "`!Select [N, !GetAZs]` only converts as a subnet's AvailabilityZone",
                    ));
                }
                other => Toml::String(self.scope.text(other, tree.line)?),
            },
        })
    }
}

/// Sets `path` (`a.b[].c`) in `table`, each `[]` taking the next of `idx`. Indices beyond the
/// field's lists must be 0: the field holds one item where CloudFormation allows a list.
pub fn set(table: &mut toml::Table, path: &str, idx: &[usize], value: Toml) -> Result<(), String> {
    let segments: Vec<&str> = path.split('.').collect();
    let lists = segments.iter().filter(|s| s.ends_with("[]")).count();
    if idx.iter().skip(lists).any(|&i| i != 0) {
        return Err(format!("`{path}` holds one item; the template gives more"));
    }
    let mut indices = idx.iter().copied();
    let mut current = table;
    for (n, segment) in segments.iter().enumerate() {
        let last = n + 1 == segments.len();
        if let Some(key) = segment.strip_suffix("[]") {
            let i = indices.next().unwrap_or(0);
            let Toml::Array(items) = current.entry(key).or_insert_with(|| Toml::Array(Vec::new())) else {
                return Err(format!("`{key}` is set twice"));
            };
            while items.len() <= i {
                items.push(Toml::Table(toml::Table::new()));
            }
            if last {
                items[i] = value;
                return Ok(());
            }
            current = items[i].as_table_mut().ok_or_else(|| format!("`{key}` is set twice"))?;
        } else if last {
            current.insert((*segment).to_string(), value);
            return Ok(());
        } else {
            current = current
                .entry(*segment)
                .or_insert_with(|| Toml::Table(toml::Table::new()))
                .as_table_mut()
                .ok_or_else(|| format!("`{segment}` is set twice"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_follows_list_indices_and_refuses_extra_items() {
        let mut t = toml::Table::new();
        set(&mut t, "filesystem[].mount_path", &[1], Toml::String("/b".into())).unwrap();
        set(&mut t, "filesystem[].mount_path", &[0], Toml::String("/a".into())).unwrap();
        set(&mut t, "a.b", &[], Toml::Integer(1)).unwrap();
        assert_eq!(t["filesystem"][0]["mount_path"].as_str(), Some("/a"));
        assert_eq!(t["filesystem"][1]["mount_path"].as_str(), Some("/b"));
        assert_eq!(t["a"]["b"].as_integer(), Some(1));
        assert!(set(&mut t, "encryption", &[1], Toml::String("x".into())).is_err());
        assert!(set(&mut t, "encryption", &[0], Toml::String("x".into())).is_ok());
    }
}
