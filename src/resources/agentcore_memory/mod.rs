//! `agentcore_memory`: an AgentCore Memory (CreateMemory with the stack's client token) with
//! its extraction strategies. Waits until ACTIVE; a memory that reaches FAILED is an error that
//! names the service's reason.
//!
//! UpdateMemory changes the description, the event expiry, the execution role and the
//! strategies in place: strategies are matched by name against the live memory; one that went
//! is deleted, a new one added, one whose description or namespaces changed modified, and one
//! whose type or custom prompts changed deleted and added again in the same call. AWS cannot
//! clear a description or an execution role: removing one is refused before any call. The
//! encryption key is fixed at creation (a change replaces the memory, and its events with it).
//!
//! A name conflict on create is an earlier attempt of this resource when the memory of that
//! name carries this stack's and address's tags: it is adopted and brought to the spec.
//! Otherwise the create stops with "already exists and was not made by agentfs".

mod cfn;

use cfn::*;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::types::{
    CustomConfigurationInput, CustomMemoryStrategyInput, DeleteMemoryStrategyInput, EpisodicMemoryStrategyInput,
    Memory, MemoryStatus as Status, MemoryStrategy, MemoryStrategyInput, MemoryStrategyStatus, MemoryStrategyType,
    ModifyMemoryStrategies, ModifyMemoryStrategyInput, SemanticMemoryStrategyInput, SemanticOverrideConfigurationInput,
    SemanticOverrideConsolidationConfigurationInput, SemanticOverrideExtractionConfigurationInput,
    SummaryMemoryStrategyInput, SummaryOverrideConfigurationInput, SummaryOverrideConsolidationConfigurationInput,
    UserPreferenceMemoryStrategyInput, UserPreferenceOverrideConfigurationInput,
    UserPreferenceOverrideConsolidationConfigurationInput, UserPreferenceOverrideExtractionConfigurationInput,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Kind;
use super::agentcore::{claim, client_token, invalid, role_not_yet_usable};
use super::lookup::{absent, each, keep, owned, owned_by_tags};
use super::tags::{self, Tagged};
use super::{Created, Found, Progress, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, IAM_PROPAGATION, Poll, api, delete_then_wait, retry_transient, wait_for};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName};
use crate::lang::{Addr, Group, rules};

const SERVICE: &str = "bedrock-agentcore-control";
const CREATE: &str = "bedrock-agentcore:CreateMemory";
const UPDATE: &str = "bedrock-agentcore:UpdateMemory";

/// The strategy types, as the spec names them.
const STRATEGY_TYPES: &[&str] = &["semantic", "summary", "user_preference", "episodic", "custom"];
/// What a custom strategy overrides.
const CUSTOM_BASES: &[&str] = &["semantic", "summary", "user_preference"];

/// `[agentcore_memory.NAME]`: an AgentCore Memory.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentcoreMemorySpec {
    /// A letter, then letters, digits or underscores; at most 48. Unique in the account and region.
    pub name: String,
    /// 1 to 4096 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How long events are kept: 3 to 3650 days.
    pub event_expiry_days: i64,
    /// Long-term memory strategies (at most one namespace each).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strategies: Vec<MemoryStrategySpec>,
    /// ARN of the KMS key that encrypts the memory (fixed at creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_key: Option<String>,
    /// The `iam_role` (by name) the memory assumes to call models for its strategies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role: Option<String>,
    #[serde(default)]
    pub tags: Tags,
}

/// One strategy: `{ type = "semantic", name = "facts", namespaces = ["/facts/{actorId}"] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemoryStrategySpec {
    /// `semantic`, `summary`, `user_preference`, `episodic` or `custom`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Unique in the memory; same rule as the memory's name.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where extracted records go (`/facts/{actorId}`); the service picks one when left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Custom strategies: the built-in strategy they override (`semantic`, `summary`,
    /// `user_preference`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Custom strategies: the model that extracts and consolidates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// Custom strategies: appended to the extraction prompt (not for `summary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extraction_prompt: Option<String>,
    /// Custom strategies: appended to the consolidation prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consolidation_prompt: Option<String>,
}

impl MemoryStrategySpec {
    fn custom_fields(&self) -> bool {
        self.base.is_some()
            || self.model_id.is_some()
            || self.extraction_prompt.is_some()
            || self.consolidation_prompt.is_some()
    }
}

