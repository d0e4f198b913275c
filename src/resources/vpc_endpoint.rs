//! `vpc_endpoint`: CreateVpcEndpoint for `com.amazonaws.<region>.<service>` with the deterministic
//! client token (the SDK does not fill one in), tagged at creation, then waits for `available`.
//! A gateway endpoint (S3, DynamoDB) adds routes to its route tables; an interface endpoint
//! (ECR, CloudWatch Logs, STS, Bedrock, AgentCore, ...) puts a network interface in each of its
//! subnets, guarded by its security groups (the VPC's default group when none is given), and
//! with private DNS answers the service's public name inside the VPC. Route tables, subnets,
//! security groups, private DNS and the policy change in place with ModifyVpcEndpoint; delete
//! waits until it is gone.
//! Read: one DescribeVpcEndpoints for all endpoints (by their VPCs when an id is unknown);
//! `deleting` and `deleted` count as gone.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_ec2::types::{ResourceType, VpcEndpoint as Endpoint, VpcEndpointType};

use super::Kind;
use super::ec2 as live;
use super::lookup::set_or_recorded;
use super::policy_document::{decode_policy, same_policy};
use super::tags::{self, Tagged};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, Poll, api, retry_transient, state_is, wait_for};
use crate::lang::Group;
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, list_refs};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[vpc_endpoint.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcEndpointSpec {
    pub vpc: String,
    /// Short service name such as `s3`; the endpoint serves `com.amazonaws.<region>.<service>`.
    pub service: String,
    /// `Gateway` or `Interface`.
    #[serde(default = "gateway", rename = "type")]
    pub endpoint_type: String,
    /// Route tables (by name) a gateway endpoint adds its routes to.
    #[serde(default)]
    pub route_tables: Vec<String>,
    /// Subnets (by name, one per AZ) an interface endpoint puts its network interfaces in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<String>,
    /// Security groups (by name) of an interface endpoint's network interfaces: they must
    /// admit HTTPS (443) from the clients. The VPC's default group when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// An interface endpoint answers the service's public DNS name inside the VPC (AWS's
    /// default, `true`, when absent); needs the VPC's DNS support and hostnames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_dns: Option<bool>,
    /// The endpoint policy (full access when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub policy: Option<serde_json::Value>,
    #[serde(default)]
    pub tags: Tags,
}

fn gateway() -> String {
    "Gateway".into()
}

impl KindSpec for VpcEndpointSpec {
    fn check(&self, check: &mut Check<'_>) {
        check.one_of(
            "type",
            &self.endpoint_type,
            "an endpoint type",
            &["Gateway", "Interface"],
        );
        if self.endpoint_type == "Gateway" && !matches!(self.service.as_str(), "s3" | "dynamodb") {
            check.error(
                "agentfs::enum",
                "service",
                format!("`{}` has no gateway endpoint", self.service),
                "gateway endpoints exist for `s3` and `dynamodb`; use `type = \"Interface\"` with `subnets`",
            );
        }
        let gateway = self.endpoint_type == "Gateway";
        let interface = self.endpoint_type == "Interface";
        if gateway {
            for (field, set) in [
                ("subnets", !self.subnets.is_empty()),
                ("security_groups", !self.security_groups.is_empty()),
                ("private_dns", self.private_dns.is_some()),
            ] {
                if set {
                    check.error(
                        "agentfs::vpc_endpoint_type",
                        field,
                        format!("a gateway endpoint has no `{field}`"),
                        "use `route_tables` for a gateway endpoint, or `type = \"Interface\"`",
                    );
                }
            }
        }
        if interface {
            if !self.route_tables.is_empty() {
                check.error(
                    "agentfs::vpc_endpoint_type",
                    "route_tables",
                    "an interface endpoint has no route tables",
                    "give the subnets its network interfaces go in: `subnets = [...]`",
                );
            }
            if self.subnets.is_empty() {
                check.error(
                    "agentfs::vpc_endpoint_type",
                    "type",
                    "an interface endpoint needs `subnets`",
                    "name one subnet per availability zone its clients run in: `subnets = [\"private_a\", \"private_b\"]`",
                );
            }
        }
        if let Some(policy) = &self.policy {
            // An endpoint policy names principals, as a resource policy does.
            super::policy_document::policy_shape(check, "policy", policy, true);
        }
    }
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        let mut refs = vec![RefSlot::new("vpc", Kind::Vpc, "id", &mut self.vpc)];
        refs.extend(list_refs(
            "route_tables",
            Kind::RouteTable,
            "id",
            &mut self.route_tables,
        ));
        refs.extend(list_refs("subnets", Kind::Subnet, "id", &mut self.subnets));
        refs.extend(list_refs(
            "security_groups",
            Kind::SecurityGroup,
            "id",
            &mut self.security_groups,
        ));
        refs
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct VpcEndpoint;

/// How long a just-created VPC or route table may be unknown to the endpoint calls.
const PROPAGATION: Duration = Duration::from_secs(120);

impl Resource for VpcEndpoint {
    type Spec = VpcEndpointSpec;
    const GROUP: Group = Group::Network;
    const CREATE_CALL: &'static str = "ec2:CreateVpcEndpoint";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "service_name"];
    live::existing_by_tags!(
        describe_vpc_endpoints,
        set_filters,
        vpc_endpoint_id,
        "ec2:DescribeVpcEndpoints",
        "vpce",
        Some("vpc-id")
    );
    const REPLACE_ON: &'static [&'static str] = &["vpc", "service", "type"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::reference("vpc", "ec2", "CreateVpcEndpointRequest$VpcId"),
            ApiField::model("service", "ec2", "CreateVpcEndpointRequest$ServiceName", Limits::NONE),
            ApiField::model(
                "type",
                "ec2",
                "CreateVpcEndpointRequest$VpcEndpointType",
                Limits::one_of(&[
                    "Interface",
                    "Gateway",
                    "GatewayLoadBalancer",
                    "Resource",
                    "ServiceNetwork",
                    "Tunnel",
                ]),
            ),
            ApiField::reference("route_tables", "ec2", "CreateVpcEndpointRequest$RouteTableIds"),
            ApiField::reference("subnets", "ec2", "CreateVpcEndpointRequest$SubnetIds"),
            ApiField::reference("security_groups", "ec2", "CreateVpcEndpointRequest$SecurityGroupIds"),
            ApiField::model(
                "private_dns",
                "ec2",
                "CreateVpcEndpointRequest$PrivateDnsEnabled",
                Limits::NONE,
            ),
        ],
        tags: super::tags::rules::EC2,
        // The policy document is sent serialised to JSON.
        not_sent: &["policy"],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(600),
        update: Duration::from_secs(600),
        delete: Duration::from_secs(600),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, VpcEndpointSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let service = service_name(ctx, spec);
        let out = retry_transient(
            PROPAGATION.min(req.timeout),
            req.progress,
            |e| e.is_not_found(),
            || async {
                ctx.clients
                    .ec2
                    .create_vpc_endpoint()
                    .vpc_id(&spec.vpc)
                    .service_name(&service)
                    .vpc_endpoint_type(endpoint_type(&spec.endpoint_type))
                    .set_route_table_ids((!spec.route_tables.is_empty()).then(|| spec.route_tables.clone()))
                    .set_subnet_ids((!spec.subnets.is_empty()).then(|| spec.subnets.clone()))
                    .set_security_group_ids((!spec.security_groups.is_empty()).then(|| spec.security_groups.clone()))
                    .set_private_dns_enabled(spec.private_dns)
                    .set_policy_document(spec.policy.as_ref().map(|p| p.to_string()))
                    .client_token(req.token)
                    .tag_specifications(live::tag_spec(ResourceType::VpcEndpoint, req.tags))
                    .send()
                    .await
                    .map_err(api("ec2:CreateVpcEndpoint"))
            },
        )
        .await?;
        let id = out
            .vpc_endpoint()
            .and_then(|e| e.vpc_endpoint_id())
            .map(String::from)
            .ok_or_else(|| ApiError::missing("ec2:CreateVpcEndpoint", "VpcEndpointId"))?;
        wait_available(ctx, &id, req.timeout, req).await?;
        Ok(created(ctx, &id, &service))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, VpcEndpointSpec>,
        prior: &Recorded<'_, VpcEndpointSpec>,
    ) -> Result<Created, ApiError> {
        let (spec, old) = (req.spec, prior.spec);
        let (add_tables, remove_tables) = changes(&old.route_tables, &spec.route_tables);
        let (add_subnets, remove_subnets) = changes(&old.subnets, &spec.subnets);
        let (add_groups, remove_groups) = changes(&old.security_groups, &spec.security_groups);
        let dns = (spec.private_dns != old.private_dns).then(|| spec.private_dns.unwrap_or(true));
        let policy_changed = match (&spec.policy, &old.policy) {
            (Some(new), Some(old)) => !same_policy(new, old),
            (None, None) => false,
            _ => true,
        };
        let changed = [
            &add_tables,
            &remove_tables,
            &add_subnets,
            &remove_subnets,
            &add_groups,
            &remove_groups,
        ]
        .iter()
        .any(|l| l.is_some())
            || dns.is_some()
            || policy_changed;
        if changed {
            req.progress.phase("changing the endpoint");
            ctx.clients
                .ec2
                .modify_vpc_endpoint()
                .vpc_endpoint_id(prior.id)
                .set_add_route_table_ids(add_tables)
                .set_remove_route_table_ids(remove_tables)
                .set_add_subnet_ids(add_subnets)
                .set_remove_subnet_ids(remove_subnets)
                .set_add_security_group_ids(add_groups)
                .set_remove_security_group_ids(remove_groups)
                .set_private_dns_enabled(dns)
                .set_policy_document(spec.policy.as_ref().filter(|_| policy_changed).map(|p| p.to_string()))
                .set_reset_policy((policy_changed && spec.policy.is_none()).then_some(true))
                .send()
                .await
                .map_err(api("ec2:ModifyVpcEndpoint"))?;
            wait_available(ctx, prior.id, req.timeout, req).await?;
        }
        tags::sync(ctx, Tagged::Ec2(prior.id), prior.tags, req.tags).await?;
        Ok(created(ctx, prior.id, &service_name(ctx, req.spec)))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, VpcEndpointSpec>) -> Result<(), ApiError> {
        let out = ctx
            .clients
            .ec2
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(prior.id)
            .send()
            .await
            .map_err(api("ec2:DeleteVpcEndpoints"));
        match out {
            Ok(out) => {
                // Per-endpoint failures come back in the answer, not as an error.
                if let Some(error) = out.unsuccessful().iter().find_map(|u| u.error()) {
                    let e = ApiError::new(
                        "ec2:DeleteVpcEndpoints",
                        error.code().unwrap_or("Unknown"),
                        error.message().unwrap_or_default(),
                    );
                    if !e.is_not_found() {
                        return Err(e);
                    }
                    return Ok(());
                }
            }
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        }
        wait_for(
            "ec2:DescribeVpcEndpoints",
            "deleted",
            prior.timeout,
            prior.progress,
            || async {
                Ok(match describe(ctx, prior.id).await? {
                    None => Poll::Ready(()),
                    Some(endpoint) => {
                        let state = state_of(&endpoint);
                        if state_is(&state, "deleted") {
                            Poll::Ready(())
                        } else if state_is(&state, "failed") {
                            Poll::Failed(state)
                        } else {
                            Poll::Pending(state)
                        }
                    }
                })
            },
        )
        .await
    }

    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        // No id filter: not every EC2-compatible API filters endpoints by `vpc-endpoint-id`,
        // so a batch refused for an unknown id is described again one id at a time.
        let endpoints = live::select(
            &ctx.stack,
            ids,
            None,
            |e: &Endpoint| e.vpc_endpoint_id(),
            |e| e.tags(),
            |select| async move {
                let call = ctx.clients.ec2.describe_vpc_endpoints();
                describe_all(match select {
                    live::Select::Ids(ids) => call.set_vpc_endpoint_ids(Some(ids)),
                    live::Select::Filters(filters) => call.set_filters(Some(filters)),
                })
                .await
            },
        )
        .await?;
        Ok(endpoints
            .iter()
            .filter(|e| {
                let state = state_of(e);
                !state_is(&state, "deleting") && !state_is(&state, "deleted")
            })
            .filter_map(|e| {
                Some(Found {
                    owner: live::owner(e.tags()),
                    created: created(ctx, e.vpc_endpoint_id()?, e.service_name().unwrap_or_default()),
                })
            })
            .collect())
    }

    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, VpcEndpointSpec>],
    ) -> Result<Vec<Option<VpcEndpointSpec>>, ApiError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids = live::distinct(records.iter().map(|r| r.id));
        let vpcs = live::distinct(records.iter().map(|r| r.spec.vpc.as_str()));
        let vpcs = &vpcs;
        let endpoints = live::batched(&ids, |by, ids| async move {
            match by {
                live::By::Ids => {
                    describe_all(ctx.clients.ec2.describe_vpc_endpoints().set_vpc_endpoint_ids(Some(ids))).await
                }
                // The endpoints' VPCs: an endpoint never moves, and every EC2-compatible API
                // filters endpoints by `vpc-id`.
                live::By::Filter => {
                    live::filtered(vpcs, |vpcs| {
                        describe_all(
                            ctx.clients
                                .ec2
                                .describe_vpc_endpoints()
                                .filters(live::filter("vpc-id", vpcs)),
                        )
                    })
                    .await
                }
            }
        })
        .await?;
        let by_id: HashMap<&str, &Endpoint> = endpoints
            .iter()
            .filter(|e| {
                let state = state_of(e);
                !state_is(&state, "deleting") && !state_is(&state, "deleted")
            })
            .filter_map(|e| Some((e.vpc_endpoint_id()?, e)))
            .collect();
        Ok(records
            .iter()
            .map(|r| {
                let endpoint = by_id.get(r.id)?;
                let mut spec = r.spec.clone();
                if let Some(vpc) = endpoint.vpc_id() {
                    spec.vpc = vpc.to_string();
                }
                if let Some(name) = endpoint.service_name() {
                    let prefix = format!("com.amazonaws.{}.", ctx.region);
                    spec.service = name.strip_prefix(&prefix).unwrap_or(name).to_string();
                }
                if let Some(kind) = endpoint.vpc_endpoint_type().map(|t| t.as_str())
                    && !kind.eq_ignore_ascii_case(&spec.endpoint_type)
                {
                    spec.endpoint_type = kind.to_string();
                }
                // Recorded tables still there in recorded order, then the others sorted.
                let live_tables = endpoint.route_table_ids();
                let mut tables: Vec<String> = r
                    .spec
                    .route_tables
                    .iter()
                    .filter(|t| live_tables.contains(t))
                    .cloned()
                    .collect();
                let mut extra: Vec<String> = live_tables
                    .iter()
                    .filter(|t| !r.spec.route_tables.contains(t))
                    .cloned()
                    .collect();
                extra.sort();
                tables.extend(extra);
                spec.route_tables = tables;
                spec.subnets = set_or_recorded(&r.spec.subnets, endpoint.subnet_ids().to_vec());
                // No groups given: AWS put the VPC's default group on the endpoint.
                if !r.spec.security_groups.is_empty() {
                    let groups = endpoint
                        .groups()
                        .iter()
                        .filter_map(|g| g.group_id().map(String::from))
                        .collect();
                    spec.security_groups = set_or_recorded(&r.spec.security_groups, groups);
                }
                if spec.endpoint_type.eq_ignore_ascii_case("interface") {
                    let dns = endpoint.private_dns_enabled();
                    // Absent means AWS's default (on): only a live `false` differs from it.
                    spec.private_dns = match (r.spec.private_dns, dns) {
                        (None, Some(true) | None) => None,
                        (_, live) => live.or(r.spec.private_dns),
                    };
                }
                // No policy given: AWS reports its full-access default, which is no drift.
                if let Some(recorded) = &r.spec.policy {
                    let live = endpoint
                        .policy_document()
                        .map(decode_policy)
                        .unwrap_or(serde_json::Value::Null);
                    if !same_policy(&live, recorded) {
                        spec.policy = Some(live);
                    }
                }
                spec.tags = live::tags(endpoint.tags());
                Some(spec)
            })
            .collect())
    }
}

