//! The security-group rule algebra: a spec rule expands into permissions (one protocol, port
//! range and source each), permission sets compare and diff exactly as AWS keys them, and live
//! permissions fold back into the spec's rule shape.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, UserIdGroupPair};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::lang::kind::Check;

/// One security group rule. Sources: `cidr_blocks`, `source_security_group`, or `self = true`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupRule {
    /// `tcp`, `udp`, `icmp` or `-1` (all).
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cidr_blocks: Vec<String>,
    /// Another `security_group` by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_security_group: Option<String>,
    /// The group itself is the source (e.g. NFS between mount targets and clients).
    #[serde(default, rename = "self", skip_serializing_if = "std::ops::Not::not")]
    pub from_self: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl SecurityGroupRule {
    pub(super) fn check(&self, check: &mut Check<'_>, field: &str) {
        if !matches!(self.protocol.as_str(), "tcp" | "udp" | "icmp" | "-1") {
            check.error(
                "agentfs::sg_rule",
                &format!("{field}.protocol"),
                format!("`{}` is not a protocol", self.protocol),
                "use `tcp`, `udp`, `icmp` or `-1` (all)",
            );
        }
        let port_range = 0..=65535;
        if self.protocol != "-1"
            && self.protocol != "icmp"
            && (!port_range.contains(&self.from_port)
                || !port_range.contains(&self.to_port)
                || self.from_port > self.to_port)
        {
            check.error(
                "agentfs::sg_rule",
                &format!("{field}.from_port"),
                format!("ports {}-{} are not a valid range", self.from_port, self.to_port),
                "0 <= from_port <= to_port <= 65535",
            );
        }
        let sources = usize::from(!self.cidr_blocks.is_empty())
            + usize::from(self.source_security_group.is_some())
            + usize::from(self.from_self);
        if sources != 1 {
            check.error(
                "agentfs::sg_rule",
                field,
                "a rule needs exactly one kind of source",
                "set one of `cidr_blocks = [...]`, `source_security_group = \"...\"` or `self = true`",
            );
        }
        for (i, cidr) in self.cidr_blocks.iter().enumerate() {
            if cidr.parse::<ipnet::Ipv4Net>().is_err() {
                check.error(
                    "agentfs::cidr",
                    &format!("{field}.cidr_blocks[{i}]"),
                    format!("`{cidr}` is not an IPv4 CIDR"),
                    "e.g. `10.20.0.0/16`",
                );
            }
        }
    }
}

/// One permission: a protocol, a port range and a single source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Permission {
    protocol: String,
    from_port: Option<i32>,
    to_port: Option<i32>,
    source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Cidr(String),
    Group(String),
}

/// Every permission of a group with its description.
pub(super) type PermissionSet = BTreeMap<Permission, Option<String>>;

pub(super) struct Rules {
    pub(super) ingress: PermissionSet,
    pub(super) egress: PermissionSet,
}

impl Rules {
    /// A group as AWS makes it: no ingress, allow-all egress.
    pub(super) fn none() -> Rules {
        Rules {
            ingress: PermissionSet::new(),
            egress: default_egress(),
        }
    }

    /// A group's rules; absent `egress` is AWS's default allow-all egress.
    pub(super) fn of(ingress: &[SecurityGroupRule], egress: Option<&[SecurityGroupRule]>, own_id: &str) -> Rules {
        Rules {
            ingress: expand(ingress, own_id),
            egress: egress.map_or_else(default_egress, |rules| expand(rules, own_id)),
        }
    }
}

pub(super) fn default_egress() -> PermissionSet {
    PermissionSet::from([(
        Permission {
            protocol: "-1".into(),
            from_port: None,
            to_port: None,
            source: Source::Cidr("0.0.0.0/0".into()),
        },
        None,
    )])
}

/// A protocol as AWS spells it: lower case, `-1` for all.
fn protocol_of(text: &str) -> String {
    match text.to_ascii_lowercase().as_str() {
        "all" | "-1" => "-1".to_string(),
        other => other.to_string(),
    }
}

/// A rule's protocol and port range as AWS keeps them (all protocols carry no ports).
fn shape(rule: &SecurityGroupRule) -> (String, Option<i32>, Option<i32>) {
    let protocol = protocol_of(&rule.protocol);
    if protocol == "-1" {
        (protocol, None, None)
    } else {
        (protocol, Some(rule.from_port), Some(rule.to_port))
    }
}

