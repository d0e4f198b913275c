//! `subnet`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::SubnetSpec;

pub struct Subnet;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "subnet is not implemented yet")
}

impl Resource for Subnet {
    type Spec = SubnetSpec;
    const REPLACE_ON: &'static [&'static str] = &["vpc", "cidr_block", "az_index", "availability_zone"];

    async fn create(_: &Ctx, _: &Request<'_, SubnetSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(_: &Ctx, _: &Request<'_, SubnetSpec>, _: &Recorded<'_, SubnetSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, SubnetSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
