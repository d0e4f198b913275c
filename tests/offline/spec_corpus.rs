//! The bad-spec corpus: every `tests/bad-specs/*.toml` states, in its leading comments, the
//! diagnostics it must produce, and this test holds `agentfs` to them.
//!
//! Directives (comment lines at the top of the file, before the first non-comment line):
//!
//! - `# expect: CODE`: an error with this code must be reported.
//! - `# warn: CODE`: a warning with this code must be reported.
//! - `# field: PATH`, `# line: N` (1-based), `# message: TEXT`, `# help: TEXT`: narrow the
//!   expectation just above (field and line exactly; message and help as substrings).
//! - `# expect-valid`: the file must compile without any error.
//! - `# absent: CODE`: no diagnostic with this code may be reported.
//! - `# allow-warnings`: warnings not listed with `# warn:` are tolerated.
//! - `# var: NAME=VALUE`: compile as with `--var NAME=VALUE`.
//!
//! Each expectation is matched by its own diagnostic, so repeating `# expect: X` asks for two.
//! Errors that are not expected always fail, and so do unlisted warnings unless allowed.
//! Any other comment line is free text (the first one says what the file is about).

use std::path::PathBuf;

use agentfs::spec::{Located, Severity, SourceFile};

const MIN_FILES: usize = 34;

#[derive(Debug, Default, Clone)]
struct Expectation {
    severity: Option<Severity>,
    code: String,
    field: Option<String>,
    line: Option<usize>,
    message: Option<String>,
    help: Option<String>,
}

impl Expectation {
    fn matches(&self, d: &Located) -> bool {
        let diag = &d.diagnostic;
        Some(diag.severity) == self.severity
            && diag.code == self.code
            && self
                .field
                .as_ref()
                .is_none_or(|f| diag.field.as_deref() == Some(f.as_str()))
            && self.line.is_none_or(|l| d.line == Some(l))
            && self.message.as_ref().is_none_or(|m| diag.message.contains(m.as_str()))
            && self
                .help
                .as_ref()
                .is_none_or(|h| diag.help.as_deref().is_some_and(|help| help.contains(h.as_str())))
    }
}

impl std::fmt::Display for Expectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Some(Severity::Warning) => "warning",
            _ => "error",
        };
        write!(f, "{severity}[{}]", self.code)?;
        if let Some(field) = &self.field {
            write!(f, " field `{field}`")?;
        }
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(message) = &self.message {
            write!(f, " message ~ {message:?}")?;
        }
        if let Some(help) = &self.help {
            write!(f, " help ~ {help:?}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
struct Directives {
    expectations: Vec<Expectation>,
    valid: bool,
    absent: Vec<String>,
    allow_warnings: bool,
    vars: Vec<(String, String)>,
}

fn parse_directives(name: &str, text: &str) -> Result<Directives, String> {
    let mut d = Directives::default();
    for line in text.lines() {
        let Some(comment) = line.strip_prefix('#') else { break };
        let comment = comment.trim();
        let (key, value) = match comment.split_once(':') {
            Some((k, v)) if !k.contains(' ') => (k.trim(), v.trim()),
            _ => (comment, ""),
        };
        let last = d.expectations.last_mut();
        match (key, last) {
            ("expect", _) => d.expectations.push(Expectation {
                severity: Some(Severity::Error),
                code: value.to_string(),
                ..Expectation::default()
            }),
            ("warn", _) => d.expectations.push(Expectation {
                severity: Some(Severity::Warning),
                code: value.to_string(),
                ..Expectation::default()
            }),
            ("expect-valid", _) => d.valid = true,
            ("allow-warnings", _) => d.allow_warnings = true,
            ("absent", _) => d.absent.push(value.to_string()),
            ("var", _) => d
                .vars
                .push(agentfs::spec::vars::parse_assignment(value).map_err(|e| format!("{name}: {e}"))?),
            ("field", Some(e)) => e.field = Some(value.to_string()),
            ("line", Some(e)) => {
                e.line = Some(
                    value
                        .parse()
                        .map_err(|_| format!("{name}: `# line: {value}` is not a number"))?,
                )
            }
            ("message", Some(e)) => e.message = Some(value.to_string()),
            ("help", Some(e)) => e.help = Some(value.to_string()),
            ("field" | "line" | "message" | "help", None) => {
                return Err(format!(
                    "{name}: `# {key}:` must follow an `# expect:` or `# warn:` line"
                ));
            }
            _ => {}
        }
    }
    if d.expectations.is_empty() && !d.valid {
        return Err(format!(
            "{name}: no `# expect:`, `# warn:` or `# expect-valid` directive"
        ));
    }
    if d.valid && d.expectations.iter().any(|e| e.severity == Some(Severity::Error)) {
        return Err(format!("{name}: `# expect-valid` together with an expected error"));
    }
    Ok(d)
}

fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad-specs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = format!("tests/bad-specs/{}", p.file_name().unwrap().to_string_lossy());
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
            (name, text)
        })
        .collect()
}