/// A rule's sources in the order the spec lists them.
fn sources(rule: &SecurityGroupRule, own_id: &str) -> Vec<Source> {
    let mut sources: Vec<Source> = rule.cidr_blocks.iter().cloned().map(Source::Cidr).collect();
    sources.extend(rule.source_security_group.iter().cloned().map(Source::Group));
    if rule.from_self {
        sources.push(Source::Group(own_id.to_string()));
    }
    sources
}

fn expand(rules: &[SecurityGroupRule], own_id: &str) -> PermissionSet {
    let mut set = PermissionSet::new();
    for rule in rules {
        let (protocol, from_port, to_port) = shape(rule);
        for source in sources(rule, own_id) {
            let permission = Permission {
                protocol: protocol.clone(),
                from_port,
                to_port,
                source,
            };
            set.insert(permission, rule.description.clone());
        }
    }
    set
}

/// The live permissions of one direction, one per source.
pub(super) fn permissions_of(perms: &[IpPermission]) -> PermissionSet {
    let mut set = PermissionSet::new();
    for p in perms {
        let protocol = protocol_of(p.ip_protocol().unwrap_or("-1"));
        let (from_port, to_port) = if protocol == "-1" {
            (None, None)
        } else {
            (p.from_port(), p.to_port())
        };
        let mut add = |source: Source, description: Option<&str>| {
            let permission = Permission {
                protocol: protocol.clone(),
                from_port,
                to_port,
                source,
            };
            set.insert(permission, description.filter(|d| !d.is_empty()).map(String::from));
        };
        for range in p.ip_ranges() {
            if let Some(cidr) = range.cidr_ip() {
                add(Source::Cidr(cidr.to_string()), range.description());
            }
        }
        for range in p.ipv6_ranges() {
            if let Some(cidr) = range.cidr_ipv6() {
                add(Source::Cidr(cidr.to_string()), range.description());
            }
        }
        for pair in p.user_id_group_pairs() {
            if let Some(group) = pair.group_id() {
                add(Source::Group(group.to_string()), pair.description());
            }
        }
    }
    set
}

/// The live permissions in the spec's rule shape: each recorded rule with the sources that are
/// still there (split by live description when those differ), in recorded order; then one rule
/// per permission no recorded rule explains, in permission order.
pub(super) fn live_rules(recorded: &[SecurityGroupRule], live: &PermissionSet, own_id: &str) -> Vec<SecurityGroupRule> {
    let mut explained: BTreeSet<&Permission> = BTreeSet::new();
    let mut rules = Vec::new();
    for rule in recorded {
        let (protocol, from_port, to_port) = shape(rule);
        let mut by_description: Vec<(Option<String>, Vec<Source>)> = Vec::new();
        for source in sources(rule, own_id) {
            let key = Permission {
                protocol: protocol.clone(),
                from_port,
                to_port,
                source: source.clone(),
            };
            let Some((permission, description)) = live.get_key_value(&key) else {
                continue;
            };
            explained.insert(permission);
            match by_description.iter_mut().find(|(d, _)| d == description) {
                Some((_, found)) => found.push(source),
                None => by_description.push((description.clone(), vec![source])),
            }
        }
        for (description, found) in by_description {
            let own = Source::Group(own_id.to_string());
            rules.push(SecurityGroupRule {
                protocol: rule.protocol.clone(),
                from_port: rule.from_port,
                to_port: rule.to_port,
                cidr_blocks: rule
                    .cidr_blocks
                    .iter()
                    .filter(|c| found.contains(&Source::Cidr((*c).clone())))
                    .cloned()
                    .collect(),
                source_security_group: rule
                    .source_security_group
                    .clone()
                    .filter(|g| found.contains(&Source::Group(g.clone()))),
                from_self: rule.from_self && found.contains(&own),
                description,
            });
        }
    }
    for (permission, description) in live {
        if explained.contains(permission) {
            continue;
        }
        let (cidr_blocks, source_security_group, from_self) = match &permission.source {
            Source::Cidr(cidr) => (vec![cidr.clone()], None, false),
            Source::Group(group) if group == own_id => (Vec::new(), None, true),
            Source::Group(group) => (Vec::new(), Some(group.clone()), false),
        };
        rules.push(SecurityGroupRule {
            protocol: permission.protocol.clone(),
            from_port: permission.from_port.unwrap_or(0),
            to_port: permission.to_port.unwrap_or(0),
            cidr_blocks,
            source_security_group,
            from_self,
            description: description.clone(),
        });
    }
    rules
}

