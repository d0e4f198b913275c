//! Every check that can be made before an AWS call: references, names, CIDR math,
//! file system placement, and the network and IAM lints that save a failed deploy.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use ipnet::Ipv4Net;

use super::addr::{Addr, Kind};
use super::diag::Diagnostic;
use super::model::*;
use super::parse::{ParsedResource, ParsedSpec};
use super::resource::ResourceSpec;
use super::rules;
use super::template::{Template, TemplateError, Var};

/// Runs every check; returns all diagnostics (errors and warnings).
pub fn check(spec: &ParsedSpec) -> Vec<Diagnostic> {
    let mut checker = Checker::new(spec);
    checker.stack();
    checker.references_and_templates();
    checker.tags();
    for resource in &spec.resources {
        checker.resource(resource);
    }
    checker.unique_aws_names();
    checker.subnet_layout();
    checker.mount_targets();
    checker.runtimes();
    checker.outputs();
    // A finding reached from several runtime subnets is still one finding.
    let mut seen = HashSet::new();
    checker
        .diagnostics
        .retain(|d| seen.insert((d.code, d.field.clone(), d.message.clone())));
    checker.diagnostics
}

/// Where a subnet sits, as far as the spec says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Az {
    Index(u8),
    Named(String),
}

impl std::fmt::Display for Az {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Az::Index(i) => write!(f, "AZ index {i}"),
            Az::Named(name) => write!(f, "{name}"),
        }
    }
}

struct Checker<'a> {
    spec: &'a ParsedSpec,
    by_addr: HashMap<&'a Addr, &'a ParsedResource>,
    diagnostics: Vec<Diagnostic>,
}

macro_rules! each {
    ($self:ident, $variant:ident) => {
        $self.spec.resources.iter().filter_map(|r| match &r.spec {
            ResourceSpec::$variant(s) => Some((r, s)),
            _ => None,
        })
    };
}

impl<'a> Checker<'a> {
    fn new(spec: &'a ParsedSpec) -> Checker<'a> {
        let by_addr = spec.resources.iter().map(|r| (&r.addr, r)).collect();
        Checker {
            spec,
            by_addr,
            diagnostics: Vec::new(),
        }
    }

    fn span(&self, addr: &Addr, field: &str) -> Option<Range<usize>> {
        if field.is_empty() {
            self.spec.spans.key(&addr.to_string())
        } else {
            self.spec.spans.value(&format!("{addr}.{field}"))
        }
    }

    fn field_name(addr: &Addr, field: &str) -> String {
        if field.is_empty() {
            addr.to_string()
        } else {
            format!("{addr}.{field}")
        }
    }

    fn error(
        &mut self,
        code: &'static str,
        addr: &Addr,
        field: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let d = Diagnostic::error(code, message)
            .help(help)
            .field(Self::field_name(addr, field))
            .span(self.span(addr, field));
        self.diagnostics.push(d);
    }

    fn warn(
        &mut self,
        code: &'static str,
        addr: &Addr,
        field: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let d = Diagnostic::warning(code, message)
            .help(help)
            .field(Self::field_name(addr, field))
            .span(self.span(addr, field));
        self.diagnostics.push(d);
    }

    fn get(&self, kind: Kind, name: &str) -> Option<&'a ParsedResource> {
        self.by_addr.get(&Addr::new(kind, name)).copied()
    }

    fn stack(&mut self) {
        let stack = &self.spec.stack;
        if let Err(help) = rules::stack_name(&stack.name) {
            let d = Diagnostic::error(
                "agentfs::stack_name",
                format!("`{}` is not a valid stack name", stack.name),
            )
            .help(help)
            .field("stack.name")
            .span(self.spec.spans.value("stack.name"));
            self.diagnostics.push(d);
        }
        if let Err(help) = rules::region(&stack.region) {
            let d = Diagnostic::error("agentfs::region", format!("`{}` is not an AWS region", stack.region))
                .help(help)
                .field("stack.region")
                .span(self.spec.spans.value("stack.region"));
            self.diagnostics.push(d);
        }
        for (key, value) in &stack.tags {
            if let Err(help) = rules::tag(key, value) {
                let d = Diagnostic::error("agentfs::tag", format!("stack tag `{key}` is not allowed"))
                    .help(help)
                    .field(format!("stack.tags.{key}"))
                    .span(self.spec.spans.key(&format!("stack.tags.{key}")));
                self.diagnostics.push(d);
            }
        }
    }

