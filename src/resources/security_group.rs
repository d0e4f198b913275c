//! `security_group`: CreateSecurityGroup, tagged at creation (no client token: an earlier attempt
//! is found by its tags, or by name and VPC when AWS says the name is taken), then its rules.
//!
//! Rules are handled one permission at a time (one protocol, port range and source), so an update
//! authorizes and revokes exactly the difference and a retried create tolerates what an earlier
//! attempt already authorized. `egress` absent means AWS's default allow-all egress rule; a list
//! replaces it.
//!
//! Read: one DescribeSecurityGroups for all groups. The live permissions are put back in the
//! spec's rule shape: recorded rules that still exist keep their recorded order (and spelling),
//! then every permission no recorded rule explains follows, one rule each, sorted. Absent
//! `egress` stays absent while the live egress is exactly the default allow-all rule.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, IpPermission, ResourceType};

use super::Kind;
use super::ec2 as live;
pub use super::sg_rules::SecurityGroupRule;
use super::sg_rules::{Rules, default_egress, ip_permission, live_rules, permissions_of};
use super::tags::{self, Tagged};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::aws::Labelled;
use crate::aws::{ApiError, Ctx, api, delete_when_free, retry_transient};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName};
use crate::lang::{Addr, Group, rules};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[security_group.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupSpec {
    pub vpc: String,
    /// Group name; defaults to `${stack}-NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub description: String,
    #[serde(default)]
    pub ingress: Vec<SecurityGroupRule>,
    /// Egress rules; absent means AWS's default allow-all egress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<SecurityGroupRule>>,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for SecurityGroupSpec {
    fn check(&self, check: &mut Check<'_>) {
        if let Some(name) = &self.name {
            if name.eq_ignore_ascii_case("default") {
                check.error(
                    "agentfs::security_group_name",
                    "name",
                    "`default` is the name of every VPC's own group",
                    "choose another name, or leave `name` out for `${stack}-NAME`",
                );
            }
            check.rule(
                "agentfs::security_group_name",
                "name",
                name,
                rules::security_group_name,
                || format!("`{name}` is not a valid group name"),
            );
        }
        if self.description.is_empty() || self.description.len() > 255 || !self.description.is_ascii() {
            check.error(
                "agentfs::security_group_description",
                "description",
                "the description must be 1 to 255 ASCII characters",
                "describe what the group guards",
            );
        }
        let ingress = self
            .ingress
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("ingress[{i}]"), r));
        let egress = self
            .egress
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, r)| (format!("egress[{i}]"), r));
        for (field, rule) in ingress.chain(egress) {
            rule.check(check, &field);
        }
    }

    fn unique_name(&self, addr: &Addr) -> Option<UniqueName> {
        Some(UniqueName {
            scope: self.vpc.clone(),
            name: self.name.clone().unwrap_or_else(|| format!("${{stack}}-{}", addr.name)),
        })
    }
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        let mut refs = vec![RefSlot::new("vpc", Kind::Vpc, "id", &mut self.vpc)];
        let egress = self
            .egress
            .iter_mut()
            .flatten()
            .enumerate()
            .map(|(i, r)| ("egress", i, r));
        for (list, i, rule) in self
            .ingress
            .iter_mut()
            .enumerate()
            .map(|(i, r)| ("ingress", i, r))
            .chain(egress)
        {
            if let Some(source) = &mut rule.source_security_group {
                refs.push(
                    RefSlot::new(
                        format!("{list}[{i}].source_security_group"),
                        Kind::SecurityGroup,
                        "id",
                        source,
                    )
                    .late(),
                );
            }
        }
        refs
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

const SG_CHARS: &str = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*";
const SG_GUIDE: &str = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html";
const RULE_GUIDE: &str = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html";

pub struct SecurityGroup;

/// How long a just-created group may be unknown to the rule calls.
const PROPAGATION: Duration = Duration::from_secs(120);

