//! What every resource kind shares: SDK clients, the error type with the API call and
//! AWS's message, short growing-interval waiters, and retry of eventually consistent errors.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use tokio::sync::OnceCell;

/// One client per service, built once from the standard AWS configuration chain.
#[derive(Debug, Clone)]
pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub s3: aws_sdk_s3::Client,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    pub s3files: aws_sdk_s3files::Client,
    pub efs: aws_sdk_efs::Client,
    pub agentcore: aws_sdk_bedrockagentcorecontrol::Client,
    /// AgentCore's data plane (InvokeAgentRuntime).
    pub agentcore_runtime: aws_sdk_bedrockagentcore::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub kms: aws_sdk_kms::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

impl Clients {
    /// Loads credentials, region and endpoint overrides (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`)
    /// the way every AWS tool does. The SDK's standard retry mode handles throttling and 5xx
    /// with jittered exponential backoff; we give it more attempts than its default 3.
    pub async fn load(region: &str) -> Clients {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .load()
            .await;
        let custom_s3_endpoint = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        Clients::from_config(&config, custom_s3_endpoint)
    }

    /// Clients from an explicit SDK configuration (its region, credentials and endpoint), with
    /// agentfs's retry policy; callers with an endpoint of their own (tests, tools) pass it this
    /// way instead of changing the process environment. `path_style` forces path-style S3
    /// addressing, which a configuration with its own endpoint gets anyway: a custom S3 endpoint
    /// (S3-compatible stores, private gateways) rarely serves virtual-hosted bucket names.
    pub fn from_config(config: &aws_config::SdkConfig, path_style: bool) -> Clients {
        let retry = aws_config::retry::RetryConfig::standard()
            .with_max_attempts(10)
            .with_initial_backoff(Duration::from_millis(200))
            .with_max_backoff(Duration::from_secs(10));
        let config = config.to_builder().retry_config(retry).build();
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(path_style || config.endpoint_url().is_some())
            .build();
        Clients {
            ec2: aws_sdk_ec2::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            iam: aws_sdk_iam::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            s3files: aws_sdk_s3files::Client::new(&config),
            efs: aws_sdk_efs::Client::new(&config),
            agentcore: aws_sdk_bedrockagentcorecontrol::Client::new(&config),
            agentcore_runtime: aws_sdk_bedrockagentcore::Client::new(&config),
            ecr: aws_sdk_ecr::Client::new(&config),
            kms: aws_sdk_kms::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        }
    }
}

/// The AWS context of one run: clients, region, account, and the region's AZs.
#[derive(Debug)]
pub struct Ctx {
    pub clients: Clients,
    pub region: String,
    pub account_id: String,
    pub stack: String,
    /// The spec file's directory: relative paths in the spec (code sources) start there.
    pub base_dir: std::path::PathBuf,
    zones: OnceCell<Vec<String>>,
}

impl Ctx {
    pub fn new(clients: Clients, region: &str, account_id: &str, stack: &str) -> Ctx {
        Ctx {
            clients,
            region: region.to_string(),
            account_id: account_id.to_string(),
            stack: stack.to_string(),
            base_dir: std::path::PathBuf::from("."),
            zones: OnceCell::new(),
        }
    }

    /// The same context with relative spec paths resolved from `dir`.
    pub fn with_base_dir(mut self, dir: &std::path::Path) -> Ctx {
        self.base_dir = dir.to_path_buf();
        self
    }

    /// The account behind the credentials (STS GetCallerIdentity).
    pub async fn caller_account(clients: &Clients) -> Result<String, ApiError> {
        let out = clients
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(api("sts:GetCallerIdentity"))?;
        out.account()
            .map(String::from)
            .ok_or_else(|| ApiError::missing("sts:GetCallerIdentity", "Account"))
    }

