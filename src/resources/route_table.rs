//! `route_table`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::RouteTableSpec;

pub struct RouteTable;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "route_table is not implemented yet")
}

impl Resource for RouteTable {
    type Spec = RouteTableSpec;
    const REPLACE_ON: &'static [&'static str] = &["vpc"];

    async fn create(_: &Ctx, _: &Request<'_, RouteTableSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, RouteTableSpec>,
        _: &Recorded<'_, RouteTableSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, RouteTableSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
