//! Existing resources, read at plan time: one `find` per kind for every one given by id (or
//! name, ARN, literal id), one `lookup` per kind and distinct tag query, each answer checked
//! to be exactly one resource. Nothing here changes anything.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lang::existing::{Existing, Scope, Selector};
use crate::provider::Provider;
use crate::resources::{DispatchError, Found, Query};
use crate::spec::{Addr, Kind, Spec};
use crate::state::{ReadState, State};

/// Why the existing resources could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("existing `{addr}` ({selector}) was not found{recorded}")]
    NotFound {
        addr: Addr,
        selector: String,
        /// What the last apply read, when it did.
        recorded: String,
    },
    #[error(
        "existing `{addr}` ({selector}) matches {} resources ({}): it must match exactly one; add tags or a `vpc` to narrow it, or give its `id`",
        ids.len(),
        ids.join(", ")
    )]
    Many {
        addr: Addr,
        selector: String,
        ids: Vec<String>,
    },
    #[error("reading existing {kind} resources: {source}")]
    Api {
        kind: Kind,
        #[source]
        source: DispatchError,
    },
}

/// One existing resource as the plan shows it (`<= read`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadChange {
    pub address: Addr,
    pub kind: Kind,
    /// How it is found (`id subnet-...`, `tags Name=core-vpc in vpc.core`).
    pub selector: String,
    /// Its id; `None` when the plan was made without reading (offline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// Written as a literal id in a reference field.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub literal: bool,
    /// What changed since the last apply read it, and what uses it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
}

/// Reads every existing resource of `spec`: first those found without a scope, then those
/// scoped by an existing VPC (whose id the first round gave). `recorded` is only used to say
/// what a resource that is gone was.
pub async fn read_existing<P: Provider>(
    provider: &P,
    spec: &Spec,
    recorded: Option<&State>,
) -> Result<BTreeMap<Addr, ReadState>, ReadError> {
    let mut read: BTreeMap<Addr, ReadState> = BTreeMap::new();
    let (first, scoped): (Vec<&Existing>, Vec<&Existing>) = spec.existing.values().partition(|e| {
        !matches!(
            &e.selector,
            Selector::Tags {
                vpc: Some(Scope::Existing(_)),
                ..
            }
        )
    });
    for round in [first, scoped] {
        let found = read_round(provider, &round, &read).await?;
        for e in round {
            let matches = found.get(&e.addr).cloned().unwrap_or_default();
            let selector = e.selector.to_string();
            match matches.as_slice() {
                [one] => {
                    read.insert(
                        e.addr.clone(),
                        ReadState::new(one.created.id.clone(), selector, one.created.attributes.clone()),
                    );
                }
                [] => {
                    let recorded = recorded
                        .and_then(|s| s.reads.get(&e.addr))
                        .map(|r| {
                            format!(
                                ": the last apply read it as `{}`; it was deleted, or no longer matches",
                                r.id
                            )
                        })
                        .unwrap_or_default();
                    return Err(ReadError::NotFound {
                        addr: e.addr.clone(),
                        selector,
                        recorded,
                    });
                }
                many => {
                    return Err(ReadError::Many {
                        addr: e.addr.clone(),
                        selector,
                        ids: many.iter().map(|f| f.created.id.clone()).collect(),
                    });
                }
            }
        }
    }
    Ok(read)
}

/// One lookup: the kind, its tags and the VPC id it is scoped to.
type QueryKey = (Kind, Vec<(String, String)>, Option<String>);

