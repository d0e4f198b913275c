//! `efs_file_system`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::EfsFileSystemSpec;

pub struct EfsFileSystem;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "efs_file_system is not implemented yet")
}

impl Resource for EfsFileSystem {
    type Spec = EfsFileSystemSpec;
    const REPLACE_ON: &'static [&'static str] = &["performance_mode", "encrypted"];

    async fn create(_: &Ctx, _: &Request<'_, EfsFileSystemSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, EfsFileSystemSpec>,
        _: &Recorded<'_, EfsFileSystemSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, EfsFileSystemSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
