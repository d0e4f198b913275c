//! Resource kinds as the engine drives them: one file per kind implementing [`Resource`],
//! and one registry line per kind in [`registry!`] below.

pub mod aws;

mod agentcore_runtime;
mod efs_access_point;
mod efs_file_system;
mod efs_mount_target;
mod elastic_ip;
mod iam_role;
mod internet_gateway;
mod nat_gateway;
mod route;
mod route_table;
mod route_table_association;
mod s3_bucket;
mod s3files_access_point;
mod s3files_file_system;
mod s3files_mount_target;
mod security_group;
mod subnet;
mod vpc;
mod vpc_endpoint;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use crate::spec::{Kind, ResourceSpec};
pub use aws::{ApiError, Clients, Ctx, Progress, Quiet};

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
    /// Its `agentfs:resource` tag (`subnet.private_a`), if it carries one.
    pub address: Option<String>,
    pub created: Created,
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

/// One resource kind's lifecycle against its AWS API.
///
/// Contract: `create` is idempotent for one `token` (a crash after the call and before the
/// record must not lead to a second resource), and waits until the resource is usable;
/// `delete` treats "not found" as done and waits until the resource is gone.
pub trait Resource {
    type Spec;
    /// Top-level fields whose change cannot be applied in place.
    const REPLACE_ON: &'static [&'static str];
    const TIMEOUTS: Timeouts = QUICK;

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
    fn find(ctx: &Ctx, ids: &[&str]) -> impl Future<Output = Result<Vec<Found>, ApiError>> + Send {
        let _ = (ctx, ids);
        async {
            Err(ApiError::new(
                "agentfs",
                "Unsupported",
                "finding existing resources of this kind is not implemented yet",
            ))
        }
    }

    /// Reads the live configuration of every recorded resource of this kind, batched into as
    /// few calls as the API allows. Each answer is the recorded spec with every field AWS
    /// reports replaced by what AWS says (so fields AWS cannot report keep their recorded
    /// value), tags without agentfs's own; `None` when the resource is gone.
    fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, Self::Spec>],
    ) -> impl Future<Output = Result<Vec<Option<Self::Spec>>, ApiError>> + Send
    where
        Self::Spec: Sync,
    {
        let _ = (ctx, records);
        async {
            Err(ApiError::new(
                "agentfs",
                "Unsupported",
                "live reads of this kind are not implemented yet",
            ))
        }
    }
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

/// A recorded resource with its address, for batched reads.
pub struct Listed<'a> {
    pub address: &'a str,
    pub prior: Prior<'a>,
}