    /// The region's available zones in name order; `az_index` indexes this list.
    pub async fn availability_zone(&self, index: u8) -> Result<String, ApiError> {
        let zones = self
            .zones
            .get_or_try_init(|| async {
                let out = self
                    .clients
                    .ec2
                    .describe_availability_zones()
                    .send()
                    .await
                    .map_err(api("ec2:DescribeAvailabilityZones"))?;
                let mut names: Vec<String> = out
                    .availability_zones()
                    .iter()
                    .filter(|z| z.zone_type().is_none_or(|t| t == "availability-zone"))
                    .filter_map(|z| z.zone_name().map(String::from))
                    .collect();
                names.sort();
                Ok::<_, ApiError>(names)
            })
            .await?;
        zones.get(usize::from(index)).cloned().ok_or_else(|| {
            ApiError::new(
                "ec2:DescribeAvailabilityZones",
                "InvalidAzIndex",
                format!("az_index {index} but {} has only {} zones", self.region, zones.len()),
            )
        })
    }

    /// The ARN of a resource of a global service (IAM), which names no region.
    pub fn arn_global(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}::{}:{resource}", self.account_id)
    }

    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{resource}", self.region, self.account_id)
    }
}

/// What a failed call means for the engine, decided once from AWS's error code where the
/// error is made, so that no kind matches codes or messages to learn it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The resource does not exist (each service names this differently).
    NotFound,
    /// Something else still uses the resource; the call may succeed once it lets go.
    InUse,
    /// The service asks the caller to slow down.
    Throttled,
    /// The request conflicts with the resource's current state or an earlier request.
    Conflict,
    /// A waiter gave up: the operation was accepted but did not finish in time.
    WaitTimeout,
    /// The resource reached a state it will not leave.
    Failed,
    /// agentfs refused before calling AWS (the spec asks for something the account lacks):
    /// nothing was created.
    NotAttempted,
    Other,
}

impl ErrorKind {
    /// The kind of an AWS error code.
    pub fn of(code: &str) -> ErrorKind {
        match code {
            "NoSuchEntity" | "NoSuchBucket" | "ResourceNotFoundException" | "404" => ErrorKind::NotFound,
            c if c.contains("NotFound") => ErrorKind::NotFound,
            "DependencyViolation"
            | "DeleteConflict"
            | "FileSystemInUse"
            | "ResourceInUseException"
            | "BucketHasS3FileSystemAttached" => ErrorKind::InUse,
            "Throttling" | "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded" | "SlowDown" => {
                ErrorKind::Throttled
            }
            "ConflictException" | "IdempotentParameterMismatch" | "ConditionalRequestConflict" => ErrorKind::Conflict,
            "WaitTimeout" => ErrorKind::WaitTimeout,
            "ResourceFailed" => ErrorKind::Failed,
            "InvalidAzIndex" => ErrorKind::NotAttempted,
            _ => ErrorKind::Other,
        }
    }
}

/// A failed AWS call: which API operation, AWS's error code and message, and what it means.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {code}: {message}")]
pub struct ApiError {
    pub operation: &'static str,
    pub code: String,
    pub message: String,
    pub kind: ErrorKind,
    /// The AWS id of the resource the error is about, when a create made it before failing
    /// (it reached a failed state), so that the engine records it instead of orphaning it.
    pub resource_id: Option<String>,
}

impl ApiError {
    pub fn missing(operation: &'static str, field: &str) -> ApiError {
        ApiError::new(operation, "IncompleteResponse", format!("the response has no {field}"))
    }

