//! Rebuilding state from AWS: `recover` finds a stack's resources by their tags (and the
//! untaggable ones through their tagged parents), `import` adopts one resource by id.
//! Both record what AWS has now, so the next plan shows only real differences.

use std::collections::{BTreeMap, HashSet};

use crate::plan::config_json;
use crate::provider::Provider;
use crate::resources::{self, Created, Ctx, DispatchError, Found, Listed, Prior, TAG_RESOURCE, TAG_STACK};
use crate::spec::eval::{EvalError, resolve};
use crate::spec::template::{AttrRef, Lookup, Var};
use crate::spec::{Addr, Kind, Spec};
use crate::state::{Phase, ResourceState, State};

#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error(transparent)]
    Api(#[from] DispatchError),
    #[error("`{0}` is not in the spec")]
    NotInSpec(String),
    #[error("{addr} depends on resources that are not recorded yet ({source}); import those first")]
    Unresolved { addr: Addr, source: EvalError },
    #[error("no {kind} with id `{id}` exists")]
    NotFound { kind: Kind, id: String },
    #[error(
        "{kind} `{id}` is already recorded in this state as {addr}; a resource has one address (`agentfs state rm {addr}` first to move it)"
    )]
    AlreadyRecorded { kind: Kind, id: String, addr: Addr },
    #[error(
        "{kind} `{id}` carries the tag agentfs:stack = `{stack}`: it belongs to stack `{stack}`, whose state still records it\n  help: import it into another stack only if `{stack}` is gone or gives it up; `--force` imports it anyway, and then this stack changes it and may delete it while `{stack}` still counts on it"
    )]
    OtherStack { kind: Kind, id: String, stack: String },
}

/// What recover rebuilt and what it could not place.
#[derive(Debug)]
pub struct Recovered {
    pub state: State,
    /// In the spec, but nothing in AWS matched.
    pub missing: Vec<Addr>,
    /// Found in AWS for this stack, but matching nothing in the spec.
    pub unplaced: Vec<(Kind, String)>,
}

/// Template values from the state being rebuilt.
struct Rebuilding<'a> {
    state: &'a State,
    stack: &'a str,
    region: &'a str,
    account_id: &'a str,
}

impl<'a> Rebuilding<'a> {
    fn new(state: &'a State, provider: &'a impl Provider) -> Self {
        Rebuilding {
            state,
            stack: provider.stack(),
            region: provider.region(),
            account_id: provider.account_id(),
        }
    }
}

impl Lookup for Rebuilding<'_> {
    fn var(&self, var: Var) -> Option<String> {
        Some(match var {
            Var::Stack => self.stack.to_string(),
            Var::Region => self.region.to_string(),
            Var::AccountId => self.account_id.to_string(),
        })
    }

    fn attr(&self, attr: &AttrRef) -> Option<String> {
        match self.state.resources.get(&attr.addr) {
            Some(r) => r.attributes.get(&attr.attribute).cloned(),
            None => self
                .state
                .reads
                .get(&attr.addr)?
                .attributes
                .get(&attr.attribute)
                .cloned(),
        }
    }
}

