//! Evaluating a resource's templates against what is known: for the plan (partially)
//! and for the engine (fully, into the kind's typed struct).

use serde_json::Value;

use super::addr::Kind;
use super::template::{Lookup, Template};
use crate::resources::ResourceSpec;

/// A resource's attributes with every knowable template substituted.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    /// The attributes; unknown strings keep their template text.
    pub value: Value,
    /// Paths (`subnets[0]`) whose value is only known after apply, with the expression.
    pub unknown: Vec<(String, String)>,
}

impl Evaluated {
    pub fn is_known(&self) -> bool {
        self.unknown.is_empty()
    }
}

/// Substitutes what `lookup` knows into every string of `value`.
pub fn evaluate(value: &Value, lookup: &dyn Lookup) -> Evaluated {
    let mut unknown = Vec::new();
    let value = walk(value, "", lookup, &mut unknown);
    Evaluated { value, unknown }
}

fn walk(value: &Value, path: &str, lookup: &dyn Lookup, unknown: &mut Vec<(String, String)>) -> Value {
    match value {
        Value::String(text) if text.contains('$') => match Template::parse(text) {
            Ok(t) => match t.render(lookup) {
                Some(rendered) => Value::String(rendered),
                None => {
                    unknown.push((path.to_string(), t.render_partial(lookup)));
                    value.clone()
                }
            },
            Err(_) => value.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| walk(v, &format!("{path}[{i}]"), lookup, unknown))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let child = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    (k.clone(), walk(v, &child, lookup, unknown))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Why a resource's configuration could not be fully evaluated.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("`{path}` = `{expression}` is not known yet")]
    Unknown { path: String, expression: String },
    #[error("evaluated {kind} no longer fits its shape: {source}")]
    Shape {
        kind: Kind,
        #[source]
        source: serde_json::Error,
    },
}

/// Evaluates every template of `spec`; fails if anything is still unknown.
pub fn resolve(spec: &ResourceSpec, lookup: &dyn Lookup) -> Result<ResourceSpec, EvalError> {
    let json = serde_json::to_value(spec).map_err(|source| EvalError::Shape {
        kind: spec.kind(),
        source,
    })?;
    let evaluated = evaluate(&json, lookup);
    if let Some((path, expression)) = evaluated.unknown.into_iter().next() {
        return Err(EvalError::Unknown { path, expression });
    }
    ResourceSpec::deserialize_as(spec.kind(), evaluated.value).map_err(|source| EvalError::Shape {
        kind: spec.kind(),
        source,
    })
}

/// Like [`resolve`], except that an item of a top-level list (a security group's rule) whose
/// only unknowns are references to `late` resources not made yet is left out: what apply makes
/// first, before completing it once they exist.
pub fn resolve_without_late(
    spec: &ResourceSpec,
    lookup: &dyn Lookup,
    late: &std::collections::BTreeSet<super::Addr>,
) -> Result<ResourceSpec, EvalError> {
    if late.is_empty() {
        return resolve(spec, lookup);
    }
    let json = serde_json::to_value(spec).map_err(|source| EvalError::Shape {
        kind: spec.kind(),
        source,
    })?;
    let mut evaluated = evaluate(&json, lookup);
    let mut dropped: Vec<(String, usize)> = Vec::new();
    for (path, expression) in &evaluated.unknown {
        let names_late = Template::parse(expression)
            .map(|t| t.attr_refs().any(|r| late.contains(&r.addr)))
            .unwrap_or(false);
        let item = path
            .split_once('[')
            .and_then(|(list, rest)| Some((list.to_string(), rest.split_once(']')?.0.parse::<usize>().ok()?)));
        match item {
            Some(item) if names_late && !list_is_nested(path, &item.0) => dropped.push(item),
            _ => {
                return Err(EvalError::Unknown {
                    path: path.clone(),
                    expression: expression.clone(),
                });
            }
        }
    }
    dropped.sort();
    dropped.dedup();
    for (list, index) in dropped.iter().rev() {
        if let Some(Value::Array(items)) = evaluated.value.get_mut(list)
            && *index < items.len()
        {
            items.remove(*index);
        }
    }
    evaluated.unknown.clear();
    ResourceSpec::deserialize_as(spec.kind(), evaluated.value).map_err(|source| EvalError::Shape {
        kind: spec.kind(),
        source,
    })
}

/// Whether the list of `path` sits under an object field rather than at the top level.
fn list_is_nested(path: &str, list: &str) -> bool {
    list.contains('.') || !path.starts_with(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::template::{AttrRef, Var};

    struct Known;
    impl Lookup for Known {
        fn var(&self, var: Var) -> Option<String> {
            (var == Var::Region).then(|| "eu-west-1".into())
        }
        fn attr(&self, attr: &AttrRef) -> Option<String> {
            (attr.addr.name == "main").then(|| "vpc-123".into())
        }
    }

    #[test]
    fn partial_evaluation_lists_unknown_paths() {
        let value = serde_json::json!({"vpc": "${vpc.main.id}", "name": "${account_id}-x", "list": ["${region}", "${vpc.other.id}"]});
        let e = evaluate(&value, &Known);
        assert_eq!(e.value["vpc"], "vpc-123");
        assert_eq!(e.value["list"][0], "eu-west-1");
        let paths: Vec<&str> = e.unknown.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["list[1]", "name"]);
    }

    #[test]
    fn resolve_gives_the_typed_spec_with_ids() {
        let typed = |key: &str, json: serde_json::Value| {
            let kind = crate::spec::Kind::from_key(key).unwrap();
            ResourceSpec::deserialize_as(kind, json).unwrap()
        };
        let spec = typed(
            "subnet",
            serde_json::json!({"vpc": "${vpc.main.id}", "cidr_block": "10.0.1.0/24", "az_index": 0}),
        );
        let resolved = serde_json::to_value(resolve(&spec, &Known).unwrap()).unwrap();
        assert_eq!(resolved["vpc"], "vpc-123");
        let other = typed("route_table", serde_json::json!({"vpc": "${vpc.x.id}"}));
        assert!(matches!(resolve(&other, &Known), Err(EvalError::Unknown { .. })));
    }
}
