//! CloudFormation YAML (or JSON, which YAML reads too) as a tree that keeps each node's line and
//! turns the short-form tags (`!Ref x`, `!GetAtt a.b`, `!Sub ...`) into their long forms.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::ConvertError;

/// A template node and the (1-based) line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// In template order.
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses a template's text.
pub fn load(text: &str) -> Result<Node, ConvertError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| ConvertError {
        line: e.marker().line(),
        message: format!("not YAML or JSON: {e}"),
    })?;
    if let Some(error) = builder.error {
        return Err(error);
    }
    builder.done.ok_or(ConvertError {
        line: 1,
        message: "the template is empty".into(),
    })
}

enum Open {
    Seq(usize, Option<Tag>, Vec<Node>),
    /// The pending key and its line.
    Map(usize, Option<Tag>, Vec<(String, Node)>, Option<(String, usize)>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    done: Option<Node>,
    error: Option<ConvertError>,
}

impl Builder {
    fn push(&mut self, node: Node) {
        match self.stack.last_mut() {
            Some(Open::Seq(_, _, items)) => items.push(node),
            Some(Open::Map(_, _, entries, key)) => match key.take() {
                // A nested map or list is placed at its key's line, where an error about it
                // points the reader (its own first line is that of its first entry).
                Some((k, line)) => {
                    let mut node = node;
                    if matches!(node.value, Value::Map(_) | Value::Seq(_)) {
                        node.line = node.line.min(line);
                    }
                    entries.push((k, node))
                }
                None => match node.value {
                    Value::Str(k) => *key = Some((k, node.line)),
                    Value::Int(i) => *key = Some((i.to_string(), node.line)),
                    Value::Bool(b) => *key = Some((b.to_string(), node.line)),
                    _ => {
                        self.error.get_or_insert(ConvertError {
                            line: node.line,
                            message: "mapping keys must be plain strings".into(),
                        });
                        *key = Some((String::new(), node.line));
                    }
                },
            },
            None => self.done = Some(node),
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let line = mark.line();
        match event {
            Event::Scalar(text, style, _, tag) => {
                let value = scalar(text, style);
                let node = Node { line, value };
                let node = self.tagged(tag, node);
                self.push(node);
            }
            Event::SequenceStart(_, tag) => self.stack.push(Open::Seq(line, tag, Vec::new())),
            Event::MappingStart(_, tag) => self.stack.push(Open::Map(line, tag, Vec::new(), None)),
            Event::SequenceEnd => {
                if let Some(Open::Seq(line, tag, items)) = self.stack.pop() {
                    let node = self.tagged(
                        tag,
                        Node {
                            line,
                            value: Value::Seq(items),
                        },
                    );
                    self.push(node);
                }
            }
            Event::MappingEnd => {
                if let Some(Open::Map(line, tag, entries, _)) = self.stack.pop() {
                    let node = self.tagged(
                        tag,
                        Node {
                            line,
                            value: Value::Map(entries),
                        },
                    );
                    self.push(node);
                }
            }
            Event::Alias(_) => {
                self.error.get_or_insert(ConvertError {
                    line,
                    message: "YAML aliases are not supported in templates".into(),
                });
            }
            _ => {}
        }
    }
}

impl Builder {
    /// `!Ref x` -> `{Ref: x}`, `!GetAtt a.b` -> `{Fn::GetAtt: [a, b]}`, `!Sub s` -> `{Fn::Sub: s}`.
    fn tagged(&mut self, tag: Option<Tag>, node: Node) -> Node {
        let Some(tag) = tag else { return node };
        if tag.handle != "!" {
            return node; // `!!str` and friends: the plain value
        }
        let line = node.line;
        let (key, value) = match tag.suffix.as_str() {
            "Ref" => ("Ref".to_string(), node),
            "Condition" => ("Condition".to_string(), node),
            "GetAtt" => match &node.value {
                Value::Str(s) => {
                    let (resource, attribute) = s.split_once('.').unwrap_or((s, ""));
                    let part = |t: &str| Node {
                        line,
                        value: Value::Str(t.to_string()),
                    };
                    (
                        "Fn::GetAtt".into(),
                        Node {
                            line,
                            value: Value::Seq(vec![part(resource), part(attribute)]),
                        },
                    )
                }
                _ => ("Fn::GetAtt".into(), node),
            },
            other => (format!("Fn::{other}"), node),
        };
        Node {
            line,
            value: Value::Map(vec![(key, value)]),
        }
    }
}

fn scalar(text: String, style: TScalarStyle) -> Value {
    if style != TScalarStyle::Plain {
        return Value::Str(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => {
            if let Ok(i) = text.parse::<i64>() {
                Value::Int(i)
            } else if let Ok(f) = text.parse::<f64>()
                && text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-')
            {
                Value::Float(f)
            } else {
                Value::Str(text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tags_become_long_forms_with_lines() {
        let node = load("A:\n  B: !Ref Vpc\n  C: !GetAtt Bucket.Arn\n").unwrap();
        let a = node.get("A").unwrap();
        let b = a.get("B").unwrap();
        assert_eq!(b.line, 2);
        assert_eq!(b.get("Ref").unwrap().as_str(), Some("Vpc"));
        let c = a.get("C").unwrap().get("Fn::GetAtt").unwrap();
        assert!(matches!(&c.value, Value::Seq(items) if items.len() == 2));
    }

    #[test]
    fn json_reads_too() {
        let node = load("{\"A\": {\"Ref\": \"X\"}, \"N\": 5}").unwrap();
        assert_eq!(node.get("N").unwrap().value, Value::Int(5));
    }
}
