//! `route_table_association`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::RouteTableAssociationSpec;

pub struct RouteTableAssociation;

fn unsupported() -> ApiError {
    ApiError::new(
        "agentfs",
        "Unsupported",
        "route_table_association is not implemented yet",
    )
}

impl Resource for RouteTableAssociation {
    type Spec = RouteTableAssociationSpec;
    const REPLACE_ON: &'static [&'static str] = &["route_table", "subnet"];

    async fn create(_: &Ctx, _: &Request<'_, RouteTableAssociationSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, RouteTableAssociationSpec>,
        _: &Recorded<'_, RouteTableAssociationSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, RouteTableAssociationSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