impl Resource for SecurityGroup {
    type Spec = SecurityGroupSpec;
    const GROUP: Group = Group::Network;
    const CREATE_CALL: &'static str = "ec2:CreateSecurityGroup";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "name"];
    live::existing_by_tags!(
        describe_security_groups,
        set_filters,
        group_id,
        "ec2:DescribeSecurityGroups",
        "sg",
        Some("vpc-id")
    );
    const BLOCKED_BY_MANAGED_ENIS: bool = true;
    const REPLACE_ON: &'static [&'static str] = &["vpc", "name", "description"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::reference("vpc", "ec2", "CreateSecurityGroupRequest$VpcId"),
            ApiField::documented(
                "name",
                "ec2",
                "CreateSecurityGroupRequest$GroupName",
                Limits::len(1, 255).pattern(SG_CHARS),
                SG_GUIDE,
            ),
            ApiField::documented(
                "description",
                "ec2",
                "CreateSecurityGroupRequest$Description",
                Limits::len(0, 255).pattern(SG_CHARS),
                SG_GUIDE,
            ),
            ApiField::model(
                "ingress",
                "ec2",
                "AuthorizeSecurityGroupIngressRequest$IpPermissions",
                Limits::NONE,
            ),
            ApiField::model(
                "egress",
                "ec2",
                "AuthorizeSecurityGroupEgressRequest$IpPermissions",
                Limits::NONE,
            ),
            ApiField::documented(
                "ingress[].description",
                "ec2",
                "IpRange$Description",
                Limits::len(0, 255).pattern(SG_CHARS),
                RULE_GUIDE,
            ),
            ApiField::documented(
                "egress[].description",
                "ec2",
                "IpRange$Description",
                Limits::len(0, 255).pattern(SG_CHARS),
                RULE_GUIDE,
            ),
        ],
        tags: super::tags::rules::EC2,
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(300),
        update: Duration::from_secs(300),
        // Network interfaces of deleted runtimes and mount targets keep using the group a while.
        delete: Duration::from_secs(1800),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, SecurityGroupSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let name = group_name(ctx, req.address, spec);
        let id = match find(ctx, live::owner_filters(&ctx.stack, req.address)).await? {
            Some(id) => id,
            None => {
                let out = ctx
                    .clients
                    .ec2
                    .create_security_group()
                    .group_name(&name)
                    .description(&spec.description)
                    .vpc_id(&spec.vpc)
                    .tag_specifications(live::tag_spec(ResourceType::SecurityGroup, req.tags))
                    .send()
                    .await
                    .map_err(api("ec2:CreateSecurityGroup"));
                match out {
                    Ok(out) => out
                        .group_id()
                        .map(String::from)
                        .ok_or_else(|| ApiError::missing("ec2:CreateSecurityGroup", "GroupId"))?,
                    // Our own earlier attempt whose tags are not visible yet, or a name clash
                    // with a group agentfs did not make (then the error stands).
                    Err(e) if e.is("InvalidGroup.Duplicate") => match find(ctx, by_name(&name, &spec.vpc)).await? {
                        Some(id) => {
                            ensure_ours(ctx, &id, req, e).await?;
                            id
                        }
                        None => return Err(e),
                    },
                    Err(e) => return Err(e),
                }
            }
        };
        req.progress.phase("authorizing rules");
        let rules = Rules::of(&spec.ingress, spec.egress.as_deref(), &id);
        sync(ctx, &id, &Rules::none(), &rules).await?;
        Ok(created(ctx, &id, &name))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, SecurityGroupSpec>,
        prior: &Recorded<'_, SecurityGroupSpec>,
    ) -> Result<Created, ApiError> {
        let before = Rules::of(&prior.spec.ingress, prior.spec.egress.as_deref(), prior.id);
        let after = Rules::of(&req.spec.ingress, req.spec.egress.as_deref(), prior.id);
        sync(ctx, prior.id, &before, &after).await?;
        tags::sync(ctx, Tagged::Ec2(prior.id), prior.tags, req.tags).await?;
        let name = prior
            .attributes
            .get("name")
            .cloned()
            .unwrap_or_else(|| group_name(ctx, req.address, req.spec));
        Ok(created(ctx, prior.id, &name))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, SecurityGroupSpec>) -> Result<(), ApiError> {
        let progress = Labelled("waiting for network interfaces to go", prior.progress);
        delete_when_free(prior.timeout, &progress, || async {
            ctx.clients
                .ec2
                .delete_security_group()
                .group_id(prior.id)
                .send()
                .await
                .map_err(api("ec2:DeleteSecurityGroup"))
        })
        .await
    }

    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let groups = live::select(
            &ctx.stack,
            ids,
            Some("group-id"),
            |g: &aws_sdk_ec2::types::SecurityGroup| g.group_id(),
            |g| g.tags(),
            |select| async move {
                let call = ctx.clients.ec2.describe_security_groups();
                let call = match select {
                    live::Select::Ids(ids) => call.set_group_ids(Some(ids)),
                    live::Select::Filters(filters) => call.set_filters(Some(filters)),
                };
                call.into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(api("ec2:DescribeSecurityGroups"))
            },
        )
        .await?;
        Ok(groups
            .iter()
            .filter_map(|g| {
                Some(Found {
                    owner: live::owner(g.tags()),
                    created: created(ctx, g.group_id()?, g.group_name().unwrap_or_default()),
                })
            })
            .collect())
    }

    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, SecurityGroupSpec>],
    ) -> Result<Vec<Option<SecurityGroupSpec>>, ApiError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids = live::distinct(records.iter().map(|r| r.id));
        let groups = live::batched(&ids, |by, ids| async move {
            let call = ctx.clients.ec2.describe_security_groups();
            let call = match by {
                live::By::Ids => call.set_group_ids(Some(ids)),
                live::By::Filter => call.filters(live::filter("group-id", ids)),
            };
            call.into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(api("ec2:DescribeSecurityGroups"))
        })
        .await?;
        let by_id: HashMap<&str, &aws_sdk_ec2::types::SecurityGroup> =
            groups.iter().filter_map(|g| Some((g.group_id()?, g))).collect();
        Ok(records
            .iter()
            .map(|r| {
                let group = by_id.get(r.id)?;
                let mut spec = r.spec.clone();
                if let Some(vpc) = group.vpc_id() {
                    spec.vpc = vpc.to_string();
                }
                // An absent name is the default `<stack>-<name>`: AWS cannot tell them apart.
                if spec.name.is_some() {
                    spec.name = group.group_name().map(String::from).or(spec.name);
                }
                if let Some(description) = group.description() {
                    spec.description = description.to_string();
                }
                spec.ingress = live_rules(&r.spec.ingress, &permissions_of(group.ip_permissions()), r.id);
                let egress = permissions_of(group.ip_permissions_egress());
                spec.egress = match &r.spec.egress {
                    None if egress == default_egress() => None,
                    recorded => Some(live_rules(recorded.as_deref().unwrap_or_default(), &egress, r.id)),
                };
                spec.tags = live::tags(group.tags());
                Some(spec)
            })
            .collect())
    }
}

