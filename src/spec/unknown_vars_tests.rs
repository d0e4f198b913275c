//! Variables without a value when the run allows it (`agentfs validate`): their uses are
//! checked for type and shape, never for what the value would be.

use crate::spec::vars::Inputs;
use crate::spec::{Diagnostic, load_with};

const SPEC: &str = r#"
[stack]
name = "unit"
region = "us-east-1"

[variable.cidr]
description = "the VPC's range"

[variable.zone]
type = "number"

[variable.unused]

[vpc.main]
cidr_block = "${var.cidr}"

[subnet.a]
vpc = "main"
cidr_block = "10.0.1.0/24"
az_index = "${var.zone}"
"#;

fn unknown_ok() -> Inputs {
    Inputs {
        unknown_ok: true,
        ..Inputs::default()
    }
}

fn errors(diagnostics: &[Diagnostic]) -> Vec<&Diagnostic> {
    diagnostics.iter().filter(|d| d.is_error()).collect()
}

#[test]
fn required_variables_without_values_are_unknown_and_draw_no_error() {
    let loaded = load_with(SPEC, &unknown_ok());
    assert!(errors(&loaded.diagnostics).is_empty(), "{:?}", loaded.diagnostics);
    let spec = loaded.spec.expect("the spec loads");
    assert!(spec.variables.values().all(|v| v.unknown && v.value.is_none()));
    let paths: Vec<(&str, &str)> = spec
        .parsed
        .unknown_uses
        .iter()
        .map(|u| (u.path.as_str(), u.variable.as_str()))
        .collect();
    assert_eq!(paths, [("vpc.main.cidr_block", "cidr"), ("subnet.a.az_index", "zone")]);
}

#[test]
fn otherwise_a_missing_value_is_still_an_error_naming_the_variable() {
    let loaded = load_with(SPEC, &Inputs::default());
    assert!(loaded.spec.is_none());
    let unset: Vec<&str> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.code == "agentfs::variable_unset")
        .filter_map(|d| d.field.as_deref())
        .collect();
    assert_eq!(unset, ["variable.cidr", "variable.zone", "variable.unused"]);
}

#[test]
fn a_value_of_the_wrong_type_for_its_field_still_fails() {
    // A string variable cannot fill an integer field, whatever its value.
    let text = SPEC.replace("type = \"number\"", "type = \"string\"");
    let loaded = load_with(&text, &unknown_ok());
    assert!(loaded.spec.is_none());
    let found: Vec<(&str, Option<&str>)> = errors(&loaded.diagnostics)
        .iter()
        .map(|d| (d.code, d.field.as_deref()))
        .collect();
    assert_eq!(
        found,
        [("agentfs::type", Some("subnet.a.az_index"))],
        "{:?}",
        loaded.diagnostics
    );
}

#[test]
fn checks_that_do_not_depend_on_the_unknown_value_still_run() {
    let text = SPEC.replace("cidr_block = \"10.0.1.0/24\"", "cidr_block = \"10.0.1.0/99\"");
    let loaded = load_with(&text, &unknown_ok());
    let fields: Vec<Option<&str>> = errors(&loaded.diagnostics).iter().map(|d| d.field.as_deref()).collect();
    assert_eq!(fields, [Some("subnet.a.cidr_block")], "{:?}", loaded.diagnostics);
}

#[test]
fn a_given_value_is_checked_as_before() {
    let inputs = Inputs {
        cli: vec![("cidr".into(), "not-a-cidr".into()), ("zone".into(), "0".into())],
        ..unknown_ok()
    };
    let loaded = load_with(SPEC, &inputs);
    let codes: Vec<&str> = errors(&loaded.diagnostics).iter().map(|d| d.code).collect();
    assert_eq!(codes, ["agentfs::cidr"], "{:?}", loaded.diagnostics);
}

#[test]
fn references_and_existing_ids_from_unknown_variables_draw_no_error() {
    let text = r#"
[stack]
name = "unit"
region = "us-east-1"

[variable.vpc_id]
[variable.subnet_id]
[variable.role_arn]

[vpc.shared]
existing = { id = "${var.vpc_id}" }

[subnet.a]
vpc = "shared"
cidr_block = "10.0.1.0/24"
az_index = 0

[security_group.agent]
vpc = "shared"
description = "agent"

[agentcore_runtime.agent]
name = "unit_agent"
container_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest"
role = "${var.role_arn}"
network_mode = "VPC"
subnets = ["a", "${var.subnet_id}"]
security_groups = ["agent"]
"#;
    let loaded = load_with(text, &unknown_ok());
    assert!(errors(&loaded.diagnostics).is_empty(), "{:?}", loaded.diagnostics);
    let spec = loaded.spec.expect("the spec loads");
    crate::graph::Graph::from_spec(&spec).expect("a graph");
    assert!(spec.existing.keys().any(|a| a.to_string() == "vpc.shared"));
}
