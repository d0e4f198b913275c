//! agentfs: declarative provisioning of AI agent stacks on AWS with a real file system.
//!
//! The pipeline reads one way: `spec` (parse, check) -> `graph` (order) -> `plan`
//! (desired vs recorded vs live) -> `apply` (execute) -> `state` (record).

// `println!`/`eprintln!` panic when their stream is closed; use `out!`/`outln!`/`errln!`.
#![warn(clippy::print_stdout, clippy::print_stderr)]

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

/// `eprintln!` that never panics. Stderr carries diagnostics and progress; when it is closed
/// (`2>&-`, a reader that went away) the command must still finish and record state, so a
/// failed write is dropped instead of aborting an apply half way.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::write_err(format_args!($($arg)*))
    };
}

#[doc(hidden)]
pub fn write_err(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    // Nowhere to report a failure to report.
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}
