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
    AgentRuntimeArtifact, AgentRuntimeStatus, ContainerConfiguration, EfsAccessPointConfiguration,
    FilesystemConfiguration, NetworkConfiguration, NetworkMode, S3FilesAccessPointConfiguration,
    SessionStorageConfiguration, VpcConfig,
};

use futures_util::future::try_join_all;

use super::Kind;
use super::aws::{ApiError, Ctx, IAM_PROPAGATION, Poll, api, delete_then_wait, retry_transient, wait_for};
use super::lookup::{absent, each, keep, owned, set_or_recorded};
use super::tags::{self, Owner, Tagged};
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
    /// Container image URI in ECR (linux/arm64).
    pub container_uri: String,
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
}

fn public() -> String {
    "PUBLIC".into()
}

impl KindSpec for AgentcoreRuntimeSpec {
    fn check(&self, check: &mut Check<'_>) {
        check.rule("agentfs::runtime_name", "name", &self.name, rules::runtime_name, || {
            format!("`{}` is not a valid runtime name", self.name)
        });
        if self.container_uri.trim().is_empty() {
            check.error(
                "agentfs::container_uri",
                "container_uri",
                "the container URI is empty",
                "e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest`",
            );
        }
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
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "name", "version"];
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
        ],
        tags: super::tags::rules::AGENTCORE,
        not_sent: &["sensitive_environment_variables"],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(1800),
        update: Duration::from_secs(1800),
        delete: Duration::from_secs(1800),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, AgentcoreRuntimeSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let token = client_token(req.token);
        let config = Config::from_spec(spec)?;
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
                Ok(attributes(&id, out.agent_runtime_arn(), &spec.name, &version))
            }
            Err(e) if e.is("ConflictException") => adopt(ctx, req, &config, e).await,
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
        if sent_fields_differ(req.spec, prior.spec) {
            // Never start an update over one still in flight (AWS answers 409).
            wait_ready(ctx, id, req.timeout, req.progress).await?;
            version = send_update(
                ctx,
                id,
                &Config::from_spec(req.spec)?,
                req.spec,
                req.timeout,
                req.progress,
            )
            .await?;
        }
        tags::sync(ctx, Tagged::Agentcore(&arn), prior.tags, req.tags).await?;
        Ok(attributes(id, &arn, &req.spec.name, &version))
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
        .await
    }

    /// Import: GetAgentRuntime per id, then ListTagsForResource on its ARN. Recover:
    /// ListAgentRuntimes (paginated), then ListTagsForResource per runtime, keeping those
    /// tagged with the stack. Runtimes being deleted are left out.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let candidates: Vec<Created> = if ids.is_empty() {
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
                    Ok(out) => Ok(Some(attributes(
                        out.agent_runtime_id(),
                        out.agent_runtime_arn(),
                        out.agent_runtime_name(),
                        out.agent_runtime_version(),
                    ))),
                    Err(e) if absent(&e) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?;
            looked_up.into_iter().flatten().collect()
        };
        let found = each(candidates, |created| async move {
            let arn = created.attributes.get("arn").cloned().unwrap_or_default();
            match tags_of(ctx, &arn).await {
                Ok(tags) => Ok(Some((
                    Owner::of(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                    created,
                ))),
                // Deleted between the listing and this call.
                Err(e) if e.is_not_found() => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
        Ok(keep(ctx, ids, found))
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
                    Some(arn) => Some(tags_of(ctx, arn).await).transpose(),
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
                Ok(None) => tags_of(ctx, live.agent_runtime_arn()).await?,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
            Ok(Some(live_spec(r.spec, &live, &tags)))
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
    if let Some(AgentRuntimeArtifact::ContainerConfiguration(c)) = live.agent_runtime_artifact() {
        spec.container_uri = c.container_uri().to_string();
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
    spec.tags = tags::user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    spec
}

/// What Create and Update both send, built once from the spec.
struct Config {
    artifact: AgentRuntimeArtifact,
    network: NetworkConfiguration,
    environment: Option<HashMap<String, String>>,
    filesystems: Option<Vec<FilesystemConfiguration>>,
}

impl Config {
    fn from_spec(spec: &AgentcoreRuntimeSpec) -> Result<Config, ApiError> {
        let invalid = |e: aws_sdk_bedrockagentcorecontrol::error::BuildError| {
            ApiError::new("bedrock-agentcore:CreateAgentRuntime", "InvalidRequest", e.to_string())
        };
        let artifact = AgentRuntimeArtifact::ContainerConfiguration(
            ContainerConfiguration::builder()
                .container_uri(&spec.container_uri)
                .build()
                .map_err(invalid)?,
        );
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
        Ok(Config {
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
fn client_token(token: &str) -> String {
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
        || new.role != old.role
        || !new.network_mode.eq_ignore_ascii_case(&old.network_mode)
        || new.subnets != old.subnets
        || new.security_groups != old.security_groups
        || redacted(new) != redacted(old)
        || new.filesystem != old.filesystem
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
    let mut created = Created::new(id).with("arn", arn).with("name", name);
    if !version.is_empty() {
        created = created.with("version", version);
    }
    created
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
                        Poll::Pending("READY".to_string())
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
    let live_tags = tags_of(ctx, &arn).await?;
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
}

async fn tags_of(ctx: &Ctx, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let out = ctx
        .clients
        .agentcore
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(api("bedrock-agentcore:ListTagsForResource"))?;
    Ok(out
        .tags()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
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
