//! The offline checks agree with AWS's own API models. For every spec field a kind declares as
//! an API member, this reads the member's shape from the botocore model in the emulator's venv
//! (`AGENTFS_EMULATOR_VENV`, else `emulator/.venv`; nothing is copied into the repository) and
//! proves that the declared limits equal the model's, that each boundary value is accepted and
//! a value just past it refused. Every top-level field of every kind is either mapped or
//! declared as not sent, so a new field without a mapping fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use agentfs::spec::Kind;
use agentfs::spec::api::{ApiField, Limits, Source, Value, problems, translate};
use serde_json::Value as Json;

#[path = "../api_models/sample.rs"]
mod sample;

fn venv_python() -> PathBuf {
    let venv = std::env::var_os("AGENTFS_EMULATOR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("emulator/.venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "no emulator venv at {} (set AGENTFS_EMULATOR_VENV or run `emulator/serve --dev` once)",
        venv.display()
    );
    python
}

/// The botocore service models, by service name, loaded by botocore itself.
fn models(services: &BTreeSet<&str>) -> BTreeMap<String, Json> {
    let script = "import json, sys\nfrom botocore.loaders import Loader\nl = Loader()\n\
                  print(json.dumps({s: l.load_service_model(s, 'service-2')['shapes'] for s in sys.argv[1:]}))";
    let out = Command::new(venv_python())
        .arg("-c")
        .arg(script)
        .args(services)
        .output()
        .expect("run the venv's python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("botocore shapes as JSON")
}

/// The shape a `Shape$member` names: a structure's member, a list's item or a map's key/value.
fn target<'m>(shapes: &'m Json, member: &str) -> &'m Json {
    let (shape, name) = member.split_once('$').expect("Shape$member");
    let parent = &shapes[shape];
    assert!(parent.is_object(), "the model has no shape {shape}");
    let child = match (parent["type"].as_str(), name) {
        (Some("list"), "member") => &parent["member"]["shape"],
        (Some("map"), "key" | "value") => &parent[name]["shape"],
        _ => &parent["members"][name]["shape"],
    };
    let child = child.as_str().unwrap_or_else(|| panic!("{shape} has no member {name}"));
    &shapes[child]
}

/// What the model states, in the form agentfs declares it.
fn model_limits(shape: &Json) -> Limits {
    let num = |k: &str| shape[k].as_f64();
    let mut limits = Limits::NONE;
    match shape["type"].as_str() {
        Some("string" | "list" | "map") => {
            limits.min_len = num("min").map(|v| v as usize);
            limits.max_len = num("max").map(|v| v as usize);
        }
        Some("integer" | "long" | "double" | "float") => {
            limits.min = num("min");
            limits.max = num("max");
        }
        _ => {}
    }
    limits.pattern = shape["pattern"]
        .as_str()
        .map(|p| &*Box::leak(p.to_string().into_boxed_str()));
    limits
}

