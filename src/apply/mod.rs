//! The executor: walks the plan's graph concurrently, calls each kind through the
//! resource registry, and records state after every single operation.
//!
//! Crash safety: a create is recorded as `Creating { client_token }` before its call, with a
//! token new to that intent, so a re-run after a crash repeats the same idempotent call
//! instead of making a second resource. Destroy never creates: an interrupted intent is looked
//! up by its tags and deleted if it made something.

mod destroy;
mod late;
pub mod progress;
pub mod schedule;

pub use destroy::Deleted;
use destroy::undepose;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use crate::plan::{self, Action, Op, Plan};
use crate::provider::Provider;
use crate::resources::{self, Call, Created, Ctx, DispatchError, ErrorKind, Found, Prior, TAG_RESOURCE, TAG_STACK};
use crate::spec::eval::{EvalError, resolve, resolve_without_late};
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
    #[error("{0}")]
    Import(String),
    #[error(
        "{id} carries the tag agentfs:stack = `{stack}`: it belongs to that stack, and agentfs never deletes \
         another stack's resource; if this state records it by mistake, remove it with `agentfs state rm`"
    )]
    OtherStack { id: String, stack: String },
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
    Update(Box<plan::ResourceChange>),
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

pub struct Engine<'a, P: Provider = Ctx> {
    provider: &'a P,
    backend: &'a Store,
    state: tokio::sync::Mutex<State>,
    reporter: &'a Reporter,
    options: Options,
}

