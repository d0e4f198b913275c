//! CloudFormation intrinsic functions -> agentfs values: `Ref`/`Fn::GetAtt` to references and
//! `${kind.name.attr}`, `Fn::Sub` and `Fn::Join` to templates, pseudo parameters to `${region}`,
//! `${account_id}`, `${stack}`, parameters to `${var.NAME}`, `!Select [N, !GetAZs ""]` to an AZ
//! index, and `Fn::If` where its condition can be decided from literals and parameter defaults.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::ConvertError;
use super::yaml::{Node, Value};

/// A converted property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// A string in agentfs template syntax (`${...}` already escaped where literal).
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    List(Vec<Val>),
    Map(Vec<(String, Val)>),
    /// `Ref` to a resource (by logical id): a reference field takes it as a name.
    Ref(String, usize),
    /// `Fn::GetAtt` of a resource: logical id, attribute, line.
    Attr(String, String, usize),
    /// `!Select [N, !GetAZs ""]`.
    AzIndex(u8),
}

/// What names mean in the template: resources (logical id -> `kind.name`) and parameters.
pub struct Scope {
    pub resources: BTreeMap<String, (String, String)>,
    /// Parameter logical id -> variable name, with its default for conditions.
    pub parameters: BTreeMap<String, (String, Option<Node>)>,
    pub conditions: BTreeMap<String, Node>,
    /// Resources a false `Condition` leaves out: logical id -> why, so a reference to one is
    /// an error that says so rather than "not defined".
    pub excluded: BTreeMap<String, String>,
    /// The `Fn::If` choices made since the last [`Scope::take_choices`], as spec comments: the
    /// choice is fixed at conversion, so the spec must say which branch was taken and why.
    pub choices: RefCell<Vec<String>>,
}

/// A condition decided before deploy, and the parameter defaults it was decided on.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub holds: bool,
    /// `Suffix=cfn, Env=prod`, or `from literals` when no parameter was consulted.
    pub because: String,
}

impl Decision {
    /// `condition IsDefault is true (Suffix=cfn)`.
    pub fn describe(&self, name: &str) -> String {
        format!("condition {name} is {} ({})", self.holds, self.because)
    }
}

fn err(line: usize, message: impl Into<String>) -> ConvertError {
    ConvertError {
        line,
        message: message.into(),
    }
}

