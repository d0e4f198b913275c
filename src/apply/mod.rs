//! The executor: walks the plan's graph concurrently, calls each kind through the
//! resource registry, and records state after every single operation.
//!
//! Crash safety: a create is recorded as `Creating { client_token }` before its call,
//! and the token is derived from the state's lineage, the address and the replacement
//! generation, so a re-run after a crash repeats the same idempotent call instead of
//! making a second resource.

pub mod progress;
pub mod schedule;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use crate::plan::{self, Action, Plan};
use crate::resources::{self, Call, Ctx, DispatchError, Prior, TAG_RESOURCE, TAG_STACK};
use crate::spec::eval::{EvalError, resolve};
use crate::spec::template::{AttrRef, Lookup, Var};
use crate::spec::{Addr, Kind, Spec};
use crate::state::{Backend, OutputValue, Phase, ResourceState, State, StateError, Store};
use progress::{Reporter, ResourceProgress};
use schedule::OnFailure;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Api(#[from] DispatchError),
    #[error("cannot evaluate its configuration: {0}")]
    Eval(#[from] EvalError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("it is not in the spec or the state")]
    Unknown,
}

/// How a run ended.
#[derive(Debug, Default)]
pub struct Report {
    pub done: usize,
    pub failures: Vec<(Addr, String)>,
    pub skipped: Vec<Addr>,
    /// The signal that stopped the run (exit 130 for SIGINT, 143 for SIGTERM).
    pub interrupted: Option<schedule::Signal>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failures.is_empty() && self.interrupted.is_none() && self.skipped.is_empty()
    }

    fn absorb(&mut self, outcome: schedule::Outcome<EngineError>) {
        self.done += outcome.done.len();
        self.failures
            .extend(outcome.failed.into_iter().map(|(a, e)| (a, e.to_string())));
        self.skipped.extend(outcome.skipped);
        self.interrupted = self.interrupted.or(outcome.interrupted);
    }
}

/// Options of one run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub parallelism: usize,
    /// Override of the delete wait for resources that managed network interfaces can block.
    pub blocked_wait: Option<Duration>,
}

pub struct Engine<'a> {
    ctx: &'a Ctx,
    backend: &'a Store,
    state: tokio::sync::Mutex<State>,
    reporter: &'a Reporter,
    options: Options,
}

/// Kinds whose delete AWS refuses while service-managed network interfaces remain.
const BLOCKABLE: [Kind; 4] = [Kind::Subnet, Kind::SecurityGroup, Kind::Vpc, Kind::InternetGateway];

impl<'a> Engine<'a> {
    pub fn new(ctx: &'a Ctx, backend: &'a Store, state: State, reporter: &'a Reporter, options: Options) -> Engine<'a> {
        Engine {
            ctx,
            backend,
            state: tokio::sync::Mutex::new(state),
            reporter,
            options,
        }
    }

    /// The state as it is now.
    pub async fn state(&self) -> State {
        self.state.lock().await.clone()
    }

    /// Applies one change to the state and persists it before anything else happens.
    /// Writes are serialised: the lock is held until the backend has stored the change.
    async fn record(&self, change: impl FnOnce(&mut State)) -> Result<(), StateError> {
        let mut state = self.state.lock().await;
        change(&mut state);
        state.serial += 1;
        self.backend.save(&state).await
    }

    async fn lookup(&self) -> StateLookup {
        StateLookup {
            state: self.state().await,
            region: self.ctx.region.clone(),
            account: self.ctx.account_id.clone(),
        }
    }

    /// Executes `plan` for `spec`: deletes (removed and replaced resources) first, in reverse
    /// dependency order, then creates and updates in dependency order.
    pub async fn apply(&self, spec: &Spec, plan: &Plan) -> Report {
        let mut report = Report::default();
        self.record(|s| s.account_id = Some(self.ctx.account_id.clone()))
            .await
            .ok();
        let deletes: HashSet<Addr> = plan
            .changes
            .iter()
            .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
            .map(|c| c.address.clone())
            .collect();
        let replaced: HashSet<Addr> = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Replace)
            .map(|c| c.address.clone())
            .collect();
        if !deletes.is_empty() {
            let outcome = self.delete_all(&deletes, &replaced).await;
            report.absorb(outcome);
            if !report.ok() {
                return report;
            }
        }
        let actions: HashMap<Addr, &plan::ResourceChange> = plan
            .changes
            .iter()
            .filter(|c| matches!(c.action, Action::Create | Action::Update | Action::Replace))
            .map(|c| (c.address.clone(), c))
            .collect();
        let nodes: Vec<(Addr, Vec<Addr>)> = plan
            .changes
            .iter()
            .filter(|c| actions.contains_key(&c.address))
            .map(|c| {
                (
                    c.address.clone(),
                    spec.resources[&c.address]
                        .deps
                        .iter()
                        .filter(|d| actions.contains_key(*d))
                        .cloned()
                        .collect(),
                )
            })
            .collect();
        let outcome = schedule::run(nodes, self.options.parallelism, OnFailure::StopAll, |addr| {
            let change = actions[&addr];
            async move {
                let verb = match change.action {
                    Action::Update => "update",
                    _ => "create",
                };
                self.reporter.start(&addr, verb);
                let result = self.apply_one(spec, change).await;
                match &result {
                    Ok(()) => self
                        .reporter
                        .finish(&addr, if verb == "update" { "updated" } else { "created" }),
                    Err(e) => self.reporter.fail(&addr, &e.to_string()),
                }
                result
            }
        })
        .await;
        report.absorb(outcome);
        if report.ok() {
            let lookup = self.lookup().await;
            let outputs: BTreeMap<String, OutputValue> = spec
                .outputs
                .values()
                .filter_map(|o| {
                    o.value.render(&lookup).map(|value| {
                        (
                            o.name.clone(),
                            OutputValue {
                                value,
                                sensitive: o.sensitive,
                            },
                        )
                    })
                })
                .collect();
            if let Err(e) = self.record(|s| s.outputs = outputs).await {
                report.failures.push((Addr::new(Kind::Vpc, "outputs"), e.to_string()));
            }
        }
        report
    }

