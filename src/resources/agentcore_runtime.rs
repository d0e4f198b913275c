//! `agentcore_runtime`: CreateAgentRuntime with the stack's client token (padded to the API's
//! 33-character minimum), retried while the fresh runtime role propagates ("Role validation
//! failed"). A runtime of that name made by agentfs for this resource (a crash with another
//! token) is adopted and brought to the spec. Waits until READY is seen twice in a row.
//!
//! UpdateAgentRuntime must resend artifact, role, network, environment, description and file
//! systems (it takes no name and no tags: tags go through TagResource/UntagResource on the ARN).
//! Delete waits until GetAgentRuntime answers ResourceNotFoundException.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::types::{
    AgentManagedRuntimeType, AgentRuntimeArtifact, AgentRuntimeStatus, Code, CodeConfiguration, ContainerConfiguration,
    EfsAccessPointConfiguration, FilesystemConfiguration, NetworkConfiguration, NetworkMode,
    S3FilesAccessPointConfiguration, S3Location, SessionStorageConfiguration, VpcConfig,
};

use futures_util::future::try_join_all;

use super::Kind;
use super::artifact::{self, Uploaded};
use super::aws::{ApiError, Ctx, IAM_PROPAGATION, Poll, api, delete_then_wait, retry_transient, wait_for};
use super::image::{self, ImageSpec};
use super::lookup::{absent, each, keep, owned, owned_by_tags, set_or_recorded};
use super::runtime_options::{self, Options};
pub use super::runtime_options::{AllowedPort, CustomClaim, JwtAuthorizer, Protocol, SessionLifecycle};
use super::tags::{self, Tagged};
use super::{Created, Found, Progress, Recorded, Request, Resource, TAG_RESOURCE, TAG_STACK, Timeouts};
use crate::spec::api::{ApiField, ApiMap, Limits};
use crate::spec::kind::{Check, KindSpec, RefSlot, Tags, UniqueName, list_refs};
use crate::spec::{Addr, Group, rules};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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

    fn options(&self) -> Options<'_> {
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

/// Fills in `code.sha256` of every runtime with code from its source directory (relative to
/// `base`); a source that cannot be read is an error at `code.source`.
pub fn stamp_code(spec: &mut crate::spec::Spec, base: &std::path::Path) -> Vec<crate::spec::Diagnostic> {
    let mut found = Vec::new();
    for resource in spec.resources.values_mut() {
        let super::ResourceSpec::AgentcoreRuntime(runtime) = &mut resource.spec else {
            continue;
        };
        if let Some(image) = &mut runtime.image {
            match artifact::source_zip(&base.join(&image.context)) {
                Ok(zip) => image.sha256 = zip.sha256,
                Err(e) => {
                    let field = format!("{}.image.context", resource.addr);
                    found.push(
                        crate::spec::Diagnostic::error(
                            "agentfs::image_context",
                            format!("the image's build context cannot be read: {e}"),
                        )
                        .help("name the directory with the Dockerfile, relative to the spec file")
                        .span(spec.spans.value(&field))
                        .field(field),
                    );
                }
            }
        }
        let Some(code) = &mut runtime.code else {
            continue;
        };
        match artifact::source_zip(&base.join(&code.source)) {
            Ok(zip) => code.sha256 = zip.sha256,
            Err(e) => {
                let field = format!("{}.code.source", resource.addr);
                found.push(
                    crate::spec::Diagnostic::error(
                        "agentfs::code_source",
                        format!("the code source cannot be zipped: {e}"),
                    )
                    .help("name the agent's directory, relative to the spec file")
                    .span(spec.spans.value(&field))
                    .field(field),
                );
            }
        }
    }
    found
}

const CONTAINER_URI: &str = r"(([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?|public\.ecr\.aws)/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::([^:@]{1,300}))?(?:@(.+))?";

pub struct AgentcoreRuntime;

/// CreateAgentRuntime's `clientToken` is 33 to 256 characters of letters, digits and hyphens.
const TOKEN_MIN: usize = 33;

/// How many READY answers in a row count as ready (a status can read READY just before an
/// update or a late failure shows up).
const READY_IN_A_ROW: u32 = 2;