macro_rules! registry {
    ($($variant:ident => $module:ident::$ty:ident;)*) => {
        /// Top-level fields whose change the API cannot apply in place: the resource is replaced.
        pub fn replace_triggers(kind: Kind) -> &'static [&'static str] {
            match kind { $(Kind::$variant => <$module::$ty as Resource>::REPLACE_ON),* }
        }

        /// The kind's default waiter limits.
        pub fn default_timeouts(kind: Kind) -> Timeouts {
            match kind { $(Kind::$variant => <$module::$ty as Resource>::TIMEOUTS),* }
        }

        /// Creates (or, after a crash, finds) the resource described by `spec`.
        pub async fn create(ctx: &Ctx, spec: &ResourceSpec, call: &Call<'_>) -> Result<Created, DispatchError> {
            let timeout = call.timeout.unwrap_or_else(|| default_timeouts(spec.kind()).create);
            match spec {
                $(ResourceSpec::$variant(s) => {
                    let req = Request { address: call.address, spec: s, token: call.token, tags: call.tags, timeout, progress: call.progress };
                    Ok(<$module::$ty as Resource>::create(ctx, &req).await?)
                })*
            }
        }

        /// Changes the resource in place from `prior` to `spec`.
        pub async fn update(ctx: &Ctx, spec: &ResourceSpec, call: &Call<'_>, prior: &Prior<'_>) -> Result<Created, DispatchError> {
            let kind = spec.kind();
            let timeout = call.timeout.unwrap_or_else(|| default_timeouts(kind).update);
            let recorded = ResourceSpec::deserialize_as(kind, prior.config).map_err(|source| DispatchError::Recorded { kind, source })?;
            match (spec, &recorded) {
                $((ResourceSpec::$variant(s), ResourceSpec::$variant(old)) => {
                    let req = Request { address: call.address, spec: s, token: call.token, tags: call.tags, timeout, progress: call.progress };
                    let prior = Recorded { address: call.address, id: prior.id, attributes: prior.attributes, spec: old, tags: prior.tags, timeout, progress: call.progress };
                    Ok(<$module::$ty as Resource>::update(ctx, &req, &prior).await?)
                })*
                _ => unreachable!("recorded configuration was read as the same kind"),
            }
        }

        /// Reads the live configuration of recorded resources of one kind (see [`Resource::read`]).
        pub async fn read(ctx: &Ctx, kind: Kind, records: &[Listed<'_>]) -> Result<Vec<Option<serde_json::Value>>, DispatchError> {
            let specs = records
                .iter()
                .map(|r| ResourceSpec::deserialize_as(kind, r.prior.config).map_err(|source| DispatchError::Recorded { kind, source }))
                .collect::<Result<Vec<_>, _>>()?;
            match kind {
                $(Kind::$variant => {
                    let typed: Vec<&<$module::$ty as Resource>::Spec> = specs.iter().filter_map(|s| match s { ResourceSpec::$variant(t) => Some(t), _ => None }).collect();
                    let recorded: Vec<Recorded<'_, <$module::$ty as Resource>::Spec>> = records
                        .iter()
                        .zip(typed)
                        .map(|(r, spec)| Recorded { address: r.address, id: r.prior.id, attributes: r.prior.attributes, spec, tags: r.prior.tags, timeout: QUICK.update, progress: &Quiet })
                        .collect();
                    let live = <$module::$ty as Resource>::read(ctx, &recorded).await?;
                    Ok(live.into_iter().map(|l| l.and_then(|spec| serde_json::to_value(ResourceSpec::$variant(spec)).ok())).collect())
                })*
            }
        }

        /// Finds existing resources of one kind (see [`Resource::find`]).
        pub async fn find(ctx: &Ctx, kind: Kind, ids: &[&str]) -> Result<Vec<Found>, DispatchError> {
            match kind {
                $(Kind::$variant => Ok(<$module::$ty as Resource>::find(ctx, ids).await?),)*
            }
        }

        /// Deletes a recorded resource and waits until it is gone.
        pub async fn delete(ctx: &Ctx, kind: Kind, address: &str, prior: &Prior<'_>, timeout: Option<Duration>, progress: &dyn Progress) -> Result<(), DispatchError> {
            let timeout = timeout.unwrap_or_else(|| default_timeouts(kind).delete);
            let recorded = ResourceSpec::deserialize_as(kind, prior.config).map_err(|source| DispatchError::Recorded { kind, source })?;
            match &recorded {
                $(ResourceSpec::$variant(old) => {
                    let prior = Recorded { address, id: prior.id, attributes: prior.attributes, spec: old, tags: prior.tags, timeout, progress };
                    Ok(<$module::$ty as Resource>::delete(ctx, &prior).await?)
                })*
            }
        }
    };
}

registry! {
    Vpc => vpc::Vpc;
    Subnet => subnet::Subnet;
    InternetGateway => internet_gateway::InternetGateway;
    ElasticIp => elastic_ip::ElasticIp;
    NatGateway => nat_gateway::NatGateway;
    RouteTable => route_table::RouteTable;
    Route => route::Route;
    RouteTableAssociation => route_table_association::RouteTableAssociation;
    SecurityGroup => security_group::SecurityGroup;
    VpcEndpoint => vpc_endpoint::VpcEndpoint;
    IamRole => iam_role::IamRole;
    S3Bucket => s3_bucket::S3Bucket;
    S3FilesFileSystem => s3files_file_system::S3FilesFileSystem;
    S3FilesMountTarget => s3files_mount_target::S3FilesMountTarget;
    S3FilesAccessPoint => s3files_access_point::S3FilesAccessPoint;
    EfsFileSystem => efs_file_system::EfsFileSystem;
    EfsMountTarget => efs_mount_target::EfsMountTarget;
    EfsAccessPoint => efs_access_point::EfsAccessPoint;
    AgentcoreRuntime => agentcore_runtime::AgentcoreRuntime;
}

/// Fields that only steer agentfs (never sent to AWS); changing them updates state alone.
pub fn local_only_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::S3Bucket => &["force_destroy"],
        Kind::AgentcoreRuntime => &["sensitive_environment_variables"],
        _ => &[],
    }
}

/// Deterministic idempotency token (at most 64 ASCII characters, as S3 Files requires).
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
    fn tokens_are_stable_short_and_distinct() {
        let a = client_token("lin", "nat_gateway.nat", 0);
        assert_eq!(a, client_token("lin", "nat_gateway.nat", 0));
        assert_ne!(a, client_token("lin", "nat_gateway.nat", 1));
        assert_ne!(a, client_token("other", "nat_gateway.nat", 0));
        assert!(a.len() <= 64 && a.is_ascii());
    }
}
