//! The resource contract: what the engine relies on from every kind, checked the same way for
//! each against one emulator. A [`Case`] per kind names the prerequisites it needs ([`Need`]:
//! made once through the same registry, shared by every case, deleted at the end), its spec
//! and its mutations; [`Harness::run`] drives the kind through
//! `agentfs::resources::{create, update, read, find, delete}` and records every [`Check`]:
//!
//! 1. create twice with one client token makes one resource: the same id and attributes, the
//!    emulator's inventory unchanged by the second create, a recover (`find` with no ids)
//!    seeing exactly one resource more;
//! 2. the attributes create answers are exactly `kind.attributes()` (also after each update),
//!    and `id` is the id;
//! 3. `read` of the record equals the recorded configuration (no false drift), compared after
//!    `kind.normalise`;
//! 4. each mutation: the fields it changes decide what the engine does, and the case says what
//!    it expects: replace (a `replace_on()` field changes; update is not called), local-only
//!    (only `local_only()` fields change; update makes no mutating AWS call) or in place
//!    (update keeps the id and a read afterwards equals the mutated spec);
//! 5. `find` by id and a recover answer it with the attributes last returned and, for kinds
//!    AWS can tag, its `agentfs:resource` address (untaggable kinds through a tagged parent);
//! 6. delete twice succeeds, then `read` answers `None`, `find` by id nothing, and the
//!    emulator's inventory is what it was before the case.
//!
//! A runtime deployed from code is also checked for its artifact: after create and each
//! update the runtime runs exactly the recorded object version, which holds the spec's code
//! (3); an update uploads a new version when the code's content changed and only then (4); delete takes
//! every version of the object with it (6).
//!
//! A check a kind is known to fail (a bug whose fix needs `src/` changes) is listed in its case
//! as a [`KnownViolation`], with the reason. The check still runs and its failure is printed;
//! the test fails on any other failure, and also when a known violation no longer happens (so
//! the marker goes with the fix).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use agentfs::resources::{self, Call, Clients, Created, Ctx, DispatchError, Found, Listed, Prior, Quiet};
use agentfs::resources::{TAG_RESOURCE, TAG_STACK};
use agentfs::spec::model::*;
use agentfs::spec::{Kind, ResourceSpec};
use serde_json::{Value, json};

use super::Emulator;

pub const STACK: &str = "contract";
pub const REGION: &str = "us-east-1";
const LINEAGE: &str = "contract-lineage";
/// No transition delays: a pending resource is ready at the next call.
pub const CONFIG: &str = r#"{"delays": {"*": 0}}"#;

// ---- what a case is -----------------------------------------------------------------------

/// One kind's contract case: everything else is the harness's.
pub struct Case {
    pub kind: Kind,
    /// Set when a kind has more than one case (such as a runtime deployed from code as well as
    /// from a container): it names the case in the report and in its resource's address.
    pub variant: Option<&'static str>,
    /// Prerequisites the spec and the mutations refer to (their own prerequisites are implied).
    pub needs: &'static [Need],
    pub spec: fn(&World) -> ResourceSpec,
    /// Applied in order, each to the outcome of the one before.
    pub mutations: Vec<Mutation>,
    /// Checks this kind is known to fail, and why.
    pub known_violations: Vec<KnownViolation>,
}

/// A change of some top-level fields of the spec.
pub struct Mutation {
    pub what: &'static str,
    /// The fields as the spec file names them, with their new values (`null` removes one).
    pub set: fn(&World) -> Value,
    pub expect: Outcome,
}

/// What the engine does with a mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `update` changes the resource in place.
    InPlace,
    /// A `replace_on()` field changes: the resource is replaced, `update` is never called.
    Replace,
    /// Only `local_only()` fields change: nothing needs to reach AWS.
    LocalOnly,
}

/// A contract violation the kind is known to have: the check still runs and must still fail.
pub struct KnownViolation {
    pub check: Check,
    pub why: &'static str,
}

/// Every check the harness makes, by contract step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    // 1. idempotent create
    SameIdTwice,
    SameAttributesTwice,
    InventoryShowsCreate,
    InventoryUnchangedBySecondCreate,
    RecoverSeesOneMore,
    // 2. attributes (of create's answer, and of each update's)
    DeclaredAttributesPresent,
    NoUndeclaredAttributes,
    IdAttributeIsId,
    // 3. no false drift (also after each update)
    ReadEqualsRecord,
    /// The runtime runs the recorded artifact object version, and that version holds the
    /// spec's code.
    ArtifactDeployed,
    // 4. mutations
    DeclaredOutcome,
    UpdateKeepsId,
    LocalOnlyMakesNoCall,
    /// An update uploads the artifact again when the code changed, and only then.
    ArtifactUploadedOnChange,
    // 5. find
    FindById,
    RecoverFinds,
    // 6. delete
    DeleteAgainSucceeds,
    ReadAfterDeleteIsNone,
    FindAfterDeleteIsEmpty,
    InventoryRestored,
    /// No version of the artifact object is left.
    ArtifactRemoved,
    /// A create, update, read, find or delete the contract needs to go on answered an error.
    CallSucceeds,
}

impl Case {
    /// The case's name in the report: the kind's key, and its variant if it has one.
    pub fn name(&self) -> String {
        match self.variant {
            Some(variant) => format!("{} ({variant})", self.kind.key()),
            None => self.kind.key().to_string(),
        }
    }
}

