//! Offline checks derived from the AWS API models. Each kind declares, in its own file, which
//! spec field becomes which API member (`service`, `Shape$member` as botocore names them) and
//! what that member accepts; this module enforces those declarations before any call, and
//! `tests/offline/api_models.rs` proves every declaration equal to the model botocore ships.
//!
//! Patterns are written exactly as the model writes them (Java regular expressions, matched
//! against the whole value) and translated here for the `regex` crate; see [`translate`].

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use regex::Regex;

use super::addr::Addr;
use super::diag::Diagnostic;
use super::model::StackSettings;
use super::spans::SpanIndex;
use super::template::Template;

/// What an API member accepts. Lengths count characters of a string, or items of a list or
/// map; `min`/`max` bound a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub min_len: Option<usize>,
    pub max_len: Option<usize>,
    /// The model's pattern, verbatim.
    pub pattern: Option<&'static str>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub one_of: &'static [&'static str],
}

impl Limits {
    pub const NONE: Limits = Limits {
        min_len: None,
        max_len: None,
        pattern: None,
        min: None,
        max: None,
        one_of: &[],
    };

    /// A string, list or map of `min..=max` characters or items.
    pub const fn len(min: usize, max: usize) -> Limits {
        Limits {
            min_len: Some(min),
            max_len: Some(max),
            ..Limits::NONE
        }
    }

    pub const fn pattern(self, pattern: &'static str) -> Limits {
        Limits {
            pattern: Some(pattern),
            ..self
        }
    }

    pub const fn range(min: f64, max: Option<f64>) -> Limits {
        Limits {
            min: Some(min),
            max,
            ..Limits::NONE
        }
    }

    pub const fn one_of(values: &'static [&'static str]) -> Limits {
        Limits {
            one_of: values,
            ..Limits::NONE
        }
    }

    /// Whether AWS refuses the whole string `text` under these limits.
    pub fn refuses(&self, text: &str) -> bool {
        !problems(self, &Value::Text { text, complete: true }).is_empty()
    }

    /// The numeric range, for members whose bounds are whole numbers (unbounded ends open).
    pub fn whole_range(&self) -> std::ops::RangeInclusive<i64> {
        // The models' bounds on integer members are whole numbers; f64 holds them exactly.
        self.min.map_or(i64::MIN, |m| m as i64)..=self.max.map_or(i64::MAX, |m| m as i64)
    }
}

/// Where a declared constraint comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The member's shape in the botocore model carries the constraint.
    Model,
    /// The model is silent (EC2, S3 declare no lengths); the user guide documents it at this URL.
    Documented(&'static str),
    /// The field names another resource; AWS fills in its id, which agentfs never checks offline.
    Reference,
}

/// One spec field that becomes one API member.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ApiField {
    /// Path in the spec: `.` between fields, `[]` for every item of a list, `{}` for every
    /// value of a map and `{key}` for every key (`filesystem[].mount_path`, `tags{key}`).
    pub field: &'static str,
    /// The botocore service (`bedrock-agentcore-control`, `s3files`, `ec2`, ...).
    pub service: &'static str,
    /// `Shape$member`; for lists `Shape$member` names the item, for maps `Shape$key` / `Shape$value`.
    pub member: &'static str,
    pub limits: Limits,
    pub source: Source,
}

impl ApiField {
    pub const fn model(field: &'static str, service: &'static str, member: &'static str, limits: Limits) -> ApiField {
        ApiField {
            field,
            service,
            member,
            limits,
            source: Source::Model,
        }
    }

    pub const fn documented(
        field: &'static str,
        service: &'static str,
        member: &'static str,
        limits: Limits,
        url: &'static str,
    ) -> ApiField {
        ApiField {
            field,
            service,
            member,
            limits,
            source: Source::Documented(url),
        }
    }

    pub const fn reference(field: &'static str, service: &'static str, member: &'static str) -> ApiField {
        ApiField {
            field,
            service,
            member,
            limits: Limits::NONE,
            source: Source::Reference,
        }
    }
}

/// What a kind declares about its fields and the API.
#[derive(Debug, Clone, Copy)]
pub struct ApiMap {
    pub fields: &'static [ApiField],
    /// The service's tag key and value rules, for kinds AWS tags (see `resources::tags`).
    pub tags: &'static [ApiField],
    /// Top-level fields that reach no API member as they are (agentfs-only switches, or
    /// fields turned into something else, such as a policy document serialised to JSON).
    pub not_sent: &'static [&'static str],
}

impl ApiMap {
    pub const EMPTY: ApiMap = ApiMap {
        fields: &[],
        tags: &[],
        not_sent: &[],
    };

