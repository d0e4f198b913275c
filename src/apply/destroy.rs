//! Destroy: deleting recorded resources dependents first, old copies, and what a delete did.

use super::*;

impl<P: Provider> Engine<'_, P> {
    /// Deletes every recorded resource, dependents first; what cannot go stays recorded.
    pub async fn destroy(&self) -> Report {
        let changes = plan::destroy_changes(&self.state().await);
        self.destroy_these(&changes, false).await
    }

    /// Deletes the recorded resources of `changes` (a destroy plan's, perhaps limited by
    /// `--target` / `--exclude`: then the outputs stay), dependents first.
    pub async fn destroy_these(&self, changes: &[plan::ResourceChange], limited: bool) -> Report {
        let state = self.state().await;
        let mut report = Report::default();
        let graph = match plan::operations(changes, Some(&state)) {
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
                if let Op::Detach(_) = op {
                    self.reporter.start(&addr, "detach");
                    let result = self.detach(&addr).await;
                    match &result {
                        Ok(true) => self.reporter.finish(&addr, "detached"),
                        Ok(false) => self.reporter.finish(&addr, "nothing to detach"),
                        Err(e) => self.reporter.fail(&addr, &e.to_string()),
                    }
                    return result.map(|_| ());
                }
                self.reporter
                    .start(&addr, if deposed { "delete the old copy" } else { "delete" });
                let result = if deposed {
                    self.delete_deposed(&addr, None).await.map(|()| Deleted::Deleted)
                } else {
                    self.delete_one(&addr, false, None).await
                };
                match &result {
                    Ok(outcome) => self.reporter.finish(&addr, &outcome.past(deposed)),
                    Err(e) => self.reporter.fail(&addr, &e.to_string()),
                }
                result.map(|_| ())
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
        } else if !limited
            && let Err(e) = self
                .record(|s| {
                    s.outputs.clear();
                    // Existing resources were never this stack's: forgotten, not deleted.
                    s.reads.clear();
                })
                .await
        {
            report.failures.push((Subject::State, e.to_string()));
        }
        report
    }

    pub(super) async fn delete_one(
        &self,
        addr: &Addr,
        replacing: bool,
        timeout: Option<Duration>,
    ) -> Result<Deleted, EngineError> {
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
        if let Phase::Creating { .. } = &recorded.phase {
            // The create may or may not have happened. Repeating it to learn the id would
            // make the resource when it had not been made (and fail forever when AWS refuses
            // it): instead it is looked up the way `recover` finds it, and deleted if found.
            match self.made_by_earlier_attempt(addr, &recorded.config).await? {
                Some(found) => {
                    recorded.id = Some(found.id);
                    recorded.attributes = found.attributes;
                }
                None => {
                    self.record(|s| forget(s, addr, replacing)).await?;
                    return Ok(Deleted::NothingMade);
                }
            }
        }
        self.record(|s| {
            if let Some(r) = s.resources.get_mut(addr) {
                r.phase = Phase::Deleting;
                r.id = recorded.id.clone();
                r.attributes = recorded.attributes.clone();
            }
        })
        .await?;
        let outcome = match self.delete_recorded(addr, &recorded, timeout, &progress).await {
            Ok(outcome) => outcome,
            Err(refused) => {
                // A refused delete leaves the resource as it was; only a delete that AWS accepted
                // but that did not finish in time stays recorded as deleting.
                let accepted = matches!(&refused, EngineError::Api(e) if accepted(e));
                self.record(|s| {
                    if let Some(r) = s.resources.get_mut(addr).filter(|_| !accepted) {
                        r.phase = Phase::Created;
                    }
                })
                .await?;
                return Err(refused);
            }
        };
        self.record(|s| forget(s, addr, replacing)).await?;
        Ok(outcome)
    }

    /// The delete call for one recorded copy of `addr`, after making sure it is this stack's
    /// to delete: a resource tagged for another stack is never deleted (its state was copied
    /// or imported by mistake), and one AWS no longer lists is reported as already gone.
    pub(super) async fn delete_recorded(
        &self,
        addr: &Addr,
        recorded: &ResourceState,
        timeout: Option<Duration>,
        progress: &ResourceProgress<'_>,
    ) -> Result<Deleted, EngineError> {
        let address = addr.to_string();
        let tags = self.full_tags(addr, &recorded.config);
        let id = recorded.id.clone().unwrap_or_default();
        let listed = if id.is_empty() {
            None
        } else {
            self.provider.find(addr.kind, &[id.as_str()]).await?.into_iter().next()
        };
        if let Some(owner) = listed.as_ref().and_then(|f| f.owner.stack.as_deref())
            && owner != self.provider.stack()
        {
            return Err(EngineError::OtherStack {
                id,
                stack: owner.to_string(),
            });
        }
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
        // Called even when the listing missed it (a listing can lag a create): the delete
        // treats "not found" as done.
        self.provider
            .delete(addr.kind, &address, &prior, timeout, progress)
            .await?;
        Ok(if listed.is_some() {
            addr.kind
                .deletion_note(&recorded.config)
                .map_or(Deleted::Deleted, Deleted::Scheduled)
        } else {
            Deleted::AlreadyGone
        })
    }

    /// Deletes the old copies of `addr` that create-before-destroy replaces left, oldest first.
    pub(super) async fn delete_deposed(&self, addr: &Addr, timeout: Option<Duration>) -> Result<(), EngineError> {
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
                let accepted = matches!(&refused, EngineError::Api(e) if accepted(e));
                self.record(|s| {
                    let first = s.deposed.get_mut(addr).and_then(|c| c.first_mut());
                    if let Some(first) = first.filter(|_| !accepted) {
                        first.phase = Phase::Created;
                    }
                })
                .await?;
                return Err(refused);
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

/// What a delete did, for the report: only a resource that was there is reported deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    Deleted,
    /// AWS accepted the resource's deletion for later (a KMS key): the note says when.
    Scheduled(String),
    /// AWS no longer listed it.
    AlreadyGone,
    /// An interrupted create's intent whose create made nothing: only the record went.
    NothingMade,
}

impl Deleted {
    /// The past tense shown for the operation.
    pub fn past(&self, deposed: bool) -> std::borrow::Cow<'static, str> {
        match (self, deposed) {
            (Deleted::Deleted, false) => "deleted".into(),
            (Deleted::Deleted, true) => "deleted the old copy".into(),
            (Deleted::Scheduled(note), _) => note.clone().into(),
            (Deleted::AlreadyGone, _) => "already gone (AWS no longer lists it): removed from state".into(),
            (Deleted::NothingMade, _) => {
                "nothing to delete (its interrupted create made nothing): removed from state".into()
            }
        }
    }
}

/// Drops the record of `addr` once it is gone, or, for a replace, leaves a tombstone so the
/// new copy gets a new generation and a fresh idempotency token.
pub(super) fn forget(state: &mut State, addr: &Addr, replacing: bool) {
    if !replacing {
        state.resources.remove(addr);
        return;
    }
    if let Some(r) = state.resources.get_mut(addr) {
        r.phase = Phase::Creating {
            client_token: resources::fresh_token(),
        };
        r.generation += 1;
        r.failed = None;
        r.id = None;
        r.attributes.clear();
    }
}

/// Takes back the copy of `addr` deposed last (its replacement was not made after all).
pub(super) fn undepose(state: &mut State, addr: &Addr) {
    if let Some(copies) = state.deposed.get_mut(addr) {
        copies.pop();
        if copies.is_empty() {
            state.deposed.remove(addr);
        }
    }
}