    fn full_tags(&self, addr: &Addr, config: &serde_json::Value) -> BTreeMap<String, String> {
        let mut tags: BTreeMap<String, String> = config
            .get("tags")
            .and_then(|t| t.as_object())
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        tags.insert(TAG_STACK.into(), self.ctx.stack.clone());
        tags.insert(TAG_RESOURCE.into(), addr.to_string());
        tags
    }

    async fn apply_one(&self, spec: &Spec, change: &plan::ResourceChange) -> Result<(), EngineError> {
        let addr = &change.address;
        let resource = spec.resources.get(addr).ok_or(EngineError::Unknown)?;
        let resolved = resolve(&resource.spec, &self.lookup().await)?;
        let config = plan::config_json(&resolved);
        let config_tags = serde_json::to_value(&resolved).unwrap_or_default();
        let tags = self.full_tags(addr, &config_tags);
        let deps: Vec<Addr> = resource.deps.iter().cloned().collect();
        let progress = ResourceProgress {
            reporter: self.reporter,
            addr,
        };
        let address = addr.to_string();
        let recorded = self.state().await.resources.get(addr).cloned();
        let prevent_destroy = resource.lifecycle.prevent_destroy;

        if change.action == Action::Update {
            let prior = recorded.ok_or(EngineError::Unknown)?;
            let local_only = addr.kind.local_only();
            let api_change = change
                .attributes
                .iter()
                .any(|a| !local_only.contains(&a.path.split(['.', '[']).next().unwrap_or("")));
            let created = if api_change {
                // The recorded tags without agentfs's own: a resource that was imported or recovered
                // may lack them, so every tag update (re)sends them.
                let mut prior_tags = self.full_tags(addr, &prior.config);
                prior_tags.remove(TAG_STACK);
                prior_tags.remove(TAG_RESOURCE);
                let id = prior.id.clone().unwrap_or_default();
                let call = Call {
                    address: &address,
                    token: "",
                    tags: &tags,
                    timeout: resource.timeouts.update,
                    progress: &progress,
                };
                let prior_view = Prior {
                    id: &id,
                    attributes: &prior.attributes,
                    config: &prior.config,
                    tags: &prior_tags,
                };
                Some(resources::update(self.ctx, &resolved, &call, &prior_view).await?)
            } else {
                None
            };
            self.record(|s| {
                if let Some(r) = s.resources.get_mut(addr) {
                    if let Some(created) = created {
                        r.id = Some(created.id);
                        r.attributes = created.attributes;
                    }
                    r.config = config;
                    r.deps = deps;
                    r.prevent_destroy = prevent_destroy;
                }
            })
            .await?;
            return Ok(());
        }

        let (lineage, generation) = {
            let state = self.state().await;
            (state.lineage.clone(), recorded.as_ref().map_or(0, |r| r.generation))
        };
        let token = match &recorded {
            Some(ResourceState {
                phase: Phase::Creating { client_token },
                ..
            }) => client_token.clone(),
            _ => resources::client_token(&lineage, &address, generation),
        };
        self.record(|s| {
            s.resources.insert(
                addr.clone(),
                ResourceState {
                    phase: Phase::Creating {
                        client_token: token.clone(),
                    },
                    id: None,
                    attributes: BTreeMap::new(),
                    config: config.clone(),
                    deps: deps.clone(),
                    generation,
                    prevent_destroy,
                },
            );
        })
        .await?;
        let call = Call {
            address: &address,
            token: &token,
            tags: &tags,
            timeout: resource.timeouts.create,
            progress: &progress,
        };
        let created = resources::create(self.ctx, &resolved, &call).await?;
        self.record(|s| {
            s.resources.insert(
                addr.clone(),
                ResourceState {
                    phase: Phase::Created,
                    id: Some(created.id),
                    attributes: created.attributes,
                    config,
                    deps,
                    generation,
                    prevent_destroy,
                },
            );
        })
        .await?;
        Ok(())
    }

