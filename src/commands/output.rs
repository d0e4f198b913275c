//! `agentfs output [NAME]`: the outputs recorded by the last apply.

use std::process::ExitCode;

use crate::cli::OutputArgs;
use crate::pipeline::{CliError, load_state, state_store};
use crate::state::State;

pub async fn output(args: OutputArgs) -> Result<ExitCode, CliError> {
    let (store, stack, owner) = state_store(&args.store, None).await?;
    let state = load_state(&store, &owner).await?.ok_or_else(|| {
        CliError::Other(format!(
            "stack `{stack}` has no recorded state; run `agentfs apply` first"
        ))
    })?;
    if let Some(name) = &args.name
        && !state.outputs.contains_key(name)
    {
        let known: Vec<&str> = state.outputs.keys().map(String::as_str).collect();
        return Err(CliError::Other(format!(
            "no output named `{name}`; outputs: {}",
            known.join(", ")
        )));
    }
    print_outputs(&state, args.name.as_deref(), args.json)?;
    Ok(ExitCode::SUCCESS)
}

pub fn print_outputs(state: &State, name: Option<&str>, json: bool) -> Result<(), CliError> {
    let selected: Vec<(&String, &crate::state::OutputValue)> = state
        .outputs
        .iter()
        .filter(|(n, _)| name.is_none_or(|x| x == *n))
        .collect();
    if json {
        let map: serde_json::Map<String, serde_json::Value> = selected
            .iter()
            .map(|(n, o)| {
                (
                    (*n).clone(),
                    serde_json::json!({"value": o.value, "sensitive": o.sensitive}),
                )
            })
            .collect();
        crate::outln!("{}", serde_json::to_string_pretty(&map).unwrap_or_default());
        return Ok(());
    }
    if let (Some(_), [(_, one)]) = (name, selected.as_slice()) {
        crate::outln!("{}", shown(&one.value));
        return Ok(());
    }
    if !selected.is_empty() {
        crate::outln!("\nOutputs:");
    }
    for (n, o) in selected {
        let value = if o.sensitive {
            "(sensitive)".to_string()
        } else {
            shown(&o.value)
        };
        crate::outln!("  {n} = {value}");
    }
    Ok(())
}

/// A string as it is; a list as JSON (`["subnet-1", "subnet-2"]`).
pub fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
