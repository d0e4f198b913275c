//! Recorded state: what agentfs made, with the ids, attributes and dependencies
//! that a later plan, drift check or destroy needs without the spec.

use std::collections::BTreeMap;
use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::lang::Addr;

/// Bumped when the state file's shape changes incompatibly.
pub const STATE_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub format_version: u32,
    /// Random id of this stack's state history; a state of another lineage is another stack.
    pub lineage: String,
    /// Incremented on every write.
    pub serial: u64,
    pub stack: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default)]
    pub resources: BTreeMap<Addr, ResourceState>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputValue>,
    /// Old copies of resources replaced create-before-destroy, oldest first: the new copy is in
    /// `resources`, and these are deleted once nothing uses them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deposed: BTreeMap<Addr, Vec<ResourceState>>,
    /// Resources the stack uses but does not own (`existing = { ... }`, literal ids), as the
    /// last apply read them: read-only, never changed or deleted; destroy forgets them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reads: BTreeMap<Addr, ReadState>,
}

impl State {
    pub fn new(stack: &str, region: &str) -> State {
        State {
            format_version: STATE_FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            stack: stack.to_string(),
            region: region.to_string(),
            account_id: None,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            deposed: BTreeMap::new(),
            reads: BTreeMap::new(),
        }
    }

    /// An attribute of a created resource, or of an existing one read for this stack.
    pub fn attribute(&self, addr: &Addr, attribute: &str) -> Option<String> {
        match self.resources.get(addr) {
            Some(r) => matches!(r.phase, Phase::Created).then(|| r.attributes.get(attribute).cloned())?,
            None => self.reads.get(addr)?.attributes.get(attribute).cloned(),
        }
    }

    /// Refuses a state that is not `owner`'s: recorded for another stack, in another region,
    /// or (once the credentials are known, `account`) in another account. Planning or applying
    /// such a state would replace, delete or adopt resources that belong to someone else, so
    /// every command checks it before its first AWS call that could change anything.
    pub fn check_owner(&self, location: &str, owner: &Owner, account: Option<&str>) -> Result<(), StateError> {
        let path = location.to_string();
        if let Some(stack) = &owner.stack
            && *stack != self.stack
        {
            return Err(StateError::OtherStack {
                path,
                recorded: self.stack.clone(),
                expected: stack.clone(),
            });
        }
        if let Some(region) = &owner.region
            && *region != self.region
        {
            return Err(StateError::OtherRegion {
                path,
                stack: self.stack.clone(),
                recorded: self.region.clone(),
                expected: region.clone(),
            });
        }
        if let (Some(recorded), Some(found)) = (&self.account_id, account)
            && recorded != found
        {
            return Err(StateError::OtherAccount {
                path,
                stack: self.stack.clone(),
                recorded: recorded.clone(),
                found: found.to_string(),
            });
        }
        Ok(())
    }

    /// Gives the record of `from` (and its deposed copies) the address `to`, and rewrites the
    /// dependencies other records name it by: a rename, with nothing changed in AWS.
    pub fn move_resource(&mut self, from: &Addr, to: &Addr) -> Result<(), MoveError> {
        if from.kind != to.kind {
            return Err(MoveError::Kind {
                from: from.clone(),
                to: to.clone(),
            });
        }
        if !self.resources.contains_key(from) && !self.deposed.contains_key(from) {
            return Err(MoveError::Missing { from: from.clone() });
        }
        if self.resources.contains_key(to) || self.deposed.contains_key(to) {
            return Err(MoveError::Taken { to: to.clone() });
        }
        let record = self.resources.remove(from);
        let deposed = self.deposed.remove(from);
        if let Some(record) = record {
            self.resources.insert(to.clone(), record);
        }
        if let Some(deposed) = deposed {
            self.deposed.insert(to.clone(), deposed);
        }
        for record in self.resources.values_mut().chain(self.deposed.values_mut().flatten()) {
            for dep in record.deps.iter_mut().chain(record.late.iter_mut()) {
                if dep == from {
                    *dep = to.clone();
                }
            }
        }
        Ok(())
    }

    /// What the recorded copies of `addr` (current and deposed) depend on.
    pub fn recorded_deps(&self, addr: &Addr) -> impl Iterator<Item = &Addr> {
        self.resources
            .get(addr)
            .into_iter()
            .chain(self.deposed.get(addr).into_iter().flatten())
            .flat_map(|r| r.deps.iter())
    }
}

/// Why a recorded resource cannot take another address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    #[error("`{from}` cannot move to `{to}`: a move keeps the kind")]
    Kind { from: Addr, to: Addr },
    #[error("`{to}` is already in the state: a move cannot overwrite a recorded resource")]
    Taken { to: Addr },
    #[error("`{from}` is not in the state")]
    Missing { from: Addr },
}

/// Whose state a command expects: the spec's stack and region, or the stack a command
/// without a spec was pointed at (`None`: not known, not checked).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owner {
    pub stack: Option<String>,
    pub region: Option<String>,
}