    pub fn new(operation: &'static str, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            operation,
            code: code.into(),
            message: message.into(),
            kind: ErrorKind::of(code),
            resource_id: None,
        }
    }

    /// The error is about the resource `id` (see [`ApiError::resource_id`]).
    pub fn about(mut self, id: &str) -> ApiError {
        self.resource_id = Some(id.to_string());
        self
    }

    /// The resource is gone.
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// Something still uses the resource (see [`ErrorKind::InUse`]).
    pub fn is_in_use(&self) -> bool {
        self.kind == ErrorKind::InUse
    }

    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }

    /// AWS answered and refused the request: it was not carried out. Not a refusal: transport
    /// errors and timeouts (the request may have reached AWS), service-side failures
    /// (InternalError, 5xx: AWS may have acted), waits that gave up and stopped waits.
    pub fn is_refusal(&self) -> bool {
        const UNSURE: [&str; 10] = [
            "Unknown",
            "DispatchFailure",
            "Timeout",
            "InternalError",
            "InternalFailure",
            "InternalServerException",
            "ServiceUnavailable",
            "ServiceUnavailableException",
            "IncompleteResponse",
            "Interrupted",
        ];
        !UNSURE.contains(&self.code.as_str())
            && !matches!(
                self.kind,
                ErrorKind::WaitTimeout | ErrorKind::Failed | ErrorKind::NotAttempted
            )
    }
}

/// Maps an SDK error to [`ApiError`] for `operation` (use as `.map_err(api("ec2:CreateVpc"))`).
pub fn api<E, R>(operation: &'static str) -> impl FnOnce(SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    move |err| {
        let (code, message) = match &err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = e.code().unwrap_or("Unknown").to_string();
                let message = e.message().map(String::from).unwrap_or_else(|| e.to_string());
                (code, message)
            }
            other => transport_error(other),
        };
        ApiError::new(operation, &code, message)
    }
}

/// The code and one-line message of an SDK error that is not AWS's answer: no credentials
/// (`NoCredentials`, with what was tried and what to set), a request that never reached its
/// endpoint (`DispatchFailure`, with the root cause), a timeout.
pub fn transport_error<E, R>(err: &SdkError<E, R>) -> (String, String)
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    // SdkError's own source is the error inside it (a connector error, a timeout ...).
    let inner = std::error::Error::source(err);
    if let Some(credentials) = inner.and_then(find_source::<aws_credential_types::provider::error::CredentialsError>) {
        return ("NoCredentials".into(), credentials_help(credentials));
    }
    match err {
        SdkError::TimeoutError(_) => ("Timeout".into(), "the request timed out".into()),
        SdkError::DispatchFailure(d) => {
            let what = if d.is_timeout() {
                "timed out connecting"
            } else if d.is_io() {
                "could not connect"
            } else if d.is_user() {
                "could not build the request"
            } else {
                "could not send the request"
            };
            (
                "DispatchFailure".into(),
                format!("{what}: {}", inner.map_or_else(|| err.to_string(), root_cause)),
            )
        }
        other => ("Unknown".into(), inner.map_or_else(|| other.to_string(), root_cause)),
    }
}

fn find_source<'a, T: std::error::Error + 'static>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a T> {
    let mut at = Some(err);
    while let Some(e) = at {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        at = e.source();
    }
    None
}

/// The innermost error's message: "Connection refused (os error 111)", "dns error: ...".
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut at = err;
    while let Some(next) = at.source() {
        at = next;
    }
    at.to_string()
}

/// The endpoint the SDK calls for `service` (`sts`, `s3`), for messages: an override from
/// the environment (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`), else the Region's own.
pub fn endpoint_for(service: &str, region: &str) -> String {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let ignore = var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let specific = format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase());
    let configured = (!ignore).then(|| var(&specific).or_else(|| var("AWS_ENDPOINT_URL")));
    configured
        .flatten()
        .unwrap_or_else(|| format!("https://{service}.{region}.amazonaws.com"))
}

