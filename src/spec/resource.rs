//! `ResourceSpec`: one value of any kind, with the dispatch that picks the kind's struct.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use super::addr::Kind;
use super::model::*;

/// A resource's own fields together with the settings every resource accepts
/// (only used to describe the file in the JSON Schema).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, rename = "{T}WithMeta")]
#[allow(dead_code)]
pub struct WithMeta<T> {
    #[serde(flatten)]
    spec: T,
    #[serde(flatten)]
    meta: Meta,
}

macro_rules! resource_specs {
    ($($variant:ident($ty:ty) $key:ident;)*) => {
        /// A resource's fields, typed by kind.
        #[derive(Debug, Clone, Serialize)]
        #[serde(untagged)]
        pub enum ResourceSpec { $($variant($ty)),* }

        impl ResourceSpec {
            pub fn kind(&self) -> Kind {
                match self { $(ResourceSpec::$variant(_) => <$ty as KindSpec>::KIND),* }
            }

            pub fn refs(&mut self) -> Vec<RefSlot<'_>> {
                match self { $(ResourceSpec::$variant(s) => s.refs()),* }
            }

            pub fn tags(&self) -> Option<&Tags> {
                match self { $(ResourceSpec::$variant(s) => s.tags()),* }
            }

            /// Deserializes the fields of a resource of `kind`.
            pub fn deserialize_as<'de, D: Deserializer<'de>>(kind: Kind, d: D) -> Result<ResourceSpec, D::Error> {
                match kind { $(Kind::$variant => <$ty>::deserialize(d).map(ResourceSpec::$variant)),* }
            }
        }

        /// The whole spec file, as the JSON Schema describes it to editors.
        #[derive(JsonSchema)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        pub struct SpecFile {
            stack: StackSettings,
            #[serde(default)]
            backend: Option<BackendSpec>,
            $(
                #[serde(default)]
                $key: BTreeMap<String, WithMeta<$ty>>,
            )*
            #[serde(default)]
            output: BTreeMap<String, OutputSpec>,
        }

        #[cfg(test)]
        const SCHEMA_KEYS: &[&str] = &[$(stringify!($key)),*];
    };
}

resource_specs! {
    Vpc(VpcSpec) vpc;
    Subnet(SubnetSpec) subnet;
    InternetGateway(InternetGatewaySpec) internet_gateway;
    ElasticIp(ElasticIpSpec) elastic_ip;
    NatGateway(NatGatewaySpec) nat_gateway;
    RouteTable(RouteTableSpec) route_table;
    Route(RouteSpec) route;
    RouteTableAssociation(RouteTableAssociationSpec) route_table_association;
    SecurityGroup(SecurityGroupSpec) security_group;
    VpcEndpoint(VpcEndpointSpec) vpc_endpoint;
    IamRole(IamRoleSpec) iam_role;
    S3Bucket(S3BucketSpec) s3_bucket;
    S3FilesFileSystem(S3FilesFileSystemSpec) s3files_file_system;
    S3FilesMountTarget(S3FilesMountTargetSpec) s3files_mount_target;
    S3FilesAccessPoint(S3FilesAccessPointSpec) s3files_access_point;
    EfsFileSystem(EfsFileSystemSpec) efs_file_system;
    EfsMountTarget(EfsMountTargetSpec) efs_mount_target;
    EfsAccessPoint(EfsAccessPointSpec) efs_access_point;
    AgentcoreRuntime(AgentcoreRuntimeSpec) agentcore_runtime;
}

/// The JSON Schema of the spec file, as checked in under `schemas/`.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(SpecFile);
    serde_json::to_value(schema).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_covers_every_kind_under_its_key() {
        assert_eq!(SCHEMA_KEYS.len(), Kind::ALL.len());
        for key in SCHEMA_KEYS {
            assert!(Kind::from_key(key).is_some(), "{key} is not a kind key");
        }
        let schema = json_schema();
        for kind in Kind::ALL {
            assert!(
                schema["properties"][kind.key()].is_object(),
                "{kind} missing from schema"
            );
        }
    }
}