/// The matches of each existing resource of one round: one `find` per kind for the ids, one
/// `lookup` per kind and distinct query.
async fn read_round<P: Provider>(
    provider: &P,
    round: &[&Existing],
    read: &BTreeMap<Addr, ReadState>,
) -> Result<BTreeMap<Addr, Vec<Found>>, ReadError> {
    let mut out: BTreeMap<Addr, Vec<Found>> = BTreeMap::new();
    let mut ids_by_kind: BTreeMap<Kind, Vec<&str>> = BTreeMap::new();
    for e in round {
        if let Selector::Id { id, .. } = &e.selector {
            ids_by_kind.entry(e.addr.kind).or_default().push(id);
        }
    }
    for (kind, mut ids) in ids_by_kind {
        ids.sort();
        ids.dedup();
        let found = provider
            .find(kind, &ids)
            .await
            .map_err(|source| ReadError::Api { kind, source })?;
        for e in round.iter().filter(|e| e.addr.kind == kind) {
            if let Selector::Id { id, .. } = &e.selector {
                let mine: Vec<Found> = found.iter().filter(|f| is(f, id)).cloned().collect();
                out.insert(e.addr.clone(), mine);
            }
        }
    }
    let mut queries: BTreeMap<QueryKey, Vec<Found>> = BTreeMap::new();
    for e in round {
        let Selector::Tags { tags, vpc } = &e.selector else {
            continue;
        };
        let vpc = match vpc {
            Some(Scope::Id(id)) => Some(id.clone()),
            Some(Scope::Existing(addr)) => read.get(addr).map(|r| r.id.clone()),
            None => None,
        };
        let key = (
            e.addr.kind,
            tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            vpc.clone(),
        );
        if !queries.contains_key(&key) {
            let query = Query {
                tags,
                vpc: vpc.as_deref(),
            };
            let found = provider
                .lookup(e.addr.kind, &query)
                .await
                .map_err(|source| ReadError::Api {
                    kind: e.addr.kind,
                    source,
                })?;
            queries.insert(key.clone(), found);
        }
        out.insert(e.addr.clone(), queries[&key].clone());
    }
    Ok(out)
}

/// Whether a found resource is the one `id` names: its id, or (for kinds found by name or
/// ARN) its name or ARN.
fn is(found: &Found, id: &str) -> bool {
    let attrs = &found.created.attributes;
    found.created.id == id
        || attrs.get("name").is_some_and(|n| n == id)
        || attrs
            .get("arn")
            .is_some_and(|a| a == id || a.ends_with(&format!("/{id}")))
}

