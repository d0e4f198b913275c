//! The suites that need no emulator: the spec language and its corpus, the checks, the CLI's
//! offline commands, conversion-free examples, the schema, the API models, and the bounded
//! fuzzing of parse + validate + graph + plan (`properties`, whose case count
//! `PROPTEST_CASES` sets). One binary links the AWS SDK once for all of them; pick a suite
//! with a filter: `cargo test --test offline spec_corpus::`.

mod api_models;
mod cfn_schema;
mod check;
mod cli;
mod create_only;
mod examples;
mod init;
mod properties;
mod schema;
mod spec_corpus;
mod vendoring;