/// `name`, or `<stack>-<resource name>`.
fn group_name(ctx: &Ctx, address: &str, spec: &SecurityGroupSpec) -> String {
    spec.name.clone().unwrap_or_else(|| {
        let resource = address.split_once('.').map_or(address, |(_, name)| name);
        format!("{}-{resource}", ctx.stack)
    })
}

fn created(ctx: &Ctx, id: &str, name: &str) -> Created {
    Created::new(id)
        .with("arn", ctx.arn("ec2", &format!("security-group/{id}")))
        .with("name", name)
}

fn by_name(name: &str, vpc: &str) -> Vec<Filter> {
    vec![
        Filter::builder().name("group-name").values(name).build(),
        Filter::builder().name("vpc-id").values(vpc).build(),
    ]
}

async fn find(ctx: &Ctx, filters: Vec<Filter>) -> Result<Option<String>, ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_security_groups()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(api("ec2:DescribeSecurityGroups"))?;
    Ok(out
        .security_groups()
        .iter()
        .find_map(|g| g.group_id().map(String::from)))
}

/// A group found by name is adopted only if it carries this resource's tags.
async fn ensure_ours(
    ctx: &Ctx,
    id: &str,
    req: &Request<'_, SecurityGroupSpec>,
    clash: ApiError,
) -> Result<(), ApiError> {
    let out = ctx
        .clients
        .ec2
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .map_err(api("ec2:DescribeSecurityGroups"))?;
    let tags: BTreeMap<&str, &str> = out
        .security_groups()
        .iter()
        .flat_map(|g| g.tags())
        .filter_map(|t| Some((t.key()?, t.value()?)))
        .collect();
    let ours = [super::TAG_STACK, super::TAG_RESOURCE]
        .iter()
        .all(|key| req.tags.get(*key).map(String::as_str) == tags.get(key).copied());
    if ours { Ok(()) } else { Err(clash) }
}

#[derive(Clone, Copy)]
enum Direction {
    Ingress,
    Egress,
}

/// Authorizes what `after` adds, updates changed descriptions, then revokes what it drops.
async fn sync(ctx: &Ctx, group: &str, before: &Rules, after: &Rules) -> Result<(), ApiError> {
    for (direction, from, to) in [
        (Direction::Ingress, &before.ingress, &after.ingress),
        (Direction::Egress, &before.egress, &after.egress),
    ] {
        for (permission, description) in to {
            let perm = ip_permission(permission, description.as_ref());
            match from.get(permission) {
                None => authorize(ctx, group, direction, perm).await?,
                Some(old) if old != description => describe_rule(ctx, group, direction, perm).await?,
                Some(_) => {}
            }
        }
        for (permission, description) in from {
            if !to.contains_key(permission) {
                revoke(ctx, group, direction, ip_permission(permission, description.as_ref())).await?;
            }
        }
    }
    Ok(())
}

