//! `security_group`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::SecurityGroupSpec;

pub struct SecurityGroup;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "security_group is not implemented yet")
}

impl Resource for SecurityGroup {
    type Spec = SecurityGroupSpec;
    const REPLACE_ON: &'static [&'static str] = &["vpc", "name", "description"];

    async fn create(_: &Ctx, _: &Request<'_, SecurityGroupSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, SecurityGroupSpec>,
        _: &Recorded<'_, SecurityGroupSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, SecurityGroupSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
