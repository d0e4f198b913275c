//! An in-process provider for engine tests, in the spirit of Pulumi's deploytest provider: an
//! in-memory account that honours client tokens (a token seen again with the same request
//! answers the same resource; with another request it is refused, as AWS does) and tags (find
//! answers by the `agentfs:stack` / `agentfs:resource` tags), and fails on demand: AWS refusing
//! a call, a call that took effect but whose answer was lost ("crashed after the call"), a
//! resource left in a failed state, throttling.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use super::Provider;
use crate::resources::tags::Owner;
use crate::resources::{
    ApiError, Call, Created, DispatchError, ErrorKind, Found, Kind, Listed, Prior, Progress, ResourceSpec,
    TAG_RESOURCE, TAG_STACK,
};

/// Which call a fault is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Create,
    Update,
    Delete,
}

/// What goes wrong, once, on the next matching call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// AWS refuses the call with this error code: nothing happens.
    Refuse(&'static str),
    /// The call takes effect, but its answer never arrives (the connection dropped).
    LostAnswer,
    /// A create makes the resource, which then reaches a state it will not leave.
    FailedState(&'static str),
    /// A delete is refused while something else uses the resource.
    InUse,
}

/// One resource in the fake account.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    pub kind: Kind,
    pub config: serde_json::Value,
    pub tags: BTreeMap<String, String>,
    pub failed: Option<String>,
}

#[derive(Debug, Default)]
struct World {
    next: u64,
    live: BTreeMap<String, Live>,
    /// Token -> (the request it came with, the id it made).
    tokens: HashMap<String, (serde_json::Value, String)>,
    faults: Vec<(Verb, String, Fault)>,
    calls: Vec<String>,
}

/// The fake account of one stack.
pub struct Fake {
    stack: String,
    world: Mutex<World>,
}