/// Checks one file; returns what went wrong (empty when it behaves as its directives say).
fn check(name: &str, text: &str) -> Vec<String> {
    let directives = match parse_directives(name, text) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    let source = SourceFile::new(name, text);
    let inputs = agentfs::spec::vars::Inputs {
        cli: directives.vars.clone(),
        ..Default::default()
    };
    let (compiled, diagnostics) = agentfs::pipeline::compile_source_with(source.clone(), &inputs);
    let located: Vec<Located> = diagnostics.into_iter().map(|d| Located::new(&source, d)).collect();
    let has_errors = located.iter().any(|d| d.diagnostic.is_error());
    let mut problems = Vec::new();

    if has_errors == compiled.is_ok() {
        problems.push(format!(
            "compile_source returned {} but the diagnostics {} errors",
            if compiled.is_ok() { "Ok" } else { "Err" },
            if has_errors { "contain" } else { "have no" }
        ));
    }
    if directives.valid && compiled.is_err() {
        problems.push("expected the spec to compile, but it did not".into());
    }

    // Each expectation takes its own diagnostic; try the most specific expectations first.
    let mut used = vec![false; located.len()];
    let mut order: Vec<&Expectation> = directives.expectations.iter().collect();
    order.sort_by_key(|e| {
        std::cmp::Reverse(
            usize::from(e.field.is_some())
                + usize::from(e.line.is_some())
                + usize::from(e.message.is_some())
                + usize::from(e.help.is_some()),
        )
    });
    for expectation in order {
        match (0..located.len()).find(|&i| !used[i] && expectation.matches(&located[i])) {
            Some(i) => used[i] = true,
            None => problems.push(format!("missing {expectation}")),
        }
    }
    for (i, d) in located.iter().enumerate() {
        if used[i] {
            continue;
        }
        let listed = directives.expectations.iter().any(|e| e.code == d.diagnostic.code);
        match d.diagnostic.severity {
            Severity::Error if !listed => problems.push(format!("unexpected {d}")),
            Severity::Warning if !listed && !directives.allow_warnings => problems.push(format!(
                "unexpected {d} (list it with `# warn:` or add `# allow-warnings`)"
            )),
            _ => {}
        }
    }
    for code in &directives.absent {
        if let Some(d) = located.iter().find(|d| d.diagnostic.code == code.as_str()) {
            problems.push(format!("`{code}` must not be reported, got {d}"));
        }
    }
    if !problems.is_empty() {
        let all: Vec<String> = located.iter().map(|d| format!("    {d}")).collect();
        problems.push(format!("  all diagnostics:\n{}", all.join("\n")));
    }
    problems
}

#[test]
fn every_bad_spec_produces_the_diagnostics_it_states() {
    let files = corpus();
    assert!(
        files.len() >= MIN_FILES,
        "the corpus has {} files; it should have at least {MIN_FILES}",
        files.len()
    );
    let mut failures = Vec::new();
    for (name, text) in &files {
        let problems = check(name, text);
        if !problems.is_empty() {
            failures.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus files misbehave:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// The directives themselves: a file cannot silently expect nothing.
#[test]
fn directive_parser_rejects_files_without_expectations() {
    assert!(parse_directives("x", "# just a comment\n[stack]\n").is_err());
    assert!(parse_directives("x", "# field: a\n# expect: agentfs::x\n").is_err());
    let d = parse_directives(
        "x",
        "# about\n# expect: agentfs::a\n# line: 3\n# warn: agentfs::b\n# message: m: n\n[stack]\n# expect: ignored\n",
    )
    .unwrap();
    assert_eq!(d.expectations.len(), 2);
    assert_eq!(d.expectations[0].line, Some(3));
    assert_eq!(d.expectations[1].severity, Some(Severity::Warning));
    assert_eq!(d.expectations[1].message.as_deref(), Some("m: n"));
}

/// The corpus covers the checks the issue lists; losing a file for one of them fails here.
#[test]
fn corpus_covers_every_required_check() {
    let required = [
        "agentfs::mount_path",
        "agentfs::mount_path_duplicate",
        "agentfs::filesystem_count",
        "agentfs::runtime_name",
        "agentfs::bucket_name",
        "agentfs::role_name",
        "agentfs::tag",
        "agentfs::cidr_outside_vpc",
        "agentfs::cidr_overlap",
        "agentfs::cidr",
        "agentfs::runtime_network",
        "agentfs::mount_target_missing",
        "agentfs::mount_target_az",
        "agentfs::mount_target_vpc",
        "agentfs::lint::runtime_public_subnet",
        "agentfs::lint::runtime_no_egress",
        "agentfs::lint::runtime_no_s3_path",
        "agentfs::lint::nfs_blocked",
        "agentfs::lint::vpc_dns",
        "agentfs::dangling_reference",
        "agentfs::unknown_field",
        "agentfs::unknown_kind",
        "agentfs::syntax",
        "agentfs::missing_stack",
        "agentfs::missing_field",
        "agentfs::type",
        "agentfs::template",
        "agentfs::unknown_attribute",
        "agentfs::cycle",
        "agentfs::route_target",
        "agentfs::sg_rule",
        "agentfs::environment",
    ];
    let mut stated = std::collections::BTreeSet::new();
    let mut multi_error_file = false;
    for (name, text) in corpus() {
        let d = parse_directives(&name, &text).unwrap();
        let errors: std::collections::BTreeSet<&str> = d
            .expectations
            .iter()
            .filter(|e| e.severity == Some(Severity::Error))
            .map(|e| e.code.as_str())
            .collect();
        multi_error_file |= errors.len() >= 3;
        stated.extend(d.expectations.iter().map(|e| e.code.clone()));
    }
    let missing: Vec<&str> = required.iter().copied().filter(|c| !stated.contains(*c)).collect();
    assert!(missing.is_empty(), "no corpus file expects {missing:?}");
    assert!(multi_error_file, "no corpus file expects 3 distinct errors at once");
}