impl<'a, P: Provider> Engine<'a, P> {
    pub fn new(
        provider: &'a P,
        backend: &'a Store,
        state: State,
        reporter: &'a Reporter,
        options: Options,
    ) -> Engine<'a, P> {
        Engine {
            provider,
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
            region: self.provider.region().to_string(),
            account: self.provider.account_id().to_string(),
        }
    }

    /// Executes `plan` for `spec`: walks the plan's operation graph (see
    /// [`plan::operations`]), deletes and creates as their edges allow, stopping new work at
    /// the first failure.
    pub async fn apply(&self, spec: &Spec, plan: &Plan) -> Report {
        let mut report = Report::default();
        self.record(|s| s.account_id = Some(self.provider.account_id().to_string()))
            .await
            .ok();
        if let Err(e) = self.record_moves_and_removals(plan, &mut report).await {
            report.failures.push((Subject::State, e));
            return report;
        }
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
                    (Op::Complete(_), _) => ("complete", "completed"),
                    (Op::Detach(_), _) => ("detach", "detached"),
                    (Op::Apply(_), Action::Update) => ("update", "updated"),
                    (Op::Apply(_), Action::Create) if change.import_id.is_some() => ("import", "imported"),
                    (Op::Apply(_), _) => ("create", "created"),
                };
                let addr = op.addr().clone();
                self.reporter.start(&addr, verb);
                let timeout = spec.resources.get(&addr).and_then(|r| r.timeouts.delete);
                let result = match &op {
                    Op::Delete(addr) => self
                        .delete_one(addr, change.action == Action::Replace, timeout)
                        .await
                        .map(|d| d.past(false)),
                    Op::DeleteDeposed(addr) => self.delete_deposed(addr, timeout).await.map(|()| past.into()),
                    Op::Apply(_) => self.apply_change(spec, change).await.map(|()| past.into()),
                    Op::Complete(_) => self
                        .complete(spec, change)
                        .await
                        .map(|called| if called { past } else { "complete already" }.into()),
                    Op::Detach(addr) => self
                        .detach(addr)
                        .await
                        .map(|called| if called { past } else { "nothing to detach" }.into()),
                };
                match &result {
                    Ok(past) => self.reporter.finish(&addr, past),
                    Err(e) => self.reporter.fail(&addr, &e.to_string()),
                }
                result.map(|_| ())
            }
        })
        .await;
        report.absorb(outcome);
        if report.ok() {
            let lookup = self.lookup().await;
            // A run limited by --target / --exclude keeps the outputs it could not compute.
            let previous = if plan.left_out.is_empty() {
                BTreeMap::new()
            } else {
                lookup.state.outputs.clone()
            };
            let outputs: BTreeMap<String, OutputValue> = spec
                .outputs
                .values()
                .filter_map(|o| {
                    let rendered = o.value.render(&lookup).map(|value| OutputValue {
                        value,
                        sensitive: o.sensitive,
                    });
                    Some((o.name.clone(), rendered.or_else(|| previous.get(&o.name).cloned())?))
                })
                .collect();
            if let Err(e) = self.record(|s| s.outputs = outputs).await {
                report.failures.push((Subject::Outputs, e.to_string()));
            }
        }
        report
    }

    /// `[[moved]]` and `[[removed]]`: records take their new address, or leave the state,
    /// before any operation (no AWS call: the live resources stay as they are). Moves an
    /// earlier run made already are skipped.
    ///
    /// A removed resource keeps its `agentfs:stack` / `agentfs:resource` tags, on purpose:
    /// `[[removed]]` promises that the live resource is not touched, so no call is made that
    /// could fail half-way or change it for whoever uses it now; and the tags stay true as
    /// history (this stack made it), which keeps `agentfs import` of it into another stack an
    /// explicit `--force` naming this stack. A moved resource keeps its old `agentfs:resource`
    /// tag until its next update re-sends agentfs's tags.
    async fn record_moves_and_removals(&self, plan: &Plan, report: &mut Report) -> Result<(), String> {
        let moves: Vec<(Addr, Addr)> = plan
            .changes
            .iter()
            .filter_map(|c| Some((c.moved_from.clone()?, c.address.clone())))
            .collect();
        let forgotten: Vec<Addr> = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Forget)
            .map(|c| c.address.clone())
            .collect();
        if moves.is_empty() && forgotten.is_empty() {
            return Ok(());
        }
        let mut failed = None;
        let mut done = Vec::new();
        self.record(|s| {
            for (from, to) in &moves {
                let pending = s.resources.contains_key(from) || s.deposed.contains_key(from);
                if !pending {
                    continue;
                }
                match s.move_resource(from, to) {
                    Ok(()) => done.push((to.clone(), format!("moved from {from}"))),
                    Err(e) => {
                        failed = Some(e.to_string());
                        return;
                    }
                }
            }
            for addr in &forgotten {
                if s.resources.remove(addr).is_some() {
                    done.push((addr.clone(), "no longer managed: forgotten, left in AWS".to_string()));
                }
            }
        })
        .await
        .map_err(|e| e.to_string())?;
        if let Some(e) = failed {
            return Err(e);
        }
        for (addr, what) in done {
            self.reporter.start(&addr, "record");
            self.reporter.finish(&addr, &what);
            report.done += 1;
        }
        Ok(())
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
        tags.insert(TAG_STACK.into(), self.provider.stack().to_string());
        tags.insert(TAG_RESOURCE.into(), addr.to_string());
        tags
    }

    /// One create, update or replace, after adopting what an interrupted create left behind.
    async fn apply_change(&self, spec: &Spec, change: &plan::ResourceChange) -> Result<(), EngineError> {
        if let Some(id) = &change.import_id {
            return self.import(spec, change, id).await;
        }
        match self.adopt_earlier_attempt(spec, change).await? {
            Adoption::Update(update) => self.apply_one(spec, &update).await,
            Adoption::NotFound | Adoption::Deleted => self.apply_one(spec, change).await,
        }
    }

    /// `[[import]]`: adopts the existing resource `id` as the change's address, as `agentfs
    /// import` does (refused for an id the state records, or one tagged as another stack's),
    /// recording what AWS has; then brings it to the spec with an update where they differ. A
    /// difference that only a replace could make is an error: an import never deletes.
    async fn import(&self, spec: &Spec, change: &plan::ResourceChange, id: &str) -> Result<(), EngineError> {
        let addr = &change.address;
        let resource = spec.resources.get(addr).ok_or(EngineError::Unknown)?;
        let mut state = self.state().await;
        self.reporter.phase(addr, &format!("reading {id}"));
        crate::recover::import(self.provider, spec, &mut state, addr, id, false)
            .await
            .map_err(|e| EngineError::Import(e.to_string()))?;
        let Some(imported) = state.resources.get(addr).cloned() else {
            return Err(EngineError::Unknown);
        };
        let live = imported.config.clone();
        self.record(|s| {
            s.resources.insert(addr.clone(), imported);
        })
        .await?;
        let resolved = resolve(&resource.spec, &self.lookup().await)?;
        let config = plan::config_json(&resolved, &resource.sensitive);
        let sensitive: HashSet<String> = resolved
            .sensitive_paths()
            .into_iter()
            .chain(resource.sensitive.iter().cloned())
            .collect();
        let diffs = plan::diff(
            &live,
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
        if !triggers.is_empty() {
            return Err(EngineError::Import(format!(
                "{id} is imported, but its {} differ from the spec and cannot change in place; change the spec to what it has, or let the next plan replace it",
                triggers.join(", ")
            )));
        }
        if diffs.is_empty() {
            return Ok(());
        }
        self.apply_one(
            spec,
            &plan::ResourceChange {
                action: Action::Update,
                attributes: diffs,
                import_id: None,
                ..change.clone()
            },
        )
        .await
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
        let resolved = resolve_without_late(&resource.spec, &self.lookup().await, &resource.late)?;
        let config = plan::config_json(&resolved, &resource.sensitive);
        if earlier.config == config {
            // The same intent: its own token finds what it made.
            return Ok(Adoption::NotFound);
        }
        let Some(found) = self.made_by_earlier_attempt(addr, &earlier.config).await? else {
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
            return Ok(Adoption::Update(Box::new(plan::ResourceChange {
                action: Action::Update,
                attributes: diffs,
                ..change.clone()
            })));
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

    /// What an interrupted create of `addr` with configuration `intended` made, if AWS has it
    /// and no recorded resource claims it: the copy tagged with the address, or, for kinds AWS
    /// cannot tag, the one whose identifying fields are the intended ones.
    async fn made_by_earlier_attempt(
        &self,
        addr: &Addr,
        intended: &serde_json::Value,
    ) -> Result<Option<Created>, EngineError> {
        let address = addr.to_string();
        let state = self.state().await;
        // Old copies kept for a create-before-destroy replace carry the same tags.
        let claimed: HashSet<String> = state
            .resources
            .values()
            .chain(state.deposed.values().flatten())
            .filter_map(|r| r.id.clone())
            .collect();
        let found: Vec<Found> = self
            .provider
            .find(addr.kind, &[])
            .await?
            .into_iter()
            .filter(|f| !claimed.contains(&f.created.id))
            .collect();
        if let Some(tagged) = found.iter().find(|f| f.address() == Some(address.as_str())) {
            return Ok(Some(tagged.created.clone()));
        }
        for untagged in found.iter().filter(|f| f.address().is_none()) {
            let live = crate::recover::live_config(self.provider, addr, &untagged.created, intended).await?;
            if live.is_some_and(|live| crate::recover::same_identity(addr.kind, &live, intended)) {
                return Ok(Some(untagged.created.clone()));
            }
        }
        Ok(None)
    }

    async fn apply_one(&self, spec: &Spec, change: &plan::ResourceChange) -> Result<(), EngineError> {
        let addr = &change.address;
        let resource = spec.resources.get(addr).ok_or(EngineError::Unknown)?;
        let resolved = resolve_without_late(&resource.spec, &self.lookup().await, &resource.late)?;
        let config = plan::config_json(&resolved, &resource.sensitive);
        let config_tags = serde_json::to_value(&resolved).unwrap_or_default();
        let tags = self.full_tags(addr, &config_tags);
        let deps: Vec<Addr> = resource.deps.iter().cloned().collect();
        let late: Vec<Addr> = resource.late.iter().cloned().collect();
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
                match self.provider.update(&resolved, &call, &prior_view).await {
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
                    r.late = late;
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
        let mut generation = recorded.as_ref().map_or(0, |r| r.generation);
        if create_first {
            generation += 1;
        }
        // `retry`: the same intent again (a crash or failure in between), which may already have
        // made the resource; then AWS's refusal says nothing about it, so only a first attempt's
        // refusal proves that nothing exists.
        let (token, retry) = match &recorded {
            // The same idempotent call as before.
            Some(ResourceState {
                phase: Phase::Creating { client_token },
                config: intended,
                ..
            }) if !create_first && *intended == config => (client_token.clone(), true),
            // Anything else is a new intent and gets a token never sent before: AWS remembers
            // tokens (EC2 for at least a day), so one derived from things that do not change
            // would make a resource deleted outside agentfs, or removed with `state rm`,
            // uncreatable ("same client token as a previous, non-identical request"), and a
            // changed spec would be refused as IdempotentParameterMismatch.
            Some(ResourceState {
                phase: Phase::Creating { .. },
                ..
            }) if !create_first => {
                generation += 1;
                (resources::fresh_token(), false)
            }
            _ => (resources::fresh_token(), false),
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
                    late: late.clone(),
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
        let created = match self.provider.create(&resolved, &call).await {
            Ok(created) => created,
            Err(DispatchError::Api(e)) if e.kind == ErrorKind::NotAttempted || (!retry && refused(addr, &e)) => {
                // Nothing was made (agentfs did not call, or AWS refused the call that makes
                // it): the intent is taken back, so destroy has nothing to find.
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
                                late,
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
                    late,
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
}

/// Whether AWS refused the call that makes a resource of `addr`'s kind.
fn refused(addr: &Addr, e: &resources::ApiError) -> bool {
    e.operation == addr.kind.create_call() && e.is_refusal()
}

/// Whether AWS took the delete on although it did not finish in time.
fn accepted(refused: &DispatchError) -> bool {
    matches!(refused, DispatchError::Api(e) if e.kind == ErrorKind::WaitTimeout)
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
        self.state.attribute(&attr.addr, &attr.attribute)
    }
}

#[cfg(test)]
mod tests;
