//! The runtime's spec: its fields, defaults and offline checks, and the code digests stamped
//! into it when the spec is read.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::artifact;
use super::super::image::ImageSpec;
use super::options::{AllowedPort, JwtAuthorizer, Options, Protocol, SessionLifecycle};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName, list_refs};
use crate::lang::{Addr, rules};
use crate::resources::Kind;

/// One `filesystemConfigurations` entry: set exactly one of the three sources.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilesystemMount {
    /// Where the runtime sees the file system: `/mnt/<name>` with an optional trailing slash.
    pub mount_path: String,
    /// An `s3files_access_point` by name (shared by all sessions; VPC mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3files_access_point: Option<String>,
    /// An `efs_access_point` by name (shared by all sessions; VPC mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efs_access_point: Option<String>,
    /// AgentCore-managed storage, one volume per session.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub session_storage: bool,
}

/// `[agentcore_runtime.NAME]`: an Amazon Bedrock AgentCore Runtime.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentcoreRuntimeSpec {
    /// Runtime name: a letter, then letters, digits or underscores; at most 48.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Container image URI in ECR (linux/arm64); set exactly one of this, `code` and `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_uri: Option<String>,
    /// The agent's code, zipped and uploaded by agentfs (direct code deployment); set exactly
    /// one of this, `container_uri` and `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Box<CodeSpec>>,
    /// A container image agentfs builds (linux/arm64, with docker or podman) and pushes to an
    /// `ecr_repository`; set exactly one of this, `container_uri` and `code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Box<ImageSpec>>,
    /// The `iam_role` the runtime runs as.
    pub role: String,
    /// `PUBLIC` or `VPC`.
    #[serde(default = "public")]
    pub network_mode: String,
    /// Subnets (by name) for VPC mode.
    #[serde(default)]
    pub subnets: Vec<String>,
    /// Security groups (by name) for VPC mode.
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub environment_variables: BTreeMap<String, String>,
    /// Names of `environment_variables` whose values never appear in output, logs or state.
    #[serde(default)]
    pub sensitive_environment_variables: Vec<String>,
    /// Up to 5 file systems to mount.
    #[serde(default)]
    pub filesystem: Vec<FilesystemMount>,
    #[serde(default)]
    pub tags: Tags,
    // ---- serving options (see runtime_options.rs) ----
    /// `protocolConfiguration`: `{ server_protocol = "MCP", port = 8000, path = "/mcp" }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Box<Protocol>>,
    /// Inbound OAuth: a custom JWT authorizer instead of SigV4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_authorizer: Option<Box<JwtAuthorizer>>,
    /// Session idle timeout and maximum lifetime, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_lifecycle: Option<Box<SessionLifecycle>>,
    /// Request headers passed through to the agent (at most 20).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_header_allowlist: Vec<String>,
    /// Ports the runtime may serve on besides its protocol port: `8080` or `{ from, to }` (at most 5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_ports: Vec<AllowedPort>,
}

/// `[agentcore_runtime.NAME.code]`: a source directory deployed as a zip from an S3 bucket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CodeSpec {
    /// The agent's directory, relative to the spec file.
    pub source: String,
    /// The `s3_bucket` (by name) that holds the artifact.
    pub bucket: String,
    /// The managed runtime: `PYTHON_3_10` .. `PYTHON_3_14` or `NODE_22`.
    pub runtime: String,
    /// The command that starts the agent, e.g. `["server.py"]` (1 or 2 items).
    pub entry_point: Vec<String>,
    /// Object key prefix of the artifact; default `agentfs/<stack>/<runtime name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Digest of the zipped source, filled in by agentfs when it reads the spec: a change of
    /// the code is a change of this value.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(skip)]
    pub sha256: String,
}

/// `code.runtime` values the API accepts.
pub const CODE_RUNTIMES: &[&str] = &[
    "PYTHON_3_10",
    "PYTHON_3_11",
    "PYTHON_3_12",
    "PYTHON_3_13",
    "PYTHON_3_14",
    "NODE_22",
];

impl CodeSpec {
    /// The artifact's object key in the bucket.
    pub fn key(&self, stack: &str, runtime_name: &str) -> String {
        let prefix = match &self.prefix {
            Some(p) => p.trim_matches('/').to_string(),
            None => format!("agentfs/{stack}/{runtime_name}"),
        };
        if prefix.is_empty() {
            "code.zip".to_string()
        } else {
            format!("{prefix}/code.zip")
        }
    }

