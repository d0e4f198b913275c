//! What a stack costs: the idle monthly figure of each resource that is billed while nothing
//! runs (a NAT gateway's hours, a public IPv4 address), the rates billed by use that the idle
//! figure leaves out, and, with a usage file, a monthly estimate. Prices come from the table
//! in `prices.toml` (list prices with their source and date); a region missing there has no
//! prices, and nothing is guessed.

pub mod render;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::spec::{Addr, ResourceSpec};

/// The checked-in price table.
const PRICES: &str = include_str!("prices.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    hours_per_month: f64,
    price: Vec<Price>,
}

/// One rate of one region, with where and when it was read.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub region: String,
    pub rate: String,
    pub usd: f64,
    pub unit: String,
    pub source: String,
    pub date: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CostError {
    #[error("the built-in price table does not parse: {0}")]
    Table(String),
    #[error("cannot read the usage file {path}: {message}")]
    Usage { path: String, message: String },
}

/// The prices of one region.
#[derive(Debug, Clone)]
pub struct Prices {
    pub region: String,
    pub hours_per_month: f64,
    rates: Vec<Price>,
}

impl Prices {
    /// The table's prices for `region`, or `None` when the table has none for it.
    pub fn for_region(region: &str) -> Result<Option<Prices>, CostError> {
        let table: Table = toml::from_str(PRICES).map_err(|e| CostError::Table(e.to_string()))?;
        let rates: Vec<Price> = table.price.into_iter().filter(|p| p.region == region).collect();
        Ok((!rates.is_empty()).then(|| Prices {
            region: region.to_string(),
            hours_per_month: table.hours_per_month,
            rates,
        }))
    }

    pub fn rate(&self, name: &str) -> Option<&Price> {
        self.rates.iter().find(|p| p.rate == name)
    }

    fn monthly_hours(&self, name: &str) -> Option<f64> {
        self.rate(name).map(|p| round(p.usd * self.hours_per_month))
    }
}

/// Cents, as AWS bills.
pub fn round(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}

/// What a set of resources costs while idle.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Idle {
    /// USD per month.
    pub monthly: f64,
    /// Address -> USD per month, for each resource billed while idle.
    pub resources: IndexMap<String, f64>,
    /// Rates billed by use that `monthly` does not count, one line each.
    pub usage_priced: Vec<String>,
}

/// Idle cost of `resources` at `prices`.
pub fn idle<'r>(prices: &Prices, resources: impl IntoIterator<Item = (&'r Addr, Option<&'r ResourceSpec>)>) -> Idle {
    let mut idle = Idle::default();
    let rate = |name: &str| {
        prices.rate(name).map_or_else(
            || "no price in the table".to_string(),
            |p| format!("{}/{}", money(p.usd), p.unit),
        )
    };
    for (addr, spec) in resources {
        let hourly = match addr.kind.key() {
            "nat_gateway" => {
                idle.usage_priced.push(format!("{addr}: {}", rate("nat_gateway_gb")));
                prices.monthly_hours("nat_gateway_hour")
            }
            "elastic_ip" => prices.monthly_hours("public_ipv4_hour"),
            // An interface endpoint bills every hour in each AZ it has a subnet in (one subnet
            // per AZ, which its checks require); a gateway endpoint bills nothing.
            "vpc_endpoint" => match spec {
                Some(ResourceSpec::VpcEndpoint(e)) if e.endpoint_type == "Interface" => {
                    idle.usage_priced
                        .push(format!("{addr}: {}", rate("interface_endpoint_gb")));
                    prices
                        .monthly_hours("interface_endpoint_az_hour")
                        .map(|per_az| round(per_az * e.subnets.len() as f64))
                        .filter(|monthly| *monthly > 0.0)
                }
                _ => None,
            },
            // A key bills by the month from its creation until its deletion completes.
            "kms_key" => prices.rate("kms_key_month").map(|p| round(p.usd)),
            "s3files_file_system" => {
                idle.usage_priced.push(format!(
                    "{addr}: {}, plus read and write sync charges",
                    rate("s3files_gb_month")
                ));
                None
            }
            "efs_file_system" => {
                let provisioned =
                    matches!(spec, Some(ResourceSpec::EfsFileSystem(fs)) if fs.throughput_mode == "provisioned");
                let what = if provisioned {
                    "storage and provisioned throughput"
                } else {
                    "storage"
                };
                idle.usage_priced
                    .push(format!("{addr}: {what} (no EFS price in the table)"));
                None
            }
            "s3_bucket" => {
                idle.usage_priced
                    .push(format!("{addr}: storage and requests (no S3 price in the table)"));
                None
            }
            "agentcore_runtime" => {
                idle.usage_priced.push(format!(
                    "{addr}: {} and {} while sessions run",
                    rate("agentcore_vcpu_hour"),
                    rate("agentcore_gb_hour")
                ));
                None
            }
            _ => None,
        };
        if let Some(monthly) = hourly {
            idle.resources.insert(addr.to_string(), monthly);
            idle.monthly = round(idle.monthly + monthly);
        }
    }
    idle
}