fn model_enum(shape: &Json) -> Vec<String> {
    shape["enum"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn is_text(shape: &Json) -> bool {
    shape["type"] == "string"
}

fn text(s: &str) -> Value<'_> {
    Value::Text {
        text: s,
        complete: true,
    }
}

fn accepts(limits: &Limits, value: &Value<'_>) -> bool {
    problems(limits, value).is_empty()
}

/// A string of exactly `len` characters that the pattern accepts: built from the pattern's
/// syntax tree, else from a few seeds.
fn sample(limits: &Limits, len: usize) -> Option<String> {
    let pattern = limits.pattern.map(|p| translate(p).expect("pattern translates"));
    if let Some(p) = &pattern
        && let Some(built) = sample::of_len(p.regex(), len).filter(|s| p.is_match(s))
    {
        return Some(built);
    }
    let seeds = [
        "",
        "/",
        "/mnt/a",
        "a/",
        "alias/",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/a",
        "arn:aws:iam::aws:policy/",
    ];
    for seed in seeds {
        if seed.len() > len {
            continue;
        }
        for filler in ['a', '0', '_'] {
            for at in 0..=seed.len() {
                let candidate = format!(
                    "{}{}{}",
                    &seed[..at],
                    filler.to_string().repeat(len - seed.len()),
                    &seed[at..]
                );
                if pattern.as_ref().is_none_or(|p| p.is_match(&candidate)) {
                    return Some(candidate);
                }
            }
        }
    }
    None
}

/// A value of acceptable length that the pattern refuses, made by changing one character.
fn breaks_pattern(limits: &Limits, good: &str) -> Option<String> {
    let pattern = translate(limits.pattern?).expect("pattern translates");
    let probes = [
        '!', ' ', '\u{e9}', '\u{3000}', '$', '\n', 'A', '-', '.', '/', '~', '#', ':', '9',
    ];
    let chars: Vec<char> = good.chars().collect();
    for probe in probes {
        for at in 0..=chars.len() {
            for replace in [true, false] {
                if replace && at == chars.len() {
                    continue;
                }
                let mut changed = chars.clone();
                if replace {
                    changed[at] = probe;
                } else {
                    changed.insert(at, probe);
                }
                let changed: String = changed.into_iter().collect();
                let len = changed.chars().count();
                let fits = limits.min_len.is_none_or(|m| len >= m) && limits.max_len.is_none_or(|m| len <= m);
                if fits && !pattern.is_match(&changed) {
                    return Some(changed);
                }
            }
        }
    }
    None
}

/// Proves the declared limits of one field at their boundaries; returns how many constraints.
fn boundaries(what: &str, limits: &Limits, shape: &Json) -> usize {
    let mut checked = 0;
    let collection = matches!(shape["type"].as_str(), Some("list" | "map"));
    if collection {
        if let Some(max) = limits.max_len {
            assert!(accepts(limits, &Value::Count(max)), "{what}: {max} items refused");
            assert!(
                !accepts(limits, &Value::Count(max + 1)),
                "{what}: {} items accepted",
                max + 1
            );
            checked += 1;
        }
        if let Some(min) = limits.min_len.filter(|m| *m > 0) {
            assert!(accepts(limits, &Value::Count(min)), "{what}: {min} items refused");
            if min > 1 {
                assert!(
                    !accepts(limits, &Value::Count(min - 1)),
                    "{what}: {} items accepted",
                    min - 1
                );
            }
            // An empty list is left out of the request rather than sent short.
            assert!(accepts(limits, &Value::Count(0)), "{what}: an empty list is refused");
            checked += 1;
        }
        return checked;
    }
    if is_text(shape) {
        let shortest = limits.min_len.unwrap_or(1).max(1);
        if let Some(max) = limits.max_len {
            let at = sample(limits, max).unwrap_or_else(|| panic!("{what}: no value of {max} characters fits"));
            assert!(accepts(limits, &text(&at)), "{what}: {max} characters refused");
            let past = sample(
                &Limits {
                    max_len: None,
                    ..*limits
                },
                max + 1,
            )
            .unwrap_or_else(|| format!("{at}a"));
            let said = problems(limits, &text(&past));
            assert!(
                said.iter().any(|p| p.starts_with(&format!("at most {max}"))),
                "{what}: {} characters accepted",
                max + 1
            );
            checked += 1;
        }
        if let Some(min) = limits.min_len.filter(|m| *m > 0) {
            // A pattern may need more than `min` characters; the length rule alone is proved then.
            let at = sample(limits, min).unwrap_or_else(|| "a".repeat(min));
            let said = problems(limits, &text(&at));
            assert!(
                !said.iter().any(|p| p.starts_with("at least")),
                "{what}: {min} characters refused as too short"
            );
            if sample(limits, min).is_some() {
                assert!(said.is_empty(), "{what}: `{at}` refused: {said:?}");
            }
            let short: String = at.chars().take(min - 1).collect();
            let said = problems(limits, &text(&short));
            assert!(
                said.iter().any(|p| p.starts_with(&format!("at least {min}"))),
                "{what}: {} characters accepted",
                min - 1
            );
            checked += 1;
        }
        if limits.pattern.is_some() {
            let longest = limits.max_len.unwrap_or(128).min(128);
            let good = (shortest.max(8).min(longest)..=longest)
                .chain(shortest..8)
                .find_map(|len| sample(limits, len))
                .unwrap_or_else(|| panic!("{what}: no value fits the pattern"));
            assert!(accepts(limits, &text(&good)), "{what}: `{good}` refused");
            match breaks_pattern(limits, &good) {
                Some(bad) => assert!(!accepts(limits, &text(&bad)), "{what}: `{bad}` accepted"),
                // `(.+)`-like patterns: nothing of the right length breaks them.
                None => assert!(limits.pattern.is_some_and(|p| p.contains(".+") || p.contains(".*"))),
            }
            checked += 1;
        }
        for value in limits.one_of {
            assert!(accepts(limits, &text(value)), "{what}: `{value}` refused");
        }
        if !limits.one_of.is_empty() {
            assert!(!accepts(limits, &text("not-a-member")), "{what}: a non-member accepted");
            checked += 1;
        }
        return checked;
    }
    let step = if shape["type"] == "double" || shape["type"] == "float" {
        0.5
    } else {
        1.0
    };
    if let Some(min) = limits.min {
        assert!(accepts(limits, &Value::Number(min)), "{what}: {min} refused");
        assert!(
            !accepts(limits, &Value::Number(min - step)),
            "{what}: below {min} accepted"
        );
        checked += 1;
    }
    if let Some(max) = limits.max {
        assert!(accepts(limits, &Value::Number(max)), "{what}: {max} refused");
        assert!(
            !accepts(limits, &Value::Number(max + step)),
            "{what}: above {max} accepted"
        );
        checked += 1;
    }
    checked
}

/// The declared limits equal the model's (or, where the model is silent and a guide is the
/// source, agree with everything the model does say).
fn same_as_model(what: &str, field: &ApiField, shape: &Json) {
    let model = model_limits(shape);
    let declared = field.limits;
    let enum_values = model_enum(shape);
    match field.source {
        Source::Model => {
            assert_eq!(declared.min_len, model.min_len, "{what}: minimum length");
            assert_eq!(declared.max_len, model.max_len, "{what}: maximum length");
            assert_eq!(declared.pattern, model.pattern, "{what}: pattern");
            assert_eq!(declared.min, model.min, "{what}: minimum");
            assert_eq!(declared.max, model.max, "{what}: maximum");
            assert_eq!(declared.one_of, enum_values.as_slice(), "{what}: enum");
        }
        Source::Documented(url) => {
            assert!(url.starts_with("https://docs.aws.amazon.com/"), "{what}: source {url}");
            let agrees = |d: Option<usize>, m: Option<usize>| m.is_none() || d == m;
            assert!(
                agrees(declared.min_len, model.min_len),
                "{what}: model minimum {:?}",
                model.min_len
            );
            assert!(
                agrees(declared.max_len, model.max_len),
                "{what}: model maximum {:?}",
                model.max_len
            );
            assert!(
                model.pattern.is_none() || declared.pattern == model.pattern,
                "{what}: model pattern"
            );
            assert!(
                enum_values.is_empty() || declared.one_of == enum_values.as_slice(),
                "{what}: enum"
            );
        }
        Source::Reference => {}
    }
}

#[test]
fn every_mapped_field_matches_the_botocore_model() {
    let services: BTreeSet<&str> = Kind::ALL
        .iter()
        .flat_map(|k| {
            let api = k.api();
            api.fields.iter().chain(api.tags).map(|f| f.service).collect::<Vec<_>>()
        })
        .collect();
    let models = models(&services);
    let mut fields = 0;
    let mut constraints = 0;
    let mut references = 0;
    for kind in Kind::ALL {
        let api = kind.api();
        for field in api.fields.iter().chain(api.tags) {
            let what = format!("{kind}.{} ({} {})", field.field, field.service, field.member);
            let shape = target(&models[field.service], field.member);
            fields += 1;
            if field.source == Source::Reference {
                references += 1;
                continue;
            }
            same_as_model(&what, field, shape);
            constraints += boundaries(&what, &field.limits, shape);
        }
    }
    println!(
        "{fields} mapped fields ({references} references to AWS ids); {constraints} constraints equal to the model and proved at their boundaries"
    );
    assert!(constraints > 50, "only {constraints} constraints checked");
}

#[test]
fn every_field_is_mapped_or_declared_not_sent() {
    let mut missing = Vec::new();
    for kind in Kind::ALL {
        let api = kind.api();
        let mapped: BTreeSet<&str> = api
            .fields
            .iter()
            .map(|f| f.field.split(['.', '[', '{']).next().unwrap_or(f.field))
            .collect();
        for field in kind.fields() {
            let covered = if field == "tags" {
                !api.tags.is_empty()
            } else {
                mapped.contains(field.as_str()) || api.not_sent.contains(&field.as_str())
            };
            if !covered {
                missing.push(format!("{kind}.{field}"));
            }
        }
        for not_sent in api.not_sent {
            assert!(
                !mapped.contains(not_sent),
                "{kind}.{not_sent} is both mapped and not sent"
            );
        }
    }
    assert!(missing.is_empty(), "fields without an API mapping: {missing:?}");
}

#[test]
fn agentcore_tags_are_narrower_than_s3files_tags() {
    let agentcore = Kind::AgentcoreRuntime.api().tags[0].limits;
    let s3files = Kind::S3FilesAccessPoint.api().tags[0].limits;
    assert!(accepts(&s3files, &text("équipe")));
    assert!(!accepts(&agentcore, &text("équipe")));
    assert!(accepts(&agentcore, &text("team name")));
}

/// The retention periods `log_group` accepts offline are those the logs model documents for
/// its `Days` shape (the model states them in prose, not as an enum).
#[test]
fn log_retention_days_are_the_models() {
    let models = models(&BTreeSet::from(["logs"]));
    let doc = models["logs"]["Days"]["documentation"]
        .as_str()
        .expect("the Days shape is documented");
    let listed = doc
        .split("Possible values are:")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .expect("the Days documentation lists the possible values");
    let values: Vec<i64> = listed
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().unwrap())
        .collect();
    assert_eq!(values, agentfs::resources::log_group::RETENTION_DAYS);
}
