//! Resources the stack uses but does not own: `existing = { id = "..." }` (or `name`, `arn`,
//! `tags`, scoped by `vpc`) and literal ids written where a reference is expected
//! (`subnets = ["subnet-0abc1234def567890"]`). They are read at plan time, recorded as reads,
//! and never created, changed, tagged or deleted. Each kind says how it can be found
//! ([`ExistingWays`], its `Resource::EXISTING`); nothing here names a kind.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::addr::{Addr, Kind};
use super::kind::Tags;

/// `existing = { ... }`: how to find a resource the stack uses but does not own.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExistingSpec {
    /// The AWS id (`subnet-0abc1234def567890`, `fs-...`, a role's name or id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The AWS name, for kinds that have one (a bucket, a role, a repository).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The ARN, for kinds that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Tags the resource carries (every one must match); exactly one resource may match.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// With `tags`: only resources in this VPC (an existing `vpc` of the spec, or a `vpc-...` id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc: Option<String>,
}

/// How a kind's existing resources are found. `None` for a kind: it cannot be existing.
#[derive(Debug, Clone, Copy)]
pub struct ExistingWays {
    /// The shape of the kind's ids, when it is distinct enough to tell a literal id from a
    /// resource name (`subnet-` followed by 8 or 17 hex digits).
    pub id_shape: Option<IdShape>,
    /// `existing = { id }` is accepted (the kind's `find` takes ids).
    pub id: bool,
    /// `existing = { name }`: the kind's `find` takes names.
    pub name: bool,
    /// `existing = { arn }`, and literal ARNs: the ARN's service, and how `find`'s id follows
    /// from it.
    pub arn: Option<ArnShape>,
    /// `existing = { tags }`, scoped by `vpc` when `in_vpc`.
    pub tags: bool,
    pub in_vpc: bool,
}

impl ExistingWays {
    /// An EC2 resource: found by its `prefix-<hex>` id or by tags.
    pub const fn ec2(prefix: &'static str, in_vpc: bool) -> ExistingWays {
        ExistingWays {
            id_shape: Some(IdShape { prefix }),
            id: true,
            name: false,
            arn: None,
            tags: true,
            in_vpc,
        }
    }

    /// A resource found by its id or ARN (the id after the ARN's last `/`).
    pub const fn by_id(service: &'static str) -> ExistingWays {
        ExistingWays {
            id_shape: None,
            id: true,
            name: false,
            arn: Some(ArnShape {
                service,
                id: last_segment,
            }),
            tags: false,
            in_vpc: false,
        }
    }

    /// A resource found by its name or ARN; `id` turns the ARN into the name.
    pub const fn by_name(service: &'static str, id: fn(&str) -> Option<String>) -> ExistingWays {
        ExistingWays {
            id_shape: None,
            id: false,
            name: true,
            arn: Some(ArnShape { service, id }),
            tags: false,
            in_vpc: false,
        }
    }

    /// What `existing = { ... }` accepts, for messages.
    pub fn describe(&self) -> String {
        let mut ways = Vec::new();
        if self.id {
            ways.push("`id`");
        }
        if self.name {
            ways.push("`name`");
        }
        if self.arn.is_some() {
            ways.push("`arn`");
        }
        if self.tags {
            ways.push(if self.in_vpc { "`tags` (with `vpc`)" } else { "`tags`" });
        }
        ways.join(", ")
    }
}

/// An AWS id that starts with a kind-specific prefix and continues with hex digits.
#[derive(Debug, Clone, Copy)]
pub struct IdShape {
    pub prefix: &'static str,
}

impl IdShape {
    /// As the EC2 documentation writes it.
    pub fn pattern(&self) -> String {
        format!("{}-[0-9a-f]{{8}} or {}-[0-9a-f]{{17}}", self.prefix, self.prefix)
    }

    fn looks_like(&self, text: &str) -> bool {
        text.starts_with(&format!("{}-", self.prefix))
    }

    fn matches(&self, text: &str) -> bool {
        text.strip_prefix(self.prefix)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|hex| {
                matches!(hex.len(), 8 | 17) && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
            })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ArnShape {
    pub service: &'static str,
    /// The id `find` takes, from the ARN.
    pub id: fn(&str) -> Option<String>,
}

impl ArnShape {
    pub fn pattern(&self) -> String {
        format!("arn:aws:{}:REGION:ACCOUNT:RESOURCE", self.service)
    }

