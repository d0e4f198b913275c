//! Every kind's CloudFormation mapping (`Resource::CFN`, see `agentfs::spec::cfn`) against the
//! CloudFormation resource schemas (cfn-lint's copy, in the emulator's venv): every property
//! of every mapped type, at every depth (`$ref` followed into `definitions`), is mapped to a
//! field or refused with a reason; every mapped path, `Fn::GetAtt` attribute and field exists.
//! So `agentfs convert` can drop no property silently.

use std::collections::BTreeSet;
use std::path::PathBuf;

use agentfs::spec::Kind;
use agentfs::spec::cfn::{CfnType, To};
use serde_json::Value;

fn schemas() -> PathBuf {
    let venv = std::env::var_os("AGENTFS_EMULATOR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("emulator/.venv"));
    let lib = venv.join("lib");
    let python = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| {
            panic!(
                "no emulator venv at {} ({e}); run `emulator/serve --dev` once",
                venv.display()
            )
        })
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("python"))
        .expect("a python directory in the venv");
    python.path().join("site-packages/cfnlint/data/schemas")
}

fn schema(type_name: &str) -> Value {
    let dir = schemas();
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("providers/us-east-1.json"))
            .expect("cfn-lint is installed (emulator/requirements-dev.txt)"),
    )
    .expect("provider index");
    let file = index[type_name]
        .as_str()
        .unwrap_or_else(|| panic!("no schema for {type_name}"));
    serde_json::from_str(&std::fs::read_to_string(dir.join(format!("resources/{file}.json"))).expect("schema"))
        .expect("schema JSON")
}

/// Every property path of the schema (`A.B`, `A[]` for a list's items, `A[].C`), following
/// `$ref`s (each once per branch, for recursive definitions) and `oneOf`/`anyOf`/`allOf`.
fn paths(root: &Value, node: &Value, prefix: &str, seen: &BTreeSet<String>, out: &mut BTreeSet<String>) {
    let mut seen = seen.clone();
    let mut node = node;
    while let Some(r) = node.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or_default().to_string();
        if !seen.insert(name.clone()) {
            return;
        }
        node = &root["definitions"][&name];
    }
    if node.get("type").and_then(Value::as_str) == Some("array") || node.get("items").is_some() {
        let at = format!("{prefix}[]");
        out.insert(at.clone());
        paths(root, node.get("items").unwrap_or(&Value::Null), &at, &seen, out);
        return;
    }
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (key, child) in props {
            let at = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            out.insert(at.clone());
            paths(root, child, &at, &seen, out);
        }
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        for branch in node.get(combinator).and_then(Value::as_array).into_iter().flatten() {
            paths(root, branch, prefix, &seen, out);
        }
    }
}

/// Read-only properties as paths (`/properties/A/B` -> `A.B`): outputs, never inputs.
fn read_only(schema: &Value) -> BTreeSet<String> {
    schema["readOnlyProperties"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|p| {
            p.trim_start_matches("/properties/")
                .replace("/*", "[]")
                .replace('/', ".")
        })
        .collect()
}

/// Whether `path` lies under an entry that answers for everything beneath it.
fn covered_by_ancestor(cfn: &CfnType, path: &str) -> bool {
    cfn.properties.iter().any(|p| {
        let Some(rest) = path.strip_prefix(p.path) else {
            return false;
        };
        if !(rest.starts_with('.') || rest.starts_with("[]")) {
            return false;
        }
        match p.to {
            To::Refuse(_) => true,
            // A list copied whole: its items, as long as they have no properties of their own.
            To::Field(_) => rest == "[]",
            To::Pairs { key, value, .. } => {
                rest == "[]" || rest == format!("[].{key}") || rest == format!("[].{value}")
            }
            _ => false,
        }
    })
}

fn field_of(to: &To) -> Option<&'static str> {
    match *to {
        To::Field(f) | To::StringMap(f) | To::Bool(f) | To::Int(f) | To::Ref(f, _) | To::Flag(f) | To::With(f, _) => {
            Some(f)
        }
        To::Pairs { field, .. } => Some(field),
        To::RefOrSelf { field, .. } => Some(field),
        To::Az { name, .. } => Some(name),
        To::Parent | To::Only(_) | To::Refuse(_) | To::AddTo { .. } => None,
    }
}

