//! `route`: one route in a route table (routes have no AWS id: ours is `<rtb-id>_<destination>`).
//! CreateRoute is made idempotent by looking at the table first: a route to the same target is
//! reused, one to another target is replaced. Update (target changed) is ReplaceRoute.
//! Read: one DescribeRouteTables for every table the recorded routes are in; the live target
//! decides between `internet_gateway` and `nat_gateway`; a route whose destination (or table)
//! is gone is gone.

use std::collections::HashMap;
use std::time::Duration;

use super::Kind;
use super::ec2 as live;
use super::tags::Owner;
use super::{Created, Found, Recorded, Request, Resource};
use crate::aws::{ApiError, Ctx, api, gone_is_done, retry_transient};
use crate::lang::Group;
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[route.NAME]`: one route in a route table; set exactly one target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    pub route_table: String,
    /// e.g. `0.0.0.0/0`.
    pub destination_cidr_block: String,
    /// Target: an `internet_gateway` by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_gateway: Option<String>,
    /// Target: a `nat_gateway` by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_gateway: Option<String>,
}

impl KindSpec for RouteSpec {
    fn check(&self, check: &mut Check<'_>) {
        if self.internet_gateway.is_some() == self.nat_gateway.is_some() {
            check.error(
                "agentfs::route_target",
                "",
                "a route needs exactly one target",
                "set either `internet_gateway = \"...\"` or `nat_gateway = \"...\"`",
            );
        }
        if self.destination_cidr_block.parse::<ipnet::Ipv4Net>().is_err() {
            check.error(
                "agentfs::cidr",
                "destination_cidr_block",
                format!("`{}` is not an IPv4 CIDR", self.destination_cidr_block),
                "e.g. `0.0.0.0/0`",
            );
        }
    }
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        let mut refs = vec![RefSlot::new(
            "route_table",
            Kind::RouteTable,
            "id",
            &mut self.route_table,
        )];
        if let Some(igw) = &mut self.internet_gateway {
            refs.push(RefSlot::new("internet_gateway", Kind::InternetGateway, "id", igw));
        }
        if let Some(nat) = &mut self.nat_gateway {
            refs.push(RefSlot::new("nat_gateway", Kind::NatGateway, "id", nat));
        }
        refs
    }
}

pub struct Route;

/// How long a just-created gateway may be unknown to CreateRoute.
const PROPAGATION: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Gateway(String),
    Nat(String),
}

impl Target {
    fn of(spec: &RouteSpec) -> Result<Target, ApiError> {
        match (&spec.internet_gateway, &spec.nat_gateway) {
            (Some(igw), None) => Ok(Target::Gateway(igw.clone())),
            (None, Some(nat)) => Ok(Target::Nat(nat.clone())),
            _ => Err(ApiError::new(
                "agentfs",
                "InvalidRoute",
                "a route needs exactly one of internet_gateway and nat_gateway",
            )),
        }
    }

    fn matches(&self, route: &aws_sdk_ec2::types::Route) -> bool {
        match self {
            Target::Gateway(id) => route.gateway_id() == Some(id.as_str()),
            Target::Nat(id) => route.nat_gateway_id() == Some(id.as_str()) || route.gateway_id() == Some(id.as_str()),
        }
    }
}

/// Whether `rtb` has a route for `destination`, and whether it points at `target`.
enum Existing {
    None,
    Same,
    Other,
}

