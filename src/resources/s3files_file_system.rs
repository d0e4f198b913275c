//! `s3files_file_system`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::S3FilesFileSystemSpec;

pub struct S3FilesFileSystem;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "s3files_file_system is not implemented yet")
}

impl Resource for S3FilesFileSystem {
    type Spec = S3FilesFileSystemSpec;
    const REPLACE_ON: &'static [&'static str] = &["bucket", "role", "prefix", "kms_key_id"];

    async fn create(_: &Ctx, _: &Request<'_, S3FilesFileSystemSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, S3FilesFileSystemSpec>,
        _: &Recorded<'_, S3FilesFileSystemSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, S3FilesFileSystemSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
