//! `route`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::RouteSpec;

pub struct Route;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "route is not implemented yet")
}

impl Resource for Route {
    type Spec = RouteSpec;
    const REPLACE_ON: &'static [&'static str] = &["route_table", "destination_cidr_block"];

    async fn create(_: &Ctx, _: &Request<'_, RouteSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(_: &Ctx, _: &Request<'_, RouteSpec>, _: &Recorded<'_, RouteSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, RouteSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
