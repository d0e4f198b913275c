//! `AWS::BedrockAgentCore::Memory` as `agentfs convert` reads it.

use super::*;

/// `AWS::BedrockAgentCore::Memory` (see [`crate::lang::cfn`]). A strategy is one of five
/// objects; which one it is becomes `type` (and a custom strategy's override its `base`) when
/// every property is mapped.
pub(super) const CFN: &[CfnType] = &[CfnType::new(
    "AWS::BedrockAgentCore::Memory",
    &[
        p("Name", To::Field("name")),
        p("Description", To::Field("description")),
        p("EventExpiryDuration", To::Int("event_expiry_days")),
        p("EncryptionKeyArn", To::Field("encryption_key")),
        p("MemoryExecutionRoleArn", To::Ref("execution_role", "iam_role")),
        // Tags are a plain map on this type, not a list of {Key, Value}.
        p("Tags", To::StringMap("tags")),
        p(
            "MemoryStrategies[].SemanticMemoryStrategy",
            To::Flag("strategies[].semantic"),
        ),
        p(
            "MemoryStrategies[].SemanticMemoryStrategy.Name",
            To::Field("strategies[].name"),
        ),
        p(
            "MemoryStrategies[].SemanticMemoryStrategy.Description",
            To::Field("strategies[].description"),
        ),
        p(
            "MemoryStrategies[].SemanticMemoryStrategy.Namespaces",
            To::Field("strategies[].namespaces"),
        ),
        p(
            "MemoryStrategies[].SemanticMemoryStrategy.NamespaceTemplates",
            To::Field("strategies[].namespaces"),
        ),
        p(
            "MemoryStrategies[].SemanticMemoryStrategy.MemoryRecordSchema",
            To::Refuse(RECORD_SCHEMA),
        ),
        p(
            "MemoryStrategies[].SemanticMemoryStrategy.RecordExpirySpecification",
            To::Refuse(RECORD_EXPIRY),
        ),
        p(
            "MemoryStrategies[].SummaryMemoryStrategy",
            To::Flag("strategies[].summary"),
        ),
        p(
            "MemoryStrategies[].SummaryMemoryStrategy.Name",
            To::Field("strategies[].name"),
        ),
        p(
            "MemoryStrategies[].SummaryMemoryStrategy.Description",
            To::Field("strategies[].description"),
        ),
        p(
            "MemoryStrategies[].SummaryMemoryStrategy.Namespaces",
            To::Field("strategies[].namespaces"),
        ),
        p(
            "MemoryStrategies[].SummaryMemoryStrategy.NamespaceTemplates",
            To::Field("strategies[].namespaces"),
        ),
        p(
            "MemoryStrategies[].SummaryMemoryStrategy.MemoryRecordSchema",
            To::Refuse(RECORD_SCHEMA),
        ),
        p(
            "MemoryStrategies[].SummaryMemoryStrategy.RecordExpirySpecification",
            To::Refuse(RECORD_EXPIRY),
        ),
        p(
            "MemoryStrategies[].UserPreferenceMemoryStrategy",
            To::Flag("strategies[].user_preference"),
        ),
        p(
            "MemoryStrategies[].UserPreferenceMemoryStrategy.Name",
            To::Field("strategies[].name"),
        ),
        p(
            "MemoryStrategies[].UserPreferenceMemoryStrategy.Description",
            To::Field("strategies[].description"),
        ),
        p(
            "MemoryStrategies[].UserPreferenceMemoryStrategy.Namespaces",
            To::Field("strategies[].namespaces"),
        ),
        p(
            "MemoryStrategies[].UserPreferenceMemoryStrategy.NamespaceTemplates",
            To::Field("strategies[].namespaces"),
        ),
        p(
            "MemoryStrategies[].UserPreferenceMemoryStrategy.MemoryRecordSchema",
            To::Refuse(RECORD_SCHEMA),
        ),
        p(
            "MemoryStrategies[].UserPreferenceMemoryStrategy.RecordExpirySpecification",
            To::Refuse(RECORD_EXPIRY),
        ),
        p(
            "MemoryStrategies[].EpisodicMemoryStrategy",
            To::Flag("strategies[].episodic"),
        ),
        p(
            "MemoryStrategies[].EpisodicMemoryStrategy.Name",
            To::Field("strategies[].name"),
        ),
        p(
            "MemoryStrategies[].EpisodicMemoryStrategy.Description",
            To::Field("strategies[].description"),
        ),
        p(
            "MemoryStrategies[].EpisodicMemoryStrategy.Namespaces",
            To::Field("strategies[].namespaces"),
        ),
        p(
            "MemoryStrategies[].EpisodicMemoryStrategy.NamespaceTemplates",
            To::Field("strategies[].namespaces"),
        ),
        p(
            "MemoryStrategies[].EpisodicMemoryStrategy.MemoryRecordSchema",
            To::Refuse(RECORD_SCHEMA),
        ),
        p(
            "MemoryStrategies[].EpisodicMemoryStrategy.RecordExpirySpecification",
            To::Refuse(RECORD_EXPIRY),
        ),
        p(
            "MemoryStrategies[].EpisodicMemoryStrategy.ReflectionConfiguration",
            To::Refuse("agentfs keeps an episodic strategy's default reflection"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy",
            To::Flag("strategies[].custom"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Name",
            To::Field("strategies[].name"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Description",
            To::Field("strategies[].description"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Namespaces",
            To::Field("strategies[].namespaces"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.NamespaceTemplates",
            To::Field("strategies[].namespaces"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.MemoryRecordSchema",
            To::Refuse(RECORD_SCHEMA),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.RecordExpirySpecification",
            To::Refuse(RECORD_EXPIRY),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.SemanticOverride",
            To::Flag("strategies[].semantic_override"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.SemanticOverride.Extraction.AppendToPrompt",
            To::Field("strategies[].extraction_prompt"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.SemanticOverride.Extraction.ModelId",
            To::Field("strategies[].model_id"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.SemanticOverride.Consolidation.AppendToPrompt",
            To::Field("strategies[].consolidation_prompt"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.SemanticOverride.Consolidation.ModelId",
            To::Field("strategies[].model_id"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.SummaryOverride",
            To::Flag("strategies[].summary_override"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.SummaryOverride.Consolidation.AppendToPrompt",
            To::Field("strategies[].consolidation_prompt"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.SummaryOverride.Consolidation.ModelId",
            To::Field("strategies[].model_id"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.UserPreferenceOverride",
            To::Flag("strategies[].user_preference_override"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.UserPreferenceOverride.Extraction.AppendToPrompt",
            To::Field("strategies[].extraction_prompt"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.UserPreferenceOverride.Extraction.ModelId",
            To::Field("strategies[].model_id"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.UserPreferenceOverride.Consolidation.AppendToPrompt",
            To::Field("strategies[].consolidation_prompt"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.UserPreferenceOverride.Consolidation.ModelId",
            To::Field("strategies[].model_id"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.EpisodicOverride",
            To::Refuse("agentfs's custom strategies override the semantic, summary or user-preference strategy only"),
        ),
        p(
            "MemoryStrategies[].CustomMemoryStrategy.Configuration.SelfManagedConfiguration",
            To::Refuse("agentfs does not make self-managed memory strategies"),
        ),
        p("IndexedKeys", To::Refuse("agentfs does not index memory record keys")),
        p("NamespaceKeys", To::Refuse("agentfs does not validate namespace keys")),
        p(
            "StreamDeliveryResources",
            To::Refuse("agentfs does not stream memory records to Kinesis"),
        ),
    ],
)
.attributes(&[("MemoryId", "id"), ("MemoryArn", "arn")])
.ref_attribute("arn")
.finish(strategy_types)];

pub(super) const RECORD_SCHEMA: &str = "agentfs keeps a strategy's default memory record schema";
pub(super) const RECORD_EXPIRY: &str = "agentfs keeps memory records for the strategy's default time";

/// The flags the table sets for a strategy's object (`semantic = true`) and a custom
/// strategy's override (`semantic_override = true`) -> `type` and `base`.
pub(super) fn strategy_types(fields: &mut toml::Table) -> Result<(), String> {
    let Some(toml::Value::Array(strategies)) = fields.get_mut("strategies") else {
        return Ok(());
    };
    for (i, strategy) in strategies.iter_mut().enumerate() {
        let Some(strategy) = strategy.as_table_mut() else {
            continue;
        };
        let types = take_flags(strategy, "");
        let [kind] = types.as_slice() else {
            return Err(format!(
                "`MemoryStrategies[{i}]` must be exactly one of SemanticMemoryStrategy, SummaryMemoryStrategy, \
                 UserPreferenceMemoryStrategy, EpisodicMemoryStrategy or CustomMemoryStrategy"
            ));
        };
        strategy.insert("type".into(), toml::Value::String((*kind).into()));
        match take_flags(strategy, "_override").as_slice() {
            [] => {}
            [base] => {
                strategy.insert("base".into(), toml::Value::String((*base).into()));
            }
            _ => return Err(format!("`MemoryStrategies[{i}]` overrides more than one strategy")),
        }
    }
    Ok(())
}

/// Removes the flags `TYPE{suffix}` from `strategy`, returning the types that were set.
pub(super) fn take_flags(strategy: &mut toml::Table, suffix: &str) -> Vec<&'static str> {
    STRATEGY_TYPES
        .iter()
        .copied()
        .filter(|t| strategy.remove(&format!("{t}{suffix}")).is_some())
        .collect()
}