impl KindSpec for AgentcoreMemorySpec {
    fn check(&self, check: &mut Check<'_>) {
        check.rule("agentfs::memory_name", "name", &self.name, rules::runtime_name, || {
            format!("`{}` is not a valid memory name", self.name)
        });
        let mut seen = std::collections::BTreeSet::new();
        for (i, s) in self.strategies.iter().enumerate() {
            let at = |f: &str| format!("strategies[{i}].{f}");
            check.one_of(&at("type"), &s.kind, "a memory strategy type", STRATEGY_TYPES);
            if !seen.insert(s.name.as_str()) {
                check.error(
                    "agentfs::memory_strategy",
                    &at("name"),
                    format!("two strategies are named `{}`", s.name),
                    "give each strategy of a memory its own name",
                );
            }
            if s.kind == "custom" {
                match (&s.base, &s.model_id) {
                    (Some(base), Some(_)) => {
                        check.one_of(&at("base"), base, "a strategy a custom one can override", CUSTOM_BASES);
                        if base == "summary" && s.extraction_prompt.is_some() {
                            check.error(
                                "agentfs::memory_strategy",
                                &at("extraction_prompt"),
                                "a summary strategy has no extraction step",
                                "use `consolidation_prompt` only",
                            );
                        }
                        if s.extraction_prompt.is_none() && s.consolidation_prompt.is_none() {
                            check.error(
                                "agentfs::memory_strategy",
                                &at("base"),
                                "a custom strategy overrides nothing",
                                "set `extraction_prompt` or `consolidation_prompt`",
                            );
                        }
                    }
                    _ => check.error(
                        "agentfs::memory_strategy",
                        &at("type"),
                        "a custom strategy needs `base` and `model_id`",
                        "e.g. base = \"semantic\", model_id = \"anthropic.claude-3-haiku-20240307-v1:0\"",
                    ),
                }
            } else if s.custom_fields() {
                check.error(
                    "agentfs::memory_strategy",
                    &at("type"),
                    format!(
                        "`base`, `model_id` and the prompts belong to custom strategies, not `{}`",
                        s.kind
                    ),
                    "set type = \"custom\", or leave them out",
                );
            }
        }
    }