    /// The limits declared for `field`, so a kind's own checks word them without restating
    /// them (none when the field is not mapped).
    pub fn limits(&self, field: &str) -> &'static Limits {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map_or(&Limits::NONE, |f| &f.limits)
    }
}

/// A Java pattern as the `regex` crate can run it: an anchored regex, plus a prefix that must
/// not match (Java's leading negative lookahead).
#[derive(Debug, Clone)]
pub struct Pattern {
    accept: Regex,
    reject_prefix: Option<Regex>,
}

impl Pattern {
    pub fn is_match(&self, text: &str) -> bool {
        self.accept.is_match(text) && !self.reject_prefix.as_ref().is_some_and(|r| r.is_match(text))
    }

    /// The translated expression of the accepted values (`regex` syntax), for tools that
    /// build values from it; [`Pattern::is_match`] stays the judge.
    pub fn regex(&self) -> &str {
        self.accept.as_str()
    }
}

/// Translates a botocore (Java) pattern. The constructs that differ, and what they become:
/// - the whole value must match (Java `matches()`): wrapped in `^(?:...)$`;
/// - `\d`, `\s` and `\w` are ASCII in Java, Unicode in `regex`: `[0-9]`, `[\t\n\x0B\f\r ]`
///   and `[a-zA-Z0-9_]`;
/// - `\uXXXX` escapes: `\x{XXXX}`;
/// - a leading negative lookahead `^(?!X)` (EFS tag keys): a separate prefix that must not match;
/// - `(?!\.)+[^C]+` (a path segment not starting with a dot, S3 Files and EFS root paths):
///   `[^C.][^C]*`.
///
/// Any other lookaround is refused rather than guessed.
pub fn translate(java: &str) -> Result<Pattern, String> {
    let mut body = java.strip_prefix('^').unwrap_or(java);
    body = body.strip_suffix('$').unwrap_or(body);
    let mut reject_prefix = None;
    if let Some(rest) = body.strip_prefix("(?!") {
        let end = closing_paren(rest).ok_or_else(|| format!("unbalanced lookahead in `{java}`"))?;
        reject_prefix = Some(compile(&format!("^(?:{})", escapes(&rest[..end])))?);
        body = &rest[end + 1..];
    }
    let mut text = escapes(body);
    while let Some(at) = text.find(r"(?!\.)+[^") {
        let class_start = at + r"(?!\.)+".len();
        let class_end = text[class_start..]
            .find("]+")
            .map(|e| class_start + e)
            .ok_or_else(|| format!("unsupported lookahead in `{java}`"))?;
        let class = &text[class_start + 2..class_end];
        let replaced = format!("[^{class}.][^{class}]*");
        text.replace_range(at..class_end + 2, &replaced);
    }
    if text.contains("(?=") || text.contains("(?!") || text.contains("(?<") {
        return Err(format!("unsupported lookaround in `{java}`"));
    }
    Ok(Pattern {
        accept: compile(&format!("^(?:{text})$"))?,
        reject_prefix,
    })
}

fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| e.to_string())
}

fn closing_paren(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Java's ASCII `\d`, `\s` and its `\uXXXX` escapes, in `regex` syntax.
fn escapes(java: &str) -> String {
    const DIGITS: &str = "0-9";
    const SPACES: &str = r"\t\n\x0B\x0C\r ";
    const WORD: &str = "a-zA-Z0-9_";
    let mut out = String::with_capacity(java.len());
    let mut in_class = false;
    let mut chars = java.chars();
    while let Some(c) = chars.next() {
        let class = match c {
            '\\' => match chars.next() {
                Some('d') => Some(DIGITS),
                Some('s') => Some(SPACES),
                Some('w') => Some(WORD),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push_str(&format!("\\x{{{hex}}}"));
                    None
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                    None
                }
                None => {
                    out.push('\\');
                    None
                }
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                None
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
                None
            }
            _ => {
                out.push(c);
                None
            }
        };
        if let Some(class) = class {
            if in_class {
                out.push_str(class);
            } else {
                out.push('[');
                out.push_str(class);
                out.push(']');
            }
        }
    }
    out
}

/// Translated patterns, compiled once per pattern.
static PATTERNS: LazyLock<Mutex<HashMap<&'static str, Result<Pattern, String>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn pattern(java: &'static str) -> Result<Pattern, String> {
    let mut cache = PATTERNS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    cache.entry(java).or_insert_with(|| translate(java)).clone()
}

/// A value the check can judge: a string (with what is unknown offline stood in), a number,
/// or the size of a list or map.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Text { text: &'a str, complete: bool },
    Number(f64),
    Count(usize),
}