    fn check(&self, check: &mut Check<'_>) {
        check.one_of("code.runtime", &self.runtime, "a code runtime", CODE_RUNTIMES);
        if self.entry_point.is_empty() || self.entry_point.len() > 2 {
            check.error(
                "agentfs::code",
                "code.entry_point",
                format!("{} entry point items; the API takes 1 or 2", self.entry_point.len()),
                "e.g. `entry_point = [\"server.py\"]`",
            );
        }
        for (i, item) in self.entry_point.iter().enumerate() {
            if item.is_empty() || item.len() > 128 {
                check.error(
                    "agentfs::code",
                    &format!("code.entry_point[{i}]"),
                    "an entry point item is 1 to 128 characters",
                    "name the file that starts the agent, relative to `source`",
                );
            }
        }
        if self.source.trim().is_empty() {
            check.error(
                "agentfs::code",
                "code.source",
                "the source directory is empty",
                "name the agent's directory, relative to the spec file",
            );
        }
    }
}

fn public() -> String {
    "PUBLIC".into()
}

impl KindSpec for AgentcoreRuntimeSpec {
    /// The digest of the code source or image build context, as the plan shows it.
    fn read_sources(&mut self, base: &std::path::Path) -> Vec<crate::lang::Diagnostic> {
        let mut found = Vec::new();
        if let Some(image) = &mut self.image {
            match artifact::source_zip(&base.join(&image.context)) {
                Ok(zip) => image.sha256 = zip.sha256,
                Err(e) => found.push(
                    crate::lang::Diagnostic::error(
                        "agentfs::image_context",
                        format!("the image's build context cannot be read: {e}"),
                    )
                    .help("name the directory with the Dockerfile, relative to the spec file")
                    .field("image.context".to_string()),
                ),
            }
        }
        if let Some(code) = &mut self.code {
            match artifact::source_zip(&base.join(&code.source)) {
                Ok(zip) => code.sha256 = zip.sha256,
                Err(e) => found.push(
                    crate::lang::Diagnostic::error(
                        "agentfs::code_source",
                        format!("the code source cannot be zipped: {e}"),
                    )
                    .help("name the agent's directory, relative to the spec file")
                    .field("code.source".to_string()),
                ),
            }
        }
        found
    }

    fn needs_build_tool(&self) -> Option<&'static str> {
        self.image.as_ref().map(|_| "image")
    }

    fn check(&self, check: &mut Check<'_>) {
        check.rule("agentfs::runtime_name", "name", &self.name, rules::runtime_name, || {
            format!("`{}` is not a valid runtime name", self.name)
        });
        self.check_artifact(check);
        self.check_network(check);
        for name in self.environment_variables.keys() {
            if let Err(help) = rules::environment_variable_name(name) {
                check.error(
                    "agentfs::environment",
                    &format!("environment_variables.{name}"),
                    format!("`{name}` is not a valid variable name"),
                    help,
                );
            }
        }
        for (i, name) in self.sensitive_environment_variables.iter().enumerate() {
            if !self.environment_variables.contains_key(name) {
                check.error(
                    "agentfs::environment",
                    &format!("sensitive_environment_variables[{i}]"),
                    format!("`{name}` is not in `environment_variables`"),
                    "name a variable that the runtime sets",
                );
            }
        }
        self.check_mounts(check);
        self.options().check(check);
    }

    fn sensitive_paths(&self) -> Vec<String> {
        self.sensitive_environment_variables
            .iter()
            .map(|n| format!("environment_variables.{n}"))
            .collect()
    }

    fn unique_name(&self, _: &Addr) -> Option<UniqueName> {
        Some(UniqueName {
            scope: String::new(),
            name: self.name.clone(),
        })
    }
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        let mut refs = vec![RefSlot::new("role", Kind::IamRole, "arn", &mut self.role)];
        if let Some(code) = &mut self.code {
            refs.push(RefSlot::new("code.bucket", Kind::S3Bucket, "name", &mut code.bucket));
        }
        if let Some(image) = &mut self.image {
            // Resolves to the repository's URL, which the image is pushed to.
            refs.push(RefSlot::new(
                "image.repository",
                Kind::EcrRepository,
                "url",
                &mut image.repository,
            ));
        }
        refs.extend(list_refs("subnets", Kind::Subnet, "id", &mut self.subnets));
        refs.extend(list_refs(
            "security_groups",
            Kind::SecurityGroup,
            "id",
            &mut self.security_groups,
        ));
        for (i, mount) in self.filesystem.iter_mut().enumerate() {
            if let Some(ap) = &mut mount.s3files_access_point {
                refs.push(RefSlot::new(
                    format!("filesystem[{i}].s3files_access_point"),
                    Kind::S3FilesAccessPoint,
                    "arn",
                    ap,
                ));
            }
            if let Some(ap) = &mut mount.efs_access_point {
                refs.push(RefSlot::new(
                    format!("filesystem[{i}].efs_access_point"),
                    Kind::EfsAccessPoint,
                    "arn",
                    ap,
                ));
            }
        }
        refs
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