impl Resource for Route {
    type Spec = RouteSpec;
    const GROUP: Group = Group::Network;
    const CREATE_CALL: &'static str = "ec2:CreateRoute";
    const ATTRIBUTES: &'static [&'static str] = &["id", "route_table", "destination_cidr_block"];
    const REPLACE_ON: &'static [&'static str] = &["route_table", "destination_cidr_block"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::reference("route_table", "ec2", "CreateRouteRequest$RouteTableId"),
            ApiField::model(
                "destination_cidr_block",
                "ec2",
                "CreateRouteRequest$DestinationCidrBlock",
                Limits::NONE,
            ),
            ApiField::reference("internet_gateway", "ec2", "CreateRouteRequest$GatewayId"),
            ApiField::reference("nat_gateway", "ec2", "CreateRouteRequest$NatGatewayId"),
        ],
        tags: &[],
        not_sent: &[],
    };

    async fn create(ctx: &Ctx, req: &Request<'_, RouteSpec>) -> Result<Created, ApiError> {
        ensure(ctx, req).await?;
        Ok(created(req.spec))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, RouteSpec>,
        prior: &Recorded<'_, RouteSpec>,
    ) -> Result<Created, ApiError> {
        if Target::of(prior.spec).ok() != Some(Target::of(req.spec)?) {
            // Same lookup as create: ReplaceRoute if the route is there, CreateRoute if it went.
            ensure(ctx, req).await?;
        }
        Ok(created(req.spec))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, RouteSpec>) -> Result<(), ApiError> {
        let result = ctx
            .clients
            .ec2
            .delete_route()
            .route_table_id(&prior.spec.route_table)
            .destination_cidr_block(&prior.spec.destination_cidr_block)
            .send()
            .await
            .map_err(api("ec2:DeleteRoute"));
        gone_is_done(result)
    }

    /// Routes cannot be tagged: a recover finds them in the route tables tagged with the
    /// stack, an import in the tables its ids (`<rtb-id>_<destination>`) name. The table's
    /// `local` route and the routes gateway endpoints add are not agentfs's to manage.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let wanted: Vec<(&str, &str)> = ids.iter().filter_map(|id| id.split_once('_')).collect();
        if !ids.is_empty() && wanted.is_empty() {
            return Ok(Vec::new());
        }
        let table_ids = live::distinct(wanted.iter().map(|(table, _)| *table));
        let tables = super::route_table::tables_for_find(ctx, "route-table-id", &table_ids).await?;
        let mut found = Vec::new();
        for table in &tables {
            let Some(table_id) = table.route_table_id() else {
                continue;
            };
            for route in table.routes() {
                let Some(destination) = route.destination_cidr_block() else {
                    continue;
                };
                if !managed(route) || (!ids.is_empty() && !wanted.contains(&(table_id, destination))) {
                    continue;
                }
                let (internet_gateway, nat_gateway) = live_target(route);
                let spec = RouteSpec {
                    route_table: table_id.to_string(),
                    destination_cidr_block: destination.to_string(),
                    internet_gateway,
                    nat_gateway,
                };
                found.push(Found {
                    owner: Owner::default(),
                    created: created(&spec),
                });
            }
        }
        Ok(found)
    }

    async fn read(ctx: &Ctx, records: &[Recorded<'_, RouteSpec>]) -> Result<Vec<Option<RouteSpec>>, ApiError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        // The recorded id (`<rtb-id>_<destination>`) says where the route is; the spec only
        // says where it should be (and recover reads candidates against the spec's wishes).
        let places: Vec<(&str, &str)> = records.iter().map(place).collect();
        let tables = live::distinct(places.iter().map(|(table, _)| *table));
        let tables = super::route_table::describe_tables(ctx, "route-table-id", &tables).await?;
        let by_id: HashMap<&str, &aws_sdk_ec2::types::RouteTable> =
            tables.iter().filter_map(|t| Some((t.route_table_id()?, t))).collect();
        Ok(records
            .iter()
            .zip(places)
            .map(|(r, (table_id, destination))| {
                let table = by_id.get(table_id)?;
                let route = table
                    .routes()
                    .iter()
                    .find(|x| x.destination_cidr_block() == Some(destination))?;
                let mut spec = r.spec.clone();
                let (igw, nat) = live_target(route);
                spec.route_table = table_id.to_string();
                spec.destination_cidr_block = destination.to_string();
                spec.internet_gateway = igw;
                spec.nat_gateway = nat;
                Some(spec)
            })
            .collect())
    }
}

/// The route table and destination a recorded route lives at.
fn place<'a>(record: &'a Recorded<'_, RouteSpec>) -> (&'a str, &'a str) {
    record
        .id
        .split_once('_')
        .filter(|(table, destination)| table.starts_with("rtb-") && !destination.is_empty())
        .unwrap_or((
            record.spec.route_table.as_str(),
            record.spec.destination_cidr_block.as_str(),
        ))
}

/// `(internet_gateway, nat_gateway)` as the live route points: some APIs report a NAT
/// gateway under `GatewayId`. A target agentfs cannot express (an instance, a peering...)
/// leaves both empty, which shows as a difference.
fn live_target(route: &aws_sdk_ec2::types::Route) -> (Option<String>, Option<String>) {
    if let Some(nat) = route.nat_gateway_id() {
        return (None, Some(nat.to_string()));
    }
    match route.gateway_id() {
        Some(id) if id.starts_with("nat-") => (None, Some(id.to_string())),
        Some(id) if id.starts_with("igw-") => (Some(id.to_string()), None),
        _ => (None, None),
    }
}

/// Whether a live route could be agentfs's: not the table's `local` route, nor one a gateway
/// endpoint maintains.
fn managed(route: &aws_sdk_ec2::types::Route) -> bool {
    let gateway = route.gateway_id().unwrap_or_default();
    gateway != "local" && !gateway.starts_with("vpce-")
}