impl Scope {
    pub fn value(&self, node: &Node) -> Result<Val, ConvertError> {
        match &node.value {
            Value::Null => Err(err(node.line, "a null value cannot be converted")),
            Value::Bool(b) => Ok(Val::Bool(*b)),
            Value::Int(i) => Ok(Val::Int(*i)),
            Value::Float(f) => Ok(Val::Float(*f)),
            Value::Str(s) => Ok(Val::Str(s.replace("${", "$${"))),
            Value::Seq(items) => items
                .iter()
                .map(|i| self.value(i))
                .collect::<Result<_, _>>()
                .map(Val::List),
            Value::Map(entries) => match entries.as_slice() {
                [(key, arg)] if key == "Ref" || key.starts_with("Fn::") => self.intrinsic(key, arg, node.line),
                _ => entries
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.value(v)?)))
                    .collect::<Result<_, _>>()
                    .map(Val::Map),
            },
        }
    }

    fn intrinsic(&self, name: &str, arg: &Node, line: usize) -> Result<Val, ConvertError> {
        match name {
            "Ref" => {
                let id = arg.as_str().ok_or_else(|| err(line, "`Ref` takes a name"))?;
                self.reference(id, line)
            }
            "Fn::GetAtt" => {
                let (id, attribute) = match &arg.value {
                    Value::Seq(items) if items.len() == 2 => (
                        items[0].as_str().unwrap_or_default(),
                        items[1].as_str().unwrap_or_default(),
                    ),
                    _ => return Err(err(line, "`Fn::GetAtt` takes [LogicalId, Attribute]")),
                };
                self.not_excluded(id, line)?;
                if !self.resources.contains_key(id) {
                    return Err(err(
                        line,
                        format!("`Fn::GetAtt` of `{id}`, which is not a resource of the template"),
                    ));
                }
                Ok(Val::Attr(id.to_string(), attribute.to_string(), line))
            }
            "Fn::Sub" => self.sub(arg, line),
            "Fn::Join" => {
                let Value::Seq(parts) = &arg.value else {
                    return Err(err(line, "`Fn::Join` takes [separator, [values]]"));
                };
                let (Some(sep), Some(list)) = (parts.first().and_then(Node::as_str), parts.get(1)) else {
                    return Err(err(line, "`Fn::Join` takes [separator, [values]]"));
                };
                let Val::List(items) = self.value(list)? else {
                    return Err(err(line, "`Fn::Join` needs a literal list to join"));
                };
                let texts: Vec<String> = items.iter().map(|i| self.text(i, line)).collect::<Result<_, _>>()?;
                Ok(Val::Str(texts.join(&sep.replace("${", "$${"))))
            }
            "Fn::Select" => {
                let Value::Seq(parts) = &arg.value else {
                    return Err(err(line, "`Fn::Select` takes [index, list]"));
                };
                let index = match parts.first().map(|n| &n.value) {
                    Some(Value::Int(i)) => *i,
                    Some(Value::Str(s)) => s.parse().map_err(|_| err(line, "`Fn::Select` needs a literal index"))?,
                    _ => return Err(err(line, "`Fn::Select` needs a literal index")),
                };
                let list = parts
                    .get(1)
                    .ok_or_else(|| err(line, "`Fn::Select` takes [index, list]"))?;
                if list.get("Fn::GetAZs").is_some() {
                    return u8::try_from(index)
                        .map(Val::AzIndex)
                        .map_err(|_| err(line, "AZ index out of range"));
                }
                match self.value(list)? {
                    Val::List(items) => usize::try_from(index)
                        .ok()
                        .and_then(|i| items.get(i).cloned())
                        .ok_or_else(|| err(line, format!("`Fn::Select` index {index} is outside the list"))),
                    _ => Err(err(line, "`Fn::Select` needs a literal list or `!GetAZs`")),
                }
            }
            "Fn::Split" => {
                let Value::Seq(parts) = &arg.value else {
                    return Err(err(line, "`Fn::Split` takes [separator, string]"));
                };
                let (Some(sep), Some(text)) = (parts.first().and_then(Node::as_str), parts.get(1)) else {
                    return Err(err(line, "`Fn::Split` takes [separator, string]"));
                };
                match self.value(text)? {
                    Val::Str(s) if !s.contains("${") => {
                        Ok(Val::List(s.split(sep).map(|p| Val::Str(p.to_string())).collect()))
                    }
                    _ => Err(err(
                        line,
                        "`Fn::Split` of a value known only at deploy time cannot be converted",
                    )),
                }
            }
            "Fn::If" => {
                let Value::Seq(parts) = &arg.value else {
                    return Err(err(line, "`Fn::If` takes [condition, then, else]"));
                };
                let (Some(cond), Some(then), Some(other)) =
                    (parts.first().and_then(Node::as_str), parts.get(1), parts.get(2))
                else {
                    return Err(err(line, "`Fn::If` takes [condition, then, else]"));
                };
                let decision = self.condition(cond, line)?;
                let (branch, value) = if decision.holds {
                    ("first", then)
                } else {
                    ("second", other)
                };
                self.choices.borrow_mut().push(format!(
                    "# Fn::If at template line {line}: {}, so its {branch} value was taken.",
                    decision.describe(cond)
                ));
                self.value(value)
            }
            "Fn::GetAZs" => Err(err(
                line,
                "`Fn::GetAZs` converts only inside `!Select [N, !GetAZs \"\"]`",
            )),
            other => Err(err(line, format!("`{other}` cannot be expressed in an agentfs spec"))),
        }
    }

    fn reference(&self, id: &str, line: usize) -> Result<Val, ConvertError> {
        let pseudo = match id {
            "AWS::Region" => Some("${region}"),
            "AWS::AccountId" => Some("${account_id}"),
            "AWS::StackName" => Some("${stack}"),
            "AWS::Partition" => Some("aws"),
            "AWS::URLSuffix" => Some("amazonaws.com"),
            _ => None,
        };
        if let Some(p) = pseudo {
            return Ok(Val::Str(p.into()));
        }
        self.not_excluded(id, line)?;
        if let Some((var, _)) = self.parameters.get(id) {
            return Ok(Val::Str(format!("${{var.{var}}}")));
        }
        if self.resources.contains_key(id) {
            return Ok(Val::Ref(id.to_string(), line));
        }
        Err(err(
            line,
            format!("`Ref` to `{id}`, which the template does not define"),
        ))
    }

    /// `Fn::Sub`: `${Param}`, `${Resource}`, `${Resource.Attr}`, `${AWS::Region}`, `${!Literal}`.
    fn sub(&self, arg: &Node, line: usize) -> Result<Val, ConvertError> {
        let (text, locals) = match &arg.value {
            Value::Str(s) => (s.as_str(), &[][..]),
            Value::Seq(parts) if parts.len() == 2 => (
                parts[0].as_str().ok_or_else(|| err(line, "`Fn::Sub` takes a string"))?,
                parts[1].entries(),
            ),
            _ => return Err(err(line, "`Fn::Sub` takes a string or [string, {variables}]")),
        };
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| err(line, "`${` without `}` in `Fn::Sub`"))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("$${{{literal}}}"));
            } else if let Some((_, local)) = locals.iter().find(|(k, _)| k == name) {
                let v = self.value(local)?;
                out.push_str(&self.text(&v, line)?);
            } else if let Some((id, attribute)) = name.split_once('.')
                && (self.resources.contains_key(id) || self.excluded.contains_key(id))
            {
                self.not_excluded(id, line)?;
                out.push_str(&self.text(&Val::Attr(id.into(), attribute.into(), line), line)?);
            } else {
                let v = self.reference(name, line)?;
                out.push_str(&self.text(&v, line)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(Val::Str(out))
    }

    /// A value as text inside a string.
    pub fn text(&self, v: &Val, line: usize) -> Result<String, ConvertError> {
        match v {
            Val::Str(s) => Ok(s.clone()),
            Val::Int(i) => Ok(i.to_string()),
            Val::Float(f) => Ok(f.to_string()),
            Val::Bool(b) => Ok(b.to_string()),
            Val::Ref(id, _) => {
                let (kind, name) = &self.resources[id];
                let attribute = super::own_type(kind).map_or("id", |t| t.ref_attribute);
                Ok(format!("${{{kind}.{name}.{attribute}}}"))
            }
            Val::Attr(id, attribute, _) => {
                let (kind, name) = &self.resources[id];
                Ok(format!(
                    "${{{kind}.{name}.{}}}",
                    attribute_name(kind, id, attribute, line)?
                ))
            }
            Val::AzIndex(_) | Val::List(_) | Val::Map(_) => {
                Err(err(line, "a list, map or AZ cannot be used inside a string"))
            }
        }
    }

    /// Takes the `Fn::If` comments recorded since the last call.
    pub fn take_choices(&self) -> Vec<String> {
        self.choices.take()
    }

    /// An error when `id` is a resource a false `Condition` left out.
    pub fn not_excluded(&self, id: &str, line: usize) -> Result<(), ConvertError> {
        match self.excluded.get(id) {
            Some(why) => Err(err(
                line,
                format!(
                    "reference to `{id}`, which is left out because {why}; guard the reference with `Fn::If` on that condition"
                ),
            )),
            None => Ok(()),
        }
    }

    /// Decides the named condition from literals and parameter defaults.
    pub fn condition(&self, name: &str, line: usize) -> Result<Decision, ConvertError> {
        let mut consulted = Vec::new();
        let holds = self.named(name, line, &mut consulted)?;
        let because = if consulted.is_empty() {
            "from literals".to_string()
        } else {
            consulted.join(", ")
        };
        Ok(Decision { holds, because })
    }

    fn named(&self, name: &str, line: usize, consulted: &mut Vec<String>) -> Result<bool, ConvertError> {
        let node = self
            .conditions
            .get(name)
            .ok_or_else(|| err(line, format!("condition `{name}` is not defined")))?;
        self.decide(node, consulted)
    }

    /// Decides a condition from literals and parameter defaults, noting each parameter
    /// consulted as `Param=value` in `consulted`.
    fn decide(&self, node: &Node, consulted: &mut Vec<String>) -> Result<bool, ConvertError> {
        let line = node.line;
        let [(key, arg)] = node.entries() else {
            return Err(err(
                line,
                "a condition must be one `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` or `Condition`",
            ));
        };
        let items = match &arg.value {
            Value::Seq(items) => items.as_slice(),
            _ => std::slice::from_ref(arg),
        };
        match key.as_str() {
            "Fn::Equals" if items.len() == 2 => {
                Ok(self.literal(&items[0], consulted)? == self.literal(&items[1], consulted)?)
            }
            "Fn::Not" if items.len() == 1 => Ok(!self.decide(&items[0], consulted)?),
            "Fn::And" => items
                .iter()
                .try_fold(true, |acc, i| Ok(acc && self.decide(i, consulted)?)),
            "Fn::Or" => items
                .iter()
                .try_fold(false, |acc, i| Ok(acc || self.decide(i, consulted)?)),
            "Condition" => self.named(arg.as_str().unwrap_or_default(), line, consulted),
            other => Err(err(line, format!("condition function `{other}` cannot be decided"))),
        }
    }

    /// A condition operand: a literal, or a parameter's default.
    fn literal(&self, node: &Node, consulted: &mut Vec<String>) -> Result<String, ConvertError> {
        if let Some(id) = node.get("Ref").and_then(Node::as_str) {
            return match self.parameters.get(id) {
                Some((_, Some(default))) => {
                    let value = self.literal(default, consulted)?;
                    let note = format!("{id}={value}");
                    if !consulted.contains(&note) {
                        consulted.push(note);
                    }
                    Ok(value)
                }
                _ => Err(err(
                    node.line,
                    format!(
                        "the condition depends on `{id}`, which has no default: it can only be decided at deploy time"
                    ),
                )),
            };
        }
        match &node.value {
            Value::Str(s) => Ok(s.clone()),
            Value::Int(i) => Ok(i.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(err(
                node.line,
                "the condition compares a value that is not known before deploy",
            )),
        }
    }
}

/// A `Fn::GetAtt` attribute as the kind's attribute, by the kind's table
/// ([`crate::spec::cfn::CfnType::attributes`]).
pub fn attribute_name(kind: &str, id: &str, attribute: &str, line: usize) -> Result<String, ConvertError> {
    let own = super::own_type(kind);
    if let Some(a) = own.and_then(|t| t.attribute(attribute)) {
        return Ok(a.to_string());
    }
    let known: Vec<&str> = own
        .map(|t| t.attributes.iter().map(|(a, _)| *a).collect())
        .unwrap_or_default();
    Err(err(
        line,
        format!(
            "`Fn::GetAtt` `{id}.{attribute}`: agentfs records no such attribute of a {kind} (it records {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ),
    ))
}
