//! How a kind's CloudFormation resource type(s) become its fields, declared in the kind's own
//! file beside its `ApiMap` and read by `agentfs convert`, which names no kind.
//!
//! A kind lists one [`CfnType`] per CloudFormation type it expresses. Each [`Prop`] maps one
//! property path to what it becomes ([`To`]). Paths name properties as CloudFormation does,
//! `.` between nested properties and `[]` for every item of a list
//! (`RootDirectory.CreationPermissions.OwnerUid`, `SecurityGroupIngress[].IpProtocol`); field
//! paths name the kind's fields the same way (`root_directory.creation_permissions.owner_uid`,
//! `ingress[].protocol`), each `[]` of the field taking the index of the property's `[]` in
//! turn. A property path with no entry and no entry beneath it is not a property of the type
//! and is an error at its line; a property agentfs cannot express is [`To::Refuse`] with the
//! reason, never left out. `tests/cfn_schema.rs` proves against the CloudFormation resource
//! schemas that every property of every declared type, at every depth, has an entry (an
//! entry whose property has sub-properties in the schema must be `Refuse`, `Pairs` or reach
//! its sub-properties through entries of their own).
//!
//! Adding a type: one `CfnType` in the kind's `const CFN`, e.g.
//! ```ignore
//! const CFN: &[CfnType] = &[CfnType::new("AWS::Logs::LogGroup", &[
//!     p("LogGroupName", To::Field("name")),
//!     p("RetentionInDays", To::Int("retention_days")),
//!     p("KmsKeyId", To::Refuse("agentfs does not encrypt log groups with a customer key")),
//!     p("Tags", TAGS),
//! ]).attributes(&[("Arn", "arn")])];
//! ```