    fn unique_name(&self, _: &Addr) -> Option<UniqueName> {
        Some(UniqueName {
            scope: String::new(),
            name: self.name.clone(),
        })
    }

    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        match &mut self.execution_role {
            Some(role) => vec![RefSlot::new("execution_role", Kind::IamRole, "arn", role)],
            None => Vec::new(),
        }
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct AgentcoreMemory;

const NAME_PATTERN: &str = "[a-zA-Z][a-zA-Z0-9_]{0,47}";
const ARN_PATTERN: &str = r"arn:[a-z0-9-\.]{1,63}:[a-z0-9-\.]{0,63}:[a-z0-9-\.]{0,63}:[a-z0-9-\.]{0,63}:[^/].{0,1023}";
const NAMESPACE_PATTERN: &str = r"[a-zA-Z0-9\-_\/]*(\{[a-zA-Z][a-zA-Z0-9]*\}[a-zA-Z0-9\-_\/]*)*";

impl Resource for AgentcoreMemory {
    type Spec = AgentcoreMemorySpec;
    const GROUP: Group = Group::Storage;
    const CREATE_CALL: &'static str = CREATE;
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "name"];
    const REPLACE_ON: &'static [&'static str] = &["name", "encryption_key"];
    const REPLACE_LOSES: Option<&'static str> = Some("the memory's events and extracted records");
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model(
                "name",
                SERVICE,
                "CreateMemoryInput$name",
                Limits::NONE.pattern(NAME_PATTERN),
            ),
            ApiField::model(
                "description",
                SERVICE,
                "CreateMemoryInput$description",
                Limits::len(1, 4096),
            ),
            ApiField::model(
                "event_expiry_days",
                SERVICE,
                "CreateMemoryInput$eventExpiryDuration",
                Limits::range(3.0, Some(3650.0)),
            ),
            ApiField::model(
                "encryption_key",
                SERVICE,
                "CreateMemoryInput$encryptionKeyArn",
                Limits::NONE.pattern(ARN_PATTERN),
            ),
            ApiField::reference("execution_role", SERVICE, "CreateMemoryInput$memoryExecutionRoleArn"),
            ApiField::model(
                "strategies[].name",
                SERVICE,
                "SemanticMemoryStrategyInput$name",
                Limits::NONE.pattern(NAME_PATTERN),
            ),
            ApiField::model(
                "strategies[].description",
                SERVICE,
                "SemanticMemoryStrategyInput$description",
                Limits::len(1, 4096),
            ),
            ApiField::model(
                "strategies[].namespaces",
                SERVICE,
                "SemanticMemoryStrategyInput$namespaceTemplates",
                Limits::len(1, 1),
            ),
            ApiField::model(
                "strategies[].namespaces[]",
                SERVICE,
                "NamespacesList$member",
                Limits::len(1, 512).pattern(NAMESPACE_PATTERN),
            ),
            ApiField::model(
                "strategies[].extraction_prompt",
                SERVICE,
                "SemanticOverrideExtractionConfigurationInput$appendToPrompt",
                Limits::len(1, 30000),
            ),
            ApiField::model(
                "strategies[].consolidation_prompt",
                SERVICE,
                "SemanticOverrideConsolidationConfigurationInput$appendToPrompt",
                Limits::len(1, 30000),
            ),
        ],
        tags: super::tags::rules::AGENTCORE,
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(900),
        update: Duration::from_secs(900),
        delete: Duration::from_secs(900),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, AgentcoreMemorySpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let strategies = spec
            .strategies
            .iter()
            .map(strategy_input)
            .collect::<Result<Vec<_>, _>>()?;
        let tags: HashMap<String, String> = req.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let token = client_token(req.token);
        let created = retry_transient(
            IAM_PROPAGATION.min(req.timeout),
            req.progress,
            role_not_yet_usable,
            || async {
                ctx.clients
                    .agentcore
                    .create_memory()
                    .name(&spec.name)
                    .set_description(spec.description.clone())
                    .event_expiry_duration(expiry(spec.event_expiry_days))
                    .set_encryption_key_arn(spec.encryption_key.clone())
                    .set_memory_execution_role_arn(spec.execution_role.clone())
                    .set_memory_strategies((!strategies.is_empty()).then(|| strategies.clone()))
                    .client_token(&token)
                    .set_tags(Some(tags.clone()))
                    .send()
                    .await
                    .map_err(api(CREATE))
            },
        )
        .await;
        let (id, arn) = match created {
            Ok(out) => {
                let memory = out.memory().ok_or_else(|| ApiError::missing(CREATE, "memory"))?;
                (memory.id().to_string(), memory.arn().to_string())
            }
            Err(e) if e.is("ConflictException") => {
                let Some(found) = named(ctx, &spec.name).await? else {
                    return Err(e);
                };
                let live_tags = claim(ctx, CREATE, "a memory", &spec.name, &found.1, req.address, req.tags).await?;
                req.progress.phase("adopting the memory an earlier attempt created");
                wait_active(ctx, &found.0, req.timeout, req.progress).await?;
                converge(ctx, &found.0, spec, req.timeout, req.progress).await?;
                tags::sync(ctx, Tagged::Agentcore(&found.1), &live_tags, req.tags).await?;
                found
            }
            Err(e) => return Err(e),
        };
        wait_active(ctx, &id, req.timeout, req.progress)
            .await
            .map_err(|e| e.about(&id))?;
        Ok(attributes(&id, &arn, &spec.name))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, AgentcoreMemorySpec>,
        prior: &Recorded<'_, AgentcoreMemorySpec>,
    ) -> Result<Created, ApiError> {
        let spec = req.spec;
        let id = prior.id;
        for (field, was, now) in [
            ("description", &prior.spec.description, &spec.description),
            ("execution_role", &prior.spec.execution_role, &spec.execution_role),
        ] {
            if was.is_some() && now.is_none() {
                return Err(ApiError::new(
                    UPDATE,
                    "NotAttempted",
                    format!(
                        "AWS cannot remove a memory's {field}: set another value, or replace the memory \
                         (its events go with it)"
                    ),
                ));
            }
        }
        converge(ctx, id, spec, req.timeout, req.progress).await?;
        let arn = match prior.attributes.get("arn") {
            Some(arn) => arn.clone(),
            None => get(ctx, id).await?.arn().to_string(),
        };
        tags::sync(ctx, Tagged::Agentcore(&arn), prior.tags, req.tags).await?;
        Ok(attributes(id, &arn, &spec.name))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, AgentcoreMemorySpec>) -> Result<(), ApiError> {
        let id = prior.id;
        delete_then_wait(
            "bedrock-agentcore:DeleteMemory",
            "the memory",
            prior.timeout,
            prior.progress,
            || async {
                ctx.clients
                    .agentcore
                    .delete_memory()
                    .memory_id(id)
                    .send()
                    .await
                    .map_err(api("bedrock-agentcore:DeleteMemory"))
            },
            || async { Ok(Poll::Pending(get(ctx, id).await?.status().as_str().to_string())) },
        )
        .await
    }

    /// Import: GetMemory per id. Recover: ListMemories (all pages), then GetMemory and
    /// ListTagsForResource per memory, keeping those tagged with the stack. Memories being
    /// deleted are left out.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let ids_to_read: Vec<String> = if ids.is_empty() {
            list(ctx)
                .await?
                .into_iter()
                .filter(|(_, _, status)| !matches!(status, Some(Status::Deleting)))
                .map(|(id, _, _)| id)
                .collect()
        } else {
            owned(ids)
        };
        let looked_up = each(ids_to_read, |id| async move {
            match get(ctx, &id).await {
                Ok(m) if matches!(m.status(), Status::Deleting) => Ok(None),
                Ok(m) => Ok(Some((m.arn().to_string(), attributes(m.id(), m.arn(), m.name())))),
                Err(e) if absent(&e) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
        let found = owned_by_tags(looked_up.into_iter().flatten().collect(), |arn| async move {
            tags::agentcore(ctx, &arn).await
        })
        .await?;
        Ok(keep(ctx, ids, found))
    }

    /// Per memory: GetMemory and ListTagsForResource together.
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, AgentcoreMemorySpec>],
    ) -> Result<Vec<Option<AgentcoreMemorySpec>>, ApiError> {
        super::agentcore::read_with_tags(
            ctx,
            records,
            get,
            |live| matches!(live.status(), Status::Deleting),
            live_spec,
        )
        .await
    }
}

