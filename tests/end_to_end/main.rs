//! The suites that run the `agentfs` binary (or the engine) end to end against the emulator:
//! apply, drift, destroy, crashes, failed states, ownership, recover, team state, variables,
//! secrets, conversion, logs and the agent loop. Each test starts its own emulator
//! (`support::Emulator`), so the knobs a test turns (faults, holds, delays, resets) reach no
//! other test running beside it. One binary links the AWS SDK once for all of them; pick a
//! suite with a filter: `cargo test --test end_to_end crash:: -- --nocapture`.

#[path = "../support/mod.rs"]
mod support;

mod agent_loop;
mod brownfield;
mod cfn_corpus;
mod cli_ux;
mod convert;
mod crash;
mod create_before_destroy;
mod drift;
mod engine;
mod engine_lifecycle;
mod failure_states;
mod logs;
mod neighbours;
mod ownership;
mod ownership_engine;
mod recover;
mod runtime_endpoint;
mod secrets;
mod stack_ref;
mod state_changes;
mod team;
mod variables;