/// Why a value breaks a member's limits, phrased as what AWS accepts.
pub fn problems(limits: &Limits, value: &Value<'_>) -> Vec<String> {
    let mut out = Vec::new();
    match value {
        Value::Text { text, complete } => {
            let len = text.chars().count();
            if *complete && let Some(min) = limits.min_len.filter(|m| len < *m) {
                out.push(format!("at least {min} characters (this is {len})"));
            }
            if let Some(max) = limits.max_len.filter(|m| len > *m) {
                out.push(format!("at most {max} characters (this is {len})"));
            }
            if *complete && let Some(java) = limits.pattern {
                match pattern(java) {
                    Ok(p) if p.is_match(text) => {}
                    Ok(_) => out.push(format!("a value matching `{java}`")),
                    Err(e) => out.push(format!("a value matching `{java}` (agentfs cannot run it: {e})")),
                }
            }
            if *complete && !limits.one_of.is_empty() && !limits.one_of.contains(text) {
                let list: Vec<String> = limits.one_of.iter().map(|v| format!("`{v}`")).collect();
                out.push(format!("one of {}", list.join(", ")));
            }
        }
        Value::Number(n) => {
            if let Some(min) = limits.min.filter(|m| n < m) {
                out.push(format!("at least {min}"));
            }
            if let Some(max) = limits.max.filter(|m| n > m) {
                out.push(format!("at most {max}"));
            }
        }
        Value::Count(count) => {
            // An empty list or map is left out of the request, so only a non-empty one can be too short.
            if let Some(min) = limits.min_len.filter(|m| *count > 0 && count < m) {
                out.push(format!("at least {min} items (this has {count})"));
            }
            if let Some(max) = limits.max_len.filter(|m| count > m) {
                out.push(format!("at most {max} items (this has {count})"));
            }
        }
    }
    out
}

/// One value found at a declared path.
pub struct Located<'a> {
    /// The concrete path (`filesystem[0].mount_path`, `tags.team`).
    pub path: String,
    /// Whether the value is a map key (its span is the key's).
    pub key: bool,
    pub value: Located2<'a>,
}

/// The JSON found, or a map key.
pub enum Located2<'a> {
    Json(&'a serde_json::Value),
    Key(&'a str),
}

/// Every value of `json` the declared `path` names.
pub fn locate<'a>(json: &'a serde_json::Value, path: &str) -> Vec<Located<'a>> {
    let mut found = vec![Located {
        path: String::new(),
        key: false,
        value: Located2::Json(json),
    }];
    for segment in path.split('.') {
        let (name, suffix) = match segment.find(['[', '{']) {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        let mut next = Vec::new();
        for item in found {
            let Located2::Json(value) = item.value else { continue };
            let Some(child) = value.get(name) else { continue };
            let base = join(&item.path, name);
            match (suffix, child) {
                ("", _) => next.push(Located {
                    path: base,
                    key: false,
                    value: Located2::Json(child),
                }),
                ("[]", serde_json::Value::Array(items)) => {
                    next.extend(items.iter().enumerate().map(|(i, v)| Located {
                        path: format!("{base}[{i}]"),
                        key: false,
                        value: Located2::Json(v),
                    }));
                }
                ("{}", serde_json::Value::Object(map)) => {
                    next.extend(map.iter().map(|(k, v)| Located {
                        path: format!("{base}.{k}"),
                        key: false,
                        value: Located2::Json(v),
                    }));
                }
                ("{key}", serde_json::Value::Object(map)) => {
                    next.extend(map.keys().map(|k| Located {
                        path: format!("{base}.{k}"),
                        key: true,
                        value: Located2::Key(k),
                    }));
                }
                _ => {}
            }
        }
        found = next;
    }
    found
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// The value as the check judges it; `None` when the field is absent or carries no limit.
fn judged<'a>(value: &'a Located2<'a>, stack: &StackSettings, rendered: &'a mut Option<String>) -> Option<Value<'a>> {
    match value {
        Located2::Key(k) => Some(Value::Text {
            text: k,
            complete: true,
        }),
        Located2::Json(serde_json::Value::String(text)) => {
            let template = Template::parse(text).ok()?;
            // Attributes of other resources are unknown offline: the stand-in is a lower bound
            // of the length, and nothing can be said about the pattern.
            let complete = template.attr_refs().next().is_none();
            *rendered = super::kind::sample_render(text, stack);
            Some(Value::Text {
                text: rendered.as_deref()?,
                complete,
            })
        }
        Located2::Json(serde_json::Value::Number(n)) => n.as_f64().map(Value::Number),
        Located2::Json(serde_json::Value::Array(items)) => Some(Value::Count(items.len())),
        Located2::Json(serde_json::Value::Object(map)) => Some(Value::Count(map.len())),
        Located2::Json(_) => None,
    }
}