fn attributes(id: &str, arn: &str, name: &str) -> Created {
    Created::new(id).with("arn", arn).with("name", name)
}

fn expiry(days: i64) -> i32 {
    // The model bounds the value to 3..=3650 and the spec is checked against it.
    i32::try_from(days).unwrap_or(i32::MAX)
}

/// The recorded spec with what the live memory reports in place of what was recorded.
fn live_spec(recorded: &AgentcoreMemorySpec, live: &Memory, tags: &BTreeMap<String, String>) -> AgentcoreMemorySpec {
    let mut spec = recorded.clone();
    spec.name = live.name().to_string();
    spec.description = live.description().map(String::from);
    spec.event_expiry_days = i64::from(live.event_expiry_duration());
    spec.encryption_key = live.encryption_key_arn().map(String::from);
    spec.execution_role = live.memory_execution_role_arn().map(String::from);
    let current: Vec<&MemoryStrategy> = live.strategies().iter().filter(|s| !leaving(s)).collect();
    // In the recorded order first (a reordering alone is no change), then any others.
    let mut strategies = Vec::new();
    for wanted in &recorded.strategies {
        if let Some(s) = current.iter().find(|s| s.name() == wanted.name) {
            strategies.push(strategy_spec(s, Some(wanted)));
        }
    }
    for s in &current {
        if !recorded.strategies.iter().any(|w| w.name == s.name()) {
            strategies.push(strategy_spec(s, None));
        }
    }
    spec.strategies = strategies;
    spec.tags = tags::user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    spec
}

fn leaving(s: &MemoryStrategy) -> bool {
    matches!(s.status(), Some(MemoryStrategyStatus::Deleting))
}

/// A live strategy in the spec's words. A namespace the service chose (the spec gave none)
/// and the custom prompts (GetMemory does not report them) keep their recorded value.
fn strategy_spec(live: &MemoryStrategy, recorded: Option<&MemoryStrategySpec>) -> MemoryStrategySpec {
    let kind = match live.r#type() {
        MemoryStrategyType::Semantic => "semantic",
        MemoryStrategyType::Summarization => "summary",
        MemoryStrategyType::UserPreference => "user_preference",
        MemoryStrategyType::Episodic => "episodic",
        MemoryStrategyType::Custom => "custom",
        other => other.as_str(),
    };
    let namespaces = match recorded {
        Some(r) if r.namespaces.is_empty() => Vec::new(),
        _ => live.namespace_templates().to_vec(),
    };
    let custom = recorded.filter(|r| r.kind == kind);
    MemoryStrategySpec {
        kind: kind.to_string(),
        name: live.name().to_string(),
        description: live.description().map(String::from),
        namespaces,
        base: custom.and_then(|r| r.base.clone()),
        model_id: custom.and_then(|r| r.model_id.clone()),
        extraction_prompt: custom.and_then(|r| r.extraction_prompt.clone()),
        consolidation_prompt: custom.and_then(|r| r.consolidation_prompt.clone()),
    }
}

