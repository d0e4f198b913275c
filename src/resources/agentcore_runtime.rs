//! `agentcore_runtime`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::AgentcoreRuntimeSpec;

pub struct AgentcoreRuntime;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "agentcore_runtime is not implemented yet")
}

impl Resource for AgentcoreRuntime {
    type Spec = AgentcoreRuntimeSpec;
    const REPLACE_ON: &'static [&'static str] = &["name"];

    async fn create(_: &Ctx, _: &Request<'_, AgentcoreRuntimeSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, AgentcoreRuntimeSpec>,
        _: &Recorded<'_, AgentcoreRuntimeSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, AgentcoreRuntimeSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
