//! `agentfs cost`: the stack's idle monthly cost, and with `--usage FILE` a monthly estimate.

use std::process::ExitCode;

use crate::cli::CostArgs;
use crate::cost::{self, Prices, Usage};
use crate::pipeline::{CliError, compile, print_json};

pub fn run(args: CostArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec, args.json, &args.vars)?;
    let region = &compiled.spec.stack.region;
    let Some(prices) = Prices::for_region(region).map_err(|e| CliError::Other(e.to_string()))? else {
        return Err(CliError::Other(format!(
            "no prices for {region}: the price table (src/cost/prices.toml) lists only the regions whose prices were read"
        )));
    };
    let usage = match &args.usage {
        Some(path) => Usage::read(path).map_err(|e| CliError::Other(e.to_string()))?,
        None => Usage::default(),
    };
    let estimate = cost::estimate(&prices, &compiled.spec, &usage);
    if args.json {
        print_json(&serde_json::to_value(&estimate).unwrap_or_default())?;
    } else {
        crate::out!("{}", cost::render::estimate_text(&estimate, args.usage.is_some()));
    }
    Ok(ExitCode::SUCCESS)
}
