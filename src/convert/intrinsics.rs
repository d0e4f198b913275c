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
    /// Resources of types agentfs does not manage: logical id -> CloudFormation type.
    pub unmanaged: BTreeMap<String, String>,
    /// With `--partial`, references to unmanaged resources and imports become variables.
    pub partial: bool,
    /// The spec's stack name and region, which `AWS::StackName` and `AWS::Region` stand for.
    pub stack: String,
    pub region: String,
    /// The template's `Mappings`, for `Fn::FindInMap`.
    pub mappings: Option<Node>,
    /// Variables the conversion needs the user to fill in: name -> what to give.
    pub stand_ins: RefCell<BTreeMap<String, String>>,
    /// Logical id -> the `CidrBlock` the template gives it, for `Fn::Cidr` of a VPC's.
    pub cidr_blocks: BTreeMap<String, Node>,
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
                if self.unmanaged.contains_key(id) {
                    return self.stand_in(id, Some(attribute), line);
                }
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
                    // The stack name and region are fixed by the spec's `[stack]`.
                    Val::Str(s) if !self.known(&s).contains("${") => Ok(Val::List(
                        self.known(&s).split(sep).map(|p| Val::Str(p.to_string())).collect(),
                    )),
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
            "Fn::FindInMap" => self.find_in_map(arg, line),
            "Fn::Cidr" => self.cidr(arg, line),
            "Fn::ImportValue" => {
                let name = self.text(&self.value(arg)?, line)?;
                if !self.partial {
                    return Err(err(
                        line,
                        format!(
                            "`Fn::ImportValue` of `{name}` reads another stack's export; convert with --partial to fill it in as a variable"
                        ),
                    ));
                }
                let var = super::snake(&name.replace(['$', '{', '}', '.'], "_"));
                let var = format!("import_{}", var.trim_matches('_'));
                self.stand_ins.borrow_mut().entry(var.clone()).or_insert(format!(
                    "was `Fn::ImportValue` of `{name}`: give the value that stack exports"
                ));
                Ok(Val::Str(format!("${{var.{var}}}")))
            }
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
        if self.unmanaged.contains_key(id) {
            return self.stand_in(id, None, line);
        }
        Err(err(
            line,
            format!("`Ref` to `{id}`, which the template does not define"),
        ))
    }

    /// A reference to a resource agentfs does not manage: an error saying so, or with
    /// `--partial` a variable named after it, with what to fill in.
    fn stand_in(&self, id: &str, attribute: Option<&str>, line: usize) -> Result<Val, ConvertError> {
        let cfn_type = self.unmanaged.get(id).map_or("", String::as_str);
        if !self.partial {
            return Err(err(
                line,
                format!(
                    "`{id}` is an `{cfn_type}`, which agentfs does not manage (with --partial it becomes a variable to fill in)"
                ),
            ));
        }
        let base = super::snake(id);
        let (name, what) = match attribute {
            Some(a) => (
                format!("{base}_{}", super::snake(a).trim_start_matches('r')),
                format!("its `{a}`"),
            ),
            None => (base, "what `Ref` returns for it".to_string()),
        };
        let name = name.replace("__", "_");
        self.stand_ins.borrow_mut().entry(name.clone()).or_insert(format!(
            "`{id}` is {} `{cfn_type}`, which agentfs does not manage: give {what}",
            super::article(cfn_type)
        ));
        Ok(Val::Str(format!("${{var.{name}}}")))
    }

    /// `${stack}` and `${region}` replaced by the spec's values, for functions that need the text.
    fn known(&self, text: &str) -> String {
        text.replace("${stack}", &self.stack).replace("${region}", &self.region)
    }

    /// `Fn::FindInMap [Map, Top, Second]` of the template's static `Mappings`; the keys may
    /// use `AWS::Region` (the spec's region) and parameters with defaults.
    fn find_in_map(&self, arg: &Node, line: usize) -> Result<Val, ConvertError> {
        let Value::Seq(parts) = &arg.value else {
            return Err(err(
                line,
                "`Fn::FindInMap` takes [map, top-level key, second-level key]",
            ));
        };
        if parts.len() < 3 {
            return Err(err(
                line,
                "`Fn::FindInMap` takes [map, top-level key, second-level key]",
            ));
        }
        let mut keys = Vec::new();
        for part in &parts[..3] {
            let text = match self.value(part)? {
                Val::Str(s) => self.known(&s),
                other => self.text(&other, line)?,
            };
            // A parameter's default decides a key, as for conditions.
            let text = match self
                .parameters
                .iter()
                .find(|(_, (var, _))| text == format!("${{var.{var}}}"))
            {
                Some((id, (_, Some(default)))) => {
                    let value = default.as_str().map(String::from).unwrap_or_default();
                    self.choices.borrow_mut().push(format!(
                        "# Fn::FindInMap at template line {line}: looked up with {id}={value} (its default)."
                    ));
                    value
                }
                _ => text,
            };
            if text.contains("${") {
                return Err(err(
                    line,
                    format!("`Fn::FindInMap` key `{text}` is known only at deploy time"),
                ));
            }
            keys.push(text);
        }
        let found = self
            .mappings
            .as_ref()
            .and_then(|m| m.get(&keys[0]))
            .and_then(|m| m.get(&keys[1]))
            .and_then(|m| m.get(&keys[2]))
            .ok_or_else(|| {
                err(
                    line,
                    format!("`Fn::FindInMap` finds nothing at {}.{}.{}", keys[0], keys[1], keys[2]),
                )
            })?;
        self.value(found)
    }

    /// `Fn::Cidr [block, count, bits]`: `count` subnets of `bits` host bits carved from `block`.
    fn cidr(&self, arg: &Node, line: usize) -> Result<Val, ConvertError> {
        let Value::Seq(parts) = &arg.value else {
            return Err(err(line, "`Fn::Cidr` takes [ipBlock, count, cidrBits]"));
        };
        let [block, count, bits] = parts.as_slice() else {
            return Err(err(line, "`Fn::Cidr` takes [ipBlock, count, cidrBits]"));
        };
        let number = |n: &Node| -> Result<u32, ConvertError> {
            match self.value(n)? {
                Val::Int(i) => u32::try_from(i).map_err(|_| err(line, "`Fn::Cidr` needs small whole numbers")),
                Val::Str(s) => s.parse().map_err(|_| err(line, "`Fn::Cidr` needs literal numbers")),
                _ => Err(err(line, "`Fn::Cidr` needs literal numbers")),
            }
        };
        let (count, bits) = (number(count)?, number(bits)?);
        let block = match self.value(block)? {
            Val::Str(s) => self.literal_default(&s),
            Val::Attr(id, attribute, _) => self.cidr_of(&id, &attribute, line)?,
            _ => return Err(err(line, "`Fn::Cidr` needs a literal CIDR block")),
        };
        let net: ipnet::Ipv4Net = block
            .parse()
            .map_err(|_| err(line, format!("`{block}` is not an IPv4 CIDR block")))?;
        let prefix = 32u8
            .checked_sub(u8::try_from(bits).unwrap_or(u8::MAX))
            .filter(|p| *p >= net.prefix_len())
            .ok_or_else(|| err(line, format!("{bits} host bits do not fit in {net}")))?;
        let subnets: Vec<Val> = net
            .subnets(prefix)
            .map_err(|_| err(line, format!("{bits} host bits do not fit in {net}")))?
            .take(count as usize)
            .map(|n| Val::Str(n.to_string()))
            .collect();
        if subnets.len() < count as usize {
            return Err(err(
                line,
                format!("{net} holds fewer than {count} blocks of {bits} host bits"),
            ));
        }
        Ok(Val::List(subnets))
    }

    /// A parameter reference (`${var.x}`) replaced by the parameter's default, for values that
    /// must be known at conversion (CIDR math).
    fn literal_default(&self, text: &str) -> String {
        self.parameters
            .values()
            .find(|(var, _)| text == format!("${{var.{var}}}"))
            .and_then(|(_, d)| d.as_ref().and_then(Node::as_str).map(String::from))
            .unwrap_or_else(|| text.to_string())
    }

    /// `Fn::GetAtt [Vpc, CidrBlock]` inside `Fn::Cidr`: the block the template gives that VPC.
    fn cidr_of(&self, id: &str, attribute: &str, line: usize) -> Result<String, ConvertError> {
        let not_literal = || {
            err(
                line,
                format!("`Fn::Cidr` of `{id}.{attribute}`, which is not a literal block"),
            )
        };
        let block = self
            .cidr_blocks
            .get(id)
            .filter(|_| attribute == "CidrBlock")
            .ok_or_else(not_literal)?;
        match self.value(block)? {
            Val::Str(s) => Ok(self.literal_default(&s)),
            _ => Err(not_literal()),
        }
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
                && (self.resources.contains_key(id)
                    || self.excluded.contains_key(id)
                    || self.unmanaged.contains_key(id))
            {
                self.not_excluded(id, line)?;
                let v = if self.unmanaged.contains_key(id) {
                    self.stand_in(id, Some(attribute), line)?
                } else {
                    Val::Attr(id.into(), attribute.into(), line)
                };
                out.push_str(&self.text(&v, line)?);
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