pub(super) fn ip_permission(p: &Permission, description: Option<&String>) -> IpPermission {
    let builder = IpPermission::builder()
        .ip_protocol(&p.protocol)
        .set_from_port(p.from_port)
        .set_to_port(p.to_port);
    match &p.source {
        Source::Cidr(cidr) if cidr.contains(':') => builder.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(cidr)
                .set_description(description.cloned())
                .build(),
        ),
        Source::Cidr(cidr) => builder.ip_ranges(
            IpRange::builder()
                .cidr_ip(cidr)
                .set_description(description.cloned())
                .build(),
        ),
        Source::Group(group) => builder.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(group)
                .set_description(description.cloned())
                .build(),
        ),
    }
    .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: &str, port: i32) -> SecurityGroupRule {
        SecurityGroupRule {
            protocol: protocol.into(),
            from_port: port,
            to_port: port,
            cidr_blocks: vec!["10.0.0.0/8".into(), "::/0".into()],
            source_security_group: Some("sg-other".into()),
            from_self: true,
            description: Some("nfs".into()),
        }
    }

    #[test]
    fn rules_expand_to_one_permission_per_source() {
        let set = expand(&[rule("TCP", 2049)], "sg-own");
        let sources: Vec<_> = set.keys().map(|p| p.source.clone()).collect();
        assert_eq!(
            sources,
            vec![
                Source::Cidr("10.0.0.0/8".into()),
                Source::Cidr("::/0".into()),
                Source::Group("sg-other".into()),
                Source::Group("sg-own".into()),
            ]
        );
        assert!(set.keys().all(|p| p.protocol == "tcp" && p.from_port == Some(2049)));
    }

    #[test]
    fn all_protocols_carry_no_ports_and_absent_egress_is_the_default() {
        let set = expand(&[rule("-1", 0)], "sg-own");
        assert!(set.keys().all(|p| p.protocol == "-1" && p.from_port.is_none()));
        assert_eq!(Rules::of(&[], None, "sg-own").egress, Rules::none().egress);
    }

    #[test]
    fn live_rules_keep_recorded_order_then_sorted_extras() {
        let mut web = rule("tcp", 443);
        web.cidr_blocks = vec!["10.0.0.0/8".into(), "172.16.0.0/12".into()];
        web.source_security_group = None;
        web.from_self = false;
        let mut nfs = rule("TCP", 2049);
        nfs.cidr_blocks = vec![];
        nfs.source_security_group = None;
        let recorded = vec![web.clone(), nfs.clone()];
        // Live: one CIDR of `web` revoked, `nfs` as recorded, two rules added by hand.
        let mut live = expand(&recorded, "sg-own");
        live.remove(&Permission {
            protocol: "tcp".into(),
            from_port: Some(443),
            to_port: Some(443),
            source: Source::Cidr("172.16.0.0/12".into()),
        });
        let mut extra = expand(&[rule("udp", 53), rule("-1", 0)], "sg-own");
        extra.values_mut().for_each(|d| *d = None);
        live.extend(extra);
        let rules = live_rules(&recorded, &live, "sg-own");
        let mut web_now = web.clone();
        web_now.cidr_blocks = vec!["10.0.0.0/8".into()];
        assert_eq!(rules[0], web_now);
        assert_eq!(rules[1], nfs, "recorded spelling kept");
        // Extras, one per permission, in permission order: protocol `-1` sorts first.
        let extras: Vec<(&str, i32, bool)> = rules[2..]
            .iter()
            .map(|r| (r.protocol.as_str(), r.from_port, r.from_self))
            .collect();
        assert_eq!(extras.len(), 8, "{rules:#?}");
        assert!(extras.iter().all(|(p, _, _)| *p == "-1" || *p == "udp"));
        assert_eq!(rules[2].from_port, 0);
        assert!(rules[2..].iter().all(|r| r.description.is_none()));
        // And nothing is explained twice: reading what it read gives the same answer.
        assert_eq!(live_rules(&rules, &live, "sg-own"), rules);
    }
}