    fn matches(&self, text: &str) -> bool {
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        matches!(parts.as_slice(), [arn, partition, service, _, account, resource]
            if *arn == "arn"
                && partition.starts_with("aws")
                && *service == self.service
                && (account.is_empty() || (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())))
                && !resource.is_empty())
            && (self.id)(text).is_some_and(|id| !id.is_empty())
    }
}

/// The part of an ARN after its last `/` (a role's name, a file system's id).
pub fn last_segment(arn: &str) -> Option<String> {
    arn.rsplit_once('/').map(|(_, id)| id.to_string())
}

/// How one existing resource is found, after checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// By the id the kind's `find` takes (an ARN or a name already turned into it); `written`
    /// is how the spec gave it (`name \`x\``, `arn \`...\``), for messages.
    Id { id: String, written: String },
    /// By tags, optionally in a VPC (an id, or the address of an existing VPC).
    Tags { tags: Tags, vpc: Option<Scope> },
}

impl Selector {
    pub fn by_id(id: &str) -> Selector {
        Selector::Id {
            id: id.to_string(),
            written: format!("id `{id}`"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Id(String),
    Existing(Addr),
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selector::Id { written, .. } => f.write_str(written),
            Selector::Tags { tags, vpc } => {
                let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "tags {}", tags.join(", "))?;
                match vpc {
                    Some(Scope::Id(id)) => write!(f, " in {id}"),
                    Some(Scope::Existing(addr)) => write!(f, " in {addr}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// A checked existing resource of the spec.
#[derive(Debug, Clone)]
pub struct Existing {
    pub addr: Addr,
    pub selector: Selector,
    /// Written as a literal id in a reference field rather than declared.
    pub literal: bool,
    /// Existing resources it is scoped by (read first).
    pub deps: BTreeSet<Addr>,
}

/// What a reference field's text is when it names no resource of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// Not an id or ARN: a (dangling) name.
    NotOne,
    /// A well-formed id or ARN: find it with this selector id.
    Valid(String),
    /// Looks like an id or ARN of the kind but is not one; the expected pattern.
    Invalid(String),
}

/// Classifies `text`, written in a field that references a `kind`'s `attribute`.
pub fn literal(kind: Kind, attribute: &str, text: &str) -> Literal {
    let Some(ways) = kind.existing() else {
        return Literal::NotOne;
    };
    if text.starts_with("arn:") {
        return match ways.arn {
            Some(arn) if arn.matches(text) => (arn.id)(text).map_or(Literal::NotOne, Literal::Valid),
            Some(arn) => Literal::Invalid(arn.pattern()),
            None => Literal::NotOne,
        };
    }
    match ways.id_shape {
        Some(shape) if attribute == "id" && shape.looks_like(text) => {
            if shape.matches(text) {
                Literal::Valid(text.to_string())
            } else {
                Literal::Invalid(shape.pattern())
            }
        }
        _ => Literal::NotOne,
    }
}

/// The address a literal id stands for in the graph, the plan and the state: the id itself
/// when it is a valid resource name, else a short name derived from it.
pub fn literal_addr(kind: Kind, text: &str) -> Addr {
    if super::addr::valid_name(text) {
        return Addr::new(kind, text);
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let tail: String = text
        .rsplit(['/', ':'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(40)
        .collect();
    Addr::new(kind, format!("literal-{tail}-{hex}"))
}

/// Why an `existing` table cannot be used, as (field relative to the resource, message, help).
pub fn problems(kind: Kind, spec: &ExistingSpec) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let Some(ways) = kind.existing() else {
        out.push((
            "existing".to_string(),
            format!("a {kind} cannot be existing"),
            "declare it with its fields, or reference a resource of a kind that can be existing".to_string(),
        ));
        return out;
    };
    let given: Vec<&str> = [
        ("id", spec.id.is_some()),
        ("name", spec.name.is_some()),
        ("arn", spec.arn.is_some()),
        ("tags", !spec.tags.is_empty()),
    ]
    .into_iter()
    .filter_map(|(field, set)| set.then_some(field))
    .collect();
    let accepts = ways.describe();
    match given.as_slice() {
        [] => out.push((
            "existing".into(),
            "`existing` says nothing to find the resource by".into(),
            format!("a {kind} is found by {accepts}"),
        )),
        [_] => {}
        [_, second, ..] => out.push((
            format!("existing.{second}"),
            format!("`existing` gives {}; give one", given.join(" and ")),
            format!("a {kind} is found by one of {accepts}"),
        )),
    }
    let unsupported = |field: &str, ok: bool, out: &mut Vec<(String, String, String)>| {
        if !ok {
            out.push((
                format!("existing.{field}"),
                format!("a {kind} cannot be found by `{field}`"),
                format!("a {kind} is found by {accepts}"),
            ));
        }
    };
    if spec.id.is_some() {
        unsupported("id", ways.id, &mut out);
    }
    if spec.name.is_some() {
        unsupported("name", ways.name, &mut out);
    }
    if !spec.tags.is_empty() {
        unsupported("tags", ways.tags, &mut out);
    }
    if let Some(vpc) = &spec.vpc {
        if !ways.in_vpc {
            unsupported("vpc", false, &mut out);
        } else if spec.tags.is_empty() {
            out.push((
                "existing.vpc".into(),
                "`vpc` scopes a lookup by `tags`".into(),
                "add `tags = { ... }`, or find the resource by `id` alone".into(),
            ));
        } else if vpc.is_empty() {
            out.push((
                "existing.vpc".into(),
                "`vpc` is empty".into(),
                "name an existing `vpc` of the spec or give a `vpc-...` id".into(),
            ));
        }
    }
    if let (Some(id), Some(shape)) = (&spec.id, ways.id_shape)
        && !shape.matches(id)
    {
        out.push((
            "existing.id".into(),
            format!("`{id}` is not a {kind} id"),
            format!("a {kind} id matches `{}`", shape.pattern()),
        ));
    }
    if let Some(arn) = &spec.arn {
        match ways.arn {
            Some(shape) if !shape.matches(arn) => out.push((
                "existing.arn".into(),
                format!("`{arn}` is not a {kind} ARN"),
                format!("a {kind} ARN looks like `{}`", shape.pattern()),
            )),
            Some(_) => {}
            None => unsupported("arn", false, &mut out),
        }
    }
    out
}

/// The selector of a checked `existing` table (scope resolved by the caller: `vpc` names an
/// existing VPC of the spec, or is a VPC id).
pub fn selector(kind: Kind, spec: &ExistingSpec, vpc: Option<Scope>) -> Option<Selector> {
    let ways = kind.existing()?;
    if let Some(id) = &spec.id {
        return Some(Selector::by_id(id));
    }
    if let Some(name) = &spec.name {
        return Some(Selector::Id {
            id: name.clone(),
            written: format!("name `{name}`"),
        });
    }
    if let (Some(arn), Some(shape)) = (&spec.arn, ways.arn) {
        return (shape.id)(arn).map(|id| Selector::Id {
            id,
            written: format!("arn `{arn}`"),
        });
    }
    (!spec.tags.is_empty()).then(|| Selector::Tags {
        tags: spec.tags.clone(),
        vpc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_ids_are_told_from_names_by_their_shape() {
        assert_eq!(
            literal(Kind::Subnet, "id", "subnet-0abc1234def567890"),
            Literal::Valid("subnet-0abc1234def567890".into())
        );
        assert_eq!(
            literal(Kind::Subnet, "id", "subnet-0abc1234"),
            Literal::Valid("subnet-0abc1234".into())
        );
        assert!(
            matches!(literal(Kind::Subnet, "id", "subnet-xyz"), Literal::Invalid(p) if p.contains("subnet-[0-9a-f]{17}"))
        );
        assert_eq!(literal(Kind::Subnet, "id", "private_a"), Literal::NotOne);
        assert_eq!(
            literal(
                Kind::IamRole,
                "arn",
                "arn:aws:iam::123456789012:role/platform/agent-runtime"
            ),
            Literal::Valid("agent-runtime".into())
        );
        assert!(matches!(
            literal(Kind::IamRole, "arn", "arn:aws:s3:::bucket"),
            Literal::Invalid(_)
        ));
    }

    #[test]
    fn literal_addresses_are_valid_names() {
        assert_eq!(
            literal_addr(Kind::Subnet, "subnet-0abc1234").to_string(),
            "subnet.subnet-0abc1234"
        );
        let role = literal_addr(Kind::IamRole, "arn:aws:iam::123456789012:role/agent.runtime");
        assert!(super::super::addr::valid_name(&role.name), "{role}");
    }
}