/// The plan's view of the existing resources: what was read now (or, without a read, what the
/// last apply recorded), and what changed since that apply read it, with what uses it.
pub fn changes(spec: &Spec, read: &BTreeMap<Addr, ReadState>, state: Option<&State>) -> Vec<ReadChange> {
    spec.existing
        .values()
        .map(|e| {
            let recorded = state.and_then(|s| s.reads.get(&e.addr));
            let now = read.get(&e.addr).or(recorded);
            let mut changes = Vec::new();
            if let (Some(before), Some(after)) = (recorded, read.get(&e.addr)) {
                let users: Vec<String> = spec
                    .resources
                    .values()
                    .filter(|r| r.deps.contains(&e.addr))
                    .map(|r| format!("`{}`", r.addr))
                    .collect();
                let used_by = if users.is_empty() {
                    String::new()
                } else {
                    format!("; used by {}", users.join(", "))
                };
                if before.id != after.id {
                    changes.push(format!(
                        "now `{}`, the last apply read `{}`{used_by}",
                        after.id, before.id
                    ));
                }
                for (key, old) in &before.attributes {
                    match after.attributes.get(key) {
                        Some(new) if new != old && key != "id" => changes.push(format!(
                            "{key} changed from `{old}` to `{new}` since the last apply{used_by}"
                        )),
                        _ => {}
                    }
                }
            }
            ReadChange {
                address: e.addr.clone(),
                kind: e.addr.kind,
                selector: e.selector.to_string(),
                id: now.map(|r| r.id.clone()),
                attributes: now.map(|r| r.attributes.clone()).unwrap_or_default(),
                literal: e.literal,
                changes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::fake::Fake;

    fn spec(body: &str) -> Spec {
        let text = format!("[stack]\nname = \"unit\"\nregion = \"us-east-1\"\n{body}");
        let loaded = crate::spec::load(&text);
        loaded.spec.unwrap_or_else(|| panic!("{:?}", loaded.diagnostics))
    }

    #[tokio::test]
    async fn ids_of_one_kind_are_read_in_one_call() {
        let fake = Fake::new("unit");
        let a = fake.make_outside(Kind::Subnet, &[]);
        let b = fake.make_outside(Kind::Subnet, &[]);
        let spec = spec(&format!(
            "[subnet.a]\nexisting = {{ id = \"{a}\" }}\n[subnet.b]\nexisting = {{ id = \"{b}\" }}\n"
        ));
        let read = read_existing(&fake, &spec, None).await.unwrap();
        assert_eq!(read[&"subnet.a".parse::<Addr>().unwrap()].id, a);
        assert_eq!(read[&"subnet.b".parse::<Addr>().unwrap()].id, b);
        assert_eq!(fake.calls(), ["find subnet"], "both subnets in one call");
    }

    #[tokio::test]
    async fn a_literal_id_that_names_nothing_is_reported_with_its_address() {
        let fake = Fake::new("unit");
        fake.make_outside(Kind::Vpc, &[]);
        let spec = spec("[security_group.g]\nvpc = \"vpc-0123abcd\"\ndescription = \"g\"\n");
        let err = read_existing(&fake, &spec, None).await.unwrap_err();
        assert!(
            matches!(&err, ReadError::NotFound { addr, .. } if addr.to_string() == "vpc.vpc-0123abcd"),
            "{err}"
        );
        assert!(err.to_string().contains("id `vpc-0123abcd`"), "{err}");
    }

    #[tokio::test]
    async fn tags_must_match_exactly_one() {
        let fake = Fake::new("unit");
        let spec = spec("[vpc.core]\nexisting = { tags = { Name = \"core\" } }\n");
        let none = read_existing(&fake, &spec, None).await.unwrap_err();
        assert!(matches!(none, ReadError::NotFound { .. }), "{none}");
        assert!(none.to_string().contains("tags Name=core"), "{none}");
        let one = fake.make_outside(Kind::Vpc, &[("Name", "core")]);
        let read = read_existing(&fake, &spec, None).await.unwrap();
        assert_eq!(read[&"vpc.core".parse::<Addr>().unwrap()].id, one);
        let two = fake.make_outside(Kind::Vpc, &[("Name", "core"), ("Team", "x")]);
        let many = read_existing(&fake, &spec, None).await.unwrap_err();
        let text = many.to_string();
        assert!(
            text.contains(&one) && text.contains(&two) && text.contains("exactly one"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn what_changed_since_the_last_apply_is_said_with_what_uses_it() {
        let fake = Fake::new("unit");
        let a = fake.make_outside(Kind::Subnet, &[("Name", "a")]);
        let spec = spec(
            "[subnet.a]\nexisting = { tags = { Name = \"a\" } }\n[vpc_endpoint.s3]\nvpc = \"vpc-0abc1234\"\nservice = \"s3\"\n[route_table.t]\nvpc = \"vpc-0abc1234\"\n[route_table_association.x]\nroute_table = \"t\"\nsubnet = \"a\"\n",
        );
        let mut state = State::new("unit", "us-east-1");
        let recorded = |az: &str| {
            ReadState::new(
                a.clone(),
                "tags Name=a".into(),
                BTreeMap::from([
                    ("id".to_string(), a.clone()),
                    ("availability_zone".to_string(), az.to_string()),
                ]),
            )
        };
        state.reads.insert("subnet.a".parse().unwrap(), recorded("us-east-1a"));
        let now = BTreeMap::from([("subnet.a".parse::<Addr>().unwrap(), recorded("us-east-1b"))]);
        let shown = changes(&spec, &now, Some(&state));
        let subnet = shown.iter().find(|r| r.address.to_string() == "subnet.a").unwrap();
        assert_eq!(
            subnet.changes,
            [
                "availability_zone changed from `us-east-1a` to `us-east-1b` since the last apply; used by `route_table_association.x`"
            ]
        );
        assert_eq!(subnet.id.as_deref(), Some(a.as_str()));
        // Gone: the plan stops, saying what the last apply read.
        fake.delete_outside(&a);
        let err = read_existing(&fake, &spec, Some(&state)).await.unwrap_err();
        assert!(
            err.to_string().contains(&format!("the last apply read it as `{a}`")),
            "{err}"
        );
    }
}
