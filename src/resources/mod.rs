//! The kind catalog. Everything about one resource kind lives in its file (`vpc.rs`, ...):
//! its spec struct, the attributes it exports, what forces replacement, its checks, timeouts
//! and its create / read / update / delete / find. The registry below turns the crate's list
//! of kinds (`for_each_kind!` in `lib.rs`) into what a [`Kind`] knows about itself,
//! [`ResourceSpec`] and the dispatch functions the engine calls, so the spec, plan, apply, drift
//! and recover code never name a kind.
//!
//! A kind too big for one file is a directory split by job (`agentcore_runtime/`).
//!
//! Service-level helpers sit beside the kinds, and what kinds share lives there, never in a
//! sibling kind file: [`aws`] (clients, errors, waiters, retries; below `resources`, since the
//! state store shares it), [`ec2`] (describes and
//! finders), [`tags`] (one tag-sync routine for every service), [`agentcore`], [`efs`],
//! [`s3files`], [`mount_family`] (the EFS and S3 Files access points and mount targets),
//! [`policy_document`] (IAM's policy grammar), [`sg_rules`] (the security-group rule algebra).

pub mod agentcore;
pub mod artifact;
pub mod ec2;
pub mod efs;
pub mod image;
pub mod lookup;
pub mod mount_family;
pub mod network;
pub mod policy_document;
pub mod posix;
pub mod s3files;
pub mod sg_rules;
pub mod tags;

pub mod agentcore_browser;
pub mod agentcore_code_interpreter;
pub mod agentcore_gateway;
pub mod agentcore_gateway_target;
pub mod agentcore_memory;
pub mod agentcore_runtime;
pub mod agentcore_runtime_endpoint;
pub mod ecr_repository;
pub mod efs_access_point;
pub mod efs_file_system;
pub mod efs_mount_target;
pub mod elastic_ip;
pub mod iam_policy;
pub mod iam_role;
pub mod internet_gateway;
pub mod kms_key;
pub mod log_group;
pub mod nat_gateway;
pub mod route;
pub mod route_table;
pub mod route_table_association;
pub mod s3_bucket;
pub mod s3files_access_point;
pub mod s3files_file_system;
pub mod s3files_mount_target;
pub mod security_group;
pub mod subnet;
pub mod vpc;
pub mod vpc_endpoint;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

pub use crate::aws::{self, ApiError, Clients, Ctx, ErrorKind, Progress, Quiet};
use crate::lang::SpanIndex;
use crate::lang::api::ApiMap;
use crate::lang::cfn::CfnType;
use crate::lang::diag::Diagnostic;
use crate::lang::existing::ExistingWays;
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName};
use crate::lang::model::{BackendSpec, Meta, OutputSpec, StackSettings};
pub use crate::lang::{Addr, Group, Kind};

/// Tag naming the stack that owns a resource.
pub const TAG_STACK: &str = "agentfs:stack";
/// Tag naming the resource's address in the spec (`subnet.private_a`).
pub const TAG_RESOURCE: &str = "agentfs:resource";

/// What a create or update needs besides the typed, fully evaluated configuration.
pub struct Request<'a, S> {
    /// The spec address, e.g. `subnet.private_a`.
    pub address: &'a str,
    /// Fields as in the spec, with references replaced by live ids and ARNs.
    pub spec: &'a S,
    /// Idempotency token: the same for every retry of one create, new after a replace.
    pub token: &'a str,
    /// Every tag the resource must carry: the user's, the stack's and agentfs's own.
    pub tags: &'a BTreeMap<String, String>,
    pub timeout: Duration,
    pub progress: &'a dyn Progress,
}

/// What state recorded about a resource, for update and delete.
pub struct Recorded<'a, S> {
    pub address: &'a str,
    pub id: &'a str,
    pub attributes: &'a BTreeMap<String, String>,
    /// The configuration as last applied.
    pub spec: &'a S,
    /// The tags as last applied.
    pub tags: &'a BTreeMap<String, String>,
    pub timeout: Duration,
    pub progress: &'a dyn Progress,
}

/// A resource that exists: its id and the attributes others may reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    pub attributes: BTreeMap<String, String>,
}

impl Created {
    pub fn new(id: impl Into<String>) -> Created {
        let id = id.into();
        Created {
            attributes: BTreeMap::from([("id".to_string(), id.clone())]),
            id,
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<String>) -> Created {
        self.attributes.insert(key.to_string(), value.into());
        self
    }
}

/// An existing resource found by [`Resource::find`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// What its `agentfs:stack` and `agentfs:resource` tags say (nothing for kinds AWS cannot tag).
    pub owner: tags::Owner,
    pub created: Created,
}