impl Check {
    pub fn step(self) -> u8 {
        use Check::*;
        match self {
            SameIdTwice
            | SameAttributesTwice
            | InventoryShowsCreate
            | InventoryUnchangedBySecondCreate
            | RecoverSeesOneMore => 1,
            DeclaredAttributesPresent | NoUndeclaredAttributes | IdAttributeIsId => 2,
            ReadEqualsRecord | ArtifactDeployed => 3,
            DeclaredOutcome | UpdateKeepsId | LocalOnlyMakesNoCall | ArtifactUploadedOnChange => 4,
            FindById | RecoverFinds => 5,
            DeleteAgainSucceeds
            | ReadAfterDeleteIsNone
            | FindAfterDeleteIsEmpty
            | InventoryRestored
            | ArtifactRemoved => 6,
            CallSucceeds => 0,
        }
    }
}

// ---- records and the registry calls ---------------------------------------------------------

/// What the engine keeps in state about one resource.
#[derive(Debug, Clone)]
pub struct Record {
    pub address: String,
    pub spec: ResourceSpec,
    /// Every tag sent: the spec's and agentfs's own.
    pub tags: BTreeMap<String, String>,
    pub token: String,
    pub created: Created,
}

impl Record {
    pub fn id(&self) -> &str {
        &self.created.id
    }

    /// The configuration as state records it (sensitive values as digests).
    pub fn config(&self) -> Value {
        agentfs::plan::config_json(&self.spec, &[])
    }

    fn prior<'a>(&'a self, config: &'a Value, tags: &'a BTreeMap<String, String>) -> Prior<'a> {
        Prior {
            id: &self.created.id,
            attributes: &self.created.attributes,
            config,
            tags,
        }
    }
}

/// The spec's tags plus agentfs's own, as the engine sends them.
fn full_tags(address: &str, spec: &ResourceSpec) -> BTreeMap<String, String> {
    let mut tags = spec.tags().cloned().unwrap_or_default();
    tags.insert(TAG_STACK.to_string(), STACK.to_string());
    tags.insert(TAG_RESOURCE.to_string(), address.to_string());
    tags
}

/// The tags without agentfs's own: what the engine gives `update` as the recorded tags.
fn user_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut tags = tags.clone();
    tags.remove(TAG_STACK);
    tags.remove(TAG_RESOURCE);
    tags
}

fn call<'a>(address: &'a str, token: &'a str, tags: &'a BTreeMap<String, String>) -> Call<'a> {
    Call {
        address,
        token,
        tags,
        timeout: None,
        progress: &Quiet,
    }
}

async fn make(ctx: &Ctx, address: &str, spec: ResourceSpec) -> Result<Record, DispatchError> {
    let token = resources::client_token(LINEAGE, address, 0);
    let tags = full_tags(address, &spec);
    let created = resources::create(ctx, &spec, &call(address, &token, &tags)).await?;
    Ok(Record {
        address: address.to_string(),
        spec,
        tags,
        token,
        created,
    })
}

async fn update(
    ctx: &Ctx,
    rec: &Record,
    spec: &ResourceSpec,
    tags: &BTreeMap<String, String>,
    prior_tags: &BTreeMap<String, String>,
) -> Result<Created, DispatchError> {
    let config = rec.config();
    // The engine updates with an empty token: only creates are idempotent by token.
    resources::update(
        ctx,
        spec,
        &call(&rec.address, "", tags),
        &rec.prior(&config, prior_tags),
    )
    .await
}

async fn read(ctx: &Ctx, rec: &Record) -> Result<Option<Value>, DispatchError> {
    let config = rec.config();
    let listed = [Listed {
        address: &rec.address,
        prior: rec.prior(&config, &rec.tags),
    }];
    let live = resources::read(ctx, rec.spec.kind(), &listed).await?;
    assert_eq!(live.len(), 1, "read of {} answered {live:?}", rec.address);
    Ok(live.into_iter().next().flatten())
}

async fn find(ctx: &Ctx, kind: Kind, ids: &[&str]) -> Result<Vec<Found>, DispatchError> {
    resources::find(ctx, kind, ids).await
}

async fn delete(ctx: &Ctx, rec: &Record) -> Result<(), DispatchError> {
    delete_within(ctx, rec, None).await
}

async fn delete_within(ctx: &Ctx, rec: &Record, timeout: Option<Duration>) -> Result<(), DispatchError> {
    let config = rec.config();
    let prior = rec.prior(&config, &rec.tags);
    resources::delete(ctx, rec.spec.kind(), &rec.address, &prior, timeout, &Quiet).await
}

/// How long a prerequisite may take to go at the end (with no delays, anything longer is a
/// dependency some case left behind).
const TEARDOWN: Duration = Duration::from_secs(20);

// ---- the shared prerequisites ---------------------------------------------------------------

/// A prerequisite some case needs, made on first use and kept until [`Harness::teardown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Need {
    /// `10.60.0.0/16` with DNS support and hostnames.
    Vpc,
    /// Attached to [`Need::Vpc`] (a VPC takes one).
    InternetGateway,
    /// `10.61.0.0/16`, with nothing attached.
    SpareVpc,
    /// In [`Need::Vpc`], first AZ.
    SubnetA,
    /// In [`Need::Vpc`], second AZ.
    SubnetB,
    RouteTable,
    SpareRouteTable,
    /// In [`Need::Vpc`]: NFS from itself.
    SecurityGroup,
    SpareSecurityGroup,
    /// An address for a case's NAT gateway.
    ElasticIp,
    /// The address of [`Need::NatGateway`].
    NatElasticIp,
    /// In [`Need::SubnetA`], a route target.
    NatGateway,
    /// Trusted by S3 Files.
    S3FilesRole,
    /// Trusted by AgentCore.
    RuntimeRole,
    /// Versioned, for S3 Files.
    Bucket,
    /// On [`Need::Bucket`], no prefix.
    S3FilesFileSystem,
    EfsFileSystem,
    /// A PUBLIC runtime on [`Need::RuntimeRole`], for its endpoints.
    Runtime,
    /// A customer managed policy, for roles to attach.
    ManagedPolicy,
    SpareManagedPolicy,
    /// An AgentCore gateway on [`Need::RuntimeRole`], for its targets.
    Gateway,
}

