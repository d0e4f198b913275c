//! `efs_mount_target`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::EfsMountTargetSpec;

pub struct EfsMountTarget;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "efs_mount_target is not implemented yet")
}

impl Resource for EfsMountTarget {
    type Spec = EfsMountTargetSpec;
    const REPLACE_ON: &'static [&'static str] = &["file_system", "subnet"];

    async fn create(_: &Ctx, _: &Request<'_, EfsMountTargetSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, EfsMountTargetSpec>,
        _: &Recorded<'_, EfsMountTargetSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, EfsMountTargetSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
