//! `${...}` interpolation in spec strings.
//!
//! A string value may mention the stack's variables (`${stack}`, `${region}`,
//! `${account_id}`) and attributes of other resources (`${subnet.private_a.id}`).
//! Resource mentions become dependency edges; their values are only known once
//! the referenced resource exists, which is what the plan calls "known after apply".
//! `$${` writes a literal `${`.

use std::fmt;

use super::addr::{Addr, Kind};

/// One piece of a parsed template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    Var(Var),
    Attr(AttrRef),
}

/// A stack-wide variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Var {
    Stack,
    Region,
    AccountId,
}

impl Var {
    pub const ALL: [Var; 3] = [Var::Stack, Var::Region, Var::AccountId];

    pub fn name(self) -> &'static str {
        match self {
            Var::Stack => "stack",
            Var::Region => "region",
            Var::AccountId => "account_id",
        }
    }
}

/// A mention of another resource's attribute: `${kind.name.attribute}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttrRef {
    pub addr: Addr,
    pub attribute: String,
}

impl fmt::Display for AttrRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.addr, self.attribute)
    }
}

/// Why a template string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("`${{` at byte {0} is never closed with `}}`")]
    Unclosed(usize),
    #[error("`${{}}` is empty")]
    Empty,
    #[error(
        "unknown variable `${{{0}}}`: use `${{stack}}`, `${{region}}`, `${{account_id}}` or `${{kind.name.attribute}}`"
    )]
    UnknownVariable(String),
    #[error("`${{{0}}}` names an unknown resource kind `{1}`")]
    UnknownKind(String, String),
    #[error("`${{{0}}}` must have the form `${{kind.name.attribute}}`")]
    Malformed(String),
}

/// A parsed string: literal text and interpolations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pub parts: Vec<Part>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(pos) = rest.find('$') {
            let (before, after) = rest.split_at(pos);
            literal.push_str(before);
            if let Some(escaped) = after.strip_prefix("$${") {
                literal.push_str("${");
                rest = escaped;
                offset += pos + 3;
            } else if let Some(inner_start) = after.strip_prefix("${") {
                let end = inner_start.find('}').ok_or(TemplateError::Unclosed(offset + pos))?;
                let inner = inner_start[..end].trim();
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(parse_interpolation(inner)?);
                rest = &inner_start[end + 1..];
                offset += pos + 2 + end + 1;
            } else {
                literal.push('$');
                rest = &after[1..];
                offset += pos + 1;
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template { parts })
    }

    /// The resource attributes this template mentions.
    pub fn attr_refs(&self) -> impl Iterator<Item = &AttrRef> {
        self.parts.iter().filter_map(|part| match part {
            Part::Attr(attr) => Some(attr),
            _ => None,
        })
    }

    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// Substitutes what `lookup` knows; `None` when any piece is still unknown.
    pub fn render(&self, lookup: &dyn Lookup) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Var(var) => out.push_str(&lookup.var(*var)?),
                Part::Attr(attr) => out.push_str(&lookup.attr(attr)?),
            }
        }
        Some(out)
    }

    /// The template with everything `lookup` knows substituted, and `${...}` kept for the rest:
    /// how a value known only in part is shown (`${account_id}.dkr.ecr.us-east-1...`).
    pub fn render_partial(&self, lookup: &dyn Lookup) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(&text.replace("${", "$${")),
                Part::Var(var) => match lookup.var(*var) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&format!("${{{}}}", var.name())),
                },
                Part::Attr(attr) => match lookup.attr(attr) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&attr_expression(&attr.addr, &attr.attribute)),
                },
            }
        }
        out
    }
}

/// Where template values come from: the stack context and resources already applied.
pub trait Lookup {
    fn var(&self, var: Var) -> Option<String>;
    fn attr(&self, attr: &AttrRef) -> Option<String>;
}

/// Builds the `${kind.name.attribute}` text for a reference.
pub fn attr_expression(addr: &Addr, attribute: &str) -> String {
    format!("${{{addr}.{attribute}}}")
}

fn parse_interpolation(inner: &str) -> Result<Part, TemplateError> {
    if inner.is_empty() {
        return Err(TemplateError::Empty);
    }
    if let Some(var) = Var::ALL.into_iter().find(|v| v.name() == inner) {
        return Ok(Part::Var(var));
    }
    let pieces: Vec<&str> = inner.split('.').collect();
    match pieces.as_slice() {
        [kind, name, attribute] if !name.is_empty() && !attribute.is_empty() && !kind.is_empty() => {
            let kind = Kind::from_key(kind).ok_or_else(|| TemplateError::UnknownKind(inner.into(), (*kind).into()))?;
            Ok(Part::Attr(AttrRef {
                addr: Addr::new(kind, *name),
                attribute: (*attribute).to_string(),
            }))
        }
        [_] => Err(TemplateError::UnknownVariable(inner.into())),
        _ => Err(TemplateError::Malformed(inner.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl Lookup for Fixed {
        fn var(&self, var: Var) -> Option<String> {
            match var {
                Var::Stack => Some("fsverify".into()),
                Var::Region => Some("us-east-1".into()),
                Var::AccountId => None,
            }
        }
        fn attr(&self, attr: &AttrRef) -> Option<String> {
            (attr.attribute == "id").then(|| format!("id-of-{}", attr.addr.name))
        }
    }

    #[test]
    fn renders_variables_and_attributes() {
        let t = Template::parse("${stack}-x-${region}/${vpc.main.id}").unwrap();
        assert_eq!(t.render(&Fixed).unwrap(), "fsverify-x-us-east-1/id-of-main");
        assert_eq!(t.attr_refs().count(), 1);
    }

    #[test]
    fn unknown_piece_makes_whole_value_unknown() {
        let t = Template::parse("${stack}-${account_id}").unwrap();
        assert_eq!(t.render(&Fixed), None);
        let t = Template::parse("${vpc.main.arn}").unwrap();
        assert_eq!(t.render(&Fixed), None);
    }

    #[test]
    fn escapes_and_lone_dollars_stay_literal() {
        let t = Template::parse("a$b $${stack} $").unwrap();
        assert!(t.is_literal());
        assert_eq!(t.render(&Fixed).unwrap(), "a$b ${stack} $");
    }

    #[test]
    fn rejects_bad_interpolations() {
        assert_eq!(Template::parse("${stack"), Err(TemplateError::Unclosed(0)));
        assert_eq!(Template::parse("x${}"), Err(TemplateError::Empty));
        assert!(matches!(
            Template::parse("${acount_id}"),
            Err(TemplateError::UnknownVariable(_))
        ));
        assert!(matches!(
            Template::parse("${vpcs.main.id}"),
            Err(TemplateError::UnknownKind(_, _))
        ));
        assert!(matches!(
            Template::parse("${vpc.main}"),
            Err(TemplateError::Malformed(_))
        ));
    }
}