impl Need {
    fn deps(self) -> &'static [Need] {
        use Need::*;
        match self {
            Vpc | SpareVpc | ElasticIp | NatElasticIp | S3FilesRole | RuntimeRole | Bucket | EfsFileSystem
            | ManagedPolicy | SpareManagedPolicy => &[],
            InternetGateway | SubnetA | SubnetB | RouteTable | SpareRouteTable | SecurityGroup | SpareSecurityGroup => {
                &[Vpc]
            }
            // A NAT gateway fails without an internet gateway in its VPC.
            NatGateway => &[InternetGateway, SubnetA, NatElasticIp],
            S3FilesFileSystem => &[Bucket, S3FilesRole],
            Runtime | Gateway => &[RuntimeRole],
        }
    }

    fn address(self) -> &'static str {
        use Need::*;
        match self {
            Vpc => "vpc.world",
            InternetGateway => "internet_gateway.world",
            SpareVpc => "vpc.spare",
            SubnetA => "subnet.world_a",
            SubnetB => "subnet.world_b",
            RouteTable => "route_table.world",
            SpareRouteTable => "route_table.spare",
            SecurityGroup => "security_group.world",
            SpareSecurityGroup => "security_group.spare",
            ElasticIp => "elastic_ip.spare",
            NatElasticIp => "elastic_ip.world_nat",
            NatGateway => "nat_gateway.world",
            S3FilesRole => "iam_role.world_s3files",
            RuntimeRole => "iam_role.world_runtime",
            Bucket => "s3_bucket.world",
            S3FilesFileSystem => "s3files_file_system.world",
            EfsFileSystem => "efs_file_system.world",
            Runtime => "agentcore_runtime.world",
            ManagedPolicy => "iam_policy.world",
            SpareManagedPolicy => "iam_policy.spare",
            Gateway => "agentcore_gateway.world",
        }
    }

    fn spec(self, w: &World) -> ResourceSpec {
        use Need::*;
        let vpc = |cidr: &str| {
            ResourceSpec::Vpc(VpcSpec {
                cidr_block: cidr.into(),
                enable_dns_support: true,
                enable_dns_hostnames: true,
                tags: Default::default(),
            })
        };
        let subnet = |cidr: &str, az: u8| {
            ResourceSpec::Subnet(SubnetSpec {
                vpc: w.id(Vpc),
                cidr_block: cidr.into(),
                az_index: Some(az),
                availability_zone: None,
                availability_zone_id: None,
                map_public_ip_on_launch: false,
                tags: Default::default(),
            })
        };
        let group = |description: &str| {
            ResourceSpec::SecurityGroup(SecurityGroupSpec {
                vpc: w.id(Vpc),
                name: None,
                description: description.into(),
                ingress: vec![SecurityGroupRule {
                    protocol: "tcp".into(),
                    from_port: 2049,
                    to_port: 2049,
                    cidr_blocks: Vec::new(),
                    source_security_group: None,
                    from_self: true,
                    description: None,
                }],
                egress: None,
                tags: Default::default(),
            })
        };
        let role = |name: &str, service: &str| {
            ResourceSpec::IamRole(IamRoleSpec {
                name: name.into(),
                description: None,
                assume_role_policy: trust(service),
                inline_policies: BTreeMap::new(),
                managed_policy_arns: Vec::new(),
                tags: Default::default(),
            })
        };
        let policy = |name: &str| {
            ResourceSpec::IamPolicy(IamPolicySpec {
                name: name.into(),
                path: "/".into(),
                description: None,
                document: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Action": "s3:GetObject", "Resource": "*"}]}),
                tags: Default::default(),
            })
        };
        match self {
            ManagedPolicy => policy("agentfs-contract-world"),
            SpareManagedPolicy => policy("agentfs-contract-spare"),
            Vpc => vpc("10.60.0.0/16"),
            SpareVpc => vpc("10.61.0.0/16"),
            InternetGateway => ResourceSpec::InternetGateway(InternetGatewaySpec {
                vpc: w.id(Vpc),
                tags: Default::default(),
            }),
            SubnetA => subnet("10.60.1.0/24", 0),
            SubnetB => subnet("10.60.2.0/24", 1),
            RouteTable | SpareRouteTable => ResourceSpec::RouteTable(RouteTableSpec {
                vpc: w.id(Vpc),
                tags: Default::default(),
            }),
            SecurityGroup => group("contract world group"),
            SpareSecurityGroup => group("contract spare group"),
            ElasticIp | NatElasticIp => ResourceSpec::ElasticIp(ElasticIpSpec {
                tags: Default::default(),
            }),
            NatGateway => ResourceSpec::NatGateway(NatGatewaySpec {
                subnet: w.id(SubnetA),
                elastic_ip: w.id(NatElasticIp),
                tags: Default::default(),
            }),
            S3FilesRole => role("agentfs-contract-s3files", "elasticfilesystem.amazonaws.com"),
            RuntimeRole => role("agentfs-contract-runtime", "bedrock-agentcore.amazonaws.com"),
            Bucket => ResourceSpec::S3Bucket(S3BucketSpec {
                name: format!("agentfs-contract-world-{}", w.account()),
                versioning: true,
                encryption: "AES256".into(),
                kms_key_id: None,
                block_public_access: None,
                policy: None,
                lifecycle_rules: Vec::new(),
                force_destroy: true,
                tags: Default::default(),
            }),
            S3FilesFileSystem => ResourceSpec::S3FilesFileSystem(S3FilesFileSystemSpec {
                bucket: w.attr(Bucket, "arn"),
                role: w.attr(S3FilesRole, "arn"),
                prefix: None,
                kms_key_id: None,
                accept_bucket_warning: true,
                force_delete: false,
                tags: Default::default(),
            }),
            EfsFileSystem => ResourceSpec::EfsFileSystem(EfsFileSystemSpec {
                performance_mode: "generalPurpose".into(),
                throughput_mode: "elastic".into(),
                provisioned_throughput_mibps: None,
                encrypted: true,
                tags: Default::default(),
            }),
            Runtime => ResourceSpec::AgentcoreRuntime(AgentcoreRuntimeSpec {
                name: "contract_world_agent".into(),
                description: None,
                container_uri: Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest".into()),
                code: None,
                image: None,
                role: w.attr(RuntimeRole, "arn"),
                network_mode: "PUBLIC".into(),
                subnets: Vec::new(),
                security_groups: Vec::new(),
                environment_variables: BTreeMap::new(),
                sensitive_environment_variables: Vec::new(),
                filesystem: Vec::new(),
                tags: Default::default(),
                protocol: None,
                jwt_authorizer: None,
                session_lifecycle: None,
                request_header_allowlist: Vec::new(),
                allowed_ports: Vec::new(),
            }),
            Gateway => ResourceSpec::AgentcoreGateway(AgentcoreGatewaySpec {
                name: "contract-world-tools".into(),
                description: None,
                role: w.attr(RuntimeRole, "arn"),
                protocol: "MCP".into(),
                authorizer: None,
                jwt_authorizer: None,
                kms_key: None,
                mcp: None,
                tags: Default::default(),
            }),
        }
    }
}

