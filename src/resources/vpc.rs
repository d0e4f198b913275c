//! `vpc`: CreateVpc (no client token: an earlier attempt is found by its tags),
//! then the two DNS attributes, one ModifyVpcAttribute call each as the API requires.

use std::time::Duration;

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};

use super::aws::{ApiError, Ctx, api, ec2_owner_filters, ec2_sync_tags, ec2_tag_spec, retry_transient};
use super::{Created, Recorded, Request, Resource, Timeouts};
use crate::spec::model::VpcSpec;

pub struct Vpc;

impl Resource for Vpc {
    type Spec = VpcSpec;
    const REPLACE_ON: &'static [&'static str] = &["cidr_block"];
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(300),
        update: Duration::from_secs(300),
        // Deleting waits out ENIs of deleted runtimes and mount targets.
        delete: Duration::from_secs(1800),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, VpcSpec>) -> Result<Created, ApiError> {
        let id = match find(ctx, req.address).await? {
            Some(id) => id,
            None => {
                let out = ctx
                    .clients
                    .ec2
                    .create_vpc()
                    .cidr_block(&req.spec.cidr_block)
                    .tag_specifications(ec2_tag_spec(ResourceType::Vpc, req.tags))
                    .send()
                    .await
                    .map_err(api("ec2:CreateVpc"))?;
                out.vpc()
                    .and_then(|v| v.vpc_id())
                    .map(String::from)
                    .ok_or_else(|| ApiError::missing("ec2:CreateVpc", "VpcId"))?
            }
        };
        set_dns(ctx, &id, req.spec, None).await?;
        Ok(created(ctx, &id, req.spec))
    }

    async fn update(ctx: &Ctx, req: &Request<'_, VpcSpec>, prior: &Recorded<'_, VpcSpec>) -> Result<Created, ApiError> {
        set_dns(ctx, prior.id, req.spec, Some(prior.spec)).await?;
        ec2_sync_tags(ctx, prior.id, prior.tags, req.tags).await?;
        Ok(created(ctx, prior.id, req.spec))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, VpcSpec>) -> Result<(), ApiError> {
        let result = retry_transient(
            prior.timeout,
            prior.progress,
            |e| e.is("DependencyViolation"),
            || async {
                ctx.clients
                    .ec2
                    .delete_vpc()
                    .vpc_id(prior.id)
                    .send()
                    .await
                    .map_err(api("ec2:DeleteVpc"))
            },
        )
        .await;
        match result {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

fn created(ctx: &Ctx, id: &str, spec: &VpcSpec) -> Created {
    Created::new(id)
        .with("arn", ctx.arn("ec2", &format!("vpc/{id}")))
        .with("cidr_block", spec.cidr_block.clone())
}

async fn find(ctx: &Ctx, address: &str) -> Result<Option<String>, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_vpcs()
        .set_filters(Some(ec2_owner_filters(&ctx.stack, address)))
        .send()
        .await
        .map_err(api("ec2:DescribeVpcs"))?;
    Ok(out.vpcs().iter().find_map(|v| v.vpc_id().map(String::from)))
}

/// DNS support must be on before DNS hostnames can be; set them in that order.
async fn set_dns(ctx: &Ctx, id: &str, spec: &VpcSpec, prior: Option<&VpcSpec>) -> Result<(), ApiError> {
    let flag = |on: bool| AttributeBooleanValue::builder().value(on).build();
    if prior.is_none_or(|p| p.enable_dns_support != spec.enable_dns_support) {
        ctx.clients
            .ec2
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_support(flag(spec.enable_dns_support))
            .send()
            .await
            .map_err(api("ec2:ModifyVpcAttribute"))?;
    }
    if prior.is_none_or(|p| p.enable_dns_hostnames != spec.enable_dns_hostnames) {
        ctx.clients
            .ec2
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_hostnames(flag(spec.enable_dns_hostnames))
            .send()
            .await
            .map_err(api("ec2:ModifyVpcAttribute"))?;
    }
    Ok(())
}