impl Resource for AgentcoreRuntime {
    type Spec = AgentcoreRuntimeSpec;
    const GROUP: Group = Group::Compute;
    const CREATE_CALL: &'static str = "bedrock-agentcore:CreateAgentRuntime";
    /// `artifact_key` and `artifact_version` locate the uploaded code (empty for a container);
    /// `image_uri` is the pushed `repository@sha256:...` of a built `image` (empty otherwise).
    const ATTRIBUTES: &'static [&'static str] = &[
        "id",
        "arn",
        "name",
        "version",
        "artifact_key",
        "artifact_version",
        "image_uri",
    ];
    const LOCAL_ONLY: &'static [&'static str] = &["sensitive_environment_variables"];
    const REPLACE_ON: &'static [&'static str] = &["name"];
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model(
                "name",
                "bedrock-agentcore-control",
                "CreateAgentRuntimeRequest$agentRuntimeName",
                Limits::NONE.pattern("[a-zA-Z][a-zA-Z0-9_]{0,47}"),
            ),
            ApiField::model(
                "description",
                "bedrock-agentcore-control",
                "CreateAgentRuntimeRequest$description",
                Limits::len(1, 4096),
            ),
            ApiField::model(
                "container_uri",
                "bedrock-agentcore-control",
                "ContainerConfiguration$containerUri",
                Limits::len(1, 1024).pattern(CONTAINER_URI),
            ),
            ApiField::reference("role", "bedrock-agentcore-control", "CreateAgentRuntimeRequest$roleArn"),
            ApiField::model(
                "network_mode",
                "bedrock-agentcore-control",
                "NetworkConfiguration$networkMode",
                Limits::one_of(&["PUBLIC", "VPC"]),
            ),
            ApiField::model(
                "subnets",
                "bedrock-agentcore-control",
                "VpcConfig$subnets",
                Limits::len(1, 16),
            ),
            ApiField::model(
                "security_groups",
                "bedrock-agentcore-control",
                "VpcConfig$securityGroups",
                Limits::len(1, 16),
            ),
            ApiField::model(
                "environment_variables",
                "bedrock-agentcore-control",
                "CreateAgentRuntimeRequest$environmentVariables",
                Limits::len(0, 50),
            ),
            ApiField::model(
                "environment_variables{key}",
                "bedrock-agentcore-control",
                "EnvironmentVariablesMap$key",
                Limits::len(1, 100),
            ),
            ApiField::model(
                "environment_variables{}",
                "bedrock-agentcore-control",
                "EnvironmentVariablesMap$value",
                Limits::len(0, 5000),
            ),
            ApiField::model(
                "filesystem",
                "bedrock-agentcore-control",
                "CreateAgentRuntimeRequest$filesystemConfigurations",
                Limits::len(0, 5),
            ),
            ApiField::model(
                "filesystem[].mount_path",
                "bedrock-agentcore-control",
                "S3FilesAccessPointConfiguration$mountPath",
                Limits::len(6, 200).pattern("/mnt/[a-zA-Z0-9._-]+/?"),
            ),
            ApiField::reference(
                "filesystem[].s3files_access_point",
                "bedrock-agentcore-control",
                "S3FilesAccessPointConfiguration$accessPointArn",
            ),
            ApiField::reference(
                "filesystem[].efs_access_point",
                "bedrock-agentcore-control",
                "EfsAccessPointConfiguration$accessPointArn",
            ),
            ApiField::model(
                "filesystem[].session_storage",
                "bedrock-agentcore-control",
                "FilesystemConfiguration$sessionStorage",
                Limits::NONE,
            ),
            ApiField::model(
                "code",
                "bedrock-agentcore-control",
                "AgentRuntimeArtifact$codeConfiguration",
                Limits::NONE,
            ),
            ApiField::model(
                "code.runtime",
                "bedrock-agentcore-control",
                "CodeConfiguration$runtime",
                Limits::one_of(CODE_RUNTIMES),
            ),
            ApiField::model(
                "code.entry_point",
                "bedrock-agentcore-control",
                "CodeConfiguration$entryPoint",
                Limits::len(1, 2),
            ),
            ApiField::reference("code.bucket", "bedrock-agentcore-control", "S3Location$bucket"),
            ApiField::model(
                "protocol",
                "bedrock-agentcore-control",
                "CreateAgentRuntimeRequest$protocolConfiguration",
                Limits::NONE,
            ),
            ApiField::model(
                "protocol.server_protocol",
                "bedrock-agentcore-control",
                "ProtocolConfiguration$serverProtocol",
                Limits::one_of(&["MCP", "HTTP", "A2A", "AGUI"]),
            ),
            ApiField::model(
                "protocol.port",
                "bedrock-agentcore-control",
                "ProtocolConfiguration$port",
                Limits::range(8000.0, Some(12000.0)),
            ),
            ApiField::model(
                "protocol.path",
                "bedrock-agentcore-control",
                "ProtocolConfiguration$path",
                Limits::len(1, 2048).pattern("/[A-Za-z0-9\\-._~/%]*"),
            ),
            ApiField::model(
                "jwt_authorizer",
                "bedrock-agentcore-control",
                "AuthorizerConfiguration$customJWTAuthorizer",
                Limits::NONE,
            ),
            ApiField::model(
                "jwt_authorizer.discovery_url",
                "bedrock-agentcore-control",
                "CustomJWTAuthorizerConfiguration$discoveryUrl",
                Limits::NONE
                    .pattern(r"[^\s?#]+/\.well-known/(openid-configuration|oauth-authorization-server)(/[^\s?#]+)?"),
            ),
            ApiField::model(
                "session_lifecycle",
                "bedrock-agentcore-control",
                "CreateAgentRuntimeRequest$lifecycleConfiguration",
                Limits::NONE,
            ),
            ApiField::model(
                "session_lifecycle.idle_timeout",
                "bedrock-agentcore-control",
                "LifecycleConfiguration$idleRuntimeSessionTimeout",
                Limits::range(60.0, Some(1_209_600.0)),
            ),
            ApiField::model(
                "session_lifecycle.max_lifetime",
                "bedrock-agentcore-control",
                "LifecycleConfiguration$maxLifetime",
                Limits::range(60.0, Some(1_209_600.0)),
            ),
            ApiField::model(
                "request_header_allowlist",
                "bedrock-agentcore-control",
                "RequestHeaderConfiguration$requestHeaderAllowlist",
                Limits::len(1, 20),
            ),
            ApiField::model(
                "allowed_ports",
                "bedrock-agentcore-control",
                "CreateAgentRuntimeRequest$allowedPorts",
                Limits::len(1, 5),
            ),
        ],
        tags: super::tags::rules::AGENTCORE,
        // `image` is built and pushed by agentfs; what AWS receives is the pushed digest as the
        // container URI, which is not chosen in the spec.
        not_sent: &["sensitive_environment_variables", "image"],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(1800),
        update: Duration::from_secs(1800),
        delete: Duration::from_secs(1800),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, AgentcoreRuntimeSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let token = client_token(req.token);
        let uploaded = upload_code(ctx, spec).await?;
        let pushed = push_image(ctx, spec).await?;
        let config = Config::from_spec(spec, uploaded.as_ref(), pushed.as_deref())?;
        let tags: HashMap<String, String> = req.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let created = retry_transient(
            IAM_PROPAGATION.min(req.timeout),
            req.progress,
            role_not_yet_usable,
            || async {
                ctx.clients
                    .agentcore
                    .create_agent_runtime()
                    .agent_runtime_name(&spec.name)
                    .agent_runtime_artifact(config.artifact.clone())
                    .role_arn(&spec.role)
                    .network_configuration(config.network.clone())
                    .set_description(spec.description.clone())
                    .set_environment_variables(config.environment.clone())
                    .set_filesystem_configurations(config.filesystems.clone())
                    .set_protocol_configuration(config.options.protocol.clone())
                    .set_authorizer_configuration(config.options.authorizer.clone())
                    .set_lifecycle_configuration(config.options.session_lifecycle.clone())
                    .set_request_header_configuration(config.options.headers.clone())
                    .set_allowed_ports(config.options.ports.clone())
                    .client_token(&token)
                    .set_tags(Some(tags.clone()))
                    .send()
                    .await
                    .map_err(api("bedrock-agentcore:CreateAgentRuntime"))
            },
        )
        .await;
        match created {
            Ok(out) => {
                let id = out.agent_runtime_id().to_string();
                let version = wait_ready(ctx, &id, req.timeout, req.progress)
                    .await
                    .map_err(|e| e.about(&id))?;
                Ok(attributes(&id, out.agent_runtime_arn(), &spec.name, &version)
                    .with_artifact(uploaded.as_ref())
                    .with_image(pushed.as_deref()))
            }
            Err(e) if e.is("ConflictException") => Ok(adopt(ctx, req, &config, e)
                .await?
                .with_artifact(uploaded.as_ref())
                .with_image(pushed.as_deref())),
            Err(e) => Err(e),
        }
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, AgentcoreRuntimeSpec>,
        prior: &Recorded<'_, AgentcoreRuntimeSpec>,
    ) -> Result<Created, ApiError> {
        let id = prior.id;
        let arn = match prior.attributes.get("arn") {
            Some(arn) => arn.clone(),
            None => get(ctx, id).await?.agent_runtime_arn().to_string(),
        };
        let mut version = prior.attributes.get("version").cloned().unwrap_or_default();
        // The code is uploaded again only when it changed; otherwise the recorded object stays.
        let mut uploaded = recorded_artifact(req.spec, prior);
        // Likewise the image is built and pushed again only when its context changed.
        let mut pushed = recorded_image(req.spec, prior);
        if sent_fields_differ(req.spec, prior.spec) {
            // Never start an update over one still in flight (AWS answers 409).
            wait_ready(ctx, id, req.timeout, req.progress).await?;
            if req.spec.code != prior.spec.code || uploaded.is_none() {
                uploaded = upload_code(ctx, req.spec).await?;
            }
            if pushed.is_none() {
                pushed = push_image(ctx, req.spec).await?;
            }
            version = send_update(
                ctx,
                id,
                &Config::from_spec(req.spec, uploaded.as_ref(), pushed.as_deref())?,
                req.spec,
                req.timeout,
                req.progress,
            )
            .await?;
        }
        tags::sync(ctx, Tagged::Agentcore(&arn), prior.tags, req.tags).await?;
        if let Some(old) = prior.spec.code.as_ref().filter(|_| uploaded.is_none()) {
            // From code to a container: the artifact object is no longer used.
            artifact::remove(ctx, &old.bucket, &old.key(&ctx.stack, &prior.spec.name)).await?;
        }
        Ok(attributes(id, &arn, &req.spec.name, &version)
            .with_artifact(uploaded.as_ref())
            .with_image(pushed.as_deref()))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, AgentcoreRuntimeSpec>) -> Result<(), ApiError> {
        let id = prior.id;
        // 409 while a create or update is still in progress.
        delete_then_wait(
            "bedrock-agentcore:DeleteAgentRuntime",
            "the runtime",
            prior.timeout,
            prior.progress,
            || async {
                ctx.clients
                    .agentcore
                    .delete_agent_runtime()
                    .agent_runtime_id(id)
                    .send()
                    .await
                    .map_err(api("bedrock-agentcore:DeleteAgentRuntime"))
            },
            || async {
                let out = get(ctx, id).await?;
                Ok(match out.status() {
                    AgentRuntimeStatus::DeleteFailed => Poll::Failed(with_reason(out.status(), out.failure_reason())),
                    other => Poll::Pending(other.as_str().to_string()),
                })
            },
        )
        .await?;
        // The runtime's code goes with it (every uploaded version of the object).
        match (&prior.spec.code, prior.attributes.get("artifact_key")) {
            (Some(code), Some(key)) if !key.is_empty() => artifact::remove(ctx, &code.bucket, key).await,
            (Some(code), _) => artifact::remove(ctx, &code.bucket, &code.key(&ctx.stack, &prior.spec.name)).await,
            _ => Ok(()),
        }
    }

    /// Import: GetAgentRuntime per id, then ListTagsForResource on its ARN. Recover:
    /// ListAgentRuntimes (paginated), then ListTagsForResource per runtime, keeping those
    /// tagged with the stack. Runtimes being deleted are left out.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let candidates: Vec<Created> = if ids.is_empty() {
            let runtimes = list_runtimes(ctx).await?;
            runtimes
                .iter()
                .filter(|r| !matches!(r.status(), AgentRuntimeStatus::Deleting))
                .map(|r| {
                    attributes(
                        r.agent_runtime_id(),
                        r.agent_runtime_arn(),
                        r.agent_runtime_name(),
                        r.agent_runtime_version(),
                    )
                })
                .collect()
        } else {
            let looked_up = each(owned(ids), |id| async move {
                let id = id.as_str();
                match get(ctx, id).await {
                    Ok(out) if matches!(out.status(), AgentRuntimeStatus::Deleting) => Ok(None),
                    Ok(out) => Ok(Some(described(&out))),
                    Err(e) if absent(&e) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?;
            looked_up.into_iter().flatten().collect()
        };
        let candidates = candidates
            .into_iter()
            .map(|c| (c.attributes.get("arn").cloned().unwrap_or_default(), c))
            .collect();
        let found = owned_by_tags(candidates, |arn| async move { tags::agentcore(ctx, &arn).await }).await?;
        let found = keep(ctx, ids, found);
        if !ids.is_empty() {
            return Ok(found);
        }
        // ListAgentRuntimes does not carry the artifact: the stack's own runtimes are read in
        // full, so that recover records where their code lives.
        each(found, |mut f| async move {
            match get(ctx, &f.created.id).await {
                Ok(out) => f.created = described(&out),
                Err(e) if absent(&e) => {}
                Err(e) => return Err(e),
            }
            Ok(f)
        })
        .await
    }

    /// Per runtime: GetAgentRuntime and ListTagsForResource (on the recorded ARN, so both run
    /// together; AgentCore has no batched read). Values of sensitive environment variables are
    /// answered redacted, as state records them.
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, AgentcoreRuntimeSpec>],
    ) -> Result<Vec<Option<AgentcoreRuntimeSpec>>, ApiError> {
        try_join_all(records.iter().map(|r| async move {
            let tags = async {
                match r.attributes.get("arn") {
                    Some(arn) => Some(tags::agentcore(ctx, arn).await).transpose(),
                    None => Ok(None),
                }
            };
            let (live, tags) = tokio::join!(get(ctx, r.id), tags);
            let live = match live {
                Ok(live) => live,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
            if matches!(live.status(), AgentRuntimeStatus::Deleting) {
                return Ok(None);
            }
            let tags = match tags {
                Ok(Some(tags)) => tags,
                Ok(None) => tags::agentcore(ctx, live.agent_runtime_arn()).await?,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
            let mut spec = live_spec(r.spec, &live, &tags);
            if let Some(elsewhere) = code_elsewhere(&live, r.attributes) {
                // The digest stands for the object agentfs uploaded; the runtime runs another.
                if let Some(code) = spec.code.as_mut() {
                    code.sha256 = elsewhere;
                }
            }
            Ok(Some(spec))
        }))
        .await
    }
}

/// The recorded spec with what GetAgentRuntime and ListTagsForResource report.
fn live_spec(
    recorded: &AgentcoreRuntimeSpec,
    live: &aws_sdk_bedrockagentcorecontrol::operation::get_agent_runtime::GetAgentRuntimeOutput,
    tags: &BTreeMap<String, String>,
) -> AgentcoreRuntimeSpec {
    let mut spec = recorded.clone();
    let blank = |d: Option<&str>| d.unwrap_or_default().is_empty();
    if !(blank(live.description()) && blank(recorded.description.as_deref())) {
        spec.description = live.description().map(String::from);
    }
    match live.agent_runtime_artifact() {
        // A built image's pushed digest is agentfs's own (the `image_uri` attribute): the
        // recorded `image` stands for it.
        Some(AgentRuntimeArtifact::ContainerConfiguration(_)) if recorded.image.is_some() => {}
        Some(AgentRuntimeArtifact::ContainerConfiguration(c)) => {
            spec.container_uri = Some(c.container_uri().to_string());
            spec.code = None;
        }
        Some(AgentRuntimeArtifact::CodeConfiguration(c)) => {
            // Source, prefix and digest are agentfs's own; what AWS reports replaces the rest.
            let s3 = c.code().and_then(|code| code.as_s3().ok());
            let mut code = recorded.code.clone().unwrap_or_else(|| {
                Box::new(CodeSpec {
                    source: String::new(),
                    bucket: String::new(),
                    runtime: String::new(),
                    entry_point: Vec::new(),
                    prefix: s3.map(|s| s.prefix().to_string()),
                    sha256: String::new(),
                })
            });
            if let Some(s3) = s3 {
                code.bucket = s3.bucket().to_string();
            }
            code.runtime = c.runtime().as_str().to_string();
            code.entry_point = c.entry_point().to_vec();
            spec.code = Some(code);
            spec.container_uri = None;
            spec.image = None;
        }
        _ => {}
    }
    spec.role = live.role_arn().to_string();
    if let Some(network) = live.network_configuration() {
        let mode = network.network_mode().as_str();
        if !mode.eq_ignore_ascii_case(&recorded.network_mode) {
            spec.network_mode = mode.to_string();
        }
        let vpc = network.network_mode_config();
        // PUBLIC runtimes ignore subnets and groups: what was recorded stands.
        if vpc.is_some() || !mode.eq_ignore_ascii_case("PUBLIC") {
            let subnets = vpc.map(|v| v.subnets().to_vec()).unwrap_or_default();
            let groups = vpc.map(|v| v.security_groups().to_vec()).unwrap_or_default();
            spec.subnets = set_or_recorded(&recorded.subnets, subnets);
            spec.security_groups = set_or_recorded(&recorded.security_groups, groups);
        }
    }
    let sensitive: BTreeSet<&str> = recorded
        .sensitive_environment_variables
        .iter()
        .map(String::as_str)
        .collect();
    spec.environment_variables = live
        .environment_variables()
        .map(|env| {
            env.iter()
                .map(|(k, v)| {
                    let value = if sensitive.contains(k.as_str()) {
                        crate::spec::kind::redact(v)
                    } else {
                        v.clone()
                    };
                    (k.clone(), value)
                })
                .collect()
        })
        .unwrap_or_default();
    let mounts: Vec<FilesystemMount> = live
        .filesystem_configurations()
        .iter()
        .filter_map(|entry| {
            let mut mount = FilesystemMount {
                mount_path: String::new(),
                s3files_access_point: None,
                efs_access_point: None,
                session_storage: false,
            };
            match entry {
                FilesystemConfiguration::S3FilesAccessPoint(c) => {
                    mount.mount_path = c.mount_path().to_string();
                    mount.s3files_access_point = Some(c.access_point_arn().to_string());
                }
                FilesystemConfiguration::EfsAccessPoint(c) => {
                    mount.mount_path = c.mount_path().to_string();
                    mount.efs_access_point = Some(c.access_point_arn().to_string());
                }
                FilesystemConfiguration::SessionStorage(c) => {
                    mount.mount_path = c.mount_path().to_string();
                    mount.session_storage = true;
                }
                // Kinds agentfs does not manage are left out.
                _ => return None,
            }
            // `/mnt/data` and `/mnt/data/` name the same mount.
            Some(
                recorded
                    .filesystem
                    .iter()
                    .find(|old| {
                        old.mount_path.trim_end_matches('/') == mount.mount_path.trim_end_matches('/')
                            && FilesystemMount {
                                mount_path: mount.mount_path.clone(),
                                ..(*old).clone()
                            } == mount
                    })
                    .cloned()
                    .unwrap_or(mount),
            )
        })
        .collect();
    spec.filesystem = mounts;
    let options = runtime_options::Read::from_live(live, &recorded.options().to_read());
    spec.protocol = options.protocol.map(Box::new);
    spec.jwt_authorizer = options.jwt_authorizer.map(Box::new);
    spec.session_lifecycle = options.session_lifecycle.map(Box::new);
    spec.request_header_allowlist = options.request_header_allowlist;
    spec.allowed_ports = options.allowed_ports;
    spec.tags = tags::user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    spec
}

/// What Create and Update both send, built once from the spec.
struct Config {
    artifact: AgentRuntimeArtifact,
    network: NetworkConfiguration,
    environment: Option<HashMap<String, String>>,
    filesystems: Option<Vec<FilesystemConfiguration>>,
    options: runtime_options::Sdk,
}

impl Config {
    /// `pushed` is the image agentfs built for `image`, if the runtime has one.
    fn from_spec(
        spec: &AgentcoreRuntimeSpec,
        uploaded: Option<&Uploaded>,
        pushed: Option<&str>,
    ) -> Result<Config, ApiError> {
        let invalid = |e: aws_sdk_bedrockagentcorecontrol::error::BuildError| {
            ApiError::new("bedrock-agentcore:CreateAgentRuntime", "InvalidRequest", e.to_string())
        };
        let artifact = match (&spec.code, uploaded) {
            (Some(code), Some(uploaded)) => AgentRuntimeArtifact::CodeConfiguration(
                CodeConfiguration::builder()
                    .code(Code::S3(
                        S3Location::builder()
                            .bucket(&uploaded.bucket)
                            .prefix(&uploaded.key)
                            .set_version_id(uploaded.version_id.clone())
                            .build()
                            .map_err(invalid)?,
                    ))
                    .runtime(AgentManagedRuntimeType::from(code.runtime.as_str()))
                    .set_entry_point(Some(code.entry_point.clone()))
                    .build()
                    .map_err(invalid)?,
            ),
            _ => AgentRuntimeArtifact::ContainerConfiguration(
                ContainerConfiguration::builder()
                    .container_uri(
                        pushed
                            .map(String::from)
                            .or_else(|| spec.container_uri.clone())
                            .unwrap_or_default(),
                    )
                    .build()
                    .map_err(invalid)?,
            ),
        };
        let network = if spec.network_mode.eq_ignore_ascii_case("VPC") {
            NetworkConfiguration::builder()
                .network_mode(NetworkMode::Vpc)
                .network_mode_config(
                    VpcConfig::builder()
                        .set_subnets(Some(spec.subnets.clone()))
                        .set_security_groups(Some(spec.security_groups.clone()))
                        .build()
                        .map_err(invalid)?,
                )
                .build()
                .map_err(invalid)?
        } else {
            NetworkConfiguration::builder()
                .network_mode(NetworkMode::Public)
                .build()
                .map_err(invalid)?
        };
        let mut filesystems = Vec::new();
        for mount in &spec.filesystem {
            let entry = if let Some(arn) = &mount.s3files_access_point {
                FilesystemConfiguration::S3FilesAccessPoint(
                    S3FilesAccessPointConfiguration::builder()
                        .access_point_arn(arn)
                        .mount_path(&mount.mount_path)
                        .build()
                        .map_err(invalid)?,
                )
            } else if let Some(arn) = &mount.efs_access_point {
                FilesystemConfiguration::EfsAccessPoint(
                    EfsAccessPointConfiguration::builder()
                        .access_point_arn(arn)
                        .mount_path(&mount.mount_path)
                        .build()
                        .map_err(invalid)?,
                )
            } else {
                FilesystemConfiguration::SessionStorage(
                    SessionStorageConfiguration::builder()
                        .mount_path(&mount.mount_path)
                        .build()
                        .map_err(invalid)?,
                )
            };
            filesystems.push(entry);
        }
        let options = spec.options().to_sdk().map_err(invalid)?;
        Ok(Config {
            options,
            artifact,
            network,
            environment: (!spec.environment_variables.is_empty()).then(|| {
                spec.environment_variables
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
            filesystems: (!filesystems.is_empty()).then_some(filesystems),
        })
    }
}

/// `token` as a valid CreateAgentRuntime client token: used as is when it already is one,
/// otherwise derived from it deterministically (same input, same token).
pub(super) fn client_token(token: &str) -> String {
    let valid_chars = token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && token.starts_with(|c: char| c.is_ascii_alphanumeric())
        && token.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid_chars && (TOKEN_MIN..=256).contains(&token.len()) {
        return token.to_string();
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("agentfs-{hex}")
}

/// Errors AgentCore gives while a just-created role is not yet usable by the service.
fn role_not_yet_usable(e: &ApiError) -> bool {
    let message = e.message.to_ascii_lowercase();
    (e.is("ValidationException") && message.contains("role validation failed"))
        || e.is("AccessDeniedException")
        || (e.is("ValidationException") && message.contains("access denied"))
}

/// Fields UpdateAgentRuntime sends: a change elsewhere (tags, sensitive names) needs no update.
fn sent_fields_differ(new: &AgentcoreRuntimeSpec, old: &AgentcoreRuntimeSpec) -> bool {
    new.description != old.description
        || new.container_uri != old.container_uri
        || new.code != old.code
        || new.image != old.image
        || new.role != old.role
        || !new.network_mode.eq_ignore_ascii_case(&old.network_mode)
        || new.subnets != old.subnets
        || new.security_groups != old.security_groups
        || redacted(new) != redacted(old)
        || new.filesystem != old.filesystem
        || new.options().to_read() != old.options().to_read()
}

/// The environment with every value as its digest: the recorded spec holds sensitive values as
/// digests, so plain values compared with it would differ on every apply, and marking a
/// variable sensitive changes nothing AWS sees.
fn redacted(spec: &AgentcoreRuntimeSpec) -> std::collections::BTreeMap<&str, String> {
    spec.environment_variables
        .iter()
        .map(|(name, value)| (name.as_str(), crate::spec::kind::redact(value)))
        .collect()
}

fn attributes(id: &str, arn: &str, name: &str, version: &str) -> Created {
    let mut created = Created::new(id)
        .with("arn", arn)
        .with("name", name)
        .with("artifact_key", "")
        .with("artifact_version", "")
        .with("image_uri", "");
    if !version.is_empty() {
        created = created.with("version", version);
    }
    created
}

/// Where the runtime's code lives when that is not the object version the state records
/// (`s3://bucket/key?versionId=...`), for a runtime deployed from code.
fn code_elsewhere(
    live: &aws_sdk_bedrockagentcorecontrol::operation::get_agent_runtime::GetAgentRuntimeOutput,
    recorded: &BTreeMap<String, String>,
) -> Option<String> {
    let key = recorded.get("artifact_key").filter(|k| !k.is_empty())?;
    let version = recorded.get("artifact_version").map_or("", String::as_str);
    let Some(AgentRuntimeArtifact::CodeConfiguration(c)) = live.agent_runtime_artifact() else {
        return None;
    };
    let s3 = c.code().and_then(|code| code.as_s3().ok())?;
    let live_version = s3.version_id().unwrap_or_default();
    (s3.prefix() != key || live_version != version)
        .then(|| format!("s3://{}/{}?versionId={live_version}", s3.bucket(), s3.prefix()))
}

/// Every runtime of the account and region (ListAgentRuntimes, all pages); its endpoints' find
/// starts from it too.
pub(super) async fn list_runtimes(
    ctx: &Ctx,
) -> Result<Vec<aws_sdk_bedrockagentcorecontrol::types::AgentRuntime>, ApiError> {
    ctx.clients
        .agentcore
        .list_agent_runtimes()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("bedrock-agentcore:ListAgentRuntimes"))
}

/// A runtime's attributes as GetAgentRuntime describes it, its code's object included.
fn described(out: &aws_sdk_bedrockagentcorecontrol::operation::get_agent_runtime::GetAgentRuntimeOutput) -> Created {
    let created = attributes(
        out.agent_runtime_id(),
        out.agent_runtime_arn(),
        out.agent_runtime_name(),
        out.agent_runtime_version(),
    );
    let code = match out.agent_runtime_artifact() {
        Some(AgentRuntimeArtifact::CodeConfiguration(c)) => c.code().and_then(|code| code.as_s3().ok()),
        _ => None,
    };
    match code {
        Some(s3) => created
            .with("artifact_key", s3.prefix())
            .with("artifact_version", s3.version_id().unwrap_or_default()),
        None => created,
    }
}

trait WithArtifact {
    fn with_artifact(self, uploaded: Option<&Uploaded>) -> Created;
    fn with_image(self, pushed: Option<&str>) -> Created;
}

impl WithArtifact for Created {
    fn with_artifact(self, uploaded: Option<&Uploaded>) -> Created {
        match uploaded {
            Some(u) => self
                .with("artifact_key", &u.key)
                .with("artifact_version", u.version_id.clone().unwrap_or_default()),
            None => self,
        }
    }

    fn with_image(self, pushed: Option<&str>) -> Created {
        match pushed {
            Some(uri) => self.with("image_uri", uri),
            None => self,
        }
    }
}

/// The pushed image the state records for a runtime whose image is unchanged.
fn recorded_image(spec: &AgentcoreRuntimeSpec, prior: &Recorded<'_, AgentcoreRuntimeSpec>) -> Option<String> {
    let image = spec.image.as_ref()?;
    let uri = prior.attributes.get("image_uri").filter(|u| !u.is_empty())?;
    (Some(image) == prior.spec.image.as_ref()).then(|| uri.clone())
}

/// Builds and pushes the runtime's image, when it has one.
async fn push_image(ctx: &Ctx, spec: &AgentcoreRuntimeSpec) -> Result<Option<String>, ApiError> {
    match &spec.image {
        Some(image) => image::build_and_push(ctx, image).await.map(Some),
        None => Ok(None),
    }
}

/// The artifact object the state records for a runtime whose code is unchanged.
fn recorded_artifact(spec: &AgentcoreRuntimeSpec, prior: &Recorded<'_, AgentcoreRuntimeSpec>) -> Option<Uploaded> {
    let code = spec.code.as_ref()?;
    let key = prior.attributes.get("artifact_key").filter(|k| !k.is_empty())?;
    (Some(code) == prior.spec.code.as_ref()).then(|| Uploaded {
        bucket: code.bucket.clone(),
        key: key.clone(),
        version_id: prior
            .attributes
            .get("artifact_version")
            .filter(|v| !v.is_empty())
            .cloned(),
    })
}

/// Builds and uploads the runtime's code artifact, when it has one.
async fn upload_code(ctx: &Ctx, spec: &AgentcoreRuntimeSpec) -> Result<Option<Uploaded>, ApiError> {
    let Some(code) = &spec.code else {
        return Ok(None);
    };
    let refused = |message: String| ApiError::new("agentfs:BuildArtifact", "InvalidArtifact", message);
    let dir = ctx.base_dir.join(&code.source);
    let built = artifact::build(&dir, &code.runtime)
        .await
        .map_err(|e| refused(format!("code.source `{}`: {e}", code.source)))?;
    if !code.sha256.is_empty() && built.sha256 != code.sha256 {
        return Err(refused(format!(
            "code.source `{}` changed since the plan was made ({} then, {} now); plan again",
            code.source, code.sha256, built.sha256
        )));
    }
    let key = code.key(&ctx.stack, &spec.name);
    artifact::upload(ctx, &code.bucket, &key, built).await.map(Some)
}

fn with_reason(status: &AgentRuntimeStatus, reason: Option<&str>) -> String {
    match reason {
        Some(r) if !r.is_empty() => format!("{}: {r}", status.as_str()),
        _ => status.as_str().to_string(),
    }
}

async fn get(
    ctx: &Ctx,
    id: &str,
) -> Result<aws_sdk_bedrockagentcorecontrol::operation::get_agent_runtime::GetAgentRuntimeOutput, ApiError> {
    ctx.clients
        .agentcore
        .get_agent_runtime()
        .agent_runtime_id(id)
        .send()
        .await
        .map_err(api("bedrock-agentcore:GetAgentRuntime"))
}

/// Waits until the runtime reads READY twice in a row; returns its version.
async fn wait_ready(ctx: &Ctx, id: &str, timeout: Duration, progress: &dyn Progress) -> Result<String, ApiError> {
    let seen = AtomicU32::new(0);
    wait_for(
        "bedrock-agentcore:GetAgentRuntime",
        "the runtime to be READY",
        timeout,
        progress,
        || async {
            let out = get(ctx, id).await?;
            Ok(match out.status() {
                AgentRuntimeStatus::Ready => {
                    if seen.fetch_add(1, Ordering::SeqCst) + 1 >= READY_IN_A_ROW {
                        Poll::Ready(out.agent_runtime_version().to_string())
                    } else {
                        Poll::Pending("READY once, confirming".to_string())
                    }
                }
                s @ (AgentRuntimeStatus::CreateFailed
                | AgentRuntimeStatus::UpdateFailed
                | AgentRuntimeStatus::DeleteFailed
                | AgentRuntimeStatus::Deleting) => Poll::Failed(with_reason(s, out.failure_reason())),
                other => {
                    seen.store(0, Ordering::SeqCst);
                    Poll::Pending(other.as_str().to_string())
                }
            })
        },
    )
    .await
}

async fn send_update(
    ctx: &Ctx,
    id: &str,
    config: &Config,
    spec: &AgentcoreRuntimeSpec,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<String, ApiError> {
    let out = retry_transient(IAM_PROPAGATION.min(timeout), progress, role_not_yet_usable, || async {
        ctx.clients
            .agentcore
            .update_agent_runtime()
            .agent_runtime_id(id)
            .agent_runtime_artifact(config.artifact.clone())
            .role_arn(&spec.role)
            .network_configuration(config.network.clone())
            .set_description(spec.description.clone())
            // An empty map (not an absent one) clears variables a previous version had.
            .set_environment_variables(Some(config.environment.clone().unwrap_or_default()))
            .set_filesystem_configurations(Some(config.filesystems.clone().unwrap_or_default()))
            // Update replaces the configuration: what the spec leaves out is not sent, so it
            // returns to the service's default.
            .set_protocol_configuration(config.options.protocol.clone())
            .set_authorizer_configuration(config.options.authorizer.clone())
            .set_lifecycle_configuration(config.options.session_lifecycle.clone())
            .set_request_header_configuration(config.options.headers.clone())
            .set_allowed_ports(config.options.ports.clone())
            .send()
            .await
            .map_err(api("bedrock-agentcore:UpdateAgentRuntime"))
    })
    .await?;
    let sent_version = out.agent_runtime_version().to_string();
    let version = wait_ready(ctx, id, timeout, progress).await?;
    Ok(if version.is_empty() { sent_version } else { version })
}

/// After a name conflict: the runtime of that name is ours if its tags say agentfs made it
/// for this resource of this stack; then it is brought to the spec. Otherwise the conflict stands.
async fn adopt(
    ctx: &Ctx,
    req: &Request<'_, AgentcoreRuntimeSpec>,
    config: &Config,
    conflict: ApiError,
) -> Result<Created, ApiError> {
    let spec = req.spec;
    let runtimes = ctx
        .clients
        .agentcore
        .list_agent_runtimes()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("bedrock-agentcore:ListAgentRuntimes"))?;
    let Some(found) = runtimes.iter().find(|r| r.agent_runtime_name() == spec.name) else {
        return Err(conflict);
    };
    let arn = found.agent_runtime_arn().to_string();
    let id = found.agent_runtime_id().to_string();
    let live_tags = tags::agentcore(ctx, &arn).await?;
    let ours = [TAG_STACK, TAG_RESOURCE]
        .iter()
        .all(|k| req.tags.get(*k).is_some() && live_tags.get(*k) == req.tags.get(*k));
    if !ours {
        return Err(ApiError::new(
            "bedrock-agentcore:CreateAgentRuntime",
            "ConflictException",
            format!(
                "an agent runtime named `{}` already exists ({id}) and was not made by agentfs for {} in stack `{}`: \
                 choose another name or delete that runtime",
                spec.name, req.address, ctx.stack
            ),
        ));
    }
    req.progress.phase("adopting the runtime an earlier attempt created");
    let mut version = wait_ready(ctx, &id, req.timeout, req.progress).await?;
    if !live_matches(&get(ctx, &id).await?, spec, config) {
        version = send_update(ctx, &id, config, spec, req.timeout, req.progress).await?;
    }
    tags::sync(ctx, Tagged::Agentcore(&arn), &live_tags, req.tags).await?;
    Ok(attributes(&id, &arn, &spec.name, &version))
}

/// Whether a live runtime already has what the spec asks for (so adoption needs no update).
fn live_matches(
    live: &aws_sdk_bedrockagentcorecontrol::operation::get_agent_runtime::GetAgentRuntimeOutput,
    spec: &AgentcoreRuntimeSpec,
    config: &Config,
) -> bool {
    let env: BTreeMap<String, String> = live
        .environment_variables()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    live.agent_runtime_artifact() == Some(&config.artifact)
        && live.role_arn() == spec.role
        && live.network_configuration() == Some(&config.network)
        && live.description().unwrap_or_default() == spec.description.as_deref().unwrap_or_default()
        && env == spec.environment_variables
        && live.filesystem_configurations() == config.filesystems.as_deref().unwrap_or_default()
        && spec.options().to_read().live_matches(live)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_tokens_meet_the_api_minimum() {
        let ours = super::super::client_token("lineage", "agentcore_runtime.agent", 0);
        assert!(ours.len() >= TOKEN_MIN);
        assert_eq!(client_token(&ours), ours);
        let short = client_token("abc");
        assert!(short.len() >= TOKEN_MIN && short.len() <= 256);
        assert_eq!(short, client_token("abc"));
        assert_ne!(short, client_token("abd"));
        assert!(short.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        let odd = client_token("has spaces and/slashes but is quite long enough");
        assert!(odd.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn role_propagation_errors_are_transient() {
        assert!(role_not_yet_usable(&ApiError::new(
            "x",
            "ValidationException",
            "Role validation failed"
        )));
        assert!(!role_not_yet_usable(&ApiError::new(
            "x",
            "ValidationException",
            "Invalid mountPath"
        )));
    }
}
