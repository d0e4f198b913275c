//! `internet_gateway`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::InternetGatewaySpec;

pub struct InternetGateway;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "internet_gateway is not implemented yet")
}

impl Resource for InternetGateway {
    type Spec = InternetGatewaySpec;
    const REPLACE_ON: &'static [&'static str] = &["vpc"];

    async fn create(_: &Ctx, _: &Request<'_, InternetGatewaySpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, InternetGatewaySpec>,
        _: &Recorded<'_, InternetGatewaySpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, InternetGatewaySpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