    /// Field references must name a resource of the right kind; `${...}` must parse and resolve.
    fn references_and_templates(&mut self) {
        for resource in &self.spec.resources {
            let mut spec = resource.spec.clone();
            for slot in spec.refs() {
                if self.get(slot.target, slot.value).is_none() {
                    self.dangling(&resource.addr, &slot.field, slot.target, slot.value);
                }
            }
            let json = serde_json::to_value(&resource.spec).unwrap_or_default();
            self.templates_in(&resource.addr, "", &json);
            for (i, dep) in resource.meta.depends_on.iter().enumerate() {
                let field = format!("depends_on[{i}]");
                match dep.parse::<Addr>() {
                    Ok(target) if self.by_addr.contains_key(&target) => {}
                    Ok(target) => self.dangling(&resource.addr, &field, target.kind, &target.name),
                    Err(e) => self.error(
                        "agentfs::dangling_reference",
                        &resource.addr,
                        &field,
                        e.to_string(),
                        "write `kind.name`, e.g. `internet_gateway.igw`",
                    ),
                }
            }
            for (field, value) in [
                ("timeouts.create", &resource.meta.timeouts.create),
                ("timeouts.update", &resource.meta.timeouts.update),
                ("timeouts.delete", &resource.meta.timeouts.delete),
            ] {
                if let Some(text) = value
                    && parse_duration(text).is_none()
                {
                    self.error(
                        "agentfs::duration",
                        &resource.addr,
                        field,
                        format!("`{text}` is not a duration"),
                        "write e.g. `90s`, `10m` or `1h`",
                    );
                }
            }
        }
    }

    fn dangling(&mut self, addr: &Addr, field: &str, target: Kind, name: &str) {
        let (code, message, help) = self.dangling_problem(target, name);
        self.error(code, addr, field, message, help);
    }

    fn dangling_problem(&self, target: Kind, name: &str) -> (&'static str, String, String) {
        let names = self
            .spec
            .resources
            .iter()
            .filter(|r| r.addr.kind == target)
            .map(|r| r.addr.name.as_str());
        let help = match super::suggest(name, names) {
            Some(near) => format!("did you mean `{near}`?"),
            None if name.contains("${") => {
                format!("this field takes the name of a {target}, e.g. `main`, not a template")
            }
            None => format!("declare `[{target}.{name}]` or name an existing {target}"),
        };
        (
            "agentfs::dangling_reference",
            format!("no {target} named `{name}`"),
            help,
        )
    }

