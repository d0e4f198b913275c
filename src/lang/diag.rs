//! Diagnostics: what is wrong with a spec, where, and what would be right.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about a spec. `code` is stable and documented (tests match on it).
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// What would be right.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The field, e.g. `subnet.private_a.cidr_block`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip)]
    pub span: Option<Range<usize>>,
}

/// The most of a quoted value a diagnostic shows; a longer one is cut (see [`shorten_values`]).
pub const SHOWN_VALUE_MAX: usize = 200;

/// The most of unquoted text a diagnostic shows (prose and help run to a few hundred bytes).
const SHOWN_TEXT_MAX: usize = 2000;

/// `text` with every `quoted` value longer than [`SHOWN_VALUE_MAX`] bytes (and any other run
/// longer than [`SHOWN_TEXT_MAX`]) cut to its start and `… (N bytes)`: a spec field holding
/// megabytes must not come back in full on the terminal, in CI logs or in `--json`.
pub fn shorten_values(text: String) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let too_long = |i: usize, part: &str| part.len() > if i % 2 == 1 { SHOWN_VALUE_MAX } else { SHOWN_TEXT_MAX };
    if !parts.iter().enumerate().any(|(i, p)| too_long(i, p)) {
        return text;
    }
    let shown: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if !too_long(i, part) {
                return part.to_string();
            }
            let max = if i % 2 == 1 { SHOWN_VALUE_MAX } else { SHOWN_TEXT_MAX };
            let end = (0..=max).rev().find(|&at| part.is_char_boundary(at)).unwrap_or(0);
            format!("{}… ({} bytes)", &part[..end], part.len())
        })
        .collect();
    shown.join("`")
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: shorten_values(message.into()),
            help: None,
            field: None,
            span: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(shorten_values(help.into()));
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Diagnostic {
        self.field = Some(field.into());
        self
    }

    pub fn span(mut self, span: Option<Range<usize>>) -> Diagnostic {
        self.span = span;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A spec's text with its file name, for rendering diagnostics with line and column.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<str>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceFile {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

/// A diagnostic bound to its file, ready to print.
#[derive(Debug, Clone, Serialize)]
pub struct Located {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
}

impl Located {
    pub fn new(source: &SourceFile, diagnostic: Diagnostic) -> Located {
        let position = diagnostic.span.as_ref().map(|s| source.line_col(s.start));
        Located {
            file: source.name.clone(),
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
            diagnostic,
        }
    }
}

/// One line per diagnostic: `file:line:col: error[code]: message (field)`.
impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.diagnostic;
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}", self.file)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {severity}[{}]: {}", d.code, d.message)?;
        if let Some(field) = &d.field {
            write!(f, " (field `{field}`)")?;
        }
        if let Some(help) = &d.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Renders a diagnostic as a source snippet with a label under the offending text. A snippet
/// would show the offending lines in full, so a span longer than [`SHOWN_TEXT_MAX`] is shown
/// as the one-line form instead.
pub fn render_snippet(source: &SourceFile, diagnostic: &Diagnostic) -> String {
    let lines_of_span = diagnostic.span.as_ref().map(|span| {
        let start = source.text[..span.start.min(source.text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let end = source.text[span.end.min(source.text.len())..]
            .find('\n')
            .map_or(source.text.len(), |i| span.end.min(source.text.len()) + i);
        end.saturating_sub(start)
    });
    if lines_of_span.is_some_and(|len| len > SHOWN_TEXT_MAX) {
        return Located::new(source, diagnostic.clone()).to_string();
    }
    let severity = match diagnostic.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    };
    let mut builder = miette::MietteDiagnostic::new(diagnostic.message.clone())
        .with_code(diagnostic.code)
        .with_severity(severity);
    if let Some(help) = &diagnostic.help {
        builder = builder.with_help(help.clone());
    }
    if let Some(span) = &diagnostic.span {
        let label = diagnostic.field.clone().unwrap_or_else(|| "here".into());
        builder = builder.with_label(LabeledSpan::at(span.clone(), label));
    }
    let report = miette::Report::new(builder).with_source_code(NamedSource::new(&source.name, source.text.to_string()));
    let mut out = String::new();
    let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = Located::new(source, diagnostic.clone()).to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let source = SourceFile::new("s.toml", "a = 1\nbé = 2\n");
        assert_eq!(source.line_col(0), (1, 1));
        assert_eq!(source.line_col(6), (2, 1));
        assert_eq!(source.line_col(9), (2, 3));
    }

    #[test]
    fn located_line_names_file_position_code_and_field() {
        let source = SourceFile::new("s.toml", "x = 1\ny = 2\n");
        let d = Diagnostic::error("agentfs::test", "bad y")
            .field("y")
            .help("use 3")
            .span(Some(6..7));
        let text = Located::new(&source, d.clone()).to_string();
        assert_eq!(
            text,
            "s.toml:2:1: error[agentfs::test]: bad y (field `y`)\n  help: use 3"
        );
        let snippet = render_snippet(&source, &d);
        assert!(snippet.contains("bad y") && snippet.contains("y = 2"), "{snippet}");
    }

    #[test]
    fn huge_values_are_cut_with_their_size() {
        let value = "é".repeat(300_000);
        let source = SourceFile::new("s.toml", format!("name = \"{value}\"\n"));
        let d = Diagnostic::error("agentfs::test", format!("`{value}` is not a name"))
            .help(format!("3 to 63 characters, not `{value}`"))
            .span(Some(8..8 + value.len()));
        assert!(
            d.message.ends_with("… (600000 bytes)` is not a name"),
            "{}",
            &d.message[..300]
        );
        assert!(d.message.len() < SHOWN_VALUE_MAX + 40, "{}", d.message.len());
        assert!(d.help.as_ref().unwrap().contains("… (600000 bytes)`"));
        let shown = Located::new(&source, d.clone()).to_string();
        assert!(shown.len() < 1000, "{}", shown.len());
        assert!(render_snippet(&source, &d).len() < 1000);
        let short = Diagnostic::error("agentfs::test", "`abc` is short");
        assert_eq!(short.message, "`abc` is short");
    }
}