async fn describe_all(
    call: aws_sdk_ec2::operation::describe_vpc_endpoints::builders::DescribeVpcEndpointsFluentBuilder,
) -> Result<Vec<Endpoint>, ApiError> {
    call.into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(api("ec2:DescribeVpcEndpoints"))
}

/// The items to add and to remove to go from `old` to `new` (`None` when there are none).
fn changes(old: &[String], new: &[String]) -> (Option<Vec<String>>, Option<Vec<String>>) {
    let add: Vec<String> = new.iter().filter(|t| !old.contains(t)).cloned().collect();
    let remove: Vec<String> = old.iter().filter(|t| !new.contains(t)).cloned().collect();
    ((!add.is_empty()).then_some(add), (!remove.is_empty()).then_some(remove))
}

fn service_name(ctx: &Ctx, spec: &VpcEndpointSpec) -> String {
    format!("com.amazonaws.{}.{}", ctx.region, spec.service)
}

fn endpoint_type(text: &str) -> VpcEndpointType {
    match text.to_ascii_lowercase().as_str() {
        "gateway" => VpcEndpointType::Gateway,
        "interface" => VpcEndpointType::Interface,
        "gatewayloadbalancer" => VpcEndpointType::GatewayLoadBalancer,
        _ => VpcEndpointType::from(text),
    }
}