fn tags_of(stack: &str, addr: &Addr, config: &serde_json::Value) -> BTreeMap<String, String> {
    let mut tags: BTreeMap<String, String> = config
        .get("tags")
        .and_then(|t| t.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    tags.insert(TAG_STACK.into(), stack.to_string());
    tags.insert(TAG_RESOURCE.into(), addr.to_string());
    tags
}

/// The live configuration of `found`, read with `desired` as the base for unreadable fields.
pub(crate) async fn live_config<P: Provider>(
    provider: &P,
    addr: &Addr,
    created: &Created,
    desired: &serde_json::Value,
) -> Result<Option<serde_json::Value>, DispatchError> {
    let address = addr.to_string();
    let tags = tags_of(provider.stack(), addr, desired);
    let listed = [Listed {
        address: &address,
        prior: Prior {
            id: &created.id,
            attributes: &created.attributes,
            config: desired,
            tags: &tags,
        },
    }];
    Ok(provider.read(addr.kind, &listed).await?.into_iter().next().flatten())
}

/// An untagged resource is the spec's when every field that identifies it (those a change
/// of which forces replacement) is what the spec asks for.
pub(crate) fn same_identity(kind: Kind, live: &serde_json::Value, desired: &serde_json::Value) -> bool {
    kind.replace_on()
        .iter()
        .all(|field| live.get(*field) == desired.get(*field))
}

fn record(state: &mut State, spec: &Spec, addr: &Addr, created: Created, config: serde_json::Value) {
    state
        .resources
        .insert(addr.clone(), recorded_state(spec, addr, created, config));
}

fn recorded_state(spec: &Spec, addr: &Addr, created: Created, config: serde_json::Value) -> ResourceState {
    let resource = &spec.resources[addr];
    ResourceState {
        phase: Phase::Created,
        id: Some(created.id),
        attributes: created.attributes,
        config,
        deps: resource.deps.iter().cloned().collect(),
        late: resource.late.iter().cloned().collect(),
        generation: 0,
        prevent_destroy: resource.lifecycle.prevent_destroy,
        delete_timeout: resource.timeouts.delete.map(|t| t.as_secs()),
        failed: None,
    }
}

/// Rebuilds the state of `spec`'s stack from what AWS holds, in dependency order; `reads` are
/// the spec's existing resources as read now (recorded as reads, never adopted).
pub async fn recover(
    ctx: &Ctx,
    spec: &Spec,
    order: &[Addr],
    reads: BTreeMap<Addr, crate::state::ReadState>,
) -> Result<Recovered, RecoverError> {
    let kinds: Vec<Kind> = {
        let mut kinds: Vec<Kind> = spec.resources.keys().map(|a| a.kind).collect();
        kinds.sort();
        kinds.dedup();
        kinds
    };
    let mut found: BTreeMap<Kind, Vec<Found>> = BTreeMap::new();
    for kind in kinds {
        found.insert(kind, resources::find(ctx, kind, &[]).await?);
    }
    let mut used: HashSet<(Kind, String)> = HashSet::new();
    let mut state = State::new(&spec.stack.name, &spec.stack.region);
    state.account_id = Some(ctx.account_id.clone());
    state.reads = reads;
    let mut missing = Vec::new();
    for addr in order.iter().filter(|a| spec.resources.contains_key(*a)) {
        let Ok(resolved) = resolve(&spec.resources[addr].spec, &Rebuilding::new(&state, ctx)) else {
            missing.push(addr.clone());
            continue;
        };
        let desired = config_json(&resolved, &spec.resources[addr].sensitive);
        let candidates: Vec<&Found> = found[&addr.kind]
            .iter()
            .filter(|f| !used.contains(&(addr.kind, f.created.id.clone())))
            .collect();
        let mut placed = None;
        let address = addr.to_string();
        let tagged: Vec<&&Found> = candidates
            .iter()
            .filter(|f| f.address() == Some(address.as_str()))
            .collect();
        if !tagged.is_empty() {
            // More than one copy carries the address when a create-before-destroy replace was
            // cut short: the one the spec describes is current, the others are old (deposed).
            let mut copies = Vec::new();
            for found in tagged {
                if let Some(live) = live_config(ctx, addr, &found.created, &desired).await? {
                    copies.push((found.created.clone(), live));
                }
            }
            let current = copies
                .iter()
                .position(|(_, live)| same_identity(addr.kind, live, &desired))
                .unwrap_or(0);
            if current < copies.len() {
                placed = Some(copies.remove(current));
            }
            for (created, live) in copies {
                used.insert((addr.kind, created.id.clone()));
                let copy = recorded_state(spec, addr, created, live);
                state.deposed.entry(addr.clone()).or_default().push(copy);
            }
        } else {
            for untagged in candidates.iter().filter(|f| f.address().is_none()) {
                if let Some(live) = live_config(ctx, addr, &untagged.created, &desired).await?
                    && same_identity(addr.kind, &live, &desired)
                {
                    placed = Some((untagged.created.clone(), live));
                    break;
                }
            }
        }
        match placed {
            Some((created, live)) => {
                used.insert((addr.kind, created.id.clone()));
                record(&mut state, spec, addr, created, live);
            }
            None => missing.push(addr.clone()),
        }
    }
    let unplaced = found
        .iter()
        .flat_map(|(kind, list)| {
            list.iter()
                .filter(|f| !used.contains(&(*kind, f.created.id.clone())))
                .map(|f| (*kind, f.created.id.clone()))
        })
        .collect();
    Ok(Recovered {
        state,
        missing,
        unplaced,
    })
}

/// Where `state` records the resource of `kind` with AWS id `id` (current or deposed copy).
fn recorded_as(state: &State, kind: Kind, id: &str) -> Option<Addr> {
    let current = state.resources.iter();
    let deposed = state
        .deposed
        .iter()
        .flat_map(|(a, copies)| copies.iter().map(move |r| (a, r)));
    current
        .chain(deposed)
        .find(|(a, r)| a.kind == kind && r.id.as_deref() == Some(id))
        .map(|(a, _)| a.clone())
}

/// Adopts the existing resource `id` as `addr` of the spec into `state`. Refused when the state
/// already records it, and, unless `force`, when its `agentfs:stack` tag names another stack.
pub async fn import<P: Provider>(
    ctx: &P,
    spec: &Spec,
    state: &mut State,
    addr: &Addr,
    id: &str,
    force: bool,
) -> Result<(), RecoverError> {
    let resource = spec
        .resources
        .get(addr)
        .ok_or_else(|| RecoverError::NotInSpec(addr.to_string()))?;
    let resolved =
        resolve(&resource.spec, &Rebuilding::new(state, ctx)).map_err(|source| RecoverError::Unresolved {
            addr: addr.clone(),
            source,
        })?;
    let desired = config_json(&resolved, &resource.sensitive);
    let not_found = || RecoverError::NotFound {
        kind: addr.kind,
        id: id.to_string(),
    };
    let found = ctx
        .find(addr.kind, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(not_found)?;
    for known in [id, found.created.id.as_str()] {
        if let Some(recorded) = recorded_as(state, addr.kind, known) {
            return Err(RecoverError::AlreadyRecorded {
                kind: addr.kind,
                id: known.to_string(),
                addr: recorded,
            });
        }
    }
    if let Some(stack) = found.owner.stack.as_deref()
        && stack != ctx.stack()
    {
        if !force {
            return Err(RecoverError::OtherStack {
                kind: addr.kind,
                id: id.to_string(),
                stack: stack.to_string(),
            });
        }
        crate::errln!(
            "warning: importing {} `{id}` of stack `{stack}` (--force): this stack now manages it and may delete it",
            addr.kind
        );
    }
    let live = live_config(ctx, addr, &found.created, &desired)
        .await?
        .ok_or_else(not_found)?;
    record(state, spec, addr, found.created, live);
    Ok(())
}
