//! `agentfs init`: write a starting `agentfs.toml` from one of the examples.
//!
//! The templates are the files in `examples/`, embedded as they are (one source for both), with
//! a preamble that teaches how to read a spec; the test suite validates and plans each one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{InitArgs, InitTemplate};
use crate::pipeline::CliError;

/// One template: its name on the command line, a one-line summary and the example it copies.
pub struct Template {
    pub name: &'static str,
    pub summary: &'static str,
    example: &'static str,
}

pub const TEMPLATES: [Template; 3] = [
    Template {
        name: "s3files",
        summary: "VPC in two AZs with NAT, versioned S3 bucket, Amazon S3 Files at /mnt/data, AgentCore Runtime",
        example: include_str!("../../examples/s3files-runtime.toml"),
    },
    Template {
        name: "efs",
        summary: "the same network with an Amazon EFS access point at /mnt/data instead of S3 Files",
        example: include_str!("../../examples/efs-runtime.toml"),
    },
    Template {
        name: "session-storage",
        summary: "smallest stack: a PUBLIC-mode runtime with AgentCore session storage, no VPC",
        example: include_str!("../../examples/session-storage.toml"),
    },
];

const PREAMBLE: &str = "\
# How to read this file:
# - [stack] names the stack (`${stack}` in strings, and the agentfs:stack tag on every
#   resource) and its region (`${region}`).
# - Every other [KIND.NAME] table is one AWS resource: KIND is what it is (vpc, subnet,
#   s3_bucket, iam_role, agentcore_runtime, ...), NAME is yours to choose.
# - A field that names another resource (`vpc = \"main\"`) is a reference: that resource is
#   created first. `${kind.name.attribute}` in a string uses a value AWS assigns (an id, an ARN).
# - `${account_id}` and `${var.NAME}` (declared as [variable.NAME], given with --var) fill strings.
# - Any resource also takes depends_on = [\"kind.name\"], lifecycle = { prevent_destroy = true }
#   and timeouts = { create = \"15m\" }.
# - [output.NAME] values are printed after apply and by `agentfs output`.
#
# Next: `agentfs validate` checks it offline, `agentfs plan` shows what apply would create,
# `agentfs apply` creates it and `agentfs destroy` deletes it all again.
# Editors: `agentfs schema > agentfs.schema.json`, then put `#:schema ./agentfs.schema.json`
# on the first line for completion and checks as you type.
";

impl Template {
    fn of(choice: InitTemplate) -> &'static Template {
        let name = match choice {
            InitTemplate::S3files => "s3files",
            InitTemplate::Efs => "efs",
            InitTemplate::SessionStorage => "session-storage",
        };
        TEMPLATES.iter().find(|t| t.name == name).unwrap_or(&TEMPLATES[0])
    }

    /// The file `init` writes: a heading, the preamble, then the example (its own comments kept,
    /// its editor hint, which points into agentfs's repository, dropped).
    pub fn render(&self) -> String {
        let example: String = self
            .example
            .lines()
            .filter(|l| !l.starts_with("# Editors:"))
            .map(|l| format!("{l}\n"))
            .collect();
        format!(
            "# agentfs.toml, written by `agentfs init --template {}`.\n#\n{PREAMBLE}#\n{}",
            self.name,
            example.trim_start_matches("#\n")
        )
    }
}

pub fn run(args: InitArgs) -> Result<ExitCode, CliError> {
    if args.list {
        for t in &TEMPLATES {
            println!("{:<16} {}", t.name, t.summary);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("."));
    let path = dir.join("agentfs.toml");
    if path.exists() && !args.force {
        return Err(CliError::Other(format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        )));
    }
    write(&dir, &path, &Template::of(args.template).render())?;
    println!(
        "Wrote {} from the `{}` template. Next: agentfs validate {}",
        path.display(),
        Template::of(args.template).name,
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn write(dir: &Path, path: &Path, text: &str) -> Result<(), CliError> {
    let failed = |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    std::fs::write(path, text).map_err(failed)
}
