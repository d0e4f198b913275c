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

use crate::plan::{self, Action, Op, Plan};
use crate::resources::{self, Call, Created, Ctx, DispatchError, ErrorKind, Prior, TAG_RESOURCE, TAG_STACK};
use crate::spec::eval::{EvalError, resolve};
use crate::spec::template::{AttrRef, Lookup, Var};
use crate::spec::{Addr, Spec};
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
    #[error(
        "an interrupted earlier create made {id}, recorded now with the configuration it was made with; \
         the change of {fields} needs a replace, which `prevent_destroy` forbids"
    )]
    AdoptedNeedsReplace { id: String, fields: String },
}

/// What became of a resource that an interrupted create made with a configuration that has
/// changed since.
enum Adoption {
    /// Nothing of it exists: the create goes ahead with a new token.
    NotFound,
    /// It is recorded as created; this update brings it to the spec.
    Update(plan::ResourceChange),
    /// Its change could not be made in place: it is deleted, and created anew.
    Deleted,
}

/// What a failure of a run is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// One operation on one resource.
    Operation(Op),
    /// The order of the plan's operations.
    Plan,
    /// Recording the state.
    State,
    /// Recording the outputs.
    Outputs,
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Operation(op) => op.fmt(f),
            Subject::Plan => f.write_str("plan"),
            Subject::State => f.write_str("state"),
            Subject::Outputs => f.write_str("outputs"),
        }
    }
}