impl Found {
    /// Its `agentfs:resource` tag (`subnet.private_a`), if it carries one.
    pub fn address(&self) -> Option<&str> {
        self.owner.address.as_deref()
    }
}

/// A resource as written, before references are checked.
#[derive(Debug, Clone)]
pub struct ParsedResource {
    pub addr: Addr,
    pub spec: ResourceSpec,
    pub meta: Meta,
}

/// Default waiter limits; the spec's `timeouts` override them per resource.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
}

const fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

/// Generous defaults for kinds that are ready as soon as the call returns.
pub const QUICK: Timeouts = Timeouts {
    create: minutes(5),
    update: minutes(5),
    delete: minutes(5),
};

/// One resource kind: what the engine needs to know about it and its lifecycle against its
/// AWS API.
///
/// Contract: `create` is idempotent for one `token` (a crash after the call and before the
/// record must not lead to a second resource), and waits until the resource is usable;
/// `delete` treats "not found" as done and waits until the resource is gone.
pub trait Resource {
    type Spec: KindSpec + Serialize + DeserializeOwned + JsonSchema + Clone + std::fmt::Debug + Send + Sync;
    /// How the plan groups the kind for a reader.
    const GROUP: Group;
    /// The API call that makes the resource. When AWS answers it with a refusal on a create's
    /// first attempt, nothing was made, and the create intent is dropped from state.
    const CREATE_CALL: &'static str;
    /// Attributes other resources may mention as `${kind.name.attribute}`; `create` returns them.
    const ATTRIBUTES: &'static [&'static str];
    /// Top-level fields whose change cannot be applied in place.
    const REPLACE_ON: &'static [&'static str];
    /// Fields that only steer agentfs (never sent to AWS); changing them updates state alone.
    const LOCAL_ONLY: &'static [&'static str] = &[];
    const TIMEOUTS: Timeouts = QUICK;
    /// AWS refuses the delete while service-managed network interfaces (of runtimes, mount
    /// targets) remain; destroy's `--blocked-wait` bounds that wait.
    const BLOCKED_BY_MANAGED_ENIS: bool = false;
    /// Which spec field becomes which API member, and what the model says that member accepts
    /// (checked offline; `tests/api_models.rs` proves it equal to the botocore model).
    const API: ApiMap = ApiMap::EMPTY;
    /// The CloudFormation type(s) the kind expresses and how their properties become its
    /// fields, for `agentfs convert` (see [`crate::lang::cfn`]).
    const CFN: &'static [CfnType] = &[];

    /// What a replace destroys besides the resource itself (its data), said in the plan.
    const REPLACE_LOSES: Option<&'static str> = None;

    /// AWS lets a new copy exist beside the old one (nothing in it must be unique), so a replace
    /// creates the new copy first, moves what uses the resource to it, and only then deletes the
    /// old one (kept in state as deposed until it is gone).
    const CREATE_BEFORE_DESTROY: bool = false;

    /// Resources this one needs before it is made (and that go only after it is deleted)
    /// although no field names them: orderings AWS imposes, found among `resources` (the
    /// whole spec, by name). They become edges of the graph like references.
    fn implicit_dependencies(spec: &Self::Spec, resources: &[ParsedResource]) -> BTreeSet<Addr> {
        let _ = (spec, resources);
        BTreeSet::new()
    }

    /// The recorded or desired configuration in the form in which two values compare equal
    /// exactly when AWS treats them as the same (e.g. IAM's rewrites of policy documents).
    fn normalise(config: serde_json::Value) -> serde_json::Value {
        config
    }

    /// What destroying the resource does when it is not an immediate delete (a KMS key's
    /// scheduled deletion), said in the plan and in the delete's report instead of "deleted".
    fn deletion_note(spec: &Self::Spec) -> Option<String> {
        let _ = spec;
        None
    }

    fn create(ctx: &Ctx, req: &Request<'_, Self::Spec>) -> impl Future<Output = Result<Created, ApiError>> + Send;

    fn update(
        ctx: &Ctx,
        req: &Request<'_, Self::Spec>,
        prior: &Recorded<'_, Self::Spec>,
    ) -> impl Future<Output = Result<Created, ApiError>> + Send;

    fn delete(ctx: &Ctx, prior: &Recorded<'_, Self::Spec>) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// Finds existing resources of this kind: those with the given `ids` (import), or, when
    /// `ids` is empty, every one that belongs to `ctx.stack` (recover after a lost state):
    /// tagged `agentfs:stack`, or, for kinds AWS cannot tag, reached through a tagged parent.
    /// Each comes with its `agentfs:resource` tag value when it has one, and the same
    /// attributes `create` returns. Unknown ids are left out, not errors.
    fn find(ctx: &Ctx, ids: &[&str]) -> impl Future<Output = Result<Vec<Found>, ApiError>> + Send;

    /// How a resource of this kind that the stack uses but does not own is found
    /// (`existing = { ... }`, literal ids); `None`: the kind cannot be existing.
    const EXISTING: Option<ExistingWays> = None;

    /// Every resource of this kind, whoever made it, carrying all of `query`'s tags (and in its
    /// VPC, when given): one describe for the query, then the kind's `find` for the matches.
    /// Only kinds whose [`Resource::EXISTING`] allows `tags` answer; others find nothing.
    fn lookup(ctx: &Ctx, query: &Query<'_>) -> impl Future<Output = Result<Vec<Found>, ApiError>> + Send {
        let _ = (ctx, query);
        async { Ok(Vec::new()) }
    }

    /// Reads the live configuration of every recorded resource of this kind, batched into as
    /// few calls as the API allows. Each answer is the recorded spec with every field AWS
    /// reports replaced by what AWS says (so fields AWS cannot report keep their recorded
    /// value), tags without agentfs's own; `None` when the resource is gone.
    fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, Self::Spec>],
    ) -> impl Future<Output = Result<Vec<Option<Self::Spec>>, ApiError>> + Send;
}

