//! The cost figures as text for `plan` and `cost`, and as the `cost` object of `plan --json`.

use std::fmt::Write;

use serde_json::{Value, json};

use super::{Estimate, Idle, Prices, signed};

/// `$32.85`.
fn usd(amount: f64) -> String {
    format!("${amount:.2}")
}

/// The idle section of a plan: each costly resource, the total, and what this plan changes.
pub fn plan_text(prices: Option<&Prices>, region: &str, after: &Idle, before: &Idle) -> String {
    let Some(prices) = prices else {
        return format!("\nIdle cost: no prices for {region}.\n");
    };
    let mut out = format!(
        "\nIdle cost ({}, list prices, {} hours a month):\n",
        prices.region, prices.hours_per_month
    );
    let width = after.resources.keys().map(String::len).max().unwrap_or(0).max(5);
    for (addr, monthly) in &after.resources {
        let _ = writeln!(out, "  {addr:<width$}  {:>9}/month", usd(*monthly));
    }
    let _ = writeln!(
        out,
        "  {:<width$}  {:>9}/month ({} with this plan)",
        "total",
        usd(after.monthly),
        signed(super::round(after.monthly - before.monthly))
    );
    if !after.usage_priced.is_empty() {
        let _ = writeln!(out, "  Billed by use, not counted:");
        for line in &after.usage_priced {
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}

/// The `cost` object of `plan --json`: `monthly`, `resources` (address -> monthly), `change`,
/// `usage_priced`; `monthly` is null, with a `note`, for a region without prices.
pub fn plan_json(prices: Option<&Prices>, region: &str, after: &Idle, before: &Idle) -> Value {
    match prices {
        Some(p) => json!({
            "currency": "USD",
            "region": p.region,
            "hours_per_month": p.hours_per_month,
            "monthly": after.monthly,
            "change": super::round(after.monthly - before.monthly),
            "resources": after.resources,
            "usage_priced": after.usage_priced,
        }),
        None => json!({
            "currency": "USD",
            "region": region,
            "monthly": null,
            "resources": {},
            "usage_priced": [],
            "note": format!("no prices for {region}"),
        }),
    }
}

/// `agentfs cost` as text.
pub fn estimate_text(e: &Estimate, with_usage: bool) -> String {
    let mut out = format!(
        "Idle ({}, list prices, {} hours a month):\n",
        e.region, e.hours_per_month
    );
    let width = e.idle.resources.keys().map(String::len).max().unwrap_or(0).max(5);
    for (addr, monthly) in &e.idle.resources {
        let _ = writeln!(out, "  {addr:<width$}  {:>9}/month", usd(*monthly));
    }
    let _ = writeln!(out, "  {:<width$}  {:>9}/month", "idle", usd(e.idle.monthly));
    if with_usage {
        let _ = writeln!(out, "Usage:");
        for line in &e.usage {
            match line.monthly {
                Some(m) => {
                    let _ = writeln!(out, "  {:>9}/month  {}", usd(m), line.what);
                }
                None => {
                    let _ = writeln!(out, "  not priced      {}", line.what);
                }
            }
        }
        let _ = writeln!(out, "Estimate: ${:.2}/month", e.monthly);
    } else {
        let _ = writeln!(out, "Billed by use, not counted (pass --usage FILE to estimate):");
        for line in &e.idle.usage_priced {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}