fn created(ctx: &Ctx, id: &str, service: &str) -> Created {
    Created::new(id)
        .with("arn", ctx.arn("ec2", &format!("vpc-endpoint/{id}")))
        .with("service_name", service)
}

/// The SDK's enum is PascalCase while the wire can be lowercase: compare on the raw text.
fn state_of(endpoint: &Endpoint) -> String {
    endpoint.state().map(|s| s.as_str().to_string()).unwrap_or_default()
}

async fn wait_available(
    ctx: &Ctx,
    id: &str,
    timeout: Duration,
    req: &Request<'_, VpcEndpointSpec>,
) -> Result<(), ApiError> {
    wait_for(
        "ec2:DescribeVpcEndpoints",
        "available",
        timeout,
        req.progress,
        || async {
            let Some(endpoint) = describe(ctx, id).await? else {
                return Ok(Poll::Pending("not visible yet".into()));
            };
            let state = state_of(&endpoint);
            Ok(if state_is(&state, "available") {
                Poll::Ready(())
            } else if ["failed", "rejected", "expired", "deleting", "deleted"]
                .iter()
                .any(|s| state_is(&state, s))
            {
                let why = endpoint
                    .last_error()
                    .and_then(|e| e.message())
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                Poll::Failed(format!("{state}{why}"))
            } else {
                Poll::Pending(state)
            })
        },
    )
    .await
}

