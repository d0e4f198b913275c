//! `nat_gateway`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::NatGatewaySpec;

pub struct NatGateway;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "nat_gateway is not implemented yet")
}

impl Resource for NatGateway {
    type Spec = NatGatewaySpec;
    const REPLACE_ON: &'static [&'static str] = &["subnet", "elastic_ip"];

    async fn create(_: &Ctx, _: &Request<'_, NatGatewaySpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, NatGatewaySpec>,
        _: &Recorded<'_, NatGatewaySpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, NatGatewaySpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