impl AgentcoreRuntimeSpec {
    /// Exactly one of `container_uri`, `code` and `image`, each valid.
    fn check_artifact(&self, check: &mut Check<'_>) {
        let set: Vec<&str> = [
            ("container_uri", self.container_uri.is_some()),
            ("code", self.code.is_some()),
            ("image", self.image.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, present)| present.then_some(field))
        .collect();
        match set.as_slice() {
            [] => {
                return check.error(
                    "agentfs::artifact",
                    "",
                    "the runtime has no artifact",
                    "set `container_uri = \"...\"`, a `[agentcore_runtime.NAME.code]` table or `image = { context = \"...\", repository = \"...\" }`",
                );
            }
            [_] => {}
            [.., last] => {
                let listed: Vec<String> = set.iter().map(|f| format!("`{f}`")).collect();
                return check.error(
                    "agentfs::artifact",
                    last,
                    format!("{} are set together", listed.join(" and ")),
                    "a runtime runs one artifact: keep exactly one of `container_uri`, `code` and `image`",
                );
            }
        }
        if self.container_uri.as_deref().is_some_and(|u| u.trim().is_empty()) {
            check.error(
                "agentfs::container_uri",
                "container_uri",
                "the container URI is empty",
                "e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest`",
            );
        }
        if let Some(code) = &self.code {
            code.check(check);
        }
        if let Some(image) = &self.image {
            image.check(check);
        }
    }

    pub(super) fn options(&self) -> Options<'_> {
        Options {
            protocol: self.protocol.as_deref(),
            jwt_authorizer: self.jwt_authorizer.as_deref(),
            session_lifecycle: self.session_lifecycle.as_deref(),
            request_header_allowlist: &self.request_header_allowlist,
            allowed_ports: &self.allowed_ports,
        }
    }

    fn check_network(&self, check: &mut Check<'_>) {
        for (field, names) in [("subnets", &self.subnets), ("security_groups", &self.security_groups)] {
            for (i, name) in names.iter().enumerate() {
                if let Some(first) = names[..i].iter().position(|n| n == name) {
                    check.error(
                        "agentfs::runtime_network",
                        &format!("{field}[{i}]"),
                        format!("`{name}` is listed twice (first at {field}[{first}])"),
                        "list each once",
                    );
                }
            }
        }
        match self.network_mode.as_str() {
            "VPC" => {
                if self.subnets.is_empty() {
                    check.error(
                        "agentfs::runtime_network",
                        "subnets",
                        "VPC mode needs subnets",
                        "list the private subnets, e.g. `subnets = [\"private_a\", \"private_b\"]`",
                    );
                }
                if self.security_groups.is_empty() {
                    check.error(
                        "agentfs::runtime_network",
                        "security_groups",
                        "VPC mode needs security groups",
                        "list at least one security group",
                    );
                }
            }
            "PUBLIC" => {
                if !self.subnets.is_empty() || !self.security_groups.is_empty() {
                    check.error(
                        "agentfs::runtime_network",
                        "network_mode",
                        "subnets and security groups are only used in VPC mode",
                        "set `network_mode = \"VPC\"` or remove them",
                    );
                }
            }
            other => check.error(
                "agentfs::enum",
                "network_mode",
                format!("`{other}` is not a network mode"),
                "use `PUBLIC` or `VPC`",
            ),
        }
    }

    fn check_mounts(&self, check: &mut Check<'_>) {
        if self.filesystem.len() > 5 {
            check.error(
                "agentfs::filesystem_count",
                "filesystem",
                format!(
                    "{} filesystem configurations; the API allows at most 5",
                    self.filesystem.len()
                ),
                "remove some mounts",
            );
        }
        let mut seen = std::collections::HashMap::new();
        for (i, mount) in self.filesystem.iter().enumerate() {
            let field = format!("filesystem[{i}]");
            if let Err(help) = rules::mount_path(&mount.mount_path) {
                check.error(
                    "agentfs::mount_path",
                    &format!("{field}.mount_path"),
                    format!("invalid mountPath `{}`", mount.mount_path),
                    help,
                );
            }
            if let Some(first) = seen.insert(rules::normalise_mount_path(&mount.mount_path).to_string(), i) {
                check.error(
                    "agentfs::mount_path_duplicate",
                    &format!("{field}.mount_path"),
                    format!("`{}` is already mounted by filesystem[{first}]", mount.mount_path),
                    "give each file system its own directory under /mnt",
                );
            }
            let sources = usize::from(mount.s3files_access_point.is_some())
                + usize::from(mount.efs_access_point.is_some())
                + usize::from(mount.session_storage);
            if sources != 1 {
                check.error("agentfs::filesystem_source", &field, "a filesystem entry needs exactly one source", "set one of `s3files_access_point = \"...\"`, `efs_access_point = \"...\"` or `session_storage = true`");
            }
            if (mount.s3files_access_point.is_some() || mount.efs_access_point.is_some()) && self.network_mode != "VPC"
            {
                check.error(
                    "agentfs::runtime_network",
                    &field,
                    "S3 Files and EFS mounts need VPC mode",
                    "set `network_mode = \"VPC\"` with private subnets, or use `session_storage = true`",
                );
            }
        }
    }
}