impl Owner {
    pub fn new(stack: &str, region: &str) -> Owner {
        Owner {
            stack: Some(stack.to_string()),
            region: Some(region.to_string()),
        }
    }
}

/// Where a resource stands. `Creating` is written before the create call, so a crash
/// between the call and its record leaves a trail the next apply follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "phase")]
pub enum Phase {
    /// A create was started with this idempotency token; the resource may or may not exist.
    Creating { client_token: String },
    /// The resource exists and `id` is its AWS id.
    Created,
    /// A delete was started; the resource may already be gone.
    Deleting,
}

// No `deny_unknown_fields` here: serde cannot combine it with the flattened phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    #[serde(flatten)]
    pub phase: Phase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Exported attributes (`id`, `arn`, ...) other resources and outputs read.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// The evaluated configuration as last applied (sensitive values redacted).
    #[serde(default)]
    pub config: serde_json::Value,
    /// What this resource depends on, so destroy can order deletes without the spec.
    #[serde(default)]
    pub deps: Vec<Addr>,
    /// What this resource names that also names it (security groups allowing each other; see
    /// `late` on the loaded spec's resources): destroy takes those references out before deleting
    /// either.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub late: Vec<Addr>,
    /// How many times the resource was replaced; part of its idempotency tokens.
    #[serde(default)]
    pub generation: u32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prevent_destroy: bool,
    /// The spec's `timeouts.delete` in seconds, so that destroy honours it without the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_timeout: Option<u64>,
    /// AWS's reason when the resource reached a state it will not leave (CREATE_FAILED,
    /// `failed`, `error`): the next plan replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// An existing resource as read: found, never made, by agentfs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadState {
    /// Always `read`: says what this entry is to anyone reading the file.
    #[serde(default = "read_mode")]
    pub mode: String,
    pub id: String,
    /// How it was found (`id subnet-...`, `tags Name=core-vpc`).
    pub selector: String,
    /// Its attributes (`id`, `arn`, `availability_zone`, ...) as other resources use them.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

fn read_mode() -> String {
    "read".into()
}

impl ReadState {
    pub fn new(id: String, selector: String, attributes: BTreeMap<String, String>) -> ReadState {
        ReadState {
            mode: read_mode(),
            id,
            selector,
            attributes,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputValue {
    /// A string, or a list of strings (a list output); states written before lists were
    /// possible hold strings and load as they are.
    pub value: serde_json::Value,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// Who holds a stack's lock, shown to anyone who finds it taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub id: String,
    pub holder: String,
    pub pid: u32,
    /// Seconds since the Unix epoch.
    pub created: u64,
    pub operation: String,
}

impl LockInfo {
    pub fn new(operation: &str) -> LockInfo {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        let host = hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "unknown".into());
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            holder: format!("{user}@{host}"),
            pid: std::process::id(),
            created: now_secs(),
            operation: operation.to_string(),
        }
    }

    pub fn age_secs(&self) -> u64 {
        now_secs().saturating_sub(self.created)
    }
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "held by {} (pid {}) for `{}` since {}s ago; lock id {}",
            self.holder,
            self.pid,
            self.operation,
            self.age_secs(),
            self.id
        )
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("state {path} is not valid: {source}")]
    Corrupt {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("state {path} has format version {found}; this agentfs reads version {STATE_FORMAT_VERSION}")]
    Version { path: String, found: u32 },
    #[error("stack `{stack}` is locked: {info}. If that process is gone, run `agentfs force-unlock {}`", info.id)]
    Locked { stack: String, info: LockInfo },
    #[error("no lock with id {0} is held")]
    NoSuchLock(String),
    #[error(
        "state {path} was changed by another writer since it was read; nothing was overwritten. Run the command again"
    )]
    Conflict { path: String },
    #[error(
        "the state at {path} records stack `{recorded}`, not `{expected}`: it is another stack's state, and using it would change or delete `{recorded}`'s resources. Move it back to where stack `{recorded}` keeps its state, or run with the spec of stack `{recorded}`"
    )]
    OtherStack {
        path: String,
        recorded: String,
        expected: String,
    },
    #[error(
        "the state at {path} records stack `{stack}` in {recorded}, but the spec says region {expected}: agentfs does not move a stack between regions, and planning it in {expected} would leave what exists in {recorded} behind, unmanaged. Destroy it first in {recorded} with `agentfs destroy --stack {stack}` (run beside the state; it needs no spec), or set region back to \"{recorded}\""
    )]
    OtherRegion {
        path: String,
        stack: String,
        recorded: String,
        expected: String,
    },
    #[error(
        "the state at {path} records stack `{stack}` in AWS account {recorded}, but the credentials are of account {found}: use credentials of account {recorded} (AWS_PROFILE, AWS_ACCESS_KEY_ID), or another state"
    )]
    OtherAccount {
        path: String,
        stack: String,
        recorded: String,
        found: String,
    },
    #[error("state {path}: {operation} failed: {message}")]
    Remote {
        path: String,
        operation: &'static str,
        message: String,
    },
}

