//! TOML syntax errors made useful: which key or table is duplicated and where it was first
//! defined, with the cascade that a duplicated table causes folded into one error.

use std::ops::Range;

use super::diag::Diagnostic;

/// One diagnostic per syntax error the user has to fix.
pub fn diagnostics(text: &str, errors: &[toml::de::Error]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Header lines of tables already reported as duplicated: the keys inside them collide with
    // the first table's keys, which is the same mistake again.
    let mut duplicated_tables: Vec<usize> = Vec::new();
    for error in errors {
        let message = error.message().trim();
        let Some(span) = error.span().filter(|_| message == "duplicate key") else {
            out.push(Diagnostic::error("agentfs::syntax", message.to_string()).span(error.span()));
            continue;
        };
        let lines = Lines::new(text);
        let line = lines.index_of(span.start);
        if let Some(name) = lines.header(line) {
            duplicated_tables.push(line);
            let first = (0..line).find(|&l| lines.header(l).as_deref() == Some(name.as_str()));
            let mut diagnostic =
                Diagnostic::error("agentfs::duplicate_table", format!("table `[{name}]` is defined twice"))
                    .field(name.clone())
                    .span(Some(lines.range(line)));
            diagnostic = match first {
                Some(l) => diagnostic.help(format!(
                    "first defined at line {}; merge the two tables, or give one of them another name",
                    l + 1
                )),
                None => diagnostic.help("a table may be defined once; merge the definitions"),
            };
            out.push(diagnostic);
            continue;
        }
        let table_line = (0..line).rev().find(|&l| lines.header(l).is_some());
        if table_line.is_some_and(|l| duplicated_tables.contains(&l)) {
            continue;
        }
        let key = key_text(&text[span.clone()]);
        let table = table_line.and_then(|l| lines.header(l));
        let section_start = table_line.map_or(0, |l| l + 1);
        let first = (section_start..line).find(|&l| defines(lines.text(l), &key));
        let place = table
            .as_ref()
            .map_or("at the top level".to_string(), |t| format!("in `[{t}]`"));
        let mut diagnostic = Diagnostic::error("agentfs::duplicate_key", format!("key `{key}` is set twice {place}"))
            .field(table.map_or(key.clone(), |t| format!("{t}.{key}")))
            .span(Some(span));
        if let Some(l) = first {
            diagnostic = diagnostic.help(format!("first set at line {}; keep one of the two", l + 1));
        }
        out.push(diagnostic);
    }
    out
}

/// The key named by an error span: the text before any `=`, without quotes around it.
fn key_text(spanned: &str) -> String {
    let key = spanned.split('=').next().unwrap_or(spanned).trim();
    key.trim_matches(|c| c == '"' || c == '\'').to_string()
}

/// Whether a line sets `key` (plain, quoted, or as the first part of a dotted key).
fn defines(line: &str, key: &str) -> bool {
    let line = line.trim_start();
    [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
        .iter()
        .any(|k| {
            line.strip_prefix(k.as_str())
                .is_some_and(|rest| matches!(rest.trim_start().chars().next(), Some('=' | '.')))
        })
}

/// The file's lines with their byte ranges.
struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    fn index_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).saturating_sub(1)
    }

    fn range(&self, line: usize) -> Range<usize> {
        let start = self.starts.get(line).copied().unwrap_or(self.text.len());
        let end = self.starts.get(line + 1).map_or(self.text.len(), |next| next - 1);
        start..end.max(start)
    }

    fn text(&self, line: usize) -> &'t str {
        &self.text[self.range(line)]
    }

    /// The name of the table a `[header]` line opens, spaces removed; `None` for other lines
    /// and for array-of-tables headers, which may repeat.
    fn header(&self, line: usize) -> Option<String> {
        let code = self.text(line).split('#').next().unwrap_or_default().trim();
        if code.starts_with("[[") {
            return None;
        }
        let name = code.strip_prefix('[')?.strip_suffix(']')?;
        Some(name.split('.').map(str::trim).collect::<Vec<_>>().join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Vec<Diagnostic> {
        let (_, errors) = toml::de::DeTable::parse_recoverable(text);
        diagnostics(text, &errors)
    }

    #[test]
    fn a_duplicate_key_names_the_key_its_table_and_its_first_line() {
        let d = check("[stack]\nname = \"a\"\n\n[vpc.main]\ncidr = \"x\"\ncidr = \"y\"\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].message, "key `cidr` is set twice in `[vpc.main]`");
        assert_eq!(d[0].field.as_deref(), Some("vpc.main.cidr"));
        assert!(d[0].help.as_deref().unwrap().contains("line 5"), "{:?}", d[0].help);
    }

    #[test]
    fn a_duplicated_table_is_one_error_pointing_at_the_first() {
        let d = check("[vpc.main]\ncidr = \"x\"\ntags = {}\n\n[ vpc . main ]\ncidr = \"y\"\ntags = {}\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, "agentfs::duplicate_table");
        assert_eq!(d[0].message, "table `[vpc.main]` is defined twice");
        assert!(d[0].help.as_deref().unwrap().contains("line 1"), "{:?}", d[0].help);
    }

    #[test]
    fn other_syntax_errors_keep_the_parser_message() {
        let d = check("[stack\nname = 1\n");
        assert!(!d.is_empty());
        assert!(d.iter().all(|d| d.code == "agentfs::syntax"));
    }
}