/// One CloudFormation type a kind expresses.
#[derive(Debug, Clone, Copy)]
pub struct CfnType {
    pub type_name: &'static str,
    /// Set for a type that is part of another resource rather than one of its own.
    pub fold: Option<Fold>,
    pub properties: &'static [Prop],
    /// `Fn::GetAtt` attribute -> the kind's attribute (`${kind.name.ATTRIBUTE}`).
    pub attributes: &'static [(&'static str, &'static str)],
    /// What `Ref` returns, as the kind's attribute (`id` unless said otherwise).
    pub ref_attribute: &'static str,
    /// Fills in what CloudFormation leaves implicit once every property is mapped (an
    /// all-protocols rule's ports).
    pub finish: Option<Finish>,
    /// The field CloudFormation fills with a generated name when the template gives none,
    /// and the stable name agentfs gives instead, from the logical id.
    pub generated_name: Option<(&'static str, NameFrom)>,
}

/// Completes a resource's fields after every property is mapped.
pub type Finish = fn(&mut toml::Table) -> Result<(), String>;

/// A stable name from a logical id (`${stack}-TaskRole`).
pub type NameFrom = fn(&str) -> String;

/// A type folded into the resource one of its properties names: a `VPCGatewayAttachment` is
/// the internet gateway's `vpc`, a `SecurityGroupIngress` one item of the group's `ingress`.
#[derive(Debug, Clone, Copy)]
pub struct Fold {
    /// The property naming the resource it folds into (mapped as [`To::Parent`]).
    pub parent: &'static str,
    /// The list field it adds one item to; `None`: its fields are set on the resource itself.
    pub into: Option<&'static str>,
}

/// One property path and what it becomes.
#[derive(Debug, Clone, Copy)]
pub struct Prop {
    pub path: &'static str,
    pub to: To,
}

/// What a property becomes.
#[derive(Debug, Clone, Copy)]
pub enum To {
    /// The value as it is (a string may carry references as `${...}`; a free-form object such
    /// as a policy document is copied whole).
    Field(&'static str),
    /// A map of strings (`EnvironmentVariables`, a map of tags): numbers and booleans become
    /// their text, as CloudFormation passes them.
    StringMap(&'static str),
    /// A boolean; CloudFormation also reads `"true"` and `"false"`.
    Bool(&'static str),
    /// A whole number; CloudFormation also reads `"8080"`.
    Int(&'static str),
    /// A `Ref` (or `Fn::GetAtt`) to a resource of the template of this agentfs kind, as its name.
    Ref(&'static str, &'static str),
    /// A list of `{KEY: k, VALUE: v}` as a table `k = v` (`Tags`, IAM `Policies`).
    Pairs {
        field: &'static str,
        key: &'static str,
        value: &'static str,
    },
    /// The object's presence sets the field to `true`; its sub-properties map on their own.
    Flag(&'static str),
    /// A folded type's property naming the resource it folds into (see [`Fold`]).
    Parent,
    /// In a folded rule: a `Ref` to the resource it folds into sets `self_field`; any other a
    /// reference of the kind.
    RefOrSelf {
        field: &'static str,
        kind: &'static str,
        self_field: &'static str,
    },
    /// An AZ: `!Select [N, !GetAZs ""]` becomes the `index` field, a name the `name` field.
    Az { name: &'static str, index: &'static str },
    /// Only these values are accepted (what agentfs always does); the property sets no field.
    Only(&'static [&'static str]),
    /// The value's text through a function of the kind's (`com.amazonaws.REGION.s3` -> `s3`).
    With(&'static str, fn(&str) -> Result<toml::Value, String>),
    /// An item naming, by `Ref`, a resource of the template of `kind` that takes this one: that
    /// resource's list `field` gets this resource's `attribute` (a managed policy's `Roles[]`
    /// -> each role's `managed_policy_arns`), as agentfs says it from the side that holds it.
    AddTo {
        kind: &'static str,
        field: &'static str,
        attribute: &'static str,
    },
    /// agentfs cannot express it; the reason says why (an error, or with `--partial` a comment).
    Refuse(&'static str),
}

/// `p("CidrBlock", To::Field("cidr_block"))`.
pub const fn p(path: &'static str, to: To) -> Prop {
    Prop { path, to }
}

/// `Tags: [{Key, Value}]` -> `tags`.
pub const TAGS: To = To::Pairs {
    field: "tags",
    key: "Key",
    value: "Value",
};

impl CfnType {
    pub const fn new(type_name: &'static str, properties: &'static [Prop]) -> CfnType {
        CfnType {
            type_name,
            fold: None,
            properties,
            attributes: &[],
            ref_attribute: "id",
            finish: None,
            generated_name: None,
        }
    }

    pub const fn attributes(self, attributes: &'static [(&'static str, &'static str)]) -> CfnType {
        CfnType { attributes, ..self }
    }

    pub const fn folded(self, parent: &'static str, into: Option<&'static str>) -> CfnType {
        CfnType {
            fold: Some(Fold { parent, into }),
            ..self
        }
    }

    pub const fn finish(self, finish: Finish) -> CfnType {
        CfnType {
            finish: Some(finish),
            ..self
        }
    }

    pub const fn generated_name(self, field: &'static str, name: NameFrom) -> CfnType {
        CfnType {
            generated_name: Some((field, name)),
            ..self
        }
    }

    pub const fn ref_attribute(self, ref_attribute: &'static str) -> CfnType {
        CfnType { ref_attribute, ..self }
    }

    /// The entry for exactly this property path.
    pub fn prop(&self, path: &str) -> Option<&'static Prop> {
        self.properties.iter().find(|p| p.path == path)
    }

    /// Whether any entry lies beneath `path` (so `path` is a property the type has).
    pub fn has_beneath(&self, path: &str) -> bool {
        self.properties.iter().any(|p| {
            p.path
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with("[]"))
        })
    }

    /// The kind's attribute a `Fn::GetAtt` names.
    pub fn attribute(&self, name: &str) -> Option<&'static str> {
        self.attributes.iter().find(|(a, _)| *a == name).map(|(_, f)| *f)
    }
}

/// The first `max` characters of a logical id, for names built from it.
pub fn clip(id: &str, max: usize) -> &str {
    id.char_indices().nth(max).map_or(id, |(i, _)| &id[..i])
}

/// `"true"`/`"false"` as CloudFormation reads them.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}
