//! `vpc_endpoint`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::VpcEndpointSpec;

pub struct VpcEndpoint;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "vpc_endpoint is not implemented yet")
}

impl Resource for VpcEndpoint {
    type Spec = VpcEndpointSpec;
    const REPLACE_ON: &'static [&'static str] = &["vpc", "service", "type"];

    async fn create(_: &Ctx, _: &Request<'_, VpcEndpointSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, VpcEndpointSpec>,
        _: &Recorded<'_, VpcEndpointSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, VpcEndpointSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