/// What the default credential chain tried, and what to set.
fn credentials_help(err: &aws_credential_types::provider::error::CredentialsError) -> String {
    use aws_credential_types::provider::error::CredentialsError;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let named = var("AWS_PROFILE");
    let profile = named.clone().unwrap_or_else(|| "default".into());
    let sso_login = format!("aws sso login --profile {}", named.as_deref().unwrap_or("NAME"));
    let config = var("AWS_CONFIG_FILE").unwrap_or_else(|| "~/.aws/config".into());
    let credentials = var("AWS_SHARED_CREDENTIALS_FILE").unwrap_or_else(|| "~/.aws/credentials".into());
    let what = match err {
        CredentialsError::CredentialsNotLoaded(_) => format!(
            "no AWS credentials found; tried: the environment (AWS_ACCESS_KEY_ID), profile `{profile}` in {config} and {credentials} (keys, SSO, assume role), web identity (AWS_WEB_IDENTITY_TOKEN_FILE), ECS container and EC2 instance metadata"
        ),
        other => format!(
            "could not load AWS credentials (profile `{profile}`): {}",
            root_cause(other)
        ),
    };
    format!(
        "{what}\n  help: set AWS_PROFILE to a configured profile (for SSO run `{sso_login}` first), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )
}

/// What one poll of a waiter saw.
pub enum Poll<T> {
    Ready(T),
    /// Still on its way; the text is the state seen (shown in progress).
    Pending(String),
    /// Reached a state it will not leave (e.g. `failed`, `CREATE_FAILED`).
    Failed(String),
}

/// Reports progress of one resource (`waiting for available (pending)`).
pub trait Progress: Send + Sync {
    fn phase(&self, text: &str);
}

/// Ignores progress; for tests and one-off calls.
pub struct Quiet;

impl Progress for Quiet {
    fn phase(&self, _: &str) {}
}

/// Set by the first Ctrl-C or SIGTERM of a run: every wait and retry ends at its next pause
/// (calls in flight still finish and are recorded), so a 30-minute wait for a blocked delete
/// does not hold the run after the user asked it to stop.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Ends every wait and retry at its next pause (see [`STOPPING`]).
pub fn stop_waits() {
    STOPPING.store(true, Ordering::SeqCst);
}

/// Lets waits run again: a new run starts.
pub fn resume_waits() {
    STOPPING.store(false, Ordering::SeqCst);
}

/// Sleeps for `delay`, or less when a stop is asked for; true when it was.
async fn pause(delay: Duration) -> bool {
    const STEP: Duration = Duration::from_millis(50);
    let until = Instant::now() + delay;
    while !STOPPING.load(Ordering::SeqCst) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        tokio::time::sleep(left.min(STEP)).await;
    }
    true
}

/// First poll delay; it grows by half each time up to [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(200);
const MAX_POLL: Duration = Duration::from_secs(5);

/// Polls until `poll` is ready, failed, or `timeout` passes. The interval starts short and
/// grows, so a resource that is ready in a second is seen in about a second.
pub async fn wait_for<T, F, Fut>(
    operation: &'static str,
    goal: &str,
    timeout: Duration,
    progress: &dyn Progress,
    mut poll: F,
) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, ApiError>>,
{
    let started = Instant::now();
    let mut delay = FIRST_POLL;
    loop {
        match poll().await? {
            Poll::Ready(value) => return Ok(value),
            Poll::Failed(state) => {
                return Err(ApiError::new(
                    operation,
                    "ResourceFailed",
                    format!("reached state `{state}` instead of {goal}"),
                ));
            }
            Poll::Pending(state) => {
                if started.elapsed() >= timeout {
                    return Err(ApiError::new(
                        operation,
                        "WaitTimeout",
                        format!("still `{state}` after {}s waiting for {goal}", timeout.as_secs()),
                    ));
                }
                progress.phase(&format!(
                    "waiting for {goal} ({state}, {}s)",
                    started.elapsed().as_secs()
                ));
            }
        }
        if pause(delay).await {
            return Err(ApiError {
                kind: ErrorKind::WaitTimeout,
                ..ApiError::new(
                    operation,
                    "WaitInterrupted",
                    format!(
                        "stopped waiting for {goal} after {}s (Ctrl-C or SIGTERM); the next run checks on it",
                        started.elapsed().as_secs()
                    ),
                )
            });
        }
        delay = (delay * 3 / 2).min(MAX_POLL);
    }
}

