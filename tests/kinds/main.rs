//! The suites that prove each kind against real SDK calls: the resource contract every kind
//! passes, the kinds' create/read/update/delete, find and drift reads, and the emulator's own
//! smoke test. Each test starts its own emulator (`support::Emulator`), so the knobs a test
//! turns (faults, delays, resets) reach no other test running beside it. One binary links the
//! AWS SDK once for all of them; pick a suite with a filter: `cargo test --test kinds contract::`.

#[path = "../support/mod.rs"]
mod support;

mod contract;
mod drift_reads_ec2;
mod drift_reads_storage;
mod emulator_smoke;
mod find_ec2;
mod find_storage;
mod resources_ec2;
mod resources_storage;