/// Idle cost of a checked spec.
pub fn idle_of_spec(prices: &Prices, spec: &crate::spec::Spec) -> Idle {
    idle(prices, spec.resources.values().map(|r| (&r.addr, Some(&r.spec))))
}

/// Idle cost of what a state records (its recorded configuration, where it still parses).
pub fn idle_of_state(prices: &Prices, state: &crate::state::State) -> Idle {
    let specs: Vec<(&Addr, Option<ResourceSpec>)> = state
        .resources
        .iter()
        .map(|(addr, r)| (addr, ResourceSpec::deserialize_as(addr.kind, r.config.clone()).ok()))
        .collect();
    idle(prices, specs.iter().map(|(a, s)| (*a, s.as_ref())))
}

/// `--usage FILE` of `agentfs cost`: how much the stack is used in a month.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    /// GB through the NAT gateways per month.
    #[serde(default)]
    pub nat_gb_per_month: f64,
    /// GB stored in the file system(s), averaged over the month.
    #[serde(default)]
    pub file_system_gb: f64,
    /// Runtime sessions per month.
    #[serde(default)]
    pub runtime_sessions: f64,
    /// Hours each session runs.
    #[serde(default)]
    pub runtime_session_hours: f64,
    /// vCPUs a session uses.
    #[serde(default)]
    pub runtime_vcpu: f64,
    /// GB of memory a session uses.
    #[serde(default)]
    pub runtime_gb: f64,
}

impl Usage {
    pub fn read(path: &std::path::Path) -> Result<Usage, CostError> {
        let fail = |message: String| CostError::Usage {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        toml::from_str(&text).map_err(|e| fail(e.to_string().trim().to_string()))
    }
}

/// One usage-priced line of an estimate.
#[derive(Debug, Clone, Serialize)]
pub struct UsageLine {
    pub what: String,
    /// USD per month, or `None` when the table has no price for it.
    pub monthly: Option<f64>,
}

/// Idle cost plus the usage-priced lines a usage file prices.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    pub region: String,
    pub hours_per_month: f64,
    pub idle: Idle,
    pub usage: Vec<UsageLine>,
    /// Idle plus every priced usage line, USD per month.
    pub monthly: f64,
}

/// The monthly estimate of `spec` with `usage`.
pub fn estimate(prices: &Prices, spec: &crate::spec::Spec, usage: &Usage) -> Estimate {
    let idle = idle_of_spec(prices, spec);
    let has = |kind: &str| spec.resources.keys().any(|a| a.kind.key() == kind);
    let price = |name: &str| prices.rate(name).map(|p| p.usd);
    let mut lines = Vec::new();
    if has("nat_gateway") && usage.nat_gb_per_month > 0.0 {
        lines.push(UsageLine {
            what: format!("NAT data processing: {} GB", usage.nat_gb_per_month),
            monthly: price("nat_gateway_gb").map(|p| round(p * usage.nat_gb_per_month)),
        });
    }
    if usage.file_system_gb > 0.0 {
        if has("s3files_file_system") {
            lines.push(UsageLine {
                what: format!(
                    "S3 Files storage: {} GB-month (sync charges not counted)",
                    usage.file_system_gb
                ),
                monthly: price("s3files_gb_month").map(|p| round(p * usage.file_system_gb)),
            });
        }
        if has("efs_file_system") {
            lines.push(UsageLine {
                what: format!(
                    "EFS storage: {} GB-month (no EFS price in the table)",
                    usage.file_system_gb
                ),
                monthly: None,
            });
        }
    }
    let session_hours = usage.runtime_sessions * usage.runtime_session_hours;
    if has("agentcore_runtime") && session_hours > 0.0 {
        let vcpu_hours = session_hours * usage.runtime_vcpu;
        let gb_hours = session_hours * usage.runtime_gb;
        let monthly = match (price("agentcore_vcpu_hour"), price("agentcore_gb_hour")) {
            (Some(cpu), Some(mem)) => Some(round(cpu * vcpu_hours + mem * gb_hours)),
            _ => None,
        };
        lines.push(UsageLine {
            what: format!(
                "AgentCore Runtime: {vcpu_hours} vCPU-hours, {gb_hours} GB-hours (an upper bound: AgentCore bills the CPU actually used)"
            ),
            monthly,
        });
    }
    let monthly = round(idle.monthly + lines.iter().filter_map(|l| l.monthly).sum::<f64>());
    Estimate {
        region: prices.region.clone(),
        hours_per_month: prices.hours_per_month,
        idle,
        usage: lines,
        monthly,
    }
}