/// Where a stack's state lives. Each backend stores one stack's state and its lock.
pub trait Backend: Send + Sync {
    /// A short description for messages (`.agentfs/fsverify.state.json`, `s3://bucket/key`).
    fn describe(&self) -> String;
    fn load(&self) -> impl Future<Output = Result<Option<State>, StateError>> + Send;
    /// Replaces the stored state atomically: a reader sees the old or the new, never a mix;
    /// a write that another writer overtook is refused, never merged or overwritten.
    fn save(&self, state: &State) -> impl Future<Output = Result<(), StateError>> + Send;
    /// Removes the stored state (after a destroy left nothing).
    fn remove(&self) -> impl Future<Output = Result<(), StateError>> + Send;
    /// Takes the stack's lock or reports who holds it.
    fn lock(&self, info: &LockInfo) -> impl Future<Output = Result<(), StateError>> + Send;
    fn unlock(&self, id: &str) -> impl Future<Output = Result<(), StateError>> + Send;
    fn current_lock(&self) -> impl Future<Output = Result<Option<LockInfo>, StateError>> + Send;
}

/// The configured backend, chosen at run time.
pub enum Store {
    Local(local::LocalBackend),
    S3(s3::S3Backend),
}

macro_rules! delegate {
    ($self:ident, $b:ident => $call:expr) => {
        match $self {
            Store::Local($b) => $call,
            Store::S3($b) => $call,
        }
    };
}

impl Backend for Store {
    fn describe(&self) -> String {
        delegate!(self, b => b.describe())
    }
    async fn load(&self) -> Result<Option<State>, StateError> {
        delegate!(self, b => b.load().await)
    }
    async fn save(&self, state: &State) -> Result<(), StateError> {
        delegate!(self, b => b.save(state).await)
    }
    async fn remove(&self) -> Result<(), StateError> {
        delegate!(self, b => b.remove().await)
    }
    async fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        delegate!(self, b => b.lock(info).await)
    }
    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        delegate!(self, b => b.unlock(id).await)
    }
    async fn current_lock(&self) -> Result<Option<LockInfo>, StateError> {
        delegate!(self, b => b.current_lock().await)
    }
}

/// Checks a state read from elsewhere (a backend, a file to push) before trusting it.
pub fn parse_state(path: &str, text: &[u8]) -> Result<State, StateError> {
    let value: serde_json::Value = serde_json::from_slice(text).map_err(|source| StateError::Corrupt {
        path: path.to_string(),
        source,
    })?;
    let found = value["format_version"].as_u64().unwrap_or(0) as u32;
    if found != STATE_FORMAT_VERSION {
        return Err(StateError::Version {
            path: path.to_string(),
            found,
        });
    }
    serde_json::from_value(value).map_err(|source| StateError::Corrupt {
        path: path.to_string(),
        source,
    })
}

pub mod local;
pub mod s3;

#[cfg(test)]
mod move_tests {
    use super::*;

    fn record(deps: &[&str]) -> ResourceState {
        ResourceState {
            phase: Phase::Created,
            id: Some("id".into()),
            attributes: BTreeMap::new(),
            config: serde_json::json!({}),
            deps: deps.iter().map(|d| d.parse().unwrap()).collect(),
            late: Vec::new(),
            generation: 0,
            prevent_destroy: false,
            delete_timeout: None,
            failed: None,
        }
    }

    #[test]
    fn a_move_renames_the_record_and_what_names_it() {
        let a = |t: &str| -> Addr { t.parse().unwrap() };
        let mut state = State::new("s", "us-east-1");
        state.resources.insert(a("subnet.first"), record(&["vpc.main"]));
        state.resources.insert(a("vpc.main"), record(&[]));
        state
            .resources
            .insert(a("route_table_association.x"), record(&["subnet.first"]));
        state.move_resource(&a("subnet.first"), &a("subnet.primary")).unwrap();
        assert!(state.resources.contains_key(&a("subnet.primary")));
        assert_eq!(
            state.resources[&a("route_table_association.x")].deps,
            vec![a("subnet.primary")]
        );
        assert_eq!(
            state.move_resource(&a("subnet.first"), &a("subnet.other")),
            Err(MoveError::Missing {
                from: a("subnet.first")
            })
        );
        assert_eq!(
            state.move_resource(&a("vpc.main"), &a("subnet.primary")),
            Err(MoveError::Kind {
                from: a("vpc.main"),
                to: a("subnet.primary")
            })
        );
        state.resources.insert(a("subnet.second"), record(&[]));
        assert_eq!(
            state.move_resource(&a("subnet.second"), &a("subnet.primary")),
            Err(MoveError::Taken {
                to: a("subnet.primary")
            })
        );
    }
}