/// A trust policy for `service`.
pub fn trust(service: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
}

/// The prerequisites made so far, in creation order.
pub struct World {
    account: String,
    made: Vec<(Need, Record)>,
}

impl World {
    pub fn account(&self) -> &str {
        &self.account
    }

    pub fn get(&self, need: Need) -> &Record {
        self.made
            .iter()
            .find(|(n, _)| *n == need)
            .map(|(_, rec)| rec)
            .unwrap_or_else(|| panic!("{need:?} is not made: list it in the case's `needs`"))
    }

    pub fn id(&self, need: Need) -> String {
        self.get(need).id().to_string()
    }

    pub fn attr(&self, need: Need, key: &str) -> String {
        let rec = self.get(need);
        rec.created
            .attributes
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("{} has no attribute {key}", rec.address))
    }

    fn has(&self, need: Need) -> bool {
        self.made.iter().any(|(n, _)| *n == need)
    }
}

// ---- what a run found -----------------------------------------------------------------------

/// One check as it ran.
#[derive(Debug)]
pub struct Ran {
    pub check: Check,
    /// Which call or mutation it was about.
    pub context: String,
    pub failure: Option<String>,
}

/// Everything one case found.
pub struct Report {
    pub kind: Kind,
    /// The case's name ([`Case::name`]).
    pub name: String,
    pub ran: Vec<Ran>,
    pub known: Vec<(Check, &'static str)>,
    pub took: Duration,
}

impl Report {
    fn check(&mut self, check: Check, context: impl Into<String>, ok: bool, failure: impl FnOnce() -> String) {
        self.ran.push(Ran {
            check,
            context: context.into(),
            failure: (!ok).then(failure),
        });
    }

    fn is_known(&self, check: Check) -> bool {
        self.known.iter().any(|(c, _)| *c == check)
    }

    /// Failures no [`KnownViolation`] marker explains.
    pub fn unexpected(&self) -> Vec<&Ran> {
        self.ran
            .iter()
            .filter(|r| r.failure.is_some() && !self.is_known(r.check))
            .collect()
    }

    /// Failures a [`KnownViolation`] marker explains.
    pub fn expected(&self) -> Vec<&Ran> {
        self.ran
            .iter()
            .filter(|r| r.failure.is_some() && self.is_known(r.check))
            .collect()
    }

    /// KnownViolation markers whose check ran and never failed: the violation is gone.
    pub fn stale(&self) -> Vec<Check> {
        self.known
            .iter()
            .map(|(c, _)| *c)
            .filter(|c| {
                let runs: Vec<&Ran> = self.ran.iter().filter(|r| r.check == *c).collect();
                !runs.is_empty() && runs.iter().all(|r| r.failure.is_none())
            })
            .collect()
    }
}

/// A call the case cannot go on without failed.
struct Abort {
    context: String,
    error: String,
}

fn hard<T>(context: impl Into<String>, result: Result<T, DispatchError>) -> Result<T, Abort> {
    result.map_err(|e| Abort {
        context: context.into(),
        error: format!("{e} ({e:?})"),
    })
}

// ---- the emulator's inventory ---------------------------------------------------------------

/// Everything the emulator holds: for each list in the inventory (by path), the ids of its
/// entries (or the whole entry, for entries without one, such as routes). Empty lists are
/// left out.
pub type Census = BTreeMap<String, BTreeSet<String>>;

pub fn census(inventory: &Value) -> Census {
    fn walk(value: &Value, path: &str, out: &mut Census) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    walk(v, &format!("{path}/{key}"), out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    let key = item
                        .get("id")
                        .and_then(Value::as_str)
                        .map_or_else(|| item.to_string(), String::from);
                    walk(item, &format!("{path}[{key}]"), out);
                    out.entry(path.to_string()).or_default().insert(key);
                }
            }
            _ => {}
        }
    }
    let mut out = Census::new();
    walk(inventory, "", &mut out);
    out
}

/// What `after` has that `before` had not, and the other way round.
pub fn census_diff(before: &Census, after: &Census) -> String {
    let mut out = String::new();
    let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let empty = BTreeSet::new();
    for path in paths {
        let (b, a) = (before.get(path).unwrap_or(&empty), after.get(path).unwrap_or(&empty));
        let added: Vec<&String> = a.difference(b).collect();
        let removed: Vec<&String> = b.difference(a).collect();
        if !added.is_empty() {
            let _ = write!(out, "\n    + {path}: {added:?}");
        }
        if !removed.is_empty() {
            let _ = write!(out, "\n    - {path}: {removed:?}");
        }
    }
    out
}

