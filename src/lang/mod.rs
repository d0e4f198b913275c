//! The spec language every kind is written in: diagnostics located in the file, resource kinds
//! and addresses, what a kind's configuration tells the loader ([`kind::KindSpec`]), API maps,
//! AWS's naming rules, templates and variables. It knows no kind: the kinds in `resources`
//! build on it, and the loader in `spec` parses and checks a file with both.

pub mod addr;
pub mod api;
pub mod cfn;
pub mod diag;
pub mod existing;
pub mod facts;
pub mod kind;
pub mod model;
pub mod rules;
pub mod spans;
pub mod stack_ref;
pub(crate) mod syntax;
pub mod template;
pub mod vars;

pub use addr::{Addr, Group, Kind};
pub use diag::{Diagnostic, Located, Severity, SourceFile};
pub use model::{Lifecycle, OutputSpec, StackSettings};
pub use spans::SpanIndex;

/// The closest candidate to a misspelt word, if it is close enough to be a likely typo.
pub fn suggest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_only_for_near_misses() {
        assert_eq!(suggest("cidr", ["cidr_block", "tags"]), Some("cidr_block"));
        assert_eq!(suggest("zzz", ["cidr_block", "tags"]), None);
    }
}
