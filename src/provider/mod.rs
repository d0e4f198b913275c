//! The seam between the engine and the world it changes. The engine (apply, destroy, adoption
//! of interrupted creates) calls resource kinds only through [`Provider`], in the spirit of
//! Terraform's provider interface: [`Ctx`] is the AWS implementation (today's registry
//! dispatch), and `fake::Fake` (tests only) an in-process one that honours client tokens and
//! tags and injects failures, so the engine's semantics are tested in milliseconds.

use std::future::Future;
use std::time::Duration;

use crate::resources::{
    self, Call, Created, Ctx, DispatchError, Found, Kind, Listed, Prior, Progress, Query, ResourceSpec,
};

#[cfg(test)]
pub mod fake;

/// What the engine needs from the world: the context its calls run in, and create, update,
/// delete, find and read for every kind. The contract of each call is [`resources::Resource`]'s.
pub trait Provider: Sync {
    /// The stack whose `agentfs:stack` tag this provider's creates carry.
    fn stack(&self) -> &str;
    fn region(&self) -> &str;
    fn account_id(&self) -> &str;

    /// Creates (or, after a crash, finds by its token) the resource `spec` describes.
    fn create(&self, spec: &ResourceSpec, call: &Call<'_>) -> impl Future<Output = Result<Created, DispatchError>>;

    /// Changes the resource `prior` describes in place to `spec`.
    fn update(
        &self,
        spec: &ResourceSpec,
        call: &Call<'_>,
        prior: &Prior<'_>,
    ) -> impl Future<Output = Result<Created, DispatchError>>;

    /// Deletes the resource and waits until it is gone ("not found" is done).
    fn delete(
        &self,
        kind: Kind,
        address: &str,
        prior: &Prior<'_>,
        timeout: Option<Duration>,
        progress: &dyn Progress,
    ) -> impl Future<Output = Result<(), DispatchError>>;

    /// The resources of `kind` with these ids, or, with no ids, every one of this stack.
    fn find(&self, kind: Kind, ids: &[&str]) -> impl Future<Output = Result<Vec<Found>, DispatchError>>;

    /// The live configuration of each listed resource (`None`: gone).
    fn read(
        &self,
        kind: Kind,
        listed: &[Listed<'_>],
    ) -> impl Future<Output = Result<Vec<Option<serde_json::Value>>, DispatchError>>;

    /// Resources of `kind` carrying the query's tags, whoever made them (existing resources).
    fn lookup(&self, kind: Kind, query: &Query<'_>) -> impl Future<Output = Result<Vec<Found>, DispatchError>> {
        let _ = (kind, query);
        async { Ok(Vec::new()) }
    }

    /// What the cross-kind lints need to know of existing subnets and VPCs (by id).
    fn network_facts(
        &self,
        subnets: &[&str],
        vpcs: &[&str],
    ) -> impl Future<Output = Result<crate::lang::facts::LiveFacts, DispatchError>> {
        let _ = (subnets, vpcs);
        async { Ok(Default::default()) }
    }
}

/// AWS, through the kinds' SDK calls.
impl Provider for Ctx {
    fn stack(&self) -> &str {
        &self.stack
    }

    fn region(&self) -> &str {
        &self.region
    }

    fn account_id(&self) -> &str {
        &self.account_id
    }

    fn create(&self, spec: &ResourceSpec, call: &Call<'_>) -> impl Future<Output = Result<Created, DispatchError>> {
        resources::create(self, spec, call)
    }

    fn update(
        &self,
        spec: &ResourceSpec,
        call: &Call<'_>,
        prior: &Prior<'_>,
    ) -> impl Future<Output = Result<Created, DispatchError>> {
        resources::update(self, spec, call, prior)
    }

    fn delete(
        &self,
        kind: Kind,
        address: &str,
        prior: &Prior<'_>,
        timeout: Option<Duration>,
        progress: &dyn Progress,
    ) -> impl Future<Output = Result<(), DispatchError>> {
        resources::delete(self, kind, address, prior, timeout, progress)
    }

    fn find(&self, kind: Kind, ids: &[&str]) -> impl Future<Output = Result<Vec<Found>, DispatchError>> {
        resources::find(self, kind, ids)
    }

    fn read(
        &self,
        kind: Kind,
        listed: &[Listed<'_>],
    ) -> impl Future<Output = Result<Vec<Option<serde_json::Value>>, DispatchError>> {
        resources::read(self, kind, listed)
    }

    fn lookup(&self, kind: Kind, query: &Query<'_>) -> impl Future<Output = Result<Vec<Found>, DispatchError>> {
        resources::lookup(self, kind, query)
    }

    async fn network_facts(
        &self,
        subnets: &[&str],
        vpcs: &[&str],
    ) -> Result<crate::lang::facts::LiveFacts, DispatchError> {
        Ok(resources::network::facts(self, subnets, vpcs).await?)
    }
}