#[test]
fn every_property_of_every_mapped_type_is_mapped_or_refused_with_a_reason() {
    let mut problems = Vec::new();
    let mut types = 0;
    for kind in Kind::ALL {
        if kind.cfn().is_empty() {
            problems.push(format!("{kind}: declares no CloudFormation type"));
        }
        for cfn in kind.cfn() {
            types += 1;
            let t = cfn.type_name;
            let schema = schema(t);
            let mut all = BTreeSet::new();
            paths(&schema, &schema, "", &BTreeSet::new(), &mut all);
            let read_only = read_only(&schema);
            for path in &all {
                if read_only.contains(path)
                    || read_only
                        .iter()
                        .any(|r| path.starts_with(&format!("{r}.")) || path.starts_with(&format!("{r}[]")))
                {
                    continue;
                }
                if cfn.prop(path).is_none() && !cfn.has_beneath(path) && !covered_by_ancestor(cfn, path) {
                    problems.push(format!(
                        "{t}: property `{path}` is neither mapped to a field of {kind} nor refused with a reason"
                    ));
                }
            }
            for prop in cfn.properties {
                if !all.contains(prop.path) {
                    problems.push(format!("{t}: `{}` is mapped but is no property of the type", prop.path));
                }
                if read_only.contains(prop.path) {
                    problems.push(format!("{t}: `{}` is read-only; it cannot be mapped", prop.path));
                }
                if let To::Refuse(reason) = prop.to
                    && reason.trim().is_empty()
                {
                    problems.push(format!("{t}: `{}` is refused without a reason", prop.path));
                }
                // Fields given to another resource must be fields, and attributes, of the kinds.
                if let To::AddTo {
                    kind: to,
                    field,
                    attribute,
                } = prop.to
                {
                    match Kind::from_key(to) {
                        Some(k) if k.fields().iter().any(|f| f == field) => {}
                        _ => problems.push(format!(
                            "{t}: `{}` adds to `{to}.{field}`, which is no field",
                            prop.path
                        )),
                    }
                    if !kind.attributes().contains(&attribute) {
                        problems.push(format!(
                            "{t}: `{}` gives `{attribute}`, which {kind} does not export",
                            prop.path
                        ));
                    }
                }
                // Fields set on the resource itself must be fields of the kind.
                let on_item = cfn.fold.is_some_and(|f| f.into.is_some());
                if let Some(field) = field_of(&prop.to)
                    && !on_item
                {
                    let top = field.split(['.', '[']).next().unwrap_or_default();
                    if !kind.fields().iter().any(|f| f == top) {
                        problems.push(format!("{t}: `{}` maps to `{field}`, which {kind} has not", prop.path));
                    }
                }
            }
            let top_level: BTreeSet<String> = schema["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            for (attribute, ours) in cfn.attributes {
                if !top_level.contains(*attribute) {
                    problems.push(format!(
                        "{t}: `Fn::GetAtt` attribute `{attribute}` is not in the schema"
                    ));
                }
                if !kind.attributes().contains(ours) {
                    problems.push(format!(
                        "{t}: `{attribute}` maps to `{ours}`, which {kind} does not export"
                    ));
                }
            }
            if cfn.fold.is_none() && !kind.attributes().contains(&cfn.ref_attribute) {
                problems.push(format!(
                    "{t}: `Ref` maps to `{}`, which {kind} does not export",
                    cfn.ref_attribute
                ));
            }
        }
    }
    assert!(types >= 30, "only {types} CloudFormation types mapped");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The test above must fail for a property no entry answers for: the schema walk reaches
/// nested properties through `$ref`s and lists.
#[test]
fn the_schema_walk_reaches_nested_properties_through_refs_and_lists() {
    let runtime = schema("AWS::BedrockAgentCore::Runtime");
    let mut all = BTreeSet::new();
    paths(&runtime, &runtime, "", &BTreeSet::new(), &mut all);
    for expected in [
        "FilesystemConfigurations[].S3FilesAccessPoint.MountPath",
        "AuthorizerConfiguration.CustomJWTAuthorizer.CustomClaims[].AuthorizingClaimMatchValue.ClaimMatchValue.MatchValueString",
        "NetworkConfiguration.NetworkModeConfig.Subnets[]",
    ] {
        assert!(all.contains(expected), "{expected} not reached");
    }
    let access_point = schema("AWS::S3Files::AccessPoint");
    let mut all = BTreeSet::new();
    paths(&access_point, &access_point, "", &BTreeSet::new(), &mut all);
    assert!(all.contains("RootDirectory.CreationPermissions.OwnerUid"));
    assert!(!all.contains("RootDirectory.CreationInfo.OwnerUid"));
}
