//! Where each key path of a spec file sits, so that diagnostics found after parsing (by a
//! kind's checks, the validator, the graph) can point at their field.

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::DeValue;

/// Byte spans of every key path in the file (`subnet.a.cidr_block`, `x.ingress[0].from_port`).
#[derive(Debug, Clone, Default)]
pub struct SpanIndex {
    values: HashMap<String, Range<usize>>,
    keys: HashMap<String, Range<usize>>,
}

impl SpanIndex {
    /// Span of the value at `path`, falling back to its nearest parent that exists.
    pub fn value(&self, path: &str) -> Option<Range<usize>> {
        let mut path = path;
        loop {
            if let Some(span) = self.values.get(path) {
                return Some(span.clone());
            }
            let cut = path.rfind(['.', '['])?;
            path = &path[..cut];
        }
    }

    /// Span of the key at `path` (a table header or `key =`), else of its value.
    pub fn key(&self, path: &str) -> Option<Range<usize>> {
        self.keys.get(path).cloned().or_else(|| self.value(path))
    }

    /// Records a top-level key of the document (`key` at `key_span`) and everything under it.
    pub fn index_top_level(&mut self, key: &str, key_span: Range<usize>, value: &Spanned<DeValue<'_>>) {
        self.keys.insert(key.to_string(), key_span);
        self.index(key, value);
    }

    fn index(&mut self, path: &str, value: &Spanned<DeValue<'_>>) {
        self.values.insert(path.to_string(), value.span());
        match value.get_ref() {
            DeValue::Table(table) => {
                for (key, child) in table.iter() {
                    let child_path = join(path, key.get_ref());
                    self.keys.insert(child_path.clone(), key.span());
                    self.index(&child_path, child);
                }
            }
            DeValue::Array(array) => {
                for (i, child) in array.iter().enumerate() {
                    self.index(&format!("{path}[{i}]"), child);
                }
            }
            _ => {}
        }
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}