/// Why a registry call could not reach a kind's implementation.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("recorded configuration of a {kind} cannot be read: {source}")]
    Recorded {
        kind: Kind,
        #[source]
        source: serde_json::Error,
    },
}

/// The inputs of a create or update call, kind-independent.
pub struct Call<'a> {
    pub address: &'a str,
    pub token: &'a str,
    pub tags: &'a BTreeMap<String, String>,
    pub timeout: Option<Duration>,
    pub progress: &'a dyn Progress,
}

/// A recorded resource, kind-independent.
pub struct Prior<'a> {
    pub id: &'a str,
    pub attributes: &'a BTreeMap<String, String>,
    pub config: &'a serde_json::Value,
    pub tags: &'a BTreeMap<String, String>,
}

/// What `existing = { tags = {...}, vpc = "..." }` looks for.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    pub tags: &'a Tags,
    /// The VPC's id.
    pub vpc: Option<&'a str>,
}

/// A recorded resource with its address, for batched reads.
pub struct Listed<'a> {
    pub address: &'a str,
    pub prior: Prior<'a>,
}

/// A resource's own fields together with the settings every resource accepts
/// (only used to describe the file in the JSON Schema).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, rename = "{T}WithMeta")]
#[allow(dead_code)]
struct WithMeta<T> {
    #[serde(flatten)]
    spec: T,
    #[serde(flatten)]
    meta: Meta,
}

/// `existing = { ... }` in place of a resource's fields (only used to describe the file in the
/// JSON Schema): a resource the stack uses but does not own, read at plan time, never changed.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct ExistingEntry {
    existing: crate::lang::existing::ExistingSpec,
}

/// A resource table: the resource's fields, or `existing = { ... }`.
#[derive(JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "{T}Entry")]
#[allow(dead_code)]
enum Entry<T> {
    Managed(WithMeta<T>),
    Existing(ExistingEntry),
}