/// A strategy of the spec as CreateMemory / UpdateMemory take it.
fn strategy_input(s: &MemoryStrategySpec) -> Result<MemoryStrategyInput, ApiError> {
    let bad = invalid(CREATE);
    let namespaces = (!s.namespaces.is_empty()).then(|| s.namespaces.clone());
    macro_rules! plain {
        ($builder:ty, $variant:ident) => {
            MemoryStrategyInput::$variant(
                <$builder>::builder()
                    .name(&s.name)
                    .set_description(s.description.clone())
                    .set_namespace_templates(namespaces)
                    .build()
                    .map_err(&bad)?,
            )
        };
    }
    Ok(match s.kind.as_str() {
        "semantic" => plain!(SemanticMemoryStrategyInput, SemanticMemoryStrategy),
        "summary" => plain!(SummaryMemoryStrategyInput, SummaryMemoryStrategy),
        "user_preference" => plain!(UserPreferenceMemoryStrategyInput, UserPreferenceMemoryStrategy),
        "episodic" => plain!(EpisodicMemoryStrategyInput, EpisodicMemoryStrategy),
        "custom" => MemoryStrategyInput::CustomMemoryStrategy(
            CustomMemoryStrategyInput::builder()
                .name(&s.name)
                .set_description(s.description.clone())
                .set_namespace_templates(namespaces)
                .configuration(custom_configuration(s)?)
                .build()
                .map_err(&bad)?,
        ),
        other => {
            return Err(ApiError::new(
                CREATE,
                "InvalidRequest",
                format!("`{other}` is not a memory strategy type"),
            ));
        }
    })
}

fn custom_configuration(s: &MemoryStrategySpec) -> Result<CustomConfigurationInput, ApiError> {
    let bad = invalid(CREATE);
    let model = s.model_id.clone().unwrap_or_default();
    let extraction = s.extraction_prompt.clone();
    let consolidation = s.consolidation_prompt.clone();
    macro_rules! step {
        ($builder:ty, $prompt:expr) => {
            match $prompt {
                Some(prompt) => Some(
                    <$builder>::builder()
                        .append_to_prompt(prompt)
                        .model_id(&model)
                        .build()
                        .map_err(&bad)?,
                ),
                None => None,
            }
        };
    }
    Ok(match s.base.as_deref() {
        Some("summary") => CustomConfigurationInput::SummaryOverride(
            SummaryOverrideConfigurationInput::builder()
                .set_consolidation(step!(SummaryOverrideConsolidationConfigurationInput, consolidation))
                .build(),
        ),
        Some("user_preference") => CustomConfigurationInput::UserPreferenceOverride(
            UserPreferenceOverrideConfigurationInput::builder()
                .set_extraction(step!(UserPreferenceOverrideExtractionConfigurationInput, extraction))
                .set_consolidation(step!(
                    UserPreferenceOverrideConsolidationConfigurationInput,
                    consolidation
                ))
                .build(),
        ),
        _ => CustomConfigurationInput::SemanticOverride(
            SemanticOverrideConfigurationInput::builder()
                .set_extraction(step!(SemanticOverrideExtractionConfigurationInput, extraction))
                .set_consolidation(step!(SemanticOverrideConsolidationConfigurationInput, consolidation))
                .build(),
        ),
    })
}