/// A rate in dollars with at least cents: `$0.30`, `$0.045`, `$0.00945`.
pub fn money(usd: f64) -> String {
    let cents = format!("{usd:.2}");
    if cents.parse::<f64>() == Ok(usd) {
        format!("${cents}")
    } else {
        format!("${usd}")
    }
}

/// `+$32.85` / `-$3.65` / `$0.00`.
pub fn signed(usd: f64) -> String {
    if usd > 0.0 {
        format!("+${usd:.2}")
    } else if usd < 0.0 {
        format!("-${:.2}", -usd)
    } else {
        "$0.00".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> crate::spec::Spec {
        let loaded = crate::spec::load(text);
        loaded.spec.unwrap_or_else(|| panic!("{:?}", loaded.diagnostics))
    }

    #[test]
    fn every_price_has_a_source_and_a_date() {
        let table: Table = toml::from_str(PRICES).unwrap();
        assert_eq!(table.hours_per_month, 730.0);
        for p in &table.price {
            assert!(p.source.starts_with("https://"), "{p:?}");
            assert!(!p.date.is_empty() && p.usd > 0.0, "{p:?}");
        }
    }

    #[test]
    fn reference_stack_idles_at_the_nat_gateway_and_its_address() {
        let prices = Prices::for_region("us-east-1").unwrap().unwrap();
        let idle = idle_of_spec(&prices, &spec(include_str!("../../examples/s3files-runtime.toml")));
        assert_eq!(idle.resources["nat_gateway.nat"], 32.85);
        assert_eq!(idle.resources["elastic_ip.nat"], 3.65);
        assert_eq!(idle.resources.len(), 2, "{:?}", idle.resources);
        assert_eq!(idle.monthly, 36.5);
        assert!(
            idle.usage_priced
                .iter()
                .any(|l| l.starts_with("nat_gateway.nat: $0.045/GB"))
        );
        assert!(
            idle.usage_priced
                .iter()
                .any(|l| l.starts_with("agentcore_runtime.agent: $0.0895/vCPU-hour"))
        );
    }

    #[test]
    fn a_private_stack_idles_at_its_interface_endpoints_per_az_and_its_key() {
        let prices = Prices::for_region("us-east-1").unwrap().unwrap();
        let idle = idle_of_spec(&prices, &spec(include_str!("../../examples/private-agent.toml")));
        for endpoint in ["ecr_api", "ecr_dkr", "logs", "bedrock"] {
            // Two subnets (AZs) at $0.01 an hour, 730 hours.
            assert_eq!(idle.resources[&format!("vpc_endpoint.{endpoint}")], 14.6, "{endpoint}");
        }
        assert_eq!(idle.resources["kms_key.logs"], 1.0);
        assert!(
            !idle.resources.contains_key("vpc_endpoint.s3"),
            "a gateway endpoint is free"
        );
        assert!(!idle.resources.keys().any(|a| a.starts_with("nat_gateway")));
        assert_eq!(idle.monthly, 59.4);
        assert!(
            idle.usage_priced
                .iter()
                .any(|l| l.starts_with("vpc_endpoint.logs: $0.01/GB"))
        );
    }

    #[test]
    fn an_unknown_region_has_no_prices() {
        assert!(Prices::for_region("eu-west-3").unwrap().is_none());
    }

    #[test]
    fn usage_adds_nat_storage_and_sessions() {
        let prices = Prices::for_region("us-east-1").unwrap().unwrap();
        let usage = Usage {
            nat_gb_per_month: 100.0,
            file_system_gb: 10.0,
            runtime_sessions: 1000.0,
            runtime_session_hours: 0.5,
            runtime_vcpu: 1.0,
            runtime_gb: 2.0,
        };
        let e = estimate(
            &prices,
            &spec(include_str!("../../examples/s3files-runtime.toml")),
            &usage,
        );
        let monthly: Vec<Option<f64>> = e.usage.iter().map(|l| l.monthly).collect();
        // 100 GB x 0.045; 10 GB x 0.30; 500 h x (0.0895 + 2 x 0.00945).
        assert_eq!(monthly, [Some(4.5), Some(3.0), Some(54.2)]);
        assert_eq!(e.monthly, 98.2);
    }

    #[test]
    fn signed_changes() {
        assert_eq!(signed(32.85), "+$32.85");
        assert_eq!(signed(-3.65), "-$3.65");
        assert_eq!(signed(0.0), "$0.00");
        assert_eq!(money(0.3), "$0.30");
        assert_eq!(money(0.045), "$0.045");
        assert_eq!(money(1.0), "$1.00");
    }
}
