//! `elastic_ip`: placeholder until its API calls land; every call fails with a clear error.

use super::aws::{ApiError, Ctx};
use super::{Created, Recorded, Request, Resource};
use crate::spec::model::ElasticIpSpec;

pub struct ElasticIp;

fn unsupported() -> ApiError {
    ApiError::new("agentfs", "Unsupported", "elastic_ip is not implemented yet")
}

impl Resource for ElasticIp {
    type Spec = ElasticIpSpec;
    const REPLACE_ON: &'static [&'static str] = &[];

    async fn create(_: &Ctx, _: &Request<'_, ElasticIpSpec>) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn update(
        _: &Ctx,
        _: &Request<'_, ElasticIpSpec>,
        _: &Recorded<'_, ElasticIpSpec>,
    ) -> Result<Created, ApiError> {
        Err(unsupported())
    }

    async fn delete(_: &Ctx, _: &Recorded<'_, ElasticIpSpec>) -> Result<(), ApiError> {
        Err(unsupported())
    }
}