/// How a run ended.
#[derive(Debug, Default)]
pub struct Report {
    pub done: usize,
    pub failures: Vec<(Subject, String)>,
    pub skipped: Vec<Op>,
    /// The signal that stopped the run (exit 130 for SIGINT, 143 for SIGTERM).
    pub interrupted: Option<schedule::Signal>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failures.is_empty() && self.interrupted.is_none() && self.skipped.is_empty()
    }

    fn absorb(&mut self, outcome: schedule::Outcome<Op, EngineError>) {
        self.done += outcome.done.len();
        self.failures.extend(
            outcome
                .failed
                .into_iter()
                .map(|(op, e)| (Subject::Operation(op), e.to_string())),
        );
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

    /// Executes `plan` for `spec`: walks the plan's operation graph (see
    /// [`plan::operations`]), deletes and creates as their edges allow, stopping new work at
    /// the first failure.
    pub async fn apply(&self, spec: &Spec, plan: &Plan) -> Report {
        let mut report = Report::default();
        self.record(|s| s.account_id = Some(self.ctx.account_id.clone()))
            .await
            .ok();
        let graph = match plan::operations(&plan.changes, Some(&self.state().await)) {
            Ok(graph) => graph,
            Err(e) => {
                report.failures.push((Subject::Plan, e.to_string()));
                return report;
            }
        };
        let changes: HashMap<Addr, &plan::ResourceChange> =
            plan.changes.iter().map(|c| (c.address.clone(), c)).collect();
        let outcome = schedule::run(&graph, self.options.parallelism, OnFailure::StopAll, |op| {
            let change = changes[op.addr()];
            async move {
                let (verb, past) = match (&op, change.action) {
                    (Op::Delete(_), _) => ("delete", "deleted"),
                    (Op::DeleteDeposed(_), _) => ("delete the old copy", "deleted the old copy"),
                    (Op::Apply(_), Action::Update) => ("update", "updated"),
                    (Op::Apply(_), _) => ("create", "created"),
                };
                let addr = op.addr().clone();
                self.reporter.start(&addr, verb);
                let timeout = spec.resources.get(&addr).and_then(|r| r.timeouts.delete);
                let result = match &op {
                    Op::Delete(addr) => self.delete_one(addr, change.action == Action::Replace, timeout).await,
                    Op::DeleteDeposed(addr) => self.delete_deposed(addr, timeout).await,
                    Op::Apply(_) => self.apply_change(spec, change).await,
                };
                match &result {
                    Ok(()) => self.reporter.finish(&addr, past),
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
                report.failures.push((Subject::Outputs, e.to_string()));
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

    /// One create, update or replace, after adopting what an interrupted create left behind.
    async fn apply_change(&self, spec: &Spec, change: &plan::ResourceChange) -> Result<(), EngineError> {
        match self.adopt_earlier_attempt(spec, change).await? {
            Adoption::Update(update) => self.apply_one(spec, &update).await,
            Adoption::NotFound | Adoption::Deleted => self.apply_one(spec, change).await,
        }
    }

    /// A create intent whose configuration changed since it was recorded gets a new token
    /// (AWS refuses a token reused with other parameters), and a new token finds nothing the
    /// old one made: for the kinds that only a token identifies, a second resource. So the
    /// resource is first looked up by its tags, the way `recover` finds it; if the earlier
    /// attempt made it, it is recorded as created with the configuration it was made with and
    /// then updated to the spec, or, where that cannot change in place, deleted (nothing can
    /// refer to a resource the state never recorded) and created anew.
    async fn adopt_earlier_attempt(&self, spec: &Spec, change: &plan::ResourceChange) -> Result<Adoption, EngineError> {
        let addr = &change.address;
        let Some(earlier) = self.state().await.resources.get(addr).cloned() else {
            return Ok(Adoption::NotFound);
        };
        if !matches!(earlier.phase, Phase::Creating { .. }) {
            return Ok(Adoption::NotFound);
        }
        let resource = spec.resources.get(addr).ok_or(EngineError::Unknown)?;
        let resolved = resolve(&resource.spec, &self.lookup().await)?;
        let config = plan::config_json(&resolved, &resource.sensitive);
        if earlier.config == config {
            // The same intent: its own token finds what it made.
            return Ok(Adoption::NotFound);
        }
        let Some(found) = self.made_by_earlier_attempt(addr).await? else {
            return Ok(Adoption::NotFound);
        };
        self.reporter.phase(
            addr,
            &format!("adopting {}, which an interrupted earlier create made", found.id),
        );
        let id = found.id.clone();
        let intended = earlier.config.clone();
        self.record(|s| {
            s.resources.insert(
                addr.clone(),
                ResourceState {
                    phase: Phase::Created,
                    id: Some(found.id),
                    attributes: found.attributes,
                    failed: None,
                    ..earlier
                },
            );
        })
        .await?;
        let sensitive: HashSet<String> = resolved
            .sensitive_paths()
            .into_iter()
            .chain(resource.sensitive.iter().cloned())
            .collect();
        let diffs = plan::diff(
            &intended,
            &config,
            &BTreeMap::new(),
            &sensitive,
            addr.kind,
            &resource.lifecycle.ignore_changes,
        );
        let triggers: Vec<&str> = diffs
            .iter()
            .filter(|d| d.forces_replacement)
            .map(|d| d.path.as_str())
            .collect();
        if triggers.is_empty() {
            return Ok(Adoption::Update(plan::ResourceChange {
                action: Action::Update,
                attributes: diffs,
                ..change.clone()
            }));
        }
        if resource.lifecycle.prevent_destroy {
            return Err(EngineError::AdoptedNeedsReplace {
                id,
                fields: triggers.join(", "),
            });
        }
        self.delete_one(addr, true, resource.timeouts.delete).await?;
        // The tombstone's token is new and was never sent: it goes with the new configuration.
        self.record(|s| {
            if let Some(r) = s.resources.get_mut(addr) {
                r.config = config;
            }
        })
        .await?;
        Ok(Adoption::Deleted)
    }

    /// The resource tagged with `addr` that no recorded resource claims, if AWS has one.
    async fn made_by_earlier_attempt(&self, addr: &Addr) -> Result<Option<Created>, EngineError> {
        let address = addr.to_string();
        let state = self.state().await;
        // Old copies kept for a create-before-destroy replace carry the same tags.
        let claimed: HashSet<String> = state
            .resources
            .values()
            .chain(state.deposed.values().flatten())
            .filter_map(|r| r.id.clone())
            .collect();
        let found = resources::find(self.ctx, addr.kind, &[]).await?;
        Ok(found
            .into_iter()
            .filter(|f| f.address() == Some(address.as_str()))
            .map(|f| f.created)
            .find(|c| !claimed.contains(&c.id)))
    }

    async fn apply_one(&self, spec: &Spec, change: &plan::ResourceChange) -> Result<(), EngineError> {
        let addr = &change.address;
        let resource = spec.resources.get(addr).ok_or(EngineError::Unknown)?;
        let resolved = resolve(&resource.spec, &self.lookup().await)?;
        let config = plan::config_json(&resolved, &resource.sensitive);
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
        let delete_timeout = resource.timeouts.delete.map(|t| t.as_secs());

        if change.action == Action::Update {
            let prior = recorded.ok_or(EngineError::Unknown)?;
            let api_change = change
                .attributes
                .iter()
                .any(|a| !plan::is_local_only(addr.kind, &a.path));
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
                match resources::update(self.ctx, &resolved, &call, &prior_view).await {
                    Ok(created) => Some(created),
                    Err(DispatchError::Api(e)) if e.kind == ErrorKind::Failed => {
                        // It stays, in a state it will not leave: the next plan replaces it.
                        let reason = e.message.clone();
                        self.record(|s| {
                            if let Some(r) = s.resources.get_mut(addr) {
                                r.failed = Some(reason);
                            }
                        })
                        .await?;
                        return Err(DispatchError::Api(e).into());
                    }
                    Err(e) => return Err(e.into()),
                }
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
                    r.delete_timeout = delete_timeout;
                }
            })
            .await?;
            return Ok(());
        }

        // The live copy stays (deposed) until what uses it has moved to the new one.
        let create_first =
            change.create_before_destroy && recorded.as_ref().is_some_and(|r| matches!(r.phase, Phase::Created));
        let (lineage, mut generation) = {
            let state = self.state().await;
            (state.lineage.clone(), recorded.as_ref().map_or(0, |r| r.generation))
        };
        if create_first {
            generation += 1;
        }
        let token = match &recorded {
            _ if create_first => resources::client_token(&lineage, &address, generation),
            // The same intent again (a crash or failure in between): the same idempotent call.
            Some(ResourceState {
                phase: Phase::Creating { client_token },
                config: intended,
                ..
            }) if *intended == config => client_token.clone(),
            // The spec changed since the intent was recorded and nothing the old token made exists
            // (see `adopt_earlier_attempt`): AWS refuses a token reused with other parameters
            // (IdempotentParameterMismatch), so the create gets a new one.
            Some(ResourceState {
                phase: Phase::Creating { .. },
                ..
            }) => {
                generation += 1;
                resources::client_token(&lineage, &address, generation)
            }
            _ => resources::client_token(&lineage, &address, generation),
        };
        self.record(|s| {
            if create_first && let Some(live) = s.resources.remove(addr) {
                s.deposed.entry(addr.clone()).or_default().push(live);
            }
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
                    delete_timeout,
                    failed: None,
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
        let created = match resources::create(self.ctx, &resolved, &call).await {
            Ok(created) => created,
            Err(DispatchError::Api(e)) if e.kind == ErrorKind::NotAttempted => {
                // Nothing reached AWS: the intent is taken back, so destroy has nothing to find.
                self.record(|s| {
                    if create_first {
                        undepose(s, addr);
                    }
                    match recorded {
                        Some(before) => {
                            s.resources.insert(addr.clone(), before);
                        }
                        None => {
                            s.resources.remove(addr);
                        }
                    }
                })
                .await?;
                return Err(DispatchError::Api(e).into());
            }
            Err(DispatchError::Api(e)) if e.kind == ErrorKind::Failed => {
                // AWS made it but it reached a state it will not leave: it is recorded with its
                // id and AWS's reason, so that the next plan replaces it and nothing is orphaned.
                if let Some(id) = e.resource_id.clone() {
                    let reason = e.message.clone();
                    self.record(|s| {
                        s.resources.insert(
                            addr.clone(),
                            ResourceState {
                                phase: Phase::Created,
                                id: Some(id.clone()),
                                attributes: BTreeMap::from([("id".to_string(), id)]),
                                config,
                                deps,
                                generation,
                                prevent_destroy,
                                delete_timeout,
                                failed: Some(reason),
                            },
                        );
                    })
                    .await?;
                }
                return Err(DispatchError::Api(e).into());
            }
            Err(e) => return Err(e.into()),
        };
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
                    delete_timeout,
                    failed: None,
                },
            );
        })
        .await?;
        Ok(())
    }

    /// Deletes every recorded resource, dependents first; what cannot go stays recorded.
    pub async fn destroy(&self) -> Report {
        let state = self.state().await;
        let mut report = Report::default();
        let changes = plan::destroy_changes(&state);
        let graph = match plan::operations(&changes, Some(&state)) {
            Ok(graph) => graph,
            Err(e) => {
                report.failures.push((Subject::Plan, e.to_string()));
                return report;
            }
        };
        let outcome = schedule::run(
            &graph,
            self.options.parallelism,
            OnFailure::SkipDependents,
            |op| async move {
                let addr = op.addr().clone();
                let deposed = matches!(op, Op::DeleteDeposed(_));
                self.reporter
                    .start(&addr, if deposed { "delete the old copy" } else { "delete" });
                let result = if deposed {
                    self.delete_deposed(&addr, None).await
                } else {
                    self.delete_one(&addr, false, None).await
                };
                match &result {
                    Ok(()) => self
                        .reporter
                        .finish(&addr, if deposed { "deleted the old copy" } else { "deleted" }),
                    Err(e) => self.reporter.fail(&addr, &e.to_string()),
                }
                result
            },
        )
        .await;
        report.absorb(outcome);
        let empty = {
            let state = self.state().await;
            state.resources.is_empty() && state.deposed.is_empty()
        };
        if empty {
            if let Err(e) = self.backend.remove().await {
                report.failures.push((Subject::State, e.to_string()));
            }
        } else if let Err(e) = self.record(|s| s.outputs.clear()).await {
            report.failures.push((Subject::State, e.to_string()));
        }
        report
    }

    async fn delete_one(&self, addr: &Addr, replacing: bool, timeout: Option<Duration>) -> Result<(), EngineError> {
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
        if let Err(refused) = self.delete_recorded(addr, &recorded, timeout, &progress).await {
            // A refused delete leaves the resource as it was; only a delete that AWS accepted
            // but that did not finish in time stays recorded as deleting.
            self.record(|s| {
                if let Some(r) = s.resources.get_mut(addr).filter(|_| !accepted(&refused)) {
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
                    r.failed = None;
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

    /// The delete call for one recorded copy of `addr`.
    async fn delete_recorded(
        &self,
        addr: &Addr,
        recorded: &ResourceState,
        timeout: Option<Duration>,
        progress: &ResourceProgress<'_>,
    ) -> Result<(), DispatchError> {
        let address = addr.to_string();
        let tags = self.full_tags(addr, &recorded.config);
        let id = recorded.id.clone().unwrap_or_default();
        let prior = Prior {
            id: &id,
            attributes: &recorded.attributes,
            config: &recorded.config,
            tags: &tags,
        };
        // The spec's delete timeout wins; destroy's --blocked-wait bounds the kinds that
        // managed network interfaces can hold up.
        let timeout = timeout.or(recorded.delete_timeout.map(Duration::from_secs)).or(self
            .options
            .blocked_wait
            .filter(|_| addr.kind.blocked_by_managed_enis()));
        resources::delete(self.ctx, addr.kind, &address, &prior, timeout, progress).await
    }

    /// Deletes the old copies of `addr` that create-before-destroy replaces left, oldest first.
    async fn delete_deposed(&self, addr: &Addr, timeout: Option<Duration>) -> Result<(), EngineError> {
        let progress = ResourceProgress {
            reporter: self.reporter,
            addr,
        };
        while let Some(copy) = self.state().await.deposed.get(addr).and_then(|c| c.first().cloned()) {
            self.record(|s| {
                if let Some(first) = s.deposed.get_mut(addr).and_then(|c| c.first_mut()) {
                    first.phase = Phase::Deleting;
                }
            })
            .await?;
            if let Err(refused) = self.delete_recorded(addr, &copy, timeout, &progress).await {
                self.record(|s| {
                    let first = s.deposed.get_mut(addr).and_then(|c| c.first_mut());
                    if let Some(first) = first.filter(|_| !accepted(&refused)) {
                        first.phase = Phase::Created;
                    }
                })
                .await?;
                return Err(refused.into());
            }
            self.record(|s| {
                if let Some(copies) = s.deposed.get_mut(addr) {
                    copies.remove(0);
                    if copies.is_empty() {
                        s.deposed.remove(addr);
                    }
                }
            })
            .await?;
        }
        Ok(())
    }
}

/// Takes back the copy of `addr` deposed last (its replacement was not made after all).
fn undepose(state: &mut State, addr: &Addr) {
    if let Some(copies) = state.deposed.get_mut(addr) {
        copies.pop();
        if copies.is_empty() {
            state.deposed.remove(addr);
        }
    }
}

/// Whether AWS took the delete on although it did not finish in time.
fn accepted(refused: &DispatchError) -> bool {
    matches!(refused, DispatchError::Api(e) if e.is("WaitTimeout"))
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