/// The top-level fields where two configurations differ, with both values.
fn drift(recorded: &Value, live: &Value) -> String {
    let empty = serde_json::Map::new();
    let (a, b) = (
        recorded.as_object().unwrap_or(&empty),
        live.as_object().unwrap_or(&empty),
    );
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut out = String::new();
    for key in keys.into_iter().filter(|k| a.get(*k) != b.get(*k)) {
        let show = |v: Option<&Value>| v.map_or_else(|| "(absent)".to_string(), Value::to_string);
        let _ = write!(
            out,
            "\n    {key}: recorded {}, read {}",
            show(a.get(key)),
            show(b.get(key))
        );
    }
    out
}

/// `spec` with the top-level fields of `set` replaced (removed when `null`).
fn patched(spec: &ResourceSpec, set: &Value, what: &str) -> ResourceSpec {
    let kind = spec.kind();
    let mut value = serde_json::to_value(spec).expect("a spec serializes");
    let fields = set
        .as_object()
        .unwrap_or_else(|| panic!("mutation `{what}` of the {kind} case is not an object of fields: {set}"));
    for (key, v) in fields {
        if v.is_null() {
            value.as_object_mut().unwrap().remove(key);
        } else {
            value[key] = v.clone();
        }
    }
    let new = ResourceSpec::deserialize_as(kind, value)
        .unwrap_or_else(|e| panic!("mutation `{what}` of the {kind} case is not a valid spec: {e}"));
    let back = serde_json::to_value(&new).unwrap();
    for (key, v) in fields {
        let took = if v.is_null() {
            back.get(key).is_none()
        } else {
            back.get(key) == Some(v)
        };
        assert!(
            took,
            "mutation `{what}` of the {kind} case: `{key}` reads back as {:?}",
            back.get(key)
        );
    }
    new
}

fn is_mutating(operation: &str) -> bool {
    !["Describe", "Get", "List", "Head"]
        .iter()
        .any(|p| operation.starts_with(p))
}

// ---- the harness ----------------------------------------------------------------------------

pub struct Harness {
    pub emu: Emulator,
    pub ctx: Ctx,
    pub world: World,
    empty: Census,
}

impl Harness {
    /// A fresh emulator with no delays, clients made from its configuration, and no
    /// prerequisites yet.
    pub async fn start() -> Harness {
        let emu = Emulator::start_with(CONFIG);
        let clients = Clients::from_config(&emu.sdk_config().await, true);
        let account = Ctx::caller_account(&clients).await.expect("sts");
        let ctx = Ctx::new(clients, REGION, &account, STACK);
        let empty = census(&emu.inventory());
        Harness {
            emu,
            ctx,
            world: World {
                account,
                made: Vec::new(),
            },
            empty,
        }
    }

    /// Makes `needs` and what they need, in dependency order, unless made already.
    async fn ensure(&mut self, needs: &[Need]) {
        fn visit(need: Need, order: &mut Vec<Need>) {
            for dep in need.deps() {
                visit(*dep, order);
            }
            if !order.contains(&need) {
                order.push(need);
            }
        }
        let mut order = Vec::new();
        for need in needs {
            visit(*need, &mut order);
        }
        for need in order {
            if self.world.has(need) {
                continue;
            }
            let spec = need.spec(&self.world);
            let rec = make(&self.ctx, need.address(), spec)
                .await
                .unwrap_or_else(|e| panic!("prerequisite {need:?} ({}): {e:?}", need.address()));
            self.world.made.push((need, rec));
        }
    }

    /// Runs one case; whatever it made is deleted again, even when a call failed.
    pub async fn run(&mut self, case: &Case) -> Report {
        let started = Instant::now();
        self.ensure(case.needs).await;
        let mut report = Report {
            kind: case.kind,
            name: case.name(),
            ran: Vec::new(),
            known: case.known_violations.iter().map(|k| (k.check, k.why)).collect(),
            took: Duration::ZERO,
        };
        let mut live = None;
        if let Err(abort) = self.steps(case, &mut report, &mut live).await {
            report.ran.push(Ran {
                check: Check::CallSucceeds,
                context: abort.context,
                failure: Some(abort.error),
            });
            if let Some(rec) = live
                && let Err(e) = delete(&self.ctx, &rec).await
            {
                eprintln!("contract {}: cleaning up {} failed: {e}", case.kind, rec.address);
            }
        }
        report.took = started.elapsed();
        report
    }