/// The endpoint as DescribeVpcEndpoints sees it; `None` when the id is unknown.
async fn describe(ctx: &Ctx, id: &str) -> Result<Option<Endpoint>, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(id)
        .send()
        .await
        .map_err(api("ec2:DescribeVpcEndpoints"));
    match out {
        Ok(out) => Ok(out.vpc_endpoints.unwrap_or_default().into_iter().next()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// `AWS::EC2::VPCEndpoint` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::EC2::VPCEndpoint",
    &[
        p("VpcId", To::Ref("vpc", "vpc")),
        p("ServiceName", To::With("service", service)),
        p("VpcEndpointType", To::Field("type")),
        p("RouteTableIds[]", To::Ref("route_tables[]", "route_table")),
        p("Tags", TAGS),
        p("SubnetIds[]", To::Ref("subnets[]", "subnet")),
        p("SecurityGroupIds[]", To::Ref("security_groups[]", "security_group")),
        p("PrivateDnsEnabled", To::Bool("private_dns")),
        p("PolicyDocument", To::Field("policy")),
        p(
            "DnsOptions",
            To::Refuse("agentfs keeps an interface endpoint's default DNS options"),
        ),
        p("IpAddressType", To::Refuse("agentfs makes IPv4 endpoints")),
        p("ResourceConfigurationArn", To::Refuse(LATTICE)),
        p("ServiceNetworkArn", To::Refuse(LATTICE)),
        p(
            "ServiceRegion",
            To::Refuse("agentfs endpoints reach services of the stack's region"),
        ),
    ],
)
.attributes(&[("Id", "id")])];

const LATTICE: &str =
    "agentfs makes gateway and interface endpoints, not VPC Lattice resource or service-network endpoints";

/// `com.amazonaws.REGION.SERVICE` (REGION as `${region}` or us-east-1) -> `SERVICE`.
fn service(text: &str) -> Result<toml::Value, String> {
    text.strip_prefix("com.amazonaws.${region}.")
        .or_else(|| text.strip_prefix("com.amazonaws.us-east-1."))
        .map(|s| toml::Value::String(s.into()))
        .ok_or_else(|| format!("service name `{text}` is not com.amazonaws.REGION.SERVICE"))
}