/// Repeats `call` while `transient` says its error will clear up (IAM propagation,
/// managed ENIs still detaching), for at most `window`.
pub async fn retry_transient<T, F, Fut>(
    window: Duration,
    progress: &dyn Progress,
    transient: impl Fn(&ApiError) -> bool,
    mut call: F,
) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let started = Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        match call().await {
            Err(e) if transient(&e) && started.elapsed() + delay < window => {
                progress.phase(&format!("retrying: {} ({}s)", e.code, started.elapsed().as_secs()));
                let jitter = Duration::from_millis(fastrand::u64(0..=delay.as_millis() as u64 / 4));
                if pause(delay + jitter).await {
                    return Err(ApiError::new(
                        e.operation,
                        "Interrupted",
                        format!(
                            "stopped retrying after {}s (Ctrl-C or SIGTERM); AWS last said {}: {}",
                            started.elapsed().as_secs(),
                            e.code,
                            e.message
                        ),
                    ));
                }
                delay = (delay * 3 / 2).min(MAX_POLL);
            }
            other => return other,
        }
    }
}

/// A delete's outcome where "already gone" counts as deleted.
pub fn gone_is_done<T>(result: Result<T, ApiError>) -> Result<(), ApiError> {
    match result {
        Err(e) if e.is_not_found() => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Deletes with `call`, retrying for up to `window` while AWS answers DependencyViolation
/// (dependents, such as service-managed network interfaces, still going away).
pub async fn delete_when_free<T, F, Fut>(window: Duration, progress: &dyn Progress, call: F) -> Result<(), ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    gone_is_done(retry_transient(window, progress, ApiError::is_in_use, call).await)
}

/// Deletes a resource and waits until it is gone: the one delete routine of the kinds whose
/// delete is asynchronous. `delete` is retried for up to `timeout` while AWS answers that the
/// resource is still in use or busy (dependents still going away, an operation in progress,
/// data still exporting); then `status` is polled until the resource is gone, reaches a state
/// it will not leave, or `timeout` passes. "Not found" at any point means deleted.
pub async fn delete_then_wait<T, D, DF, S, SF>(
    operation: &'static str,
    what: &str,
    timeout: Duration,
    progress: &dyn Progress,
    delete: D,
    mut status: S,
) -> Result<(), ApiError>
where
    D: FnMut() -> DF,
    DF: Future<Output = Result<T, ApiError>>,
    S: FnMut() -> SF,
    SF: Future<Output = Result<Poll<()>, ApiError>>,
{
    let busy = |e: &ApiError| matches!(e.kind, ErrorKind::InUse | ErrorKind::Conflict);
    match retry_transient(timeout, progress, busy, delete).await {
        Err(e) if e.is_not_found() => return Ok(()),
        other => other.map(|_| ())?,
    }
    let goal = format!("{what} to be deleted");
    wait_for(operation, &goal, timeout, progress, || {
        let polled = status();
        async move {
            match polled.await {
                Err(e) if e.is_not_found() => Ok(Poll::Ready(())),
                other => other,
            }
        }
    })
    .await
}

/// How long a freshly made IAM role may be unknown to other services.
pub const IAM_PROPAGATION: Duration = Duration::from_secs(120);

/// Progress with a fixed label in front: `waiting for network interfaces to go (retrying: ...)`.
pub struct Labelled<'a>(pub &'static str, pub &'a dyn Progress);

impl Progress for Labelled<'_> {
    fn phase(&self, text: &str) {
        self.1.phase(&format!("{} ({text})", self.0));
    }
}

/// Case-insensitive state comparison: some APIs' enums and wire values differ in case.
pub fn state_is(state: &str, expected: &str) -> bool {
    state.eq_ignore_ascii_case(expected)
}
