//! How `existing = { ... }` and literal ids are refused at load time.

use crate::spec::{Diagnostic, load};

fn errors(body: &str) -> (String, Vec<Diagnostic>) {
    let text = format!("[stack]\nname = \"unit\"\nregion = \"us-east-1\"\n{body}");
    let loaded = load(&text);
    assert!(loaded.spec.is_none(), "expected errors");
    (text, loaded.diagnostics)
}

fn at<'t>(text: &'t str, d: &Diagnostic) -> &'t str {
    &text[d.span.clone().expect("a span")]
}

#[test]
fn other_fields_beside_existing_are_errors_naming_each_field() {
    let (text, diags) = errors(
        "[subnet.a]\nexisting = { id = \"subnet-0abc1234def567890\" }\ncidr_block = \"10.0.0.0/24\"\ndepends_on = []\n",
    );
    let fields: Vec<&str> = diags.iter().filter_map(|d| d.field.as_deref()).collect();
    assert_eq!(fields, ["subnet.a.cidr_block", "subnet.a.depends_on"], "{diags:?}");
    assert!(diags.iter().all(|d| d.code == "agentfs::existing_field"));
    assert_eq!(at(&text, &diags[0]), "cidr_block");
    assert!(diags[0].message.contains("existing subnet"), "{}", diags[0].message);
}

#[test]
fn a_bad_literal_id_names_its_field_and_the_expected_pattern() {
    let (text, diags) = errors(
        "[s3files_file_system.fs]\nbucket = \"arn:aws:s3:::b\"\nrole = \"arn:aws:iam::123456789012:role/r\"\n[s3files_mount_target.a]\nfile_system = \"fs\"\nsubnet = \"subnet-xyz\"\n",
    );
    let bad: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == "agentfs::literal_id").collect();
    assert_eq!(bad.len(), 1, "{diags:?}");
    assert_eq!(bad[0].field.as_deref(), Some("s3files_mount_target.a.subnet"));
    assert_eq!(at(&text, bad[0]), "\"subnet-xyz\"");
    assert!(bad[0].help.as_deref().unwrap().contains("subnet-[0-9a-f]{17}"));
}

#[test]
fn existing_must_say_one_way_the_kind_allows() {
    let (_, diags) = errors(
        "[vpc.a]\nexisting = {}\n[s3_bucket.b]\nexisting = { tags = { Name = \"x\" } }\n[subnet.c]\nexisting = { id = \"subnet-0abc1234\", tags = { Name = \"x\" } }\n[route.r]\nexisting = { id = \"r\" }\n[subnet.d]\nexisting = { tags = { Name = \"d\" }, vpc = \"nope\" }\n",
    );
    let by_field = |f: &str| {
        diags
            .iter()
            .find(|d| d.field.as_deref() == Some(f))
            .unwrap_or_else(|| panic!("no error at {f}: {diags:?}"))
    };
    assert!(by_field("vpc.a.existing").message.contains("nothing to find"));
    assert!(
        by_field("s3_bucket.b.existing.tags")
            .help
            .as_deref()
            .unwrap()
            .contains("`name`")
    );
    assert!(by_field("subnet.c.existing.tags").message.contains("give one"));
    assert!(by_field("route.r.existing").message.contains("cannot be existing"));
    assert_eq!(by_field("subnet.d.existing.vpc").code, "agentfs::dangling_reference");
}

#[test]
fn references_to_existing_resources_and_literal_ids_load() {
    let text = "[stack]\nname = \"unit\"\nregion = \"us-east-1\"\n[vpc.core]\nexisting = { tags = { Name = \"core\" } }\n[subnet.b]\nexisting = { tags = { Name = \"b\" }, vpc = \"core\" }\n[security_group.g]\nvpc = \"core\"\ndescription = \"g\"\n[route_table.t]\nvpc = \"vpc-0abc1234\"\n[output.subnet]\nvalue = \"${subnet.b.availability_zone}\"\n";
    let loaded = load(text);
    let spec = loaded.spec.unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
    let names: Vec<String> = spec.existing.keys().map(|a| a.to_string()).collect();
    assert_eq!(names, ["vpc.core", "subnet.b", "vpc.vpc-0abc1234"]);
    let graph = crate::graph::Graph::from_spec(&spec).unwrap();
    let order: Vec<String> = graph.create_order().map(|a| a.to_string()).collect();
    let pos = |a: &str| order.iter().position(|o| o == a).unwrap();
    assert!(pos("vpc.core") < pos("subnet.b") && pos("vpc.core") < pos("security_group.g"));
    assert!(graph.is_read(&"vpc.core".parse().unwrap()));
    assert!(graph.to_dot().contains("\"vpc.core\" [style=dashed"));
    assert_eq!(graph.to_json()["nodes"][0]["mode"], "read");
}