/// Brings the live memory `id` to `spec` with one UpdateMemory (none when nothing differs),
/// then waits until it is ACTIVE again.
async fn converge(
    ctx: &Ctx,
    id: &str,
    spec: &AgentcoreMemorySpec,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), ApiError> {
    // Never start an update over one still in flight (AWS answers 409).
    let live = wait_active(ctx, id, timeout, progress).await?;
    let current: Vec<&MemoryStrategy> = live.strategies().iter().filter(|s| !leaving(s)).collect();
    let (mut add, mut modify, mut delete) = (Vec::new(), Vec::new(), Vec::new());
    for s in &current {
        let wanted = spec.strategies.iter().find(|w| w.name == s.name());
        let live_view = strategy_spec(s, wanted);
        match wanted {
            None => delete.push(s.strategy_id().to_string()),
            Some(w) if live_view.kind != w.kind || live_view.base != w.base || custom_changed(&live_view, w) => {
                delete.push(s.strategy_id().to_string());
                add.push(strategy_input(w)?);
            }
            Some(w) if live_view.description != w.description || live_view.namespaces != w.namespaces => {
                modify.push(
                    ModifyMemoryStrategyInput::builder()
                        .memory_strategy_id(s.strategy_id())
                        .set_description(w.description.clone())
                        .set_namespace_templates((!w.namespaces.is_empty()).then(|| w.namespaces.clone()))
                        .build()
                        .map_err(invalid(UPDATE))?,
                );
            }
            Some(_) => {}
        }
    }
    for w in &spec.strategies {
        if !current.iter().any(|s| s.name() == w.name) {
            add.push(strategy_input(w)?);
        }
    }
    let strategies_change = !(add.is_empty() && modify.is_empty() && delete.is_empty());
    let description = spec
        .description
        .clone()
        .filter(|d| Some(d.as_str()) != live.description());
    let expiry_days = Some(expiry(spec.event_expiry_days)).filter(|d| *d != live.event_expiry_duration());
    let role = spec
        .execution_role
        .clone()
        .filter(|r| Some(r.as_str()) != live.memory_execution_role_arn());
    if !strategies_change && description.is_none() && expiry_days.is_none() && role.is_none() {
        return Ok(());
    }
    let strategies = strategies_change.then(|| {
        ModifyMemoryStrategies::builder()
            .set_add_memory_strategies((!add.is_empty()).then_some(add))
            .set_modify_memory_strategies((!modify.is_empty()).then_some(modify))
            .set_delete_memory_strategies((!delete.is_empty()).then(|| {
                delete
                    .iter()
                    .filter_map(|id| DeleteMemoryStrategyInput::builder().memory_strategy_id(id).build().ok())
                    .collect()
            }))
            .build()
    });
    retry_transient(IAM_PROPAGATION.min(timeout), progress, role_not_yet_usable, || async {
        ctx.clients
            .agentcore
            .update_memory()
            .memory_id(id)
            .set_description(description.clone())
            .set_event_expiry_duration(expiry_days)
            .set_memory_execution_role_arn(role.clone())
            .set_memory_strategies(strategies.clone())
            .send()
            .await
            .map_err(api(UPDATE))
    })
    .await?;
    wait_active(ctx, id, timeout, progress).await.map(|_| ())
}

/// The custom prompts or model changed. GetMemory does not report them, so the live view
/// carries the recorded ones: a change is seen against the spec the update was given.
fn custom_changed(live_view: &MemoryStrategySpec, wanted: &MemoryStrategySpec) -> bool {
    wanted.kind == "custom"
        && (live_view.model_id != wanted.model_id
            || live_view.extraction_prompt != wanted.extraction_prompt
            || live_view.consolidation_prompt != wanted.consolidation_prompt)
}

async fn get(ctx: &Ctx, id: &str) -> Result<Memory, ApiError> {
    let out = ctx
        .clients
        .agentcore
        .get_memory()
        .memory_id(id)
        .send()
        .await
        .map_err(api("bedrock-agentcore:GetMemory"))?;
    out.memory
        .ok_or_else(|| ApiError::missing("bedrock-agentcore:GetMemory", "memory"))
}

/// Every memory of the account and region: (id, ARN, status).
async fn list(ctx: &Ctx) -> Result<Vec<(String, String, Option<Status>)>, ApiError> {
    let items = ctx
        .clients
        .agentcore
        .list_memories()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("bedrock-agentcore:ListMemories"))?;
    Ok(items
        .into_iter()
        .filter_map(|m| Some((m.id()?.to_string(), m.arn()?.to_string(), m.status().cloned())))
        .collect())
}

