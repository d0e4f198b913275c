//! Late references (security groups that name each other): completing a resource made
//! without them once what they name exists, and taking them out before a delete.

use super::*;

impl<P: Provider> Engine<'_, P> {
    /// Brings a resource made without its late references to the spec, now that what they
    /// name exists. Returns whether that took a call.
    pub(super) async fn complete(&self, spec: &Spec, change: &plan::ResourceChange) -> Result<bool, EngineError> {
        let addr = &change.address;
        let resource = spec.resources.get(addr).ok_or(EngineError::Unknown)?;
        let recorded = self
            .state()
            .await
            .resources
            .get(addr)
            .cloned()
            .ok_or(EngineError::Unknown)?;
        let resolved = resolve(&resource.spec, &self.lookup().await)?;
        let config = plan::config_json(&resolved, &resource.sensitive);
        let sensitive: HashSet<String> = resolved
            .sensitive_paths()
            .into_iter()
            .chain(resource.sensitive.iter().cloned())
            .collect();
        let diffs = plan::diff(
            &recorded.config,
            &config,
            &BTreeMap::new(),
            &sensitive,
            addr.kind,
            &resource.lifecycle.ignore_changes,
        );
        if diffs.is_empty() {
            return Ok(false);
        }
        let update = plan::ResourceChange {
            action: Action::Update,
            attributes: diffs,
            ..change.clone()
        };
        self.apply_one(spec, &update).await?;
        Ok(true)
    }

    /// Takes the recorded late references of `addr` out (the rules naming another group of
    /// its loop), so that the groups they name can be deleted. Returns whether that took a call.
    pub(super) async fn detach(&self, addr: &Addr) -> Result<bool, EngineError> {
        let state = self.state().await;
        let Some(recorded) = state
            .resources
            .get(addr)
            .filter(|r| matches!(r.phase, Phase::Created))
            .cloned()
        else {
            return Ok(false);
        };
        let named: Vec<String> = recorded
            .late
            .iter()
            .filter_map(|l| state.resources.get(l)?.id.clone())
            .collect();
        let config = without_items_naming(&recorded.config, &named);
        if config == recorded.config {
            return Ok(false);
        }
        let detached = crate::spec::ResourceSpec::deserialize_as(addr.kind, config.clone()).map_err(|source| {
            EvalError::Shape {
                kind: addr.kind,
                source,
            }
        })?;
        let tags = self.full_tags(addr, &recorded.config);
        let mut prior_tags = tags.clone();
        prior_tags.remove(TAG_STACK);
        prior_tags.remove(TAG_RESOURCE);
        let id = recorded.id.clone().unwrap_or_default();
        let address = addr.to_string();
        let progress = ResourceProgress {
            reporter: self.reporter,
            addr,
        };
        let call = Call {
            address: &address,
            token: "",
            tags: &tags,
            timeout: None,
            progress: &progress,
        };
        let prior = Prior {
            id: &id,
            attributes: &recorded.attributes,
            config: &recorded.config,
            tags: &prior_tags,
        };
        self.provider.update(&detached, &call, &prior).await?;
        self.record(|s| {
            if let Some(r) = s.resources.get_mut(addr) {
                r.config = config;
            }
        })
        .await?;
        Ok(true)
    }
}

/// `config` without the items of its top-level lists that name one of `ids` anywhere inside.
pub(super) fn without_items_naming(config: &serde_json::Value, ids: &[String]) -> serde_json::Value {
    fn names(value: &serde_json::Value, ids: &[String]) -> bool {
        match value {
            serde_json::Value::String(text) => ids.iter().any(|id| id == text),
            serde_json::Value::Array(items) => items.iter().any(|v| names(v, ids)),
            serde_json::Value::Object(map) => map.values().any(|v| names(v, ids)),
            _ => false,
        }
    }
    let mut config = config.clone();
    if let serde_json::Value::Object(fields) = &mut config {
        for value in fields.values_mut() {
            if let serde_json::Value::Array(items) = value {
                items.retain(|item| !item.is_object() || !names(item, ids));
            }
        }
    }
    config
}