    fn templates_in(&mut self, addr: &Addr, path: &str, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(text) => self.template(addr, path, text),
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.templates_in(addr, &format!("{path}[{i}]"), item);
                }
            }
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    let child = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    self.templates_in(addr, &child, item);
                }
            }
            _ => {}
        }
    }

    fn template(&mut self, addr: &Addr, field: &str, text: &str) {
        for (code, message, help) in self.template_problems(text, Some(addr)) {
            self.error(code, addr, field, message, help);
        }
    }

    /// What is wrong with a template string: syntax, unknown resources, unknown attributes.
    fn template_problems(&self, text: &str, owner: Option<&Addr>) -> Vec<(&'static str, String, String)> {
        let template = match Template::parse(text) {
            Ok(template) => template,
            Err(e) => {
                let help = match &e {
                    TemplateError::UnknownVariable(v) => match super::suggest(v, Var::ALL.iter().map(|v| v.name())) {
                        Some(near) => format!("did you mean `${{{near}}}`?"),
                        None => "write `$${` for a literal `${`".into(),
                    },
                    _ => "write `${kind.name.attribute}`, `${stack}`, `${region}` or `${account_id}`; `$${` for a literal `${`".into(),
                };
                return vec![("agentfs::template", e.to_string(), help)];
            }
        };
        let mut problems = Vec::new();
        for attr in template.attr_refs() {
            if !self.by_addr.contains_key(&attr.addr) {
                problems.push(self.dangling_problem(attr.addr.kind, &attr.addr.name));
            } else if owner == Some(&attr.addr) {
                problems.push((
                    "agentfs::self_reference",
                    format!("`${{{attr}}}` refers to the resource itself"),
                    "a resource's own attributes are not known while it is created".into(),
                ));
            } else if !attr.addr.kind.attributes().contains(&attr.attribute.as_str()) {
                let known = attr.addr.kind.attributes().join("`, `");
                problems.push((
                    "agentfs::unknown_attribute",
                    format!("a {} has no attribute `{}`", attr.addr.kind, attr.attribute),
                    format!("use one of `{known}`"),
                ));
            }
        }
        problems
    }

    fn tags(&mut self) {
        for resource in &self.spec.resources {
            let Some(tags) = resource.spec.tags() else { continue };
            let total = tags.len() + self.spec.stack.tags.len();
            if total > rules::MAX_USER_TAGS {
                self.error(
                    "agentfs::tag",
                    &resource.addr,
                    "tags",
                    format!(
                        "{total} tags (with the stack's); AWS allows {} besides agentfs's own two",
                        rules::MAX_USER_TAGS
                    ),
                    "remove some tags",
                );
            }
            for (key, value) in tags {
                if let Err(help) = rules::tag(key, value) {
                    self.error(
                        "agentfs::tag",
                        &resource.addr,
                        &format!("tags.{key}"),
                        format!("tag `{key}` is not allowed"),
                        help,
                    );
                }
            }
        }
    }

    fn resource(&mut self, resource: &ParsedResource) {
        let addr = &resource.addr;
        match &resource.spec {
            ResourceSpec::Vpc(s) => {
                if let Err(help) = rules::vpc_cidr(&s.cidr_block) {
                    self.error("agentfs::cidr", addr, "cidr_block", "invalid VPC CIDR", help);
                }
            }
            ResourceSpec::Subnet(s) => {
                match (s.az_index, &s.availability_zone) {
                    (Some(_), Some(_)) => self.error(
                        "agentfs::subnet_az",
                        addr,
                        "availability_zone",
                        "both `az_index` and `availability_zone` are set",
                        "keep one of them",
                    ),
                    (None, None) => self.error(
                        "agentfs::subnet_az",
                        addr,
                        "",
                        "the subnet has no availability zone",
                        "set `az_index = 0` (first AZ of the region) or `availability_zone = \"...\"`",
                    ),
                    _ => {}
                }
                if let Err(help) = rules::vpc_cidr(&s.cidr_block) {
                    self.error("agentfs::cidr", addr, "cidr_block", "invalid subnet CIDR", help);
                }
            }
            ResourceSpec::Route(s) => {
                if s.internet_gateway.is_some() == s.nat_gateway.is_some() {
                    self.error(
                        "agentfs::route_target",
                        addr,
                        "",
                        "a route needs exactly one target",
                        "set either `internet_gateway = \"...\"` or `nat_gateway = \"...\"`",
                    );
                }
                if s.destination_cidr_block.parse::<Ipv4Net>().is_err() {
                    self.error(
                        "agentfs::cidr",
                        addr,
                        "destination_cidr_block",
                        format!("`{}` is not an IPv4 CIDR", s.destination_cidr_block),
                        "e.g. `0.0.0.0/0`",
                    );
                }
            }
            ResourceSpec::SecurityGroup(s) => self.security_group(addr, s),
            ResourceSpec::VpcEndpoint(s) => {
                if !matches!(s.endpoint_type.as_str(), "Gateway" | "Interface") {
                    self.error(
                        "agentfs::enum",
                        addr,
                        "type",
                        format!("`{}` is not an endpoint type", s.endpoint_type),
                        "use `Gateway` or `Interface`",
                    );
                }
                if s.endpoint_type == "Gateway" && !matches!(s.service.as_str(), "s3" | "dynamodb") {
                    self.error(
                        "agentfs::enum",
                        addr,
                        "service",
                        format!("`{}` has no gateway endpoint", s.service),
                        "gateway endpoints exist for `s3` and `dynamodb`",
                    );
                }
            }
            ResourceSpec::S3Bucket(s) => {
                if let Err(help) = checked_render(&s.name, &self.spec.stack, rules::bucket_name) {
                    self.error(
                        "agentfs::bucket_name",
                        addr,
                        "name",
                        format!("`{}` is not a valid bucket name", s.name),
                        help,
                    );
                }
                if !matches!(s.encryption.as_str(), "AES256" | "aws:kms") {
                    self.error(
                        "agentfs::enum",
                        addr,
                        "encryption",
                        format!("`{}` is not a default encryption", s.encryption),
                        "use `AES256` (SSE-S3) or `aws:kms`",
                    );
                }
            }
            ResourceSpec::IamRole(s) => self.iam_role(addr, s),
            ResourceSpec::S3FilesAccessPoint(s) => {
                self.access_point(addr, s.posix_user.as_ref(), s.root_directory.as_ref())
            }
            ResourceSpec::EfsAccessPoint(s) => {
                self.access_point(addr, s.posix_user.as_ref(), s.root_directory.as_ref())
            }
            ResourceSpec::EfsFileSystem(s) => {
                if !matches!(s.performance_mode.as_str(), "generalPurpose" | "maxIO") {
                    self.error(
                        "agentfs::enum",
                        addr,
                        "performance_mode",
                        format!("`{}` is not a performance mode", s.performance_mode),
                        "use `generalPurpose` or `maxIO`",
                    );
                }
                if !matches!(s.throughput_mode.as_str(), "bursting" | "provisioned" | "elastic") {
                    self.error(
                        "agentfs::enum",
                        addr,
                        "throughput_mode",
                        format!("`{}` is not a throughput mode", s.throughput_mode),
                        "use `bursting`, `provisioned` or `elastic`",
                    );
                }
            }
            ResourceSpec::S3FilesMountTarget(s) if s.security_groups.is_empty() => {
                self.warn(
                    "agentfs::lint::default_security_group",
                    addr,
                    "security_groups",
                    "no security groups: the VPC's default group will guard NFS",
                    "name the security group that allows TCP 2049 from the runtime",
                );
            }
            ResourceSpec::AgentcoreRuntime(s) => self.runtime_fields(addr, s),
            _ => {}
        }
    }

    fn security_group(&mut self, addr: &Addr, s: &SecurityGroupSpec) {
        if let Some(name) = &s.name
            && let Err(help) = checked_render(name, &self.spec.stack, rules::security_group_name)
        {
            self.error(
                "agentfs::security_group_name",
                addr,
                "name",
                format!("`{name}` is not a valid group name"),
                help,
            );
        }
        if s.description.is_empty() || s.description.len() > 255 || !s.description.is_ascii() {
            self.error(
                "agentfs::security_group_description",
                addr,
                "description",
                "the description must be 1 to 255 ASCII characters",
                "describe what the group guards",
            );
        }
        let rules = s.ingress.iter().enumerate().map(|(i, r)| (format!("ingress[{i}]"), r));
        let egress = s
            .egress
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, r)| (format!("egress[{i}]"), r));
        for (field, rule) in rules.chain(egress).collect::<Vec<_>>() {
            if !matches!(rule.protocol.as_str(), "tcp" | "udp" | "icmp" | "-1") {
                self.error(
                    "agentfs::sg_rule",
                    addr,
                    &format!("{field}.protocol"),
                    format!("`{}` is not a protocol", rule.protocol),
                    "use `tcp`, `udp`, `icmp` or `-1` (all)",
                );
            }
            let port_range = 0..=65535;
            if rule.protocol != "-1"
                && rule.protocol != "icmp"
                && (!port_range.contains(&rule.from_port)
                    || !port_range.contains(&rule.to_port)
                    || rule.from_port > rule.to_port)
            {
                self.error(
                    "agentfs::sg_rule",
                    addr,
                    &format!("{field}.from_port"),
                    format!("ports {}-{} are not a valid range", rule.from_port, rule.to_port),
                    "0 <= from_port <= to_port <= 65535",
                );
            }
            let sources = usize::from(!rule.cidr_blocks.is_empty())
                + usize::from(rule.source_security_group.is_some())
                + usize::from(rule.from_self);
            if sources != 1 {
                self.error(
                    "agentfs::sg_rule",
                    addr,
                    &field,
                    "a rule needs exactly one kind of source",
                    "set one of `cidr_blocks = [...]`, `source_security_group = \"...\"` or `self = true`",
                );
            }
            for (i, cidr) in rule.cidr_blocks.iter().enumerate() {
                if cidr.parse::<Ipv4Net>().is_err() {
                    self.error(
                        "agentfs::cidr",
                        addr,
                        &format!("{field}.cidr_blocks[{i}]"),
                        format!("`{cidr}` is not an IPv4 CIDR"),
                        "e.g. `10.20.0.0/16`",
                    );
                }
            }
        }
    }

    fn iam_role(&mut self, addr: &Addr, s: &IamRoleSpec) {
        if let Err(help) = checked_render(&s.name, &self.spec.stack, rules::role_name) {
            self.error(
                "agentfs::role_name",
                addr,
                "name",
                format!("`{}` is not a valid role name", s.name),
                help,
            );
        }
        self.policy_shape(addr, "assume_role_policy", &s.assume_role_policy);
        let trust = statements(&s.assume_role_policy);
        let has_source_account = trust.iter().any(|st| {
            condition_keys(st)
                .iter()
                .any(|k| k.eq_ignore_ascii_case("aws:SourceAccount"))
        });
        if !has_source_account {
            self.warn("agentfs::lint::trust_without_source_account", addr, "assume_role_policy", "the trust policy does not check `aws:SourceAccount`", "add `Condition = { StringEquals = { \"aws:SourceAccount\" = \"${account_id}\" } }` to stop confused-deputy use");
        }
        for (name, policy) in &s.inline_policies {
            let field = format!("inline_policies.{name}");
            self.policy_shape(addr, &field, policy);
            for statement in statements(policy) {
                let allow = statement.get("Effect").and_then(|e| e.as_str()) == Some("Allow");
                if allow && wildcard(statement.get("Action")) && wildcard(statement.get("Resource")) {
                    self.warn(
                        "agentfs::lint::wildcard_policy",
                        addr,
                        &field,
                        "a statement allows every action on every resource",
                        "list the actions and resources the role needs",
                    );
                }
            }
        }
    }

    fn policy_shape(&mut self, addr: &Addr, field: &str, policy: &serde_json::Value) {
        let ok = policy.get("Statement").is_some_and(|s| s.is_array() || s.is_object());
        if !ok {
            self.error("agentfs::policy", addr, field, "a policy document needs a `Statement`", "write `Version = \"2012-10-17\"` and `[[...Statement]]` entries with Effect, Action and Resource (or Principal)");
        }
    }

    fn access_point(&mut self, addr: &Addr, user: Option<&PosixUser>, root: Option<&RootDirectory>) {
        let id_range = 0..=4_294_967_295_i64;
        if let Some(user) = user
            && (!id_range.contains(&user.uid) || !id_range.contains(&user.gid))
        {
            self.error(
                "agentfs::posix_id",
                addr,
                "posix_user",
                "uid and gid must be 0 to 4294967295",
                "e.g. `{ uid = 1000, gid = 1000 }`",
            );
        }
        if let Some(root) = root {
            if !root.path.starts_with('/') || root.path.len() > 100 {
                self.error(
                    "agentfs::root_directory",
                    addr,
                    "root_directory.path",
                    format!("`{}` is not an absolute path of at most 100 characters", root.path),
                    "e.g. `/agent`",
                );
            }
            if let Some(perms) = &root.creation_permissions
                && let Err(help) = rules::octal_mode(&perms.permissions)
            {
                self.error(
                    "agentfs::root_directory",
                    addr,
                    "root_directory.creation_permissions.permissions",
                    format!("`{}` is not an octal mode", perms.permissions),
                    help,
                );
            }
        }
    }

    fn runtime_fields(&mut self, addr: &Addr, s: &AgentcoreRuntimeSpec) {
        if let Err(help) = checked_render(&s.name, &self.spec.stack, rules::runtime_name) {
            self.error(
                "agentfs::runtime_name",
                addr,
                "name",
                format!("`{}` is not a valid runtime name", s.name),
                help,
            );
        }
        if s.container_uri.trim().is_empty() {
            self.error(
                "agentfs::container_uri",
                addr,
                "container_uri",
                "the container URI is empty",
                "e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest`",
            );
        }
        match s.network_mode.as_str() {
            "VPC" => {
                if s.subnets.is_empty() {
                    self.error(
                        "agentfs::runtime_network",
                        addr,
                        "subnets",
                        "VPC mode needs subnets",
                        "list the private subnets, e.g. `subnets = [\"private_a\", \"private_b\"]`",
                    );
                }
                if s.security_groups.is_empty() {
                    self.error(
                        "agentfs::runtime_network",
                        addr,
                        "security_groups",
                        "VPC mode needs security groups",
                        "list at least one security group",
                    );
                }
            }
            "PUBLIC" => {
                if !s.subnets.is_empty() || !s.security_groups.is_empty() {
                    self.error(
                        "agentfs::runtime_network",
                        addr,
                        "network_mode",
                        "subnets and security groups are only used in VPC mode",
                        "set `network_mode = \"VPC\"` or remove them",
                    );
                }
            }
            other => self.error(
                "agentfs::enum",
                addr,
                "network_mode",
                format!("`{other}` is not a network mode"),
                "use `PUBLIC` or `VPC`",
            ),
        }
        for name in s.environment_variables.keys() {
            if let Err(help) = rules::environment_variable_name(name) {
                self.error(
                    "agentfs::environment",
                    addr,
                    &format!("environment_variables.{name}"),
                    format!("`{name}` is not a valid variable name"),
                    help,
                );
            }
        }
        for (i, name) in s.sensitive_environment_variables.iter().enumerate() {
            if !s.environment_variables.contains_key(name) {
                self.error(
                    "agentfs::environment",
                    addr,
                    &format!("sensitive_environment_variables[{i}]"),
                    format!("`{name}` is not in `environment_variables`"),
                    "name a variable that the runtime sets",
                );
            }
        }
        if s.filesystem.len() > 5 {
            self.error(
                "agentfs::filesystem_count",
                addr,
                "filesystem",
                format!(
                    "{} filesystem configurations; the API allows at most 5",
                    s.filesystem.len()
                ),
                "remove some mounts",
            );
        }
        let mut seen = HashMap::new();
        for (i, mount) in s.filesystem.iter().enumerate() {
            let field = format!("filesystem[{i}]");
            if let Err(help) = rules::mount_path(&mount.mount_path) {
                self.error(
                    "agentfs::mount_path",
                    addr,
                    &format!("{field}.mount_path"),
                    format!("invalid mountPath `{}`", mount.mount_path),
                    help,
                );
            }
            if let Some(first) = seen.insert(rules::normalise_mount_path(&mount.mount_path).to_string(), i) {
                self.error(
                    "agentfs::mount_path_duplicate",
                    addr,
                    &format!("{field}.mount_path"),
                    format!("`{}` is already mounted by filesystem[{first}]", mount.mount_path),
                    "give each file system its own directory under /mnt",
                );
            }
            let sources = usize::from(mount.s3files_access_point.is_some())
                + usize::from(mount.efs_access_point.is_some())
                + usize::from(mount.session_storage);
            if sources != 1 {
                self.error("agentfs::filesystem_source", addr, &field, "a filesystem entry needs exactly one source", "set one of `s3files_access_point = \"...\"`, `efs_access_point = \"...\"` or `session_storage = true`");
            }
            if (mount.s3files_access_point.is_some() || mount.efs_access_point.is_some()) && s.network_mode != "VPC" {
                self.error(
                    "agentfs::runtime_network",
                    addr,
                    &field,
                    "S3 Files and EFS mounts need VPC mode",
                    "set `network_mode = \"VPC\"` with private subnets, or use `session_storage = true`",
                );
            }
        }
    }

    /// AWS-level names must be unique too: two roles cannot share `name`.
    fn unique_aws_names(&mut self) {
        let mut seen: HashMap<(Kind, String), Addr> = HashMap::new();
        let named: Vec<(&Addr, String)> = self
            .spec
            .resources
            .iter()
            .filter_map(|r| {
                let name = match &r.spec {
                    ResourceSpec::IamRole(s) => s.name.clone(),
                    ResourceSpec::S3Bucket(s) => s.name.clone(),
                    ResourceSpec::AgentcoreRuntime(s) => s.name.clone(),
                    ResourceSpec::SecurityGroup(s) => format!(
                        "{}/{}",
                        s.vpc,
                        s.name.clone().unwrap_or_else(|| format!("${{stack}}-{}", r.addr.name))
                    ),
                    _ => return None,
                };
                Some((&r.addr, name))
            })
            .collect();
        for (addr, name) in named {
            if let Some(first) = seen.insert((addr.kind, name.clone()), addr.clone()) {
                let shown = name.rsplit('/').next().unwrap_or(&name).to_string();
                self.error(
                    "agentfs::duplicate_name",
                    addr,
                    "name",
                    format!("`{first}` already uses the name `{shown}`"),
                    "AWS names must be unique: give each resource its own",
                );
            }
        }
    }

    fn subnet_info(&self, name: &str) -> Option<(&'a str, Option<Ipv4Net>, Option<Az>)> {
        let resource = self.get(Kind::Subnet, name)?;
        let ResourceSpec::Subnet(s) = &resource.spec else {
            return None;
        };
        let az = match (s.az_index, &s.availability_zone) {
            (Some(i), None) => Some(Az::Index(i)),
            (None, Some(n)) => Some(Az::Named(n.clone())),
            _ => None,
        };
        Some((s.vpc.as_str(), s.cidr_block.parse().ok(), az))
    }

    /// Subnets inside their VPC, not overlapping each other.
    fn subnet_layout(&mut self) {
        let mut placed: Vec<(&Addr, &str, Ipv4Net)> = Vec::new();
        for (r, s) in each!(self, Subnet) {
            let Ok(net) = s.cidr_block.parse::<Ipv4Net>() else {
                continue;
            };
            if let Some(ResourceSpec::Vpc(vpc)) = self.get(Kind::Vpc, &s.vpc).map(|v| &v.spec)
                && let Ok(vpc_net) = vpc.cidr_block.parse::<Ipv4Net>()
                && !vpc_net.contains(&net)
            {
                self.error(
                    "agentfs::cidr_outside_vpc",
                    &r.addr,
                    "cidr_block",
                    format!("{net} is not inside VPC `{}` ({vpc_net})", s.vpc),
                    format!("pick a range inside {vpc_net}"),
                );
            }
            if let Some((other, _, _)) = placed
                .iter()
                .find(|(_, vpc, other)| *vpc == s.vpc && (other.contains(&net) || net.contains(other)))
            {
                let other = other.to_string();
                self.error(
                    "agentfs::cidr_overlap",
                    &r.addr,
                    "cidr_block",
                    format!("{net} overlaps `{other}`"),
                    "give each subnet its own range",
                );
            }
            placed.push((&r.addr, &s.vpc, net));
        }
    }

    /// One mount target per file system per AZ.
    fn mount_targets(&mut self) {
        let mut seen: HashMap<(Kind, String, Az), Addr> = HashMap::new();
        let targets: Vec<(&Addr, Kind, String, String)> = self
            .spec
            .resources
            .iter()
            .filter_map(|r| match &r.spec {
                ResourceSpec::S3FilesMountTarget(s) => Some((
                    &r.addr,
                    Kind::S3FilesFileSystem,
                    s.file_system.clone(),
                    s.subnet.clone(),
                )),
                ResourceSpec::EfsMountTarget(s) => {
                    Some((&r.addr, Kind::EfsFileSystem, s.file_system.clone(), s.subnet.clone()))
                }
                _ => None,
            })
            .collect();
        for (addr, fs_kind, fs, subnet) in targets {
            let Some((_, _, Some(az))) = self.subnet_info(&subnet) else {
                continue;
            };
            if let Some(first) = seen.insert((fs_kind, fs.clone(), az.clone()), addr.clone()) {
                self.error(
                    "agentfs::mount_target_az",
                    addr,
                    "subnet",
                    format!("`{first}` already gives {fs_kind} `{fs}` a mount target in {az}"),
                    "a file system has at most one mount target per availability zone",
                );
            }
        }
    }

    fn runtimes(&mut self) {
        let runtimes: Vec<(&ParsedResource, &AgentcoreRuntimeSpec)> = each!(self, AgentcoreRuntime).collect();
        for (r, s) in runtimes {
            if s.network_mode != "VPC" {
                continue;
            }
            let subnets: Vec<(String, &str, Option<Ipv4Net>, Option<Az>)> = s
                .subnets
                .iter()
                .filter_map(|name| {
                    self.subnet_info(name)
                        .map(|(vpc, net, az)| (name.clone(), vpc, net, az))
                })
                .collect();
            let vpcs: HashSet<&str> = subnets.iter().map(|(_, vpc, _, _)| *vpc).collect();
            if vpcs.len() > 1 {
                self.error(
                    "agentfs::runtime_network",
                    &r.addr,
                    "subnets",
                    "the runtime's subnets are in different VPCs",
                    "use subnets of one VPC",
                );
            }
            for (i, mount) in s.filesystem.iter().enumerate() {
                let fs = match (&mount.s3files_access_point, &mount.efs_access_point) {
                    (Some(ap), _) => self.access_point_fs(Kind::S3FilesAccessPoint, ap),
                    (_, Some(ap)) => self.access_point_fs(Kind::EfsAccessPoint, ap),
                    _ => None,
                };
                let Some((fs_kind, fs_name)) = fs else { continue };
                self.mount_coverage(&r.addr, &format!("filesystem[{i}]"), s, &subnets, fs_kind, &fs_name);
            }
            self.network_lints(&r.addr, s, &subnets);
        }
    }

    fn access_point_fs(&self, kind: Kind, name: &str) -> Option<(Kind, String)> {
        match &self.get(kind, name)?.spec {
            ResourceSpec::S3FilesAccessPoint(ap) => Some((Kind::S3FilesFileSystem, ap.file_system.clone())),
            ResourceSpec::EfsAccessPoint(ap) => Some((Kind::EfsFileSystem, ap.file_system.clone())),
            _ => None,
        }
    }

    fn mount_targets_of(&self, fs_kind: Kind, fs_name: &str) -> Vec<(&'a Addr, String, Vec<String>)> {
        self.spec
            .resources
            .iter()
            .filter_map(|r| match &r.spec {
                ResourceSpec::S3FilesMountTarget(m)
                    if fs_kind == Kind::S3FilesFileSystem && m.file_system == fs_name =>
                {
                    Some((&r.addr, m.subnet.clone(), m.security_groups.clone()))
                }
                ResourceSpec::EfsMountTarget(m) if fs_kind == Kind::EfsFileSystem && m.file_system == fs_name => {
                    Some((&r.addr, m.subnet.clone(), m.security_groups.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Each runtime subnet's AZ has a mount target in the same VPC, and NFS can flow.
    fn mount_coverage(
        &mut self,
        addr: &Addr,
        field: &str,
        runtime: &AgentcoreRuntimeSpec,
        subnets: &[(String, &str, Option<Ipv4Net>, Option<Az>)],
        fs_kind: Kind,
        fs_name: &str,
    ) {
        let targets = self.mount_targets_of(fs_kind, fs_name);
        let target_places: Vec<(&Addr, &str, Option<Az>)> = targets
            .iter()
            .filter_map(|(a, subnet, _)| self.subnet_info(subnet).map(|(vpc, _, az)| (*a, vpc, az)))
            .collect();
        for (subnet, vpc, _, az) in subnets {
            let Some(az) = az else { continue };
            if !target_places.iter().any(|(_, _, t_az)| t_az.as_ref() == Some(az)) {
                let mt_kind = if fs_kind == Kind::S3FilesFileSystem {
                    "s3files_mount_target"
                } else {
                    "efs_mount_target"
                };
                self.error(
                    "agentfs::mount_target_missing",
                    addr,
                    field,
                    format!("{fs_kind} `{fs_name}` has no mount target in {az}, where runtime subnet `{subnet}` is"),
                    format!("add a `[{mt_kind}.NAME]` with `file_system = \"{fs_name}\"` in a subnet of {az}"),
                );
            }
            for (target, t_vpc, _) in &target_places {
                if t_vpc != vpc {
                    self.error(
                        "agentfs::mount_target_vpc",
                        addr,
                        field,
                        format!("mount target `{target}` is in VPC `{t_vpc}`, the runtime in `{vpc}`"),
                        "put the mount targets and the runtime's subnets in one VPC",
                    );
                }
            }
        }
        let runtime_nets: Vec<Ipv4Net> = subnets.iter().filter_map(|s| s.2).collect();
        let nfs_open = targets.iter().all(|(_, _, groups)| {
            groups
                .iter()
                .any(|g| self.allows_nfs(g, &runtime.security_groups, &runtime_nets))
        });
        if !targets.is_empty() && !nfs_open {
            self.warn("agentfs::lint::nfs_blocked", addr, "security_groups", format!("no security group rule lets the runtime reach {fs_kind} `{fs_name}`'s mount targets on TCP 2049"), "add to the mount targets' group an ingress rule `{ protocol = \"tcp\", from_port = 2049, to_port = 2049, self = true }` and give the runtime that group (or use `source_security_group`)");
        }
    }

    fn allows_nfs(&self, group: &str, runtime_groups: &[String], runtime_nets: &[Ipv4Net]) -> bool {
        let Some(ResourceSpec::SecurityGroup(sg)) = self.get(Kind::SecurityGroup, group).map(|r| &r.spec) else {
            return false;
        };
        sg.ingress.iter().any(|rule| {
            let port =
                rule.protocol == "-1" || (rule.protocol == "tcp" && rule.from_port <= 2049 && 2049 <= rule.to_port);
            let source = (rule.from_self && runtime_groups.iter().any(|g| g == group))
                || rule
                    .source_security_group
                    .as_ref()
                    .is_some_and(|s| runtime_groups.contains(s))
                || rule
                    .cidr_blocks
                    .iter()
                    .filter_map(|c| c.parse::<Ipv4Net>().ok())
                    .any(|c| !runtime_nets.is_empty() && runtime_nets.iter().all(|n| c.contains(n)));
            port && source
        })
    }

    fn network_lints(
        &mut self,
        addr: &Addr,
        runtime: &AgentcoreRuntimeSpec,
        subnets: &[(String, &str, Option<Ipv4Net>, Option<Az>)],
    ) {
        for (subnet, vpc, _, _) in subnets {
            let tables = self.route_tables_of(subnet);
            let default_routes: Vec<&RouteSpec> = tables
                .iter()
                .flat_map(|t| self.routes_of(t))
                .filter(|r| r.destination_cidr_block == "0.0.0.0/0")
                .collect();
            let has_nat = default_routes.iter().any(|r| r.nat_gateway.is_some());
            if default_routes.iter().any(|r| r.internet_gateway.is_some()) {
                self.warn("agentfs::lint::runtime_public_subnet", addr, "subnets", format!("subnet `{subnet}` routes 0.0.0.0/0 to an internet gateway, but runtime network interfaces get private IPs only: no internet"), "place the runtime in private subnets whose 0.0.0.0/0 route goes to a NAT gateway");
            } else if !has_nat {
                self.warn("agentfs::lint::runtime_no_egress", addr, "subnets", format!("subnet `{subnet}` has no 0.0.0.0/0 route to a NAT gateway: the runtime has no egress"), "associate the subnet with a route table that has `destination_cidr_block = \"0.0.0.0/0\"` and `nat_gateway = \"...\"`");
            }
            let s3_endpoint = tables.iter().any(|t| self.has_s3_gateway(t));
            if !s3_endpoint && !has_nat {
                self.warn("agentfs::lint::runtime_no_s3_path", addr, "subnets", format!("subnet `{subnet}` reaches S3 through neither an S3 gateway endpoint nor a NAT: image pulls from ECR will fail"), "add a `[vpc_endpoint.s3]` with `service = \"s3\"` and the subnet's route table in `route_tables`");
            }
            if let Some(ResourceSpec::Vpc(v)) = self.get(Kind::Vpc, vpc).map(|r| &r.spec)
                && !(v.enable_dns_support && v.enable_dns_hostnames)
            {
                let vpc_addr = Addr::new(Kind::Vpc, *vpc);
                self.warn(
                    "agentfs::lint::vpc_dns",
                    &vpc_addr,
                    "enable_dns_hostnames",
                    format!("VPC `{vpc}` has DNS support or hostnames off; the runtime and mount targets need both"),
                    "set `enable_dns_support = true` and `enable_dns_hostnames = true`",
                );
            }
        }
        let _ = runtime;
    }

    fn route_tables_of(&self, subnet: &str) -> Vec<String> {
        each!(self, RouteTableAssociation)
            .filter(|(_, a)| a.subnet == subnet)
            .map(|(_, a)| a.route_table.clone())
            .collect()
    }

    fn routes_of(&self, table: &str) -> Vec<&'a RouteSpec> {
        each!(self, Route)
            .filter(|(_, r)| r.route_table == table)
            .map(|(_, r)| r)
            .collect()
    }

    fn has_s3_gateway(&self, table: &str) -> bool {
        each!(self, VpcEndpoint).any(|(_, e)| {
            e.service == "s3" && e.endpoint_type == "Gateway" && e.route_tables.iter().any(|t| t == table)
        })
    }

    fn outputs(&mut self) {
        for (name, output) in &self.spec.outputs {
            let field = format!("output.{name}.value");
            let span = self.spec.spans.value(&field);
            for (code, message, help) in self.template_problems(&output.value, None) {
                self.diagnostics.push(
                    Diagnostic::error(code, message)
                        .help(help)
                        .field(field.clone())
                        .span(span.clone()),
                );
            }
        }
    }
}

/// Checks a name against an API rule after rendering its template with stand-ins for what
/// is unknown offline. A template that does not parse is reported once, as a template error.
fn checked_render(text: &str, stack: &StackSettings, rule: fn(&str) -> Result<(), String>) -> Result<(), String> {
    sample_render(text, stack).map_or(Ok(()), |sample| rule(&sample))
}

/// Renders a template with stand-ins for what is unknown offline, to check lengths and patterns.
fn sample_render(text: &str, stack: &StackSettings) -> Option<String> {
    struct Sample<'s>(&'s StackSettings);
    impl super::template::Lookup for Sample<'_> {
        fn var(&self, var: Var) -> Option<String> {
            Some(match var {
                Var::Stack => self.0.name.clone(),
                Var::Region => self.0.region.clone(),
                Var::AccountId => "123456789012".into(),
            })
        }
        fn attr(&self, _: &super::template::AttrRef) -> Option<String> {
            Some("x".into())
        }
    }
    Template::parse(text).ok().and_then(|t| t.render(&Sample(stack)))
}

fn statements(policy: &serde_json::Value) -> Vec<&serde_json::Map<String, serde_json::Value>> {
    match policy.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|s| s.as_object()).collect(),
        Some(serde_json::Value::Object(one)) => vec![one],
        _ => Vec::new(),
    }
}

fn condition_keys(statement: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    let Some(serde_json::Value::Object(operators)) = statement.get("Condition") else {
        return Vec::new();
    };
    operators
        .values()
        .filter_map(|v| v.as_object())
        .flat_map(|m| m.keys().cloned())
        .collect()
}

fn wildcard(value: Option<&serde_json::Value>) -> bool {
    match value {
        Some(serde_json::Value::String(s)) => s == "*",
        Some(serde_json::Value::Array(items)) => items.iter().any(|v| v.as_str() == Some("*")),
        _ => false,
    }
}
