#![warn(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;

use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::prelude::*;

fn main() -> std::process::ExitCode {
    init_logging();
    agentfs::commands::main()
}

/// Diagnostic logs on stderr when `RUST_LOG` is set (e.g. `RUST_LOG=debug`); nothing otherwise.
///
/// Other crates' TRACE events are always dropped, whatever `RUST_LOG` asks: at that level the
/// AWS SDK dumps requests, responses, deserialized outputs and its config bag (today it redacts
/// the signature, the session token and bodies, but prints the access key id), and hyper logs
/// the wire. Their DEBUG events stay, except the SDK's endpoint resolution, which prints the
/// whole config bag too. tests/end_to_end/secrets.rs checks this with RUST_LOG=trace.
fn init_logging() {
    let Ok(filter) = EnvFilter::try_from_default_env() else {
        return;
    };
    let no_wire = filter_fn(|meta| {
        let target = meta.target();
        let limit = match target {
            t if t.starts_with("agentfs") => tracing::Level::TRACE,
            "aws_smithy_runtime::client::orchestrator::endpoints" => tracing::Level::INFO,
            _ => tracing::Level::DEBUG,
        };
        *meta.level() <= limit
    });
    tracing_subscriber::registry()
        .with(no_wire)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_filter(filter),
        )
        .init();
}