impl Fake {
    pub fn new(stack: &str) -> Fake {
        Fake {
            stack: stack.to_string(),
            world: Mutex::new(World::default()),
        }
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next `verb` on `address` meets `fault`.
    pub fn inject(&self, verb: Verb, address: &str, fault: Fault) {
        self.world().faults.push((verb, address.to_string(), fault));
    }

    /// Every call made so far, as `create vpc.main`, `delete subnet.a`, `find vpc`, ...
    pub fn calls(&self) -> Vec<String> {
        self.world().calls.clone()
    }

    /// What exists, by id.
    pub fn live(&self) -> BTreeMap<String, Live> {
        self.world().live.clone()
    }

    /// Ids of what exists of `kind`.
    pub fn ids(&self, kind: Kind) -> Vec<String> {
        self.world()
            .live
            .iter()
            .filter(|(_, l)| l.kind == kind)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Somebody outside agentfs deletes `id`.
    pub fn delete_outside(&self, id: &str) {
        self.world().live.remove(id);
    }

    /// Somebody outside agentfs makes a resource (for name clashes and other stacks' resources).
    pub fn make_outside(&self, kind: Kind, tags: &[(&str, &str)]) -> String {
        let mut world = self.world();
        let id = next_id(&mut world, kind);
        world.live.insert(
            id.clone(),
            Live {
                kind,
                config: serde_json::Value::Null,
                tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                failed: None,
            },
        );
        id
    }

    /// Sets one tag of `id`, as a user with the console would.
    pub fn tag(&self, id: &str, key: &str, value: &str) {
        if let Some(live) = self.world().live.get_mut(id) {
            live.tags.insert(key.to_string(), value.to_string());
        }
    }

    fn take_fault(world: &mut World, verb: Verb, address: &str) -> Option<Fault> {
        let at = world.faults.iter().position(|(v, a, _)| *v == verb && a == address)?;
        Some(world.faults.remove(at).2)
    }
}

fn next_id(world: &mut World, kind: Kind) -> String {
    world.next += 1;
    format!("{}-{:08x}", kind.key().replace('_', ""), world.next)
}

fn created(kind: Kind, id: &str) -> Created {
    kind.attributes()
        .iter()
        .filter(|a| **a != "id")
        .fold(Created::new(id), |c, attribute| match *attribute {
            "arn" => c.with("arn", format!("arn:fake:{}:{id}", kind.key())),
            other => c.with(other, format!("{other}-of-{id}")),
        })
}

fn refused(operation: &'static str, code: &str) -> DispatchError {
    DispatchError::Api(ApiError::new(
        operation,
        code,
        format!("the fake account refuses: {code}"),
    ))
}

fn lost(operation: &'static str) -> DispatchError {
    DispatchError::Api(ApiError::new(
        operation,
        "DispatchFailure",
        "connection reset before the answer",
    ))
}

impl Provider for Fake {
    fn stack(&self) -> &str {
        &self.stack
    }

    fn region(&self) -> &str {
        "us-east-1"
    }

    fn account_id(&self) -> &str {
        "123456789012"
    }

    fn create(&self, spec: &ResourceSpec, call: &Call<'_>) -> impl Future<Output = Result<Created, DispatchError>> {
        let kind = spec.kind();
        let request = serde_json::to_value(spec).unwrap_or_default();
        let result = (|| {
            let mut world = self.world();
            world.calls.push(format!("create {}", call.address));
            let operation = kind.create_call();
            let fault = Fake::take_fault(&mut world, Verb::Create, call.address);
            if let Some(Fault::Refuse(code)) = fault {
                return Err(refused(operation, code));
            }
            if let Some((earlier, id)) = world.tokens.get(call.token).cloned() {
                if earlier != request {
                    return Err(refused(operation, "IdempotentParameterMismatch"));
                }
                return Ok(created(kind, &id));
            }
            let id = next_id(&mut world, kind);
            world
                .tokens
                .insert(call.token.to_string(), (request.clone(), id.clone()));
            let failed = match &fault {
                Some(Fault::FailedState(reason)) => Some(reason.to_string()),
                _ => None,
            };
            world.live.insert(
                id.clone(),
                Live {
                    kind,
                    config: request,
                    tags: call.tags.clone(),
                    failed: failed.clone(),
                },
            );
            match fault {
                Some(Fault::LostAnswer) => Err(lost(operation)),
                _ if failed.is_some() => {
                    let mut e = ApiError::new(operation, "ResourceFailed", failed.unwrap_or_default()).about(&id);
                    e.kind = ErrorKind::Failed;
                    Err(DispatchError::Api(e))
                }
                _ => Ok(created(kind, &id)),
            }
        })();
        std::future::ready(result)
    }

    fn update(
        &self,
        spec: &ResourceSpec,
        call: &Call<'_>,
        prior: &Prior<'_>,
    ) -> impl Future<Output = Result<Created, DispatchError>> {
        let kind = spec.kind();
        let request = serde_json::to_value(spec).unwrap_or_default();
        let result = (|| {
            let mut world = self.world();
            world.calls.push(format!("update {}", call.address));
            let operation = "fake:Update";
            match Fake::take_fault(&mut world, Verb::Update, call.address) {
                Some(Fault::Refuse(code)) => return Err(refused(operation, code)),
                Some(Fault::LostAnswer) => return Err(lost(operation)),
                _ => {}
            }
            let Some(live) = world.live.get_mut(prior.id) else {
                return Err(refused(operation, "NotFound"));
            };
            live.config = request;
            live.tags = call.tags.clone();
            Ok(created(kind, prior.id))
        })();
        std::future::ready(result)
    }

    fn delete(
        &self,
        kind: Kind,
        address: &str,
        prior: &Prior<'_>,
        _timeout: Option<Duration>,
        _progress: &dyn Progress,
    ) -> impl Future<Output = Result<(), DispatchError>> {
        let result = (|| {
            let mut world = self.world();
            world.calls.push(format!("delete {address}"));
            let operation = "fake:Delete";
            match Fake::take_fault(&mut world, Verb::Delete, address) {
                Some(Fault::Refuse(code)) => return Err(refused(operation, code)),
                Some(Fault::InUse) => return Err(refused(operation, "DependencyViolation")),
                Some(Fault::LostAnswer) => {
                    world.live.remove(prior.id);
                    return Err(lost(operation));
                }
                _ => {}
            }
            // As EC2 does, a security group another group's rule names cannot be deleted.
            let named = kind == Kind::SecurityGroup
                && world
                    .live
                    .iter()
                    .any(|(id, l)| id != prior.id && l.config.to_string().contains(&format!("\"{}\"", prior.id)));
            match world.live.get(prior.id) {
                Some(live) if live.kind != kind => Err(refused(operation, "InvalidId")),
                Some(_) if named => Err(refused(operation, "DependencyViolation")),
                _ => {
                    world.live.remove(prior.id);
                    Ok(())
                }
            }
        })();
        std::future::ready(result)
    }

    fn find(&self, kind: Kind, ids: &[&str]) -> impl Future<Output = Result<Vec<Found>, DispatchError>> {
        let mut world = self.world();
        world.calls.push(format!("find {}", kind.key()));
        let found = world
            .live
            .iter()
            .filter(|(id, l)| l.kind == kind && (ids.is_empty() || ids.contains(&id.as_str())))
            .filter(|(_, l)| !ids.is_empty() || l.tags.get(TAG_STACK) == Some(&self.stack))
            .map(|(id, l)| Found {
                owner: Owner {
                    stack: l.tags.get(TAG_STACK).cloned(),
                    address: l.tags.get(TAG_RESOURCE).cloned(),
                },
                created: created(kind, id),
            })
            .collect();
        std::future::ready(Ok(found))
    }

    fn lookup(
        &self,
        kind: Kind,
        query: &crate::resources::Query<'_>,
    ) -> impl Future<Output = Result<Vec<Found>, DispatchError>> {
        let mut world = self.world();
        world.calls.push(format!("lookup {}", kind.key()));
        let found = world
            .live
            .iter()
            .filter(|(_, l)| l.kind == kind && query.tags.iter().all(|(k, v)| l.tags.get(k) == Some(v)))
            .map(|(id, l)| Found {
                owner: Owner {
                    stack: l.tags.get(TAG_STACK).cloned(),
                    address: l.tags.get(TAG_RESOURCE).cloned(),
                },
                created: created(kind, id),
            })
            .collect();
        std::future::ready(Ok(found))
    }

    fn read(
        &self,
        _kind: Kind,
        listed: &[Listed<'_>],
    ) -> impl Future<Output = Result<Vec<Option<serde_json::Value>>, DispatchError>> {
        // Nothing drifts in the fake account but existence: what exists reads as recorded.
        let world = self.world();
        let live = listed
            .iter()
            .map(|l| world.live.get(l.prior.id).map(|_| l.prior.config.clone()))
            .collect();
        std::future::ready(Ok(live))
    }
}