/// Checks one resource's fields against its kind's declared API members.
pub fn check_resource(
    addr: &Addr,
    json: &serde_json::Value,
    map: &ApiMap,
    stack: &StackSettings,
    spans: &SpanIndex,
    out: &mut Vec<Diagnostic>,
) {
    for field in map.fields.iter().chain(map.tags) {
        if field.source == Source::Reference {
            continue;
        }
        for found in locate(json, field.field) {
            let mut rendered = None;
            let Some(value) = judged(&found.value, stack, &mut rendered) else {
                continue;
            };
            let problems = problems(&field.limits, &value);
            if problems.is_empty() {
                continue;
            }
            let path = format!("{addr}.{}", found.path);
            let span = if found.key {
                spans.key(&path)
            } else {
                spans.value(&path)
            };
            out.push(diagnostic(field, &path, span, &problems));
        }
    }
}

/// Checks the stack-wide tags against the tag rules of every service the stack's kinds use
/// (a stack tag goes to every resource).
pub fn check_stack_tags<'m>(
    tags: &super::kind::Tags,
    maps: impl IntoIterator<Item = &'m ApiMap>,
    stack: &StackSettings,
    spans: &SpanIndex,
    out: &mut Vec<Diagnostic>,
) {
    let json = serde_json::json!({ "tags": tags });
    let mut seen = std::collections::HashSet::new();
    for map in maps {
        for field in map.tags {
            if !seen.insert((field.service, field.member)) {
                continue;
            }
            for found in locate(&json, field.field) {
                let mut rendered = None;
                let Some(value) = judged(&found.value, stack, &mut rendered) else {
                    continue;
                };
                let problems = problems(&field.limits, &value);
                if problems.is_empty() {
                    continue;
                }
                let path = format!("stack.{}", found.path);
                let span = spans.key(&path);
                out.push(diagnostic(field, &path, span, &problems));
            }
        }
    }
}

/// The code of every diagnostic this module reports.
pub const API_CONSTRAINT: &str = "agentfs::api_constraint";

fn diagnostic(field: &ApiField, path: &str, span: Option<std::ops::Range<usize>>, problems: &[String]) -> Diagnostic {
    let (shape, member) = field.member.split_once('$').unwrap_or((field.member, ""));
    Diagnostic::error(
        API_CONSTRAINT,
        format!("{} refuses this value for {shape}.{member}", field.service),
    )
    .help(format!("AWS accepts {}", problems.join("; ")))
    .field(path.to_string())
    .span(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(java: &str, text: &str) -> bool {
        translate(java).unwrap().is_match(text)
    }

    #[test]
    fn java_constructs_are_translated() {
        // Whole-value match.
        assert!(matches("[a-z]+", "abc"));
        assert!(!matches("[a-z]+", "abc1"));
        // ASCII \d and \s.
        assert!(matches(r"\d{12}", "123456789012"));
        assert!(!matches(r"\d", "\u{0663}"));
        assert!(matches(r"[a-z\s]*", "a b\tc"));
        assert!(!matches(r"[a-z\s]*", "a\u{3000}b"));
        assert!(!matches(r"\s", "\u{3000}"));
        // \uXXXX escapes.
        assert!(matches(r"[\u0020-\u007E]+", "hello ~"));
        assert!(!matches(r"[\u0020-\u007E]+", "caf\u{e9}"));
        // EFS tag keys: leading negative lookahead.
        let efs = r"^(?![aA]{1}[wW]{1}[sS]{1}:)([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$";
        assert!(matches(efs, "team"));
        assert!(!matches(efs, "AWS:team"));
        assert!(matches(efs, "awsteam"));
        // Root paths: segments that do not start with a dot.
        let path = r"(\/|(\/(?!\.)+[^$#<>;;`|&?{}^*/\n]+){1,4})";
        assert!(matches(path, "/"));
        assert!(matches(path, "/agent/data"));
        assert!(!matches(path, "/.hidden"));
        assert!(!matches(path, "/a/b/c/d/e"));
        assert!(!matches(path, "/a$b"));
        assert!(translate("(?=x)y").is_err());
    }

    #[test]
    fn values_are_located_by_declared_paths() {
        let json = serde_json::json!({
            "filesystem": [{"mount_path": "/mnt/a"}, {"mount_path": "/mnt/b"}],
            "environment_variables": {"A": "1"},
        });
        let paths: Vec<String> = locate(&json, "filesystem[].mount_path")
            .into_iter()
            .map(|l| l.path)
            .collect();
        assert_eq!(paths, ["filesystem[0].mount_path", "filesystem[1].mount_path"]);
        let keys = locate(&json, "environment_variables{key}");
        assert!(keys[0].key && keys[0].path == "environment_variables.A");
        assert_eq!(locate(&json, "environment_variables{}").len(), 1);
        assert_eq!(locate(&json, "missing").len(), 0);
    }
}
