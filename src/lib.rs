//! agentfs: declarative provisioning of AI agent stacks on AWS with a real file system.
//!
//! The modules form layers; each uses only the ones listed before it (`module_layers` tests
//! it): `lang` (the spec language: diagnostics, addresses, kind metadata) and `aws` (SDK
//! clients and errors) -> `cli` (argument definitions) and `state` (record) -> `resources`
//! (the kinds and their registry) -> `parse` (TOML through the registry) -> `check` (security
//! rules) and `graph` (the DAG and the ordering passes) -> `spec` (load: validate, lint, order,
//! lower into a `Spec`) -> `plan` (desired vs recorded vs live) -> `provider`, `drift`,
//! `recover` -> `apply` (execute) -> `pipeline` -> `commands`.

// `println!`/`eprintln!` panic when their stream is closed; use `out!`/`outln!`/`errln!`.
#![warn(clippy::print_stdout, clippy::print_stderr)]

/// Every resource kind: its variant of [`lang::Kind`], its module under `src/resources/` (also
/// its TOML table key) and the type implementing [`resources::Resource`]. Adding a kind is its
/// file plus one line here; `lang` makes the `Kind` enum from this list and the registry in
/// `resources` the typed `ResourceSpec` and the dispatch.
macro_rules! for_each_kind {
    ($callback:ident) => {
        $callback! {
            Vpc => vpc::Vpc;
            Subnet => subnet::Subnet;
            InternetGateway => internet_gateway::InternetGateway;
            ElasticIp => elastic_ip::ElasticIp;
            NatGateway => nat_gateway::NatGateway;
            RouteTable => route_table::RouteTable;
            Route => route::Route;
            RouteTableAssociation => route_table_association::RouteTableAssociation;
            SecurityGroup => security_group::SecurityGroup;
            VpcEndpoint => vpc_endpoint::VpcEndpoint;
            IamRole => iam_role::IamRole;
            IamPolicy => iam_policy::IamPolicy;
            S3Bucket => s3_bucket::S3Bucket;
            S3FilesFileSystem => s3files_file_system::S3FilesFileSystem;
            S3FilesMountTarget => s3files_mount_target::S3FilesMountTarget;
            S3FilesAccessPoint => s3files_access_point::S3FilesAccessPoint;
            EfsFileSystem => efs_file_system::EfsFileSystem;
            EfsMountTarget => efs_mount_target::EfsMountTarget;
            EfsAccessPoint => efs_access_point::EfsAccessPoint;
            AgentcoreRuntime => agentcore_runtime::AgentcoreRuntime;
            AgentcoreRuntimeEndpoint => agentcore_runtime_endpoint::AgentcoreRuntimeEndpoint;
            EcrRepository => ecr_repository::EcrRepository;
            KmsKey => kms_key::KmsKey;
            LogGroup => log_group::LogGroup;
            AgentcoreMemory => agentcore_memory::AgentcoreMemory;
            AgentcoreGateway => agentcore_gateway::AgentcoreGateway;
            AgentcoreGatewayTarget => agentcore_gateway_target::AgentcoreGatewayTarget;
            AgentcoreBrowser => agentcore_browser::AgentcoreBrowser;
            AgentcoreCodeInterpreter => agentcore_code_interpreter::AgentcoreCodeInterpreter;
        }
    };
}

pub mod apply;
pub mod aws;
pub mod check;
pub mod cli;
pub mod commands;
pub mod convert;
pub mod cost;
pub mod drift;
pub mod graph;
pub mod lang;
#[cfg(test)]
mod module_layers;
pub mod parse;
pub mod pipeline;
pub mod plan;
pub mod provider;
pub mod recover;
pub mod resources;
pub mod spec;
pub mod state;

/// `eprintln!` that never panics. Stderr carries diagnostics and progress; when it is closed
/// (`2>&-`, a reader that went away) the command must still finish and record state, so a
/// failed write is dropped instead of aborting an apply half way.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::write_err(format_args!($($arg)*))
    };
}

#[doc(hidden)]
pub fn write_err(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    // Nowhere to report a failure to report.
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}
