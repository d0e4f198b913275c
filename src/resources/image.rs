//! Container images agentfs builds itself: `image = { context, repository }` on a runtime is
//! built for linux/arm64 with docker (or podman) and pushed to an `ecr_repository`; the runtime
//! is then pinned to the pushed digest, so new content is an in-place update.

use std::process::Stdio;

use base64::Engine;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::aws::{ApiError, Ctx, api};
use crate::lang::kind::Check;

/// The only platform AgentCore Runtime runs.
pub const PLATFORM: &str = "linux/arm64";

/// `image = { context = "dir", repository = "name" }`: built and pushed by agentfs.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// The build context directory, relative to the spec file.
    pub context: String,
    /// The `ecr_repository` (by name) the image is pushed to.
    pub repository: String,
    /// The Dockerfile, relative to the context; default `Dockerfile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    /// Must be `linux/arm64` (the platform AgentCore runs) when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Digest of the build context, filled in by agentfs when it reads the spec: a change of
    /// the context is a change of this value.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(skip)]
    pub sha256: String,
}

impl ImageSpec {
    pub fn check(&self, check: &mut Check<'_>) {
        if self.context.trim().is_empty() {
            check.error(
                "agentfs::image",
                "image.context",
                "the build context is empty",
                "name the directory with the Dockerfile, relative to the spec file",
            );
        }
        if let Some(platform) = self.platform.as_deref().filter(|p| *p != PLATFORM) {
            check.error(
                "agentfs::image",
                "image.platform",
                format!("`{platform}` is not a platform AgentCore runs"),
                "AgentCore Runtime runs linux/arm64 only: set `platform = \"linux/arm64\"` or remove it",
            );
        }
        if self.dockerfile.as_deref().is_some_and(|d| d.trim().is_empty()) {
            check.error(
                "agentfs::image",
                "image.dockerfile",
                "the Dockerfile path is empty",
                "name the Dockerfile relative to the context, or remove `dockerfile`",
            );
        }
    }

    /// The tag the build is pushed under (the digest is what the runtime uses).
    fn tag(&self) -> String {
        let short: String = self.sha256.chars().take(12).collect();
        if short.is_empty() {
            "agentfs".to_string()
        } else {
            format!("agentfs-{short}")
        }
    }
}

/// A container tool that can build for another platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Docker,
    Podman,
}

impl Tool {
    fn program(self) -> &'static str {
        match self {
            Tool::Docker => "docker",
            Tool::Podman => "podman",
        }
    }
}

/// Why no image can be built here, as a sentence that suggests the alternative.
pub const NO_TOOL: &str = "no working `docker` (with buildx) or `podman` on PATH, so agentfs cannot build the image";
pub const NO_TOOL_HELP: &str = "install docker with buildx (or podman), or deploy the agent as a code artifact with a `[agentcore_runtime.NAME.code]` table instead of `image`";

/// The first of docker (with buildx) and podman that answers on PATH.
pub fn find_tool() -> Option<Tool> {
    let answers = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if answers("docker", &["buildx", "version"]) {
        Some(Tool::Docker)
    } else if answers("podman", &["version"]) {
        Some(Tool::Podman)
    } else {
        None
    }
}

fn refused(message: String) -> ApiError {
    ApiError::new("agentfs:BuildImage", "ImageBuildFailed", message)
}

/// Builds `image` for linux/arm64, pushes it to its repository (whose URL the reference
/// resolved `image.repository` to) and returns `repository@sha256:...`.
pub async fn build_and_push(ctx: &Ctx, image: &ImageSpec) -> Result<String, ApiError> {
    let tool = find_tool().ok_or_else(|| refused(format!("{NO_TOOL}; {NO_TOOL_HELP}")))?;
    let repository = image.repository.as_str();
    let context = ctx.base_dir.join(&image.context);
    let dockerfile = context.join(image.dockerfile.as_deref().unwrap_or("Dockerfile"));
    login(ctx, tool, repository).await?;
    let tagged = format!("{repository}:{}", image.tag());
    let scratch = tempfile::tempdir().map_err(|e| refused(format!("cannot make a scratch directory: {e}")))?;
    let digest_file = scratch.path().join("digest");
    let context = context.display().to_string();
    let dockerfile = dockerfile.display().to_string();
    let digest = match tool {
        Tool::Docker => {
            let metadata = scratch.path().join("metadata.json");
            let metadata_arg = metadata.display().to_string();
            run(
                tool,
                &[
                    "buildx",
                    "build",
                    "--platform",
                    PLATFORM,
                    "--provenance=false",
                    "-f",
                    &dockerfile,
                    "-t",
                    &tagged,
                    "--metadata-file",
                    &metadata_arg,
                    "--push",
                    &context,
                ],
                None,
            )
            .await?;
            let text = std::fs::read_to_string(&metadata)
                .map_err(|e| refused(format!("docker wrote no build metadata: {e}")))?;
            let json: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| refused(format!("docker's build metadata is not JSON: {e}")))?;
            json.get("containerimage.digest")
                .and_then(|d| d.as_str())
                .unwrap_or_default()
                .to_string()
        }
        Tool::Podman => {
            run(
                tool,
                &[
                    "build",
                    "--platform",
                    PLATFORM,
                    "-f",
                    &dockerfile,
                    "-t",
                    &tagged,
                    &context,
                ],
                None,
            )
            .await?;
            let digest_arg = digest_file.display().to_string();
            run(tool, &["push", "--digestfile", &digest_arg, &tagged], None).await?;
            std::fs::read_to_string(&digest_file)
                .unwrap_or_default()
                .trim()
                .to_string()
        }
    };
    if !digest.starts_with("sha256:") {
        return Err(refused(format!(
            "{} reported no digest for the pushed image `{tagged}`",
            tool.program()
        )));
    }
    Ok(format!("{repository}@{digest}"))
}

/// Logs the tool in to the repository's registry with an ECR authorization token.
async fn login(ctx: &Ctx, tool: Tool, repository: &str) -> Result<(), ApiError> {
    let registry = repository.split('/').next().unwrap_or(repository);
    let out = ctx
        .clients
        .ecr
        .get_authorization_token()
        .send()
        .await
        .map_err(api("ecr:GetAuthorizationToken"))?;
    let token = out
        .authorization_data()
        .first()
        .and_then(|d| d.authorization_token())
        .ok_or_else(|| refused("ECR returned no authorization token".into()))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|e| refused(format!("the ECR authorization token is not base64: {e}")))?;
    let decoded = String::from_utf8_lossy(&decoded);
    // The token is `AWS:<password>`.
    let password = decoded.split_once(':').map_or(decoded.as_ref(), |(_, p)| p);
    run(
        tool,
        &["login", "--username", "AWS", "--password-stdin", registry],
        Some(password),
    )
    .await
}

/// Runs the tool, feeding `stdin`, and turns a failure into an error with its output.
async fn run(tool: Tool, args: &[&str], stdin: Option<&str>) -> Result<(), ApiError> {
    let program = tool.program();
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| refused(format!("cannot run `{program}`: {e}")))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .await
            .map_err(|e| refused(format!("cannot write to `{program}`: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| refused(format!("`{program}` did not finish: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(refused(format!(
        "`{program} {}` failed: {}",
        args.first().copied().unwrap_or_default(),
        tail.join(" / ")
    )))
}
