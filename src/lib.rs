//! agentfs: declarative provisioning of AI agent stacks on AWS with a real file system.
//!
//! The pipeline reads one way: `spec` (parse, check) -> `graph` (order) -> `plan`
//! (desired vs recorded vs live) -> `apply` (execute) -> `state` (record).

pub mod apply;
pub mod check;
pub mod cli;
pub mod commands;
pub mod convert;
pub mod cost;
pub mod drift;
pub mod graph;
pub mod pipeline;
pub mod plan;
pub mod provider;
pub mod recover;
pub mod resources;
pub mod spec;
pub mod state;