async fn authorize(ctx: &Ctx, group: &str, direction: Direction, perm: IpPermission) -> Result<(), ApiError> {
    let result = retry_transient(
        PROPAGATION,
        &super::Quiet,
        |e| e.is_not_found(),
        || async {
            let ec2 = &ctx.clients.ec2;
            match direction {
                Direction::Ingress => ec2
                    .authorize_security_group_ingress()
                    .group_id(group)
                    .ip_permissions(perm.clone())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(api("ec2:AuthorizeSecurityGroupIngress")),
                Direction::Egress => ec2
                    .authorize_security_group_egress()
                    .group_id(group)
                    .ip_permissions(perm.clone())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(api("ec2:AuthorizeSecurityGroupEgress")),
            }
        },
    )
    .await;
    match result {
        Err(e) if e.is("InvalidPermission.Duplicate") => Ok(()),
        other => other,
    }
}

async fn revoke(ctx: &Ctx, group: &str, direction: Direction, perm: IpPermission) -> Result<(), ApiError> {
    let ec2 = &ctx.clients.ec2;
    let result = match direction {
        Direction::Ingress => ec2
            .revoke_security_group_ingress()
            .group_id(group)
            .ip_permissions(perm)
            .send()
            .await
            .map(|_| ())
            .map_err(api("ec2:RevokeSecurityGroupIngress")),
        Direction::Egress => ec2
            .revoke_security_group_egress()
            .group_id(group)
            .ip_permissions(perm)
            .send()
            .await
            .map(|_| ())
            .map_err(api("ec2:RevokeSecurityGroupEgress")),
    };
    match result {
        Err(e) if e.is("InvalidPermission.NotFound") => Ok(()),
        other => other,
    }
}

async fn describe_rule(ctx: &Ctx, group: &str, direction: Direction, perm: IpPermission) -> Result<(), ApiError> {
    let ec2 = &ctx.clients.ec2;
    match direction {
        Direction::Ingress => ec2
            .update_security_group_rule_descriptions_ingress()
            .group_id(group)
            .ip_permissions(perm)
            .send()
            .await
            .map(|_| ())
            .map_err(api("ec2:UpdateSecurityGroupRuleDescriptionsIngress")),
        Direction::Egress => ec2
            .update_security_group_rule_descriptions_egress()
            .group_id(group)
            .ip_permissions(perm)
            .send()
            .await
            .map(|_| ())
            .map_err(api("ec2:UpdateSecurityGroupRuleDescriptionsEgress")),
    }
}