    /// Deletes every recorded resource, dependents first; what cannot go stays recorded.
    pub async fn destroy(&self) -> Report {
        let all: HashSet<Addr> = self.state().await.resources.keys().cloned().collect();
        let mut report = Report::default();
        report.absorb(self.delete_all(&all, &HashSet::new()).await);
        let empty = self.state().await.resources.is_empty();
        if empty {
            if let Err(e) = self.backend.remove().await {
                report.failures.push((Addr::new(Kind::Vpc, "state"), e.to_string()));
            }
        } else if let Err(e) = self.record(|s| s.outputs.clear()).await {
            report.failures.push((Addr::new(Kind::Vpc, "state"), e.to_string()));
        }
        report
    }

    async fn delete_all(&self, targets: &HashSet<Addr>, replaced: &HashSet<Addr>) -> schedule::Outcome<EngineError> {
        let state = self.state().await;
        // A resource may go only once everything that depends on it is gone.
        let nodes: Vec<(Addr, Vec<Addr>)> = state
            .resources
            .keys()
            .filter(|a| targets.contains(*a))
            .map(|addr| {
                let dependents = state
                    .resources
                    .iter()
                    .filter(|(other, r)| targets.contains(*other) && r.deps.contains(addr))
                    .map(|(a, _)| a.clone())
                    .collect();
                (addr.clone(), dependents)
            })
            .collect();
        schedule::run(
            nodes,
            self.options.parallelism,
            OnFailure::SkipDependents,
            |addr| async move {
                self.reporter.start(&addr, "delete");
                let result = self.delete_one(&addr, replaced.contains(&addr)).await;
                match &result {
                    Ok(()) => self.reporter.finish(&addr, "deleted"),
                    Err(e) => self.reporter.fail(&addr, &e.to_string()),
                }
                result
            },
        )
        .await
    }

    async fn delete_one(&self, addr: &Addr, replacing: bool) -> Result<(), EngineError> {
        let mut recorded = self
            .state()
            .await
            .resources
            .get(addr)
            .cloned()
            .ok_or(EngineError::Unknown)?;
        let progress = ResourceProgress {
            reporter: self.reporter,
            addr,
        };
        let address = addr.to_string();
        let tags = self.full_tags(addr, &recorded.config);
        if let Phase::Creating { client_token } = &recorded.phase {
            // The create may or may not have happened: repeating the idempotent create
            // finds it (or makes it) so that it can be deleted by id.
            let spec = crate::spec::ResourceSpec::deserialize_as(addr.kind, &recorded.config).map_err(|source| {
                DispatchError::Recorded {
                    kind: addr.kind,
                    source,
                }
            })?;
            let call = Call {
                address: &address,
                token: client_token,
                tags: &tags,
                timeout: None,
                progress: &progress,
            };
            let created = resources::create(self.ctx, &spec, &call).await?;
            recorded.id = Some(created.id);
            recorded.attributes = created.attributes;
        }
        self.record(|s| {
            if let Some(r) = s.resources.get_mut(addr) {
                r.phase = Phase::Deleting;
                r.id = recorded.id.clone();
                r.attributes = recorded.attributes.clone();
            }
        })
        .await?;
        let id = recorded.id.clone().unwrap_or_default();
        let prior = Prior {
            id: &id,
            attributes: &recorded.attributes,
            config: &recorded.config,
            tags: &tags,
        };
        let timeout = self.options.blocked_wait.filter(|_| BLOCKABLE.contains(&addr.kind));
        if let Err(refused) = resources::delete(self.ctx, addr.kind, &address, &prior, timeout, &progress).await {
            // A refused delete leaves the resource as it was; only a delete that AWS accepted
            // but that did not finish in time stays recorded as deleting.
            let accepted = matches!(&refused, DispatchError::Api(e) if e.is("WaitTimeout"));
            self.record(|s| {
                if accepted {
                    return;
                }
                if let Some(r) = s.resources.get_mut(addr) {
                    r.phase = Phase::Created;
                }
            })
            .await?;
            return Err(refused.into());
        }
        self.record(|s| {
            if replacing {
                // Keep a tombstone so the new copy gets a fresh idempotency token.
                if let Some(r) = s.resources.get_mut(addr) {
                    r.phase = Phase::Creating {
                        client_token: resources::client_token(&s.lineage, &address, r.generation + 1),
                    };
                    r.generation += 1;
                    r.id = None;
                    r.attributes.clear();
                }
            } else {
                s.resources.remove(addr);
            }
        })
        .await?;
        Ok(())
    }
}

/// Template values from the state as it is during a run.
struct StateLookup {
    state: State,
    region: String,
    account: String,
}

impl Lookup for StateLookup {
    fn var(&self, var: Var) -> Option<String> {
        match var {
            Var::Stack => Some(self.state.stack.clone()),
            Var::Region => Some(self.region.clone()),
            Var::AccountId => Some(self.account.clone()),
        }
    }

    fn attr(&self, attr: &AttrRef) -> Option<String> {
        let r = self.state.resources.get(&attr.addr)?;
        matches!(r.phase, Phase::Created).then(|| r.attributes.get(&attr.attribute).cloned())?
    }
}