    async fn steps(&self, case: &Case, report: &mut Report, live: &mut Option<Record>) -> Result<(), Abort> {
        let ctx = &self.ctx;
        let kind = case.kind;
        let spec = (case.spec)(&self.world);
        assert_eq!(spec.kind(), kind, "the {kind} case builds a {} spec", spec.kind());
        let address = match case.variant {
            Some(variant) => format!("{}.contract_{variant}", kind.key()),
            None => format!("{}.contract", kind.key()),
        };
        let taggable = spec.tags().is_some();
        let before = census(&self.emu.inventory());
        let recovered_before = hard("find (recover) before the create", find(ctx, kind, &[]).await)?;

        // ---- 1. create twice with one token: one resource ----
        let token = resources::client_token(LINEAGE, &address, 0);
        let tags = full_tags(&address, &spec);
        let first = hard(
            "create",
            resources::create(ctx, &spec, &call(&address, &token, &tags)).await,
        )?;
        let mut rec = Record {
            address: address.clone(),
            spec: spec.clone(),
            tags: tags.clone(),
            token: token.clone(),
            created: first.clone(),
        };
        *live = Some(rec.clone());
        let after_first = census(&self.emu.inventory());
        let second = hard(
            "create again with the same token",
            resources::create(ctx, &spec, &call(&address, &token, &tags)).await,
        )?;
        let after_second = census(&self.emu.inventory());
        report.check(Check::SameIdTwice, "second create", second.id == first.id, || {
            format!("the first create made {}, the second answered {}", first.id, second.id)
        });
        if second.id != first.id {
            // A second resource: it goes now, so that the rest of the case sees one.
            let extra = Record {
                created: second.clone(),
                ..rec.clone()
            };
            if let Err(e) = delete(ctx, &extra).await {
                eprintln!("contract {kind}: deleting the duplicate {} failed: {e}", second.id);
            }
        }
        report.check(
            Check::SameAttributesTwice,
            "second create",
            second.attributes == first.attributes,
            || format!("first {:?}, then {:?}", first.attributes, second.attributes),
        );
        report.check(
            Check::InventoryShowsCreate,
            "first create",
            after_first != before,
            || "the inventory did not change".to_string(),
        );
        report.check(
            Check::InventoryUnchangedBySecondCreate,
            "second create",
            after_second == after_first,
            || format!("the second create changed:{}", census_diff(&after_first, &after_second)),
        );
        let recovered = hard("find (recover) after the creates", find(ctx, kind, &[]).await)?;
        let ours = recovered.iter().filter(|f| f.created.id == first.id).count();
        report.check(
            Check::RecoverSeesOneMore,
            "find (recover) after the creates",
            ours == 1 && recovered.len() == recovered_before.len() + 1,
            || {
                format!(
                    "{} found before, {} after, {ours} of them {}: {recovered:?}",
                    recovered_before.len(),
                    recovered.len(),
                    first.id
                )
            },
        );

        // ---- 2. the declared attributes ----
        attributes(report, kind, "create", &first);

        // ---- 3. no false drift ----
        self.read_equals(report, &rec, "after create").await?;
        self.artifact_deployed(report, &rec, "after create").await;

        // ---- 4. mutations ----
        for mutation in &case.mutations {
            self.mutate(report, &mut rec, mutation).await?;
            *live = Some(rec.clone());
        }

        // ---- 5. find ----
        let expected = Found {
            owner: agentfs::resources::tags::Owner {
                stack: taggable.then(|| ctx.stack.clone()),
                address: taggable.then(|| address.clone()),
            },
            created: rec.created.clone(),
        };
        let by_id = hard("find by id", find(ctx, kind, &[rec.id()]).await)?;
        report.check(Check::FindById, "find by id", by_id == [expected.clone()], || {
            format!("expected [{expected:?}], found {by_id:?}")
        });
        let recovered = hard("find (recover)", find(ctx, kind, &[]).await)?;
        let ours: Vec<&Found> = recovered.iter().filter(|f| f.created.id == rec.created.id).collect();
        report.check(Check::RecoverFinds, "find (recover)", ours == [&expected], || {
            format!(
                "expected [{expected:?}], found {ours:?} among {} found",
                recovered.len()
            )
        });

        // ---- 6. delete twice ----
        let artifact = Artifact::of(&rec);
        hard("delete", delete(ctx, &rec).await)?;
        *live = None;
        let again = delete(ctx, &rec).await;
        report.check(Check::DeleteAgainSucceeds, "second delete", again.is_ok(), || {
            format!("{:?}", again.as_ref().err())
        });
        let gone = hard("read after delete", read(ctx, &rec).await)?;
        report.check(
            Check::ReadAfterDeleteIsNone,
            "read after delete",
            gone.is_none(),
            || format!("read answered {gone:?}"),
        );
        let found = hard("find by id after delete", find(ctx, kind, &[rec.id()]).await)?;
        report.check(
            Check::FindAfterDeleteIsEmpty,
            "find by id after delete",
            found.is_empty(),
            || format!("found {found:?}"),
        );
        let after = census(&self.emu.inventory());
        report.check(Check::InventoryRestored, "after delete", after == before, || {
            format!("the case left:{}", census_diff(&before, &after))
        });
        if let Some(artifact) = artifact {
            let left = artifact.versions_left(ctx).await;
            report.check(
                Check::ArtifactRemoved,
                "after delete",
                matches!(&left, Ok(v) if v.is_empty()),
                || format!("s3://{}/{} still has {left:?}", artifact.bucket, artifact.key),
            );
        }
        Ok(())
    }

    /// For a runtime deployed from code: it runs the recorded object version, which holds the
    /// spec's code (the digest agentfs put in the object's metadata).
    async fn artifact_deployed(&self, report: &mut Report, rec: &Record, context: &str) {
        let Some(artifact) = Artifact::of(rec) else {
            return;
        };
        let found = artifact.deployed(&self.ctx, rec).await;
        report.check(Check::ArtifactDeployed, context, found.is_ok(), || {
            found.err().unwrap_or_default()
        });
    }

    /// `read` of `rec` equals its recorded configuration, as the kind normalises both.
    async fn read_equals(&self, report: &mut Report, rec: &Record, context: &str) -> Result<(), Abort> {
        let kind = rec.spec.kind();
        let live = hard(format!("read {context}"), read(&self.ctx, rec).await)?;
        let recorded = kind.normalise(rec.config());
        let live = live.map(|v| kind.normalise(v));
        report.check(
            Check::ReadEqualsRecord,
            format!("read {context}"),
            live.as_ref() == Some(&recorded),
            || match &live {
                None => "the resource reads as gone".to_string(),
                Some(live) => format!("false drift:{}", drift(&recorded, live)),
            },
        );
        Ok(())
    }

