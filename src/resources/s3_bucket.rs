//! `s3_bucket`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::S3BucketSpec;

pub struct S3Bucket;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "s3_bucket is not implemented yet")
}

impl Resource for S3Bucket {
    type Spec = S3BucketSpec;
    const REPLACE_ON: &'static [&'static str] = &["name"];

    async fn create(_: &Ctx, _: &Request<'_, S3BucketSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, S3BucketSpec>,
        _: &Recorded<'_, S3BucketSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, S3BucketSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
