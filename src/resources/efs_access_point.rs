//! `efs_access_point`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::EfsAccessPointSpec;

pub struct EfsAccessPoint;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "efs_access_point is not implemented yet")
}

impl Resource for EfsAccessPoint {
    type Spec = EfsAccessPointSpec;
    const REPLACE_ON: &'static [&'static str] = &["file_system", "posix_user", "root_directory"];

    async fn create(_: &Ctx, _: &Request<'_, EfsAccessPointSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, EfsAccessPointSpec>,
        _: &Recorded<'_, EfsAccessPointSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, EfsAccessPointSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
