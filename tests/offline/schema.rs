//! The checked-in JSON Schema is what the Rust types generate, and every example conforms to it.

use std::path::{Path, PathBuf};

use agentfs::spec::{SourceFile, resource::json_schema};

const SCHEMA_PATH: &str = "schemas/agentfs.schema.json";
const REGENERATE: &str = "cargo run -q -- schema > schemas/agentfs.schema.json";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn checked_in_schema() -> serde_json::Value {
    let path = root().join(SCHEMA_PATH);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; create it with `{REGENERATE}`", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{} is not JSON ({e}); regenerate it with `{REGENERATE}`",
            path.display()
        )
    })
}

fn examples() -> Vec<(String, String)> {
    let dir = root().join("examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no examples/*.toml found");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
            (display(&p), text)
        })
        .collect()
}

fn display(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

#[test]
fn checked_in_schema_is_up_to_date() {
    let fresh = json_schema();
    let stored = checked_in_schema();
    assert!(
        stored == fresh,
        "{SCHEMA_PATH} is stale: the spec types changed since it was generated.\nRun `{REGENERATE}` and commit the result."
    );
}

#[test]
fn checked_in_schema_is_exactly_what_the_cli_prints() {
    // `agentfs schema` prints pretty JSON and a newline; the file must be byte-for-byte that,
    // so regenerating it never produces a spurious diff.
    let text = std::fs::read_to_string(root().join(SCHEMA_PATH)).unwrap();
    let expected = format!("{}\n", serde_json::to_string_pretty(&json_schema()).unwrap());
    assert!(
        text == expected,
        "{SCHEMA_PATH} is not formatted as `agentfs schema` prints it; run `{REGENERATE}`"
    );
}

#[test]
fn schema_is_a_valid_json_schema() {
    let schema = checked_in_schema();
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{SCHEMA_PATH} does not compile: {e}"));
}

#[test]
fn every_example_matches_the_schema_and_validates() {
    let schema = checked_in_schema();
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{SCHEMA_PATH}: {e}"));
    let mut failures = Vec::new();
    for (name, text) in examples() {
        // 1. What an editor sees: the TOML as JSON, checked against the schema.
        match toml::from_str::<serde_json::Value>(&text) {
            Ok(instance) => {
                for error in validator.iter_errors(&instance) {
                    failures.push(format!("{name}: schema: {error} (at `{}`)", error.instance_path()));
                }
            }
            Err(e) => failures.push(format!("{name}: not TOML: {e}")),
        }

        // 2. What `agentfs validate` says: no errors.
        let loaded = agentfs::spec::load(&text);
        let source = SourceFile::new(name.clone(), text.clone());
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
            failures.push(format!("{}", agentfs::spec::Located::new(&source, d.clone())));
        }

        // 3. And it compiles to a graph (no cycles).
        let (compiled, diagnostics) = agentfs::pipeline::compile_source(source.clone());
        if compiled.is_err() {
            let shown: Vec<String> = diagnostics
                .into_iter()
                .filter(|d| d.is_error())
                .map(|d| agentfs::spec::Located::new(&source, d).to_string())
                .collect();
            failures.push(format!("{name}: does not compile:\n{}", shown.join("\n")));
        }
    }
    assert!(failures.is_empty(), "examples failed:\n{}", failures.join("\n"));
}

/// Meta keys every resource accepts must not be rejected by the schema (editors would flag them).
#[test]
fn schema_accepts_meta_keys_on_resources() {
    let schema = checked_in_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let text = r#"
[stack]
name = "s"
region = "us-east-1"

[vpc.main]
cidr_block = "10.0.0.0/16"
depends_on = []
lifecycle = { prevent_destroy = true, ignore_changes = ["tags"] }
timeouts = { create = "10m", delete = "20m" }
"#;
    let instance: serde_json::Value = toml::from_str(text).unwrap();
    let errors: Vec<String> = validator.iter_errors(&instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "schema rejects meta keys: {errors:?}");
    assert!(agentfs::spec::load(text).spec.is_some());
}

/// The schema catches the shape mistakes an editor should underline.
#[test]
fn schema_rejects_shape_errors() {
    let schema = checked_in_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let cases = [
        ("missing stack", "[vpc.main]\ncidr_block = \"10.0.0.0/16\"\n"),
        (
            "unknown kind",
            "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n[vpcs.main]\ncidr_block = \"10.0.0.0/16\"\n",
        ),
        (
            "wrong type",
            "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n[vpc.main]\ncidr_block = 5\n",
        ),
        (
            "missing required field",
            "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n[subnet.a]\ncidr_block = \"10.0.1.0/24\"\n",
        ),
        (
            "unknown stack field",
            "[stack]\nname = \"s\"\nregion = \"us-east-1\"\nregoin = \"x\"\n",
        ),
    ];
    for (what, text) in cases {
        let instance: serde_json::Value = toml::from_str(text).unwrap();
        assert!(!validator.is_valid(&instance), "schema accepts a spec with a {what}");
    }
}

/// Editors should underline a misspelt resource key the way `agentfs validate` does.
#[test]
fn schema_rejects_unknown_resource_fields() {
    let schema = checked_in_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let text = "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n[vpc.main]\ncidr_block = \"10.0.0.0/16\"\nenable_dns_hostname = true\n";
    let instance: serde_json::Value = toml::from_str(text).unwrap();
    assert!(
        !validator.is_valid(&instance),
        "schema accepts `vpc.main.enable_dns_hostname`"
    );
}

/// `existing = { ... }` stands in for a resource's fields; beside other fields it is refused.
#[test]
fn schema_accepts_existing_alone() {
    let schema = checked_in_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let head = "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n";
    let alone = format!(
        "{head}[vpc.core]\nexisting = {{ tags = {{ Name = \"core\" }} }}\n[subnet.a]\nexisting = {{ tags = {{ Name = \"a\" }}, vpc = \"core\" }}\n[iam_role.r]\nexisting = {{ arn = \"arn:aws:iam::123456789012:role/r\" }}\n"
    );
    let instance: serde_json::Value = toml::from_str(&alone).unwrap();
    let errors: Vec<String> = validator.iter_errors(&instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "schema rejects existing: {errors:?}");
    assert!(agentfs::spec::load(&alone).spec.is_some());
    let beside = format!("{head}[subnet.a]\nexisting = {{ id = \"subnet-0abc1234\" }}\ncidr_block = \"10.0.1.0/24\"\n");
    let instance: serde_json::Value = toml::from_str(&beside).unwrap();
    assert!(!validator.is_valid(&instance), "schema accepts fields beside existing");
    assert!(agentfs::spec::load(&beside).spec.is_none());
}