/// `AWS::EC2::SecurityGroup`, and `AWS::EC2::SecurityGroupIngress` / `Egress`, which are one
/// item of its `ingress` / `egress` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[
    CfnType::new(
        "AWS::EC2::SecurityGroup",
        &[
            p("VpcId", To::Ref("vpc", "vpc")),
            p("GroupName", To::Field("name")),
            p("GroupDescription", To::Field("description")),
            p(
                "SecurityGroupIngress[].IpProtocol",
                To::With("ingress[].protocol", protocol),
            ),
            p("SecurityGroupIngress[].FromPort", To::Int("ingress[].from_port")),
            p("SecurityGroupIngress[].ToPort", To::Int("ingress[].to_port")),
            p(
                "SecurityGroupIngress[].CidrIp",
                To::With("ingress[].cidr_blocks", one_cidr),
            ),
            p("SecurityGroupIngress[].Description", To::Field("ingress[].description")),
            p(
                "SecurityGroupIngress[].SourceSecurityGroupId",
                To::Ref("ingress[].source_security_group", "security_group"),
            ),
            p("SecurityGroupIngress[].CidrIpv6", To::Refuse(IPV6)),
            p("SecurityGroupIngress[].SourcePrefixListId", To::Refuse(PREFIX_LIST)),
            p("SecurityGroupIngress[].SourceSecurityGroupName", To::Refuse(BY_ID)),
            p("SecurityGroupIngress[].SourceSecurityGroupOwnerId", To::Refuse(BY_ID)),
            p(
                "SecurityGroupEgress[].IpProtocol",
                To::With("egress[].protocol", protocol),
            ),
            p("SecurityGroupEgress[].FromPort", To::Int("egress[].from_port")),
            p("SecurityGroupEgress[].ToPort", To::Int("egress[].to_port")),
            p(
                "SecurityGroupEgress[].CidrIp",
                To::With("egress[].cidr_blocks", one_cidr),
            ),
            p("SecurityGroupEgress[].Description", To::Field("egress[].description")),
            p(
                "SecurityGroupEgress[].DestinationSecurityGroupId",
                To::Ref("egress[].source_security_group", "security_group"),
            ),
            p("SecurityGroupEgress[].CidrIpv6", To::Refuse(IPV6)),
            p("SecurityGroupEgress[].DestinationPrefixListId", To::Refuse(PREFIX_LIST)),
            p("Tags", TAGS),
        ],
    )
    .attributes(&[("GroupId", "id")])
    .finish(group_ports),
    CfnType::new(
        "AWS::EC2::SecurityGroupIngress",
        &[
            p("GroupId", To::Parent),
            p("GroupName", To::Refuse(BY_ID)),
            p("IpProtocol", To::With("protocol", protocol)),
            p("FromPort", To::Int("from_port")),
            p("ToPort", To::Int("to_port")),
            p("CidrIp", To::With("cidr_blocks", one_cidr)),
            p("Description", To::Field("description")),
            p(
                "SourceSecurityGroupId",
                To::RefOrSelf {
                    field: "source_security_group",
                    kind: "security_group",
                    self_field: "self",
                },
            ),
            p("CidrIpv6", To::Refuse(IPV6)),
            p("SourcePrefixListId", To::Refuse(PREFIX_LIST)),
            p("SourceSecurityGroupName", To::Refuse(BY_ID)),
            p("SourceSecurityGroupOwnerId", To::Refuse(BY_ID)),
        ],
    )
    .folded("GroupId", Some("ingress"))
    .finish(rule_ports),
    CfnType::new(
        "AWS::EC2::SecurityGroupEgress",
        &[
            p("GroupId", To::Parent),
            p("IpProtocol", To::With("protocol", protocol)),
            p("FromPort", To::Int("from_port")),
            p("ToPort", To::Int("to_port")),
            p("CidrIp", To::With("cidr_blocks", one_cidr)),
            p("Description", To::Field("description")),
            p(
                "DestinationSecurityGroupId",
                To::RefOrSelf {
                    field: "source_security_group",
                    kind: "security_group",
                    self_field: "self",
                },
            ),
            p("CidrIpv6", To::Refuse(IPV6)),
            p("DestinationPrefixListId", To::Refuse(PREFIX_LIST)),
        ],
    )
    .folded("GroupId", Some("egress"))
    .finish(rule_ports),
];

const IPV6: &str = "agentfs security group rules are IPv4 only";
const PREFIX_LIST: &str = "agentfs rules name CIDR blocks or security groups, not prefix lists";
const BY_ID: &str = "agentfs names a security group of the same stack (`SourceSecurityGroupId` of this template)";

/// CloudFormation's protocol names and numbers as agentfs spells them (`6` -> `tcp`, `-1`).
fn protocol(text: &str) -> Result<toml::Value, String> {
    let name = match text.to_ascii_lowercase().as_str() {
        "6" | "tcp" => "tcp",
        "17" | "udp" => "udp",
        "1" | "icmp" => "icmp",
        "-1" | "all" => "-1",
        other => return Err(format!("protocol `{other}` is not tcp, udp, icmp or -1 (all)")),
    };
    Ok(toml::Value::String(name.into()))
}

fn one_cidr(text: &str) -> Result<toml::Value, String> {
    Ok(toml::Value::Array(vec![toml::Value::String(text.into())]))
}

/// CloudFormation lets an all-protocols rule leave out its ports; agentfs's rule has them.
fn rule_ports(rule: &mut toml::Table) -> Result<(), String> {
    if rule.get("protocol").and_then(toml::Value::as_str) == Some("-1") {
        for port in ["from_port", "to_port"] {
            rule.entry(port).or_insert(toml::Value::Integer(-1));
        }
    }
    Ok(())
}

fn group_ports(group: &mut toml::Table) -> Result<(), String> {
    for list in ["ingress", "egress"] {
        if let Some(toml::Value::Array(rules)) = group.get_mut(list) {
            for rule in rules.iter_mut().filter_map(toml::Value::as_table_mut) {
                rule_ports(rule)?;
            }
        }
    }
    Ok(())
}
