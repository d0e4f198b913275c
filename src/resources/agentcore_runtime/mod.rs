//! `agentcore_runtime`: CreateAgentRuntime with the stack's client token (padded to the API's
//! 33-character minimum), retried while the fresh runtime role propagates ("Role validation
//! failed"). A runtime of that name made by agentfs for this resource (a crash with another
//! token) is adopted and brought to the spec. Waits until READY is seen twice in a row.
//!
//! UpdateAgentRuntime must resend artifact, role, network, environment, description and file
//! systems (it takes no name and no tags: tags go through TagResource/UntagResource on the ARN).
//! Delete waits until GetAgentRuntime answers ResourceNotFoundException.
//!
//! The kind is split by job: [`spec`] (fields and checks), [`api`] (the API map), [`convert`]
//! (SDK <-> spec), [`deploy`] (artifact, image, update, adoption and waiters) and [`options`]
//! (the serving options); this file holds the lifecycle the engine calls.

mod api;
mod cfn;
mod convert;
mod deploy;
mod options;
mod ordering;
mod spec;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::types::AgentRuntimeStatus;
use futures_util::future::try_join_all;

pub(super) use super::agentcore::{client_token, list_runtimes};
use super::artifact;
use super::lookup::{absent, each, keep, owned, owned_by_tags};
use super::tags::{self, Tagged};
use super::{Created, Found, ParsedResource, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, IAM_PROPAGATION, Poll, api, delete_then_wait, retry_transient};
use crate::lang::api::ApiMap;
use crate::lang::cfn::CfnType;
use crate::lang::{Addr, Group};
use convert::{
    Config, WithArtifact, attributes, code_elsewhere, described, live_spec, sent_fields_differ, with_reason,
};
use deploy::{
    adopt, get, push_image, recorded_artifact, recorded_image, role_not_yet_usable, send_update, upload_code,
    wait_ready,
};

pub use options::{AllowedPort, CustomClaim, JwtAuthorizer, Protocol, SessionLifecycle};
pub use spec::{AgentcoreRuntimeSpec, CODE_RUNTIMES, CodeSpec, FilesystemMount};

pub struct AgentcoreRuntime;

impl Resource for AgentcoreRuntime {
    type Spec = AgentcoreRuntimeSpec;

    fn implicit_dependencies(spec: &AgentcoreRuntimeSpec, resources: &[ParsedResource]) -> BTreeSet<Addr> {
        ordering::implicit_dependencies(spec, resources)
    }
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
    /// Found by id, name or ARN when the stack uses one it does not own.
    const EXISTING: Option<crate::lang::existing::ExistingWays> =
        Some(crate::lang::existing::ExistingWays::by_id("bedrock-agentcore"));
    const LOCAL_ONLY: &'static [&'static str] = &["sensitive_environment_variables"];
    const REPLACE_ON: &'static [&'static str] = &["name"];
    const API: ApiMap = api::API;
    const CFN: &'static [CfnType] = cfn::CFN;
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