// Each kind's future is boxed: nineteen kinds' state machines in one match would otherwise
// make every dispatch future as large as the largest, enough to overflow a thread's stack in
// debug builds.
macro_rules! registry {
    ($($variant:ident => $module:ident::$ty:ident;)*) => {
        /// What each kind declares about itself, for code that holds only a [`Kind`].
        impl Kind {
            pub fn group(self) -> Group {
                match self { $(Kind::$variant => <$module::$ty as Resource>::GROUP),* }
            }

            /// Attributes other resources may mention as `${kind.name.attribute}`.
            pub fn attributes(self) -> &'static [&'static str] {
                match self { $(Kind::$variant => <$module::$ty as Resource>::ATTRIBUTES),* }
            }

            /// Top-level fields whose change the API cannot apply in place: the resource is replaced.
            pub fn replace_on(self) -> &'static [&'static str] {
                match self { $(Kind::$variant => <$module::$ty as Resource>::REPLACE_ON),* }
            }

            /// Fields that only steer agentfs; changing them updates state alone.
            pub fn local_only(self) -> &'static [&'static str] {
                match self { $(Kind::$variant => <$module::$ty as Resource>::LOCAL_ONLY),* }
            }

            /// The kind's default waiter limits.
            pub fn timeouts(self) -> Timeouts {
                match self { $(Kind::$variant => <$module::$ty as Resource>::TIMEOUTS),* }
            }

            /// The kind's declared API members and their limits.
            pub fn api(self) -> ApiMap {
                match self { $(Kind::$variant => <$module::$ty as Resource>::API),* }
            }

            /// The kind's CloudFormation mapping (see [`Resource::CFN`]).
            pub fn cfn(self) -> &'static [CfnType] {
                match self { $(Kind::$variant => <$module::$ty as Resource>::CFN),* }
            }

            /// Whether service-managed network interfaces can hold up the delete.
            pub fn blocked_by_managed_enis(self) -> bool {
                match self { $(Kind::$variant => <$module::$ty as Resource>::BLOCKED_BY_MANAGED_ENIS),* }
            }

            /// What replacing a resource of this kind destroys besides the resource.
            pub fn replace_loses(self) -> Option<&'static str> {
                match self { $(Kind::$variant => <$module::$ty as Resource>::REPLACE_LOSES),* }
            }

            /// The API call that makes a resource of this kind (see [`Resource::CREATE_CALL`]).
            pub fn create_call(self) -> &'static str {
                match self { $(Kind::$variant => <$module::$ty as Resource>::CREATE_CALL),* }
            }

            pub fn create_before_destroy(self) -> bool {
                match self { $(Kind::$variant => <$module::$ty as Resource>::CREATE_BEFORE_DESTROY),* }
            }

            /// How an existing resource of the kind is found; `None`: it cannot be existing.
            pub fn existing(self) -> Option<ExistingWays> {
                match self { $(Kind::$variant => <$module::$ty as Resource>::EXISTING),* }
            }

            /// The kind's top-level fields, as the spec names them.
            pub fn fields(self) -> Vec<String> {
                match self { $(Kind::$variant => field_names(schemars::schema_for!(<$module::$ty as Resource>::Spec))),* }
            }

            /// What destroying a resource recorded with `config` does, when it is not an
            /// immediate delete (see [`Resource::deletion_note`]).
            pub fn deletion_note(self, config: &serde_json::Value) -> Option<String> {
                match self { $(Kind::$variant => recorded_spec::<<$module::$ty as Resource>::Spec>(self, config).ok().and_then(|s| <$module::$ty as Resource>::deletion_note(&s))),* }
            }

            /// A configuration in the form in which equal means "the same to AWS".
            pub fn normalise(self, config: serde_json::Value) -> serde_json::Value {
                match self { $(Kind::$variant => <$module::$ty as Resource>::normalise(config)),* }
            }
        }

        /// A resource's fields, typed by kind.
        #[derive(Debug, Clone, Serialize)]
        #[serde(untagged)]
        pub enum ResourceSpec { $($variant(<$module::$ty as Resource>::Spec)),* }

        impl ResourceSpec {
            pub fn kind(&self) -> Kind {
                match self { $(ResourceSpec::$variant(_) => Kind::$variant),* }
            }

            pub fn refs(&mut self) -> Vec<RefSlot<'_>> {
                match self { $(ResourceSpec::$variant(s) => s.refs()),* }
            }

            pub fn tags(&self) -> Option<&Tags> {
                match self { $(ResourceSpec::$variant(s) => s.tags()),* }
            }

            /// The kind's own checks of the fields, reported into `out`.
            pub fn check(&self, addr: &Addr, stack: &StackSettings, spans: &SpanIndex, out: &mut Vec<Diagnostic>) {
                let mut check = Check::new(addr, stack, spans, out);
                match self { $(ResourceSpec::$variant(s) => s.check(&mut check)),* }
            }

            pub fn sensitive_paths(&self) -> Vec<String> {
                match self { $(ResourceSpec::$variant(s) => s.sensitive_paths()),* }
            }

            pub fn unique_name(&self, addr: &Addr) -> Option<UniqueName> {
                match self { $(ResourceSpec::$variant(s) => s.unique_name(addr)),* }
            }

            /// See [`KindSpec::read_sources`].
            pub fn read_sources(&mut self, base: &std::path::Path) -> Vec<Diagnostic> {
                match self { $(ResourceSpec::$variant(s) => s.read_sources(base)),* }
            }

            /// See [`Resource::implicit_dependencies`].
            pub fn implicit_dependencies(&self, resources: &[ParsedResource]) -> BTreeSet<Addr> {
                match self { $(ResourceSpec::$variant(s) => <$module::$ty as Resource>::implicit_dependencies(s, resources)),* }
            }

            /// See [`KindSpec::needs_build_tool`].
            pub fn needs_build_tool(&self) -> Option<&'static str> {
                match self { $(ResourceSpec::$variant(s) => s.needs_build_tool()),* }
            }

            /// Deserializes the fields of a resource of `kind`.
            pub fn deserialize_as<'de, D: Deserializer<'de>>(kind: Kind, d: D) -> Result<ResourceSpec, D::Error> {
                match kind { $(Kind::$variant => <<$module::$ty as Resource>::Spec>::deserialize(d).map(ResourceSpec::$variant)),* }
            }
        }

        /// Every kind's spec types, for code that builds specs by hand (tests, tools).
        pub mod model {
            pub use super::posix::*;
            $(pub use super::$module::*;)*
        }

        /// The whole spec file, as the JSON Schema describes it to editors.
        #[derive(JsonSchema)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct SpecFile {
            stack: StackSettings,
            #[serde(default)]
            backend: Option<BackendSpec>,
            /// Values given at plan or apply time, used as `${var.NAME}`.
            #[serde(default)]
            variable: BTreeMap<String, crate::lang::vars::VariableSpec>,
            $(
                #[serde(default)]
                $module: BTreeMap<String, Entry<<$module::$ty as Resource>::Spec>>,
            )*
            #[serde(default)]
            output: BTreeMap<String, OutputSpec>,
            /// `[[moved]]`: renames kept without a replacement.
            #[serde(default)]
            moved: Vec<crate::lang::model::MovedSpec>,
            /// `[[removed]]`: resources forgotten from the state and left in AWS.
            #[serde(default)]
            removed: Vec<crate::lang::model::RemovedSpec>,
            /// `[[import]]`: existing resources adopted instead of created.
            #[serde(default)]
            import: Vec<crate::lang::model::ImportSpec>,
            /// Other stacks whose recorded outputs this spec reads (`${stack_ref.NAME.OUTPUT}`).
            #[serde(default)]
            stack_ref: BTreeMap<String, crate::lang::stack_ref::StackRefSpec>,
        }

        /// Creates (or, after a crash, finds) the resource described by `spec`.
        pub async fn create(ctx: &Ctx, spec: &ResourceSpec, call: &Call<'_>) -> Result<Created, DispatchError> {
            let timeout = call.timeout.unwrap_or_else(|| spec.kind().timeouts().create);
            match spec {
                $(ResourceSpec::$variant(s) => {
                    let req = Request { address: call.address, spec: s, token: call.token, tags: call.tags, timeout, progress: call.progress };
                    Ok(Box::pin(<$module::$ty as Resource>::create(ctx, &req)).await?)
                })*
            }
        }

        /// Changes the resource in place from `prior` to `spec`.
        pub async fn update(ctx: &Ctx, spec: &ResourceSpec, call: &Call<'_>, prior: &Prior<'_>) -> Result<Created, DispatchError> {
            let kind = spec.kind();
            let timeout = call.timeout.unwrap_or_else(|| kind.timeouts().update);
            match spec {
                $(ResourceSpec::$variant(s) => {
                    let old: <$module::$ty as Resource>::Spec = recorded_spec(kind, prior.config)?;
                    let req = Request { address: call.address, spec: s, token: call.token, tags: call.tags, timeout, progress: call.progress };
                    let prior = Recorded { address: call.address, id: prior.id, attributes: prior.attributes, spec: &old, tags: prior.tags, timeout, progress: call.progress };
                    Ok(Box::pin(<$module::$ty as Resource>::update(ctx, &req, &prior)).await?)
                })*
            }
        }

        /// Reads the live configuration of recorded resources of one kind (see [`Resource::read`]).
        pub async fn read(ctx: &Ctx, kind: Kind, records: &[Listed<'_>]) -> Result<Vec<Option<serde_json::Value>>, DispatchError> {
            match kind {
                $(Kind::$variant => {
                    let specs: Vec<<$module::$ty as Resource>::Spec> = records
                        .iter()
                        .map(|r| recorded_spec(kind, r.prior.config))
                        .collect::<Result<_, _>>()?;
                    let recorded: Vec<Recorded<'_, <$module::$ty as Resource>::Spec>> = records
                        .iter()
                        .zip(&specs)
                        .map(|(r, spec)| Recorded { address: r.address, id: r.prior.id, attributes: r.prior.attributes, spec, tags: r.prior.tags, timeout: QUICK.update, progress: &Quiet })
                        .collect();
                    let live = Box::pin(<$module::$ty as Resource>::read(ctx, &recorded)).await?;
                    Ok(live.into_iter().map(|l| l.and_then(|spec| serde_json::to_value(ResourceSpec::$variant(spec)).ok())).collect())
                })*
            }
        }

        /// Finds existing resources of one kind (see [`Resource::find`]).
        pub async fn find(ctx: &Ctx, kind: Kind, ids: &[&str]) -> Result<Vec<Found>, DispatchError> {
            match kind {
                $(Kind::$variant => Ok(Box::pin(<$module::$ty as Resource>::find(ctx, ids)).await?),)*
            }
        }

        /// Resources of one kind matching a query, whoever made them (see [`Resource::lookup`]).
        pub async fn lookup(ctx: &Ctx, kind: Kind, query: &Query<'_>) -> Result<Vec<Found>, DispatchError> {
            match kind {
                $(Kind::$variant => Ok(Box::pin(<$module::$ty as Resource>::lookup(ctx, query)).await?),)*
            }
        }

        /// Deletes a recorded resource and waits until it is gone.
        pub async fn delete(ctx: &Ctx, kind: Kind, address: &str, prior: &Prior<'_>, timeout: Option<Duration>, progress: &dyn Progress) -> Result<(), DispatchError> {
            let timeout = timeout.unwrap_or_else(|| kind.timeouts().delete);
            match kind {
                $(Kind::$variant => {
                    let old: <$module::$ty as Resource>::Spec = recorded_spec(kind, prior.config)?;
                    let prior = Recorded { address, id: prior.id, attributes: prior.attributes, spec: &old, tags: prior.tags, timeout, progress };
                    Ok(Box::pin(<$module::$ty as Resource>::delete(ctx, &prior)).await?)
                })*
            }
        }
    };
}

