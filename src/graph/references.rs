//! Reference edges: a resource depends on every resource a reference field names
//! (`vpc = "main"`) and every one a template mentions (`"${s3_bucket.code.arn}"`).

use std::collections::BTreeSet;

use super::Edges;
use crate::lang::Addr;
use crate::lang::template::Template;
use crate::parse::ParsedResource;

pub fn edges(resources: &[ParsedResource]) -> Edges {
    resources
        .iter()
        .map(|r| {
            let mut spec = r.spec.clone();
            let mut needs: BTreeSet<Addr> = spec
                .refs()
                .into_iter()
                .map(|slot| Addr::new(slot.target, slot.value.as_str()))
                .collect();
            collect_template_refs(&serde_json::to_value(&r.spec).unwrap_or_default(), &mut needs);
            (r.addr.clone(), needs)
        })
        .filter(|(_, needs)| !needs.is_empty())
        .collect()
}

/// The resources `spec`'s templates (`${kind.name.attr}`) name.
pub fn template_refs(spec: &crate::resources::ResourceSpec) -> BTreeSet<Addr> {
    let mut needs = BTreeSet::new();
    collect_template_refs(&serde_json::to_value(spec).unwrap_or_default(), &mut needs);
    needs
}

fn collect_template_refs(value: &serde_json::Value, needs: &mut BTreeSet<Addr>) {
    match value {
        serde_json::Value::String(text) => {
            if let Ok(t) = Template::parse(text) {
                needs.extend(t.attr_refs().map(|a| a.addr.clone()));
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_template_refs(v, needs)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_template_refs(v, needs)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{edges_of, parsed};

    #[test]
    fn fields_and_templates_that_name_a_resource_are_its_edges_and_depends_on_is_not() {
        let resources = parsed(
            r#"
[vpc.main]
cidr_block = "10.0.0.0/16"
[subnet.a]
vpc = "main"
cidr_block = "10.0.1.0/24"
az_index = 0
[s3_bucket.code]
name = "agentfs-code"
[iam_role.agent]
name = "agent"
depends_on = ["subnet.a"]
[iam_role.agent.assume_role_policy]
Version = "2012-10-17"
Statement = [{ Effect = "Allow", Principal = { Service = "bedrock-agentcore.amazonaws.com" }, Action = "sts:AssumeRole" }]
[iam_role.agent.inline_policies.read]
Version = "2012-10-17"
Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "${s3_bucket.code.arn}/*" }]
"#,
        );
        assert_eq!(
            edges_of(super::edges(&resources)),
            ["iam_role.agent: s3_bucket.code", "subnet.a: vpc.main"]
        );
    }
}
