//! What the cross-kind lints need to know of existing subnets and VPCs (`spec::facts`): each
//! subnet's VPC, range and AZ, where its route table sends 0.0.0.0/0, whether an S3 gateway
//! endpoint serves that table, and each VPC's DNS settings. Batched: one DescribeSubnets, one
//! DescribeRouteTables and one DescribeVpcEndpoints for all of them, two DescribeVpcAttribute
//! per VPC.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{RouteTable, VpcAttributeName};

use super::ec2::filter;
use crate::aws::{ApiError, Ctx, api};
use crate::lang::facts::{LiveFacts, SubnetFacts, VpcFacts};

/// The facts of `subnets` and `vpcs` (ids; the subnets' VPCs are added).
pub async fn facts(ctx: &Ctx, subnets: &[&str], vpcs: &[&str]) -> Result<LiveFacts, ApiError> {
    let mut out = LiveFacts::default();
    let described = if subnets.is_empty() {
        Vec::new()
    } else {
        ctx.clients
            .ec2
            .describe_subnets()
            .set_subnet_ids(Some(subnets.iter().map(|s| s.to_string()).collect()))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(api("ec2:DescribeSubnets"))?
    };
    let mut vpc_ids: BTreeSet<String> = vpcs.iter().map(|v| v.to_string()).collect();
    vpc_ids.extend(described.iter().filter_map(|s| s.vpc_id().map(String::from)));
    if !described.is_empty() {
        let vpc_list: Vec<String> = described
            .iter()
            .filter_map(|s| s.vpc_id().map(String::from))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let tables = ctx
            .clients
            .ec2
            .describe_route_tables()
            .filters(filter("vpc-id", vpc_list.clone()))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(api("ec2:DescribeRouteTables"))?;
        let endpoints = ctx
            .clients
            .ec2
            .describe_vpc_endpoints()
            .filters(filter("vpc-id", vpc_list))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(api("ec2:DescribeVpcEndpoints"))?;
        let s3_service = format!("com.amazonaws.{}.s3", ctx.region);
        let served: BTreeSet<&str> = endpoints
            .iter()
            .filter(|e| e.service_name() == Some(s3_service.as_str()))
            .filter(|e| e.vpc_endpoint_type().is_some_and(|t| t.as_str() == "Gateway"))
            .flat_map(|e| e.route_table_ids().iter().map(String::as_str))
            .collect();
        for subnet in &described {
            let (Some(id), Some(vpc)) = (subnet.subnet_id(), subnet.vpc_id()) else {
                continue;
            };
            let table = table_of(&tables, id, vpc);
            let default_route = table.and_then(|t| {
                t.routes()
                    .iter()
                    .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            });
            out.subnets.insert(
                id.to_string(),
                SubnetFacts {
                    vpc: vpc.to_string(),
                    cidr_block: subnet.cidr_block().unwrap_or_default().to_string(),
                    availability_zone: subnet.availability_zone().unwrap_or_default().to_string(),
                    nat_route: default_route.is_some_and(|r| r.nat_gateway_id().is_some()),
                    internet_route: default_route
                        .and_then(|r| r.gateway_id())
                        .is_some_and(|g| g.starts_with("igw-")),
                    s3_gateway: table
                        .and_then(|t| t.route_table_id())
                        .is_some_and(|t| served.contains(t)),
                },
            );
        }
    }
    for vpc in vpc_ids {
        let dns_support = attribute(ctx, &vpc, VpcAttributeName::EnableDnsSupport).await?;
        let dns_hostnames = attribute(ctx, &vpc, VpcAttributeName::EnableDnsHostnames).await?;
        out.vpcs.insert(
            vpc,
            VpcFacts {
                dns_support,
                dns_hostnames,
            },
        );
    }
    Ok(out)
}

/// The table that routes a subnet: the one associated with it, else its VPC's main table.
fn table_of<'t>(tables: &'t [RouteTable], subnet: &str, vpc: &str) -> Option<&'t RouteTable> {
    let explicit = tables
        .iter()
        .find(|t| t.associations().iter().any(|a| a.subnet_id() == Some(subnet)));
    explicit.or_else(|| {
        tables
            .iter()
            .find(|t| t.vpc_id() == Some(vpc) && t.associations().iter().any(|a| a.main() == Some(true)))
    })
}

async fn attribute(ctx: &Ctx, vpc: &str, attribute: VpcAttributeName) -> Result<bool, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_vpc_attribute()
        .vpc_id(vpc)
        .attribute(attribute.clone())
        .send()
        .await
        .map_err(api("ec2:DescribeVpcAttribute"))?;
    let value = match attribute {
        VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames(),
        _ => out.enable_dns_support(),
    };
    Ok(value.and_then(|v| v.value()).unwrap_or(false))
}

/// The ids of the existing subnets and VPCs among `reads`: what [`facts`] is asked about.
pub fn ids_of<'r>(
    reads: impl IntoIterator<Item = (&'r crate::lang::Addr, &'r crate::state::ReadState)>,
) -> (Vec<&'r str>, Vec<&'r str>) {
    let mut subnets = Vec::new();
    let mut vpcs = Vec::new();
    for (addr, read) in reads {
        match addr.kind {
            super::Kind::Subnet => subnets.push(read.id.as_str()),
            super::Kind::Vpc => vpcs.push(read.id.as_str()),
            _ => {}
        }
    }
    (subnets, vpcs)
}
