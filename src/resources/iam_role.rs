//! `iam_role`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::IamRoleSpec;

pub struct IamRole;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "iam_role is not implemented yet")
}

impl Resource for IamRole {
    type Spec = IamRoleSpec;
    const REPLACE_ON: &'static [&'static str] = &["name"];

    async fn create(_: &Ctx, _: &Request<'_, IamRoleSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(_: &Ctx, _: &Request<'_, IamRoleSpec>, _: &Recorded<'_, IamRoleSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, IamRoleSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
