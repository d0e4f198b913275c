//! `s3files_mount_target`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::S3FilesMountTargetSpec;

pub struct S3FilesMountTarget;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "s3files_mount_target is not implemented yet")
}

impl Resource for S3FilesMountTarget {
    type Spec = S3FilesMountTargetSpec;
    const REPLACE_ON: &'static [&'static str] = &["file_system", "subnet"];

    async fn create(_: &Ctx, _: &Request<'_, S3FilesMountTargetSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, S3FilesMountTargetSpec>,
        _: &Recorded<'_, S3FilesMountTargetSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, S3FilesMountTargetSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