    async fn mutate(&self, report: &mut Report, rec: &mut Record, mutation: &Mutation) -> Result<(), Abort> {
        let kind = rec.spec.kind();
        let what = mutation.what;
        let spec = patched(&rec.spec, &(mutation.set)(&self.world), what);
        let (old, new) = (
            serde_json::to_value(&rec.spec).unwrap(),
            serde_json::to_value(&spec).unwrap(),
        );
        let fields: BTreeSet<&String> = old
            .as_object()
            .unwrap()
            .keys()
            .chain(new.as_object().unwrap().keys())
            .collect();
        let changed: Vec<&str> = fields
            .into_iter()
            .filter(|f| old.get(*f) != new.get(*f))
            .map(String::as_str)
            .collect();
        assert!(
            !changed.is_empty(),
            "mutation `{what}` of the {kind} case changes nothing"
        );
        let declared = if changed.iter().any(|f| kind.replace_on().contains(f)) {
            Outcome::Replace
        } else if changed.iter().all(|f| kind.local_only().contains(f)) {
            Outcome::LocalOnly
        } else {
            Outcome::InPlace
        };
        report.check(
            Check::DeclaredOutcome,
            format!("mutation `{what}` (changes {changed:?})"),
            declared == mutation.expect,
            || {
                format!(
                    "expected {:?}, but with replace_on {:?} and local_only {:?} the engine does {declared:?}",
                    mutation.expect,
                    kind.replace_on(),
                    kind.local_only()
                )
            },
        );
        let context = format!("update `{what}`");
        let local = match declared {
            // The engine replaces: update is never called and the record stays as it was.
            Outcome::Replace => return Ok(()),
            Outcome::LocalOnly => true,
            Outcome::InPlace => false,
        };
        let tags = full_tags(&rec.address, &spec);
        // The engine gives update the recorded tags without agentfs's own, so that every update
        // (re)sends them. A local-only change is given them as they are: nothing is to be sent.
        let prior_tags = if local { rec.tags.clone() } else { user_tags(&rec.tags) };
        let calls_before = self.emu.calls().as_array().map_or(0, Vec::len);
        let updated = hard(context.clone(), update(&self.ctx, rec, &spec, &tags, &prior_tags).await)?;
        if let (Some(before), Some(after)) = (
            Artifact::of(rec),
            Artifact::of(&Record {
                spec: spec.clone(),
                created: updated.clone(),
                ..rec.clone()
            }),
        ) {
            // agentfs uploads again when the code's content (its digest) changes, and never
            // otherwise: another runtime or entry point reuses the object version.
            let code_changed = before.sha256 != after.sha256;
            report.check(
                Check::ArtifactUploadedOnChange,
                context.clone(),
                (before.version != after.version) == code_changed,
                || {
                    format!(
                        "the code {} but the artifact version went from {:?} to {:?}",
                        if code_changed { "changed" } else { "did not change" },
                        before.version,
                        after.version
                    )
                },
            );
        }
        if local {
            let calls = self.emu.calls();
            let made: Vec<String> = calls.as_array().unwrap()[calls_before..]
                .iter()
                .filter_map(|c| {
                    let operation = c["operation"].as_str().unwrap_or_default();
                    is_mutating(operation).then(|| format!("{}:{operation}", c["service"].as_str().unwrap_or("?")))
                })
                .collect();
            report.check(Check::LocalOnlyMakesNoCall, context.clone(), made.is_empty(), || {
                format!("update made {made:?}")
            });
        }
        report.check(
            Check::UpdateKeepsId,
            context.clone(),
            updated.id == rec.created.id,
            || format!("{} became {}", rec.created.id, updated.id),
        );
        attributes(report, kind, &context, &updated);
        *rec = Record {
            spec,
            tags,
            created: updated,
            ..rec.clone()
        };
        self.read_equals(report, rec, &format!("after {context}")).await?;
        self.artifact_deployed(report, rec, &format!("after {context}")).await;
        Ok(())
    }

    /// Deletes every prerequisite, newest first, and checks that nothing is left.
    pub async fn teardown(mut self) {
        while let Some((need, rec)) = self.world.made.pop() {
            let started = Instant::now();
            if let Err(e) = delete_within(&self.ctx, &rec, Some(TEARDOWN)).await {
                let now = census(&self.emu.inventory());
                panic!(
                    "deleting prerequisite {need:?} ({}): {e}\nwhat is left:{}",
                    rec.address,
                    census_diff(&self.empty, &now)
                );
            }
            println!(
                "contract: prerequisite {} deleted in {:.1}s",
                rec.address,
                started.elapsed().as_secs_f64()
            );
        }
        let end = census(&self.emu.inventory());
        assert!(end == self.empty, "left behind:{}", census_diff(&self.empty, &end));
    }
}

/// The attributes `created` answers are the kind's declared ones, and `id` is its id.
fn attributes(report: &mut Report, kind: Kind, context: &str, created: &Created) {
    let declared: BTreeSet<&str> = kind.attributes().iter().copied().collect();
    let answered: BTreeSet<&str> = created.attributes.keys().map(String::as_str).collect();
    let missing: Vec<&&str> = declared.difference(&answered).collect();
    let undeclared: Vec<&&str> = answered.difference(&declared).collect();
    report.check(Check::DeclaredAttributesPresent, context, missing.is_empty(), || {
        format!("declared {declared:?}, {context} answered {answered:?}: missing {missing:?}")
    });
    report.check(Check::NoUndeclaredAttributes, context, undeclared.is_empty(), || {
        format!("declared {declared:?}, {context} answered {answered:?}: undeclared {undeclared:?}")
    });
    report.check(
        Check::IdAttributeIsId,
        context,
        created.attributes.get("id") == Some(&created.id),
        || format!("id {} but attribute id {:?}", created.id, created.attributes.get("id")),
    );
}