/// The memory named `name` (its id is the name, a hyphen and ten characters): (id, ARN).
async fn named(ctx: &Ctx, name: &str) -> Result<Option<(String, String)>, ApiError> {
    Ok(list(ctx)
        .await?
        .into_iter()
        .find(|(id, _, status)| {
            !matches!(status, Some(Status::Deleting)) && id.rsplit_once('-').is_some_and(|(n, _)| n == name)
        })
        .map(|(id, arn, _)| (id, arn)))
}

async fn wait_active(ctx: &Ctx, id: &str, timeout: Duration, progress: &dyn Progress) -> Result<Memory, ApiError> {
    wait_for(
        "bedrock-agentcore:GetMemory",
        "the memory to be ACTIVE",
        timeout,
        progress,
        || async {
            let memory = get(ctx, id).await?;
            Ok(match memory.status() {
                Status::Active if !memory.strategies().iter().any(pending) => Poll::Ready(memory),
                s @ (Status::Failed | Status::Deleting) => Poll::Failed(match memory.failure_reason() {
                    Some(r) if !r.is_empty() => format!("{}: {r}", s.as_str()),
                    _ => s.as_str().to_string(),
                }),
                other => Poll::Pending(other.as_str().to_string()),
            })
        },
    )
    .await
}

/// A strategy still being made or removed.
fn pending(s: &MemoryStrategy) -> bool {
    matches!(
        s.status(),
        Some(MemoryStrategyStatus::Creating | MemoryStrategyStatus::Deleting)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudformation_strategy_objects_become_type_and_base() {
        let mut fields: toml::Table = toml::from_str(
            "strategies = [{ semantic = true, name = \"a\" }, { custom = true, semantic_override = true, name = \"b\" }]",
        )
        .unwrap();
        strategy_types(&mut fields).unwrap();
        let s = fields["strategies"].as_array().unwrap();
        assert_eq!(s[0].as_table().unwrap().keys().collect::<Vec<_>>(), ["name", "type"]);
        assert_eq!(s[0]["type"].as_str(), Some("semantic"));
        assert_eq!(s[1]["type"].as_str(), Some("custom"));
        assert_eq!(s[1]["base"].as_str(), Some("semantic"));
        assert!(s[1].get("semantic_override").is_none());
        let mut two: toml::Table = toml::from_str("strategies = [{ semantic = true, summary = true }]").unwrap();
        assert!(strategy_types(&mut two).unwrap_err().contains("MemoryStrategies[0]"));
    }

    fn strategy(kind: &str, name: &str) -> MemoryStrategySpec {
        MemoryStrategySpec {
            kind: kind.into(),
            name: name.into(),
            description: None,
            namespaces: Vec::new(),
            base: None,
            model_id: None,
            extraction_prompt: None,
            consolidation_prompt: None,
        }
    }

    #[test]
    fn every_strategy_type_becomes_its_union_member() {
        for kind in ["semantic", "summary", "user_preference", "episodic"] {
            assert!(strategy_input(&strategy(kind, "s")).is_ok(), "{kind}");
        }
        let mut custom = strategy("custom", "c");
        custom.base = Some("summary".into());
        custom.model_id = Some("model".into());
        custom.consolidation_prompt = Some("keep it short".into());
        match strategy_input(&custom) {
            Ok(MemoryStrategyInput::CustomMemoryStrategy(c)) => {
                assert!(matches!(
                    c.configuration(),
                    Some(CustomConfigurationInput::SummaryOverride(_))
                ))
            }
            other => panic!("{other:?}"),
        }
        assert!(strategy_input(&strategy("episodic_plus", "s")).is_err());
    }

    #[test]
    #[allow(deprecated)] // the model still requires the old member in answers
    fn a_namespace_the_service_chose_reads_as_none_given() {
        let live = MemoryStrategy::builder()
            .strategy_id("facts-abcdefghij")
            .name("facts")
            .r#type(MemoryStrategyType::Semantic)
            .namespaces("/strategies/{memoryStrategyId}/actors/{actorId}")
            .namespace_templates("/strategies/{memoryStrategyId}/actors/{actorId}")
            .build()
            .unwrap();
        let recorded = strategy("semantic", "facts");
        assert_eq!(strategy_spec(&live, Some(&recorded)), recorded);
        let mut given = recorded.clone();
        given.namespaces = vec!["/facts/{actorId}".into()];
        assert_eq!(
            strategy_spec(&live, Some(&given)).namespaces,
            vec!["/strategies/{memoryStrategyId}/actors/{actorId}".to_string()]
        );
    }
}