/// Makes the table route `destination` to the spec's target, whatever an earlier attempt did.
async fn ensure(ctx: &Ctx, req: &Request<'_, RouteSpec>) -> Result<(), ApiError> {
    let spec = req.spec;
    let target = Target::of(spec)?;
    let window = PROPAGATION.min(req.timeout);
    match existing(ctx, spec, &target).await? {
        Existing::Same => {}
        Existing::Other => replace(ctx, spec, &target, window).await?,
        Existing::None => {
            let result = retry_transient(window, req.progress, propagating, || async {
                let call = ctx
                    .clients
                    .ec2
                    .create_route()
                    .route_table_id(&spec.route_table)
                    .destination_cidr_block(&spec.destination_cidr_block);
                let call = match &target {
                    Target::Gateway(id) => call.gateway_id(id),
                    Target::Nat(id) => call.nat_gateway_id(id),
                };
                call.send().await.map_err(api("ec2:CreateRoute"))
            })
            .await;
            match result {
                Ok(_) => {}
                // Made by an earlier attempt whose answer was lost, or by someone else.
                Err(e) if e.is("RouteAlreadyExists") => match existing(ctx, spec, &target).await? {
                    Existing::Same => {}
                    _ => replace(ctx, spec, &target, window).await?,
                },
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// The table or target was created a moment ago and is not visible everywhere yet.
fn propagating(e: &ApiError) -> bool {
    e.is_not_found() && !e.is("InvalidRoute.NotFound")
}

fn created(spec: &RouteSpec) -> Created {
    Created::new(format!("{}_{}", spec.route_table, spec.destination_cidr_block))
        .with("route_table", spec.route_table.clone())
        .with("destination_cidr_block", spec.destination_cidr_block.clone())
}

async fn existing(ctx: &Ctx, spec: &RouteSpec, target: &Target) -> Result<Existing, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_route_tables()
        .route_table_ids(&spec.route_table)
        .send()
        .await
        .map_err(api("ec2:DescribeRouteTables"));
    let out = match out {
        Ok(out) => out,
        // Just created and not visible yet: CreateRoute's retry deals with it.
        Err(e) if e.is_not_found() => return Ok(Existing::None),
        Err(e) => return Err(e),
    };
    let route = out
        .route_tables()
        .iter()
        .flat_map(|t| t.routes())
        .find(|r| r.destination_cidr_block() == Some(spec.destination_cidr_block.as_str()));
    Ok(match route {
        None => Existing::None,
        Some(r) if target.matches(r) => Existing::Same,
        Some(_) => Existing::Other,
    })
}

async fn replace(ctx: &Ctx, spec: &RouteSpec, target: &Target, window: Duration) -> Result<(), ApiError> {
    retry_transient(window, &super::Quiet, propagating, || async {
        let call = ctx
            .clients
            .ec2
            .replace_route()
            .route_table_id(&spec.route_table)
            .destination_cidr_block(&spec.destination_cidr_block);
        let call = match target {
            Target::Gateway(id) => call.gateway_id(id),
            Target::Nat(id) => call.nat_gateway_id(id),
        };
        call.send().await.map_err(api("ec2:ReplaceRoute"))
    })
    .await
    .map(|_| ())
}

/// `AWS::EC2::Route` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::EC2::Route",
    &[
        p("RouteTableId", To::Ref("route_table", "route_table")),
        p("DestinationCidrBlock", To::Field("destination_cidr_block")),
        p("GatewayId", To::Ref("internet_gateway", "internet_gateway")),
        p("NatGatewayId", To::Ref("nat_gateway", "nat_gateway")),
        p("DestinationIpv6CidrBlock", To::Refuse("agentfs routes are IPv4 only")),
        p(
            "DestinationPrefixListId",
            To::Refuse("agentfs routes a CIDR block, not a prefix list"),
        ),
        p("CarrierGatewayId", To::Refuse(TARGET)),
        p("CoreNetworkArn", To::Refuse(TARGET)),
        p("EgressOnlyInternetGatewayId", To::Refuse(TARGET)),
        p("InstanceId", To::Refuse(TARGET)),
        p("LocalGatewayId", To::Refuse(TARGET)),
        p("NetworkInterfaceId", To::Refuse(TARGET)),
        p("OdbNetworkArn", To::Refuse(TARGET)),
        p("TransitGatewayId", To::Refuse(TARGET)),
        p("VpcEndpointId", To::Refuse(TARGET)),
        p("VpcPeeringConnectionId", To::Refuse(TARGET)),
    ],
)];

const TARGET: &str = "agentfs routes to an internet gateway or a NAT gateway only";