for_each_kind!(registry);

fn field_names(schema: schemars::Schema) -> Vec<String> {
    serde_json::to_value(schema)
        .ok()
        .and_then(|s| {
            s.get("properties")
                .and_then(|p| p.as_object())
                .map(|p| p.keys().cloned().collect())
        })
        .unwrap_or_default()
}

/// A recorded configuration read back as its kind's spec.
fn recorded_spec<T: DeserializeOwned>(kind: Kind, config: &serde_json::Value) -> Result<T, DispatchError> {
    T::deserialize(config).map_err(|source| DispatchError::Recorded { kind, source })
}

/// The JSON Schema of the spec file, as checked in under `schemas/`.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(SpecFile);
    serde_json::to_value(schema).unwrap_or_default()
}

/// Deterministic idempotency token (at most 64 ASCII characters, as S3 Files requires).
/// A client token for a new create intent, never sent before (recorded in state before the
/// call, so a retry of the same intent sends it again).
pub fn fresh_token() -> String {
    format!("agentfs-{}", uuid::Uuid::new_v4().simple())
}

/// A deterministic token, for tests that call a kind directly.
pub fn client_token(lineage: &str, address: &str, generation: u32) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{lineage}/{address}/{generation}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("agentfs-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_covers_every_kind_under_its_key() {
        let schema = json_schema();
        for kind in Kind::ALL {
            assert!(
                schema["properties"][kind.key()].is_object(),
                "{kind} missing from schema"
            );
            assert_eq!(Kind::from_key(kind.key()), Some(*kind));
            assert!(kind.attributes().contains(&"id"), "{kind} exports no id");
        }
    }

    #[test]
    fn tokens_are_stable_short_and_distinct() {
        let a = client_token("lin", "nat_gateway.nat", 0);
        assert_eq!(a, client_token("lin", "nat_gateway.nat", 0));
        assert_ne!(a, client_token("lin", "nat_gateway.nat", 1));
        assert_ne!(a, client_token("other", "nat_gateway.nat", 0));
        assert!(a.len() <= 64 && a.is_ascii());
    }
}
