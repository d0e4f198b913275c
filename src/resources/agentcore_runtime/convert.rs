//! SDK <-> spec: the request pieces Create and Update send, the spec read back from
//! GetAgentRuntime, and the attributes a runtime exports.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_bedrockagentcorecontrol::operation::get_agent_runtime::GetAgentRuntimeOutput;
use aws_sdk_bedrockagentcorecontrol::types::{
    AgentManagedRuntimeType, AgentRuntimeArtifact, AgentRuntimeStatus, Code, CodeConfiguration, ContainerConfiguration,
    EfsAccessPointConfiguration, FilesystemConfiguration, NetworkConfiguration, NetworkMode,
    S3FilesAccessPointConfiguration, S3Location, SessionStorageConfiguration, VpcConfig,
};

use super::options as runtime_options;
use super::spec::{AgentcoreRuntimeSpec, CodeSpec, FilesystemMount};
use crate::aws::ApiError;
use crate::resources::Created;
use crate::resources::artifact::Uploaded;
use crate::resources::lookup::set_or_recorded;
use crate::resources::tags;

/// The recorded spec with what GetAgentRuntime and ListTagsForResource report.
pub(super) fn live_spec(
    recorded: &AgentcoreRuntimeSpec,
    live: &GetAgentRuntimeOutput,
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
                        crate::lang::kind::redact(v)
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
pub(super) struct Config {
    pub(super) artifact: AgentRuntimeArtifact,
    pub(super) network: NetworkConfiguration,
    pub(super) environment: Option<HashMap<String, String>>,
    pub(super) filesystems: Option<Vec<FilesystemConfiguration>>,
    pub(super) options: runtime_options::Sdk,
}

impl Config {
    /// `pushed` is the image agentfs built for `image`, if the runtime has one.
    pub(super) fn from_spec(
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

/// Fields UpdateAgentRuntime sends: a change elsewhere (tags, sensitive names) needs no update.
pub(super) fn sent_fields_differ(new: &AgentcoreRuntimeSpec, old: &AgentcoreRuntimeSpec) -> bool {
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
fn redacted(spec: &AgentcoreRuntimeSpec) -> BTreeMap<&str, String> {
    spec.environment_variables
        .iter()
        .map(|(name, value)| (name.as_str(), crate::lang::kind::redact(value)))
        .collect()
}

pub(super) fn attributes(id: &str, arn: &str, name: &str, version: &str) -> Created {
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
pub(super) fn code_elsewhere(live: &GetAgentRuntimeOutput, recorded: &BTreeMap<String, String>) -> Option<String> {
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

/// A runtime's attributes as GetAgentRuntime describes it, its code's object included.
pub(super) fn described(out: &GetAgentRuntimeOutput) -> Created {
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

pub(super) trait WithArtifact {
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

pub(super) fn with_reason(status: &AgentRuntimeStatus, reason: Option<&str>) -> String {
    match reason {
        Some(r) if !r.is_empty() => format!("{}: {r}", status.as_str()),
        _ => status.as_str().to_string(),
    }
}

/// Whether a live runtime already has what the spec asks for (so adoption needs no update).
pub(super) fn live_matches(live: &GetAgentRuntimeOutput, spec: &AgentcoreRuntimeSpec, config: &Config) -> bool {
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
