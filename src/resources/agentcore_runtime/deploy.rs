//! Getting a runtime deployed: the code artifact and the built image, the calls that send a
//! configuration, adoption after a name conflict, and the waiter for READY.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::operation::get_agent_runtime::GetAgentRuntimeOutput;
use aws_sdk_bedrockagentcorecontrol::types::AgentRuntimeStatus;

use super::convert::{Config, attributes, live_matches, with_reason};
use super::spec::AgentcoreRuntimeSpec;
use crate::aws::{ApiError, Ctx, IAM_PROPAGATION, Poll, api, retry_transient, wait_for};
use crate::resources::agentcore::list_runtimes;
use crate::resources::artifact::{self, Uploaded};
use crate::resources::image;
use crate::resources::tags::{self, Tagged};
use crate::resources::{Created, Progress, Recorded, Request, TAG_RESOURCE, TAG_STACK};

/// How many READY answers in a row count as ready (a status can read READY just before an
/// update or a late failure shows up).
const READY_IN_A_ROW: u32 = 2;

pub(super) use super::super::agentcore::role_not_yet_usable;

/// The pushed image the state records for a runtime whose image is unchanged.
pub(super) fn recorded_image(
    spec: &AgentcoreRuntimeSpec,
    prior: &Recorded<'_, AgentcoreRuntimeSpec>,
) -> Option<String> {
    let image = spec.image.as_ref()?;
    let uri = prior.attributes.get("image_uri").filter(|u| !u.is_empty())?;
    (Some(image) == prior.spec.image.as_ref()).then(|| uri.clone())
}

/// Builds and pushes the runtime's image, when it has one.
pub(super) async fn push_image(ctx: &Ctx, spec: &AgentcoreRuntimeSpec) -> Result<Option<String>, ApiError> {
    match &spec.image {
        Some(image) => image::build_and_push(ctx, image).await.map(Some),
        None => Ok(None),
    }
}

/// The artifact object the state records for a runtime whose code is unchanged.
pub(super) fn recorded_artifact(
    spec: &AgentcoreRuntimeSpec,
    prior: &Recorded<'_, AgentcoreRuntimeSpec>,
) -> Option<Uploaded> {
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
pub(super) async fn upload_code(ctx: &Ctx, spec: &AgentcoreRuntimeSpec) -> Result<Option<Uploaded>, ApiError> {
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

pub(super) async fn get(ctx: &Ctx, id: &str) -> Result<GetAgentRuntimeOutput, ApiError> {
    ctx.clients
        .agentcore
        .get_agent_runtime()
        .agent_runtime_id(id)
        .send()
        .await
        .map_err(api("bedrock-agentcore:GetAgentRuntime"))
}

/// Waits until the runtime reads READY twice in a row; returns its version.
pub(super) async fn wait_ready(
    ctx: &Ctx,
    id: &str,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<String, ApiError> {
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

pub(super) async fn send_update(
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
pub(super) async fn adopt(
    ctx: &Ctx,
    req: &Request<'_, AgentcoreRuntimeSpec>,
    config: &Config,
    conflict: ApiError,
) -> Result<Created, ApiError> {
    let spec = req.spec;
    let runtimes = list_runtimes(ctx).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
