//! `s3files_access_point`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::S3FilesAccessPointSpec;

pub struct S3FilesAccessPoint;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "s3files_access_point is not implemented yet")
}

impl Resource for S3FilesAccessPoint {
    type Spec = S3FilesAccessPointSpec;
    const REPLACE_ON: &'static [&'static str] = &["file_system", "posix_user", "root_directory"];

    async fn create(_: &Ctx, _: &Request<'_, S3FilesAccessPointSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, S3FilesAccessPointSpec>,
        _: &Recorded<'_, S3FilesAccessPointSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, S3FilesAccessPointSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