/// Prints what every case found; panics on any failure no [`KnownViolation`] marker explains, and on
/// markers whose violation no longer happens.
pub fn verdict(reports: &[Report]) {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:>6} {:>6} {:>6} {:>6} {:>7}",
        "kind", "checks", "passed", "known", "failed", "time"
    );
    for r in reports {
        let _ = writeln!(
            out,
            "{:<28} {:>6} {:>6} {:>6} {:>6} {:>6.1}s",
            r.name,
            r.ran.len(),
            r.ran.iter().filter(|x| x.failure.is_none()).count(),
            r.expected().len(),
            r.unexpected().len(),
            r.took.as_secs_f64()
        );
    }
    let mut expected = String::new();
    let mut problems = String::new();
    for r in reports {
        for ran in r.expected() {
            let why = r
                .known
                .iter()
                .find(|(c, _)| *c == ran.check)
                .map_or("", |(_, why)| *why);
            let _ = writeln!(
                expected,
                "  {} step {} {:?} ({}): {}\n    known: {why}",
                r.name,
                ran.check.step(),
                ran.check,
                ran.context,
                ran.failure.as_deref().unwrap_or_default()
            );
        }
        for ran in r.unexpected() {
            let _ = writeln!(
                problems,
                "  {} step {} {:?} ({}): {}",
                r.name,
                ran.check.step(),
                ran.check,
                ran.context,
                ran.failure.as_deref().unwrap_or_default()
            );
        }
        for check in r.stale() {
            let _ = writeln!(
                problems,
                "  {} {check:?} passes now: remove its `KnownViolation` marker from the case",
                r.name
            );
        }
    }
    println!("{out}");
    if !expected.is_empty() {
        println!("known contract violations (still failing, as marked):\n{expected}");
    }
    assert!(problems.is_empty(), "contract violations:\n{problems}\n{out}");
}

// ---- a runtime's code artifact ------------------------------------------------------------

/// The artifact object a runtime deployed from code records (`artifact_key`, `artifact_version`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Artifact {
    bucket: String,
    key: String,
    version: String,
    /// The digest of the code the spec names.
    sha256: String,
    /// The spec's whole `code` table: any change of it is a new upload.
    code: Value,
}

impl Artifact {
    fn of(rec: &Record) -> Option<Artifact> {
        let ResourceSpec::AgentcoreRuntime(spec) = &rec.spec else {
            return None;
        };
        let code = spec.code.as_ref()?;
        let attribute = |name: &str| rec.created.attributes.get(name).cloned().unwrap_or_default();
        Some(Artifact {
            bucket: code.bucket.clone(),
            key: attribute("artifact_key"),
            version: attribute("artifact_version"),
            sha256: code.sha256.clone(),
            code: serde_json::to_value(code).unwrap_or_default(),
        })
    }

    /// The runtime's codeConfiguration points at this object version, and the object holds
    /// the spec's code.
    async fn deployed(&self, ctx: &Ctx, rec: &Record) -> Result<(), String> {
        let ResourceSpec::AgentcoreRuntime(spec) = &rec.spec else {
            return Err("not a runtime".into());
        };
        let code = spec.code.as_ref().ok_or("the runtime has no code")?;
        let expected_key = code.key(STACK, &spec.name);
        if self.key != expected_key {
            return Err(format!(
                "artifact_key is {:?}, the spec's key {expected_key:?}",
                self.key
            ));
        }
        if self.version.is_empty() {
            return Err("the bucket is versioned but artifact_version is empty".into());
        }
        let head = ctx
            .clients
            .s3
            .head_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .version_id(&self.version)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "HeadObject s3://{}/{} version {}: {e:?}",
                    self.bucket, self.key, self.version
                )
            })?;
        let digest = head.metadata().and_then(|m| m.get("agentfs-sha256")).cloned();
        if digest.as_deref() != Some(self.sha256.as_str()) {
            return Err(format!(
                "the object version holds code {digest:?}, the spec's is {:?}",
                self.sha256
            ));
        }
        let live = ctx
            .clients
            .agentcore
            .get_agent_runtime()
            .agent_runtime_id(rec.id())
            .send()
            .await
            .map_err(|e| format!("GetAgentRuntime {}: {e:?}", rec.id()))?;
        use aws_sdk_bedrockagentcorecontrol::types::AgentRuntimeArtifact;
        let s3 = match live.agent_runtime_artifact() {
            Some(AgentRuntimeArtifact::CodeConfiguration(c)) => c.code().and_then(|code| code.as_s3().ok()).cloned(),
            other => return Err(format!("the runtime runs {other:?}, not code")),
        };
        let s3 = s3.ok_or("codeConfiguration has no S3 location")?;
        let running = (s3.bucket(), s3.prefix(), s3.version_id().unwrap_or_default());
        if running != (self.bucket.as_str(), self.key.as_str(), self.version.as_str()) {
            return Err(format!("the runtime runs {running:?}, the record says {self:?}"));
        }
        Ok(())
    }

    /// The versions and delete markers of the object that are still there.
    async fn versions_left(&self, ctx: &Ctx) -> Result<Vec<String>, String> {
        let listed = ctx
            .clients
            .s3
            .list_object_versions()
            .bucket(&self.bucket)
            .prefix(&self.key)
            .send()
            .await
            .map_err(|e| format!("ListObjectVersions: {e:?}"))?;
        let versions = listed.versions().iter().filter(|v| v.key() == Some(self.key.as_str()));
        let markers = listed
            .delete_markers()
            .iter()
            .filter(|m| m.key() == Some(self.key.as_str()));
        Ok(versions
            .map(|v| format!("version {:?}", v.version_id()))
            .chain(markers.map(|m| format!("delete marker {:?}", m.version_id())))
            .collect())
    }
}
