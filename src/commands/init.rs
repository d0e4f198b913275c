//! `agentfs init`: write a starting `agentfs.toml` from one of the examples.
//!
//! The templates are the files in `examples/`, embedded as they are (one source for both), with
//! a preamble that teaches how to read a spec; the test suite validates and plans each one.
//! The `agent` template also writes the example agent's code (`examples/agent/src`) to
//! `agent/`, where its spec's `code.source` points.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{InitArgs, InitTemplate};
use crate::pipeline::CliError;

/// One template: its name on the command line, a one-line summary and the example it copies.
pub struct Template {
    pub name: &'static str,
    pub summary: &'static str,
    example: &'static str,
    /// The agent code written next to the spec, when the example deploys code.
    pub code: Option<&'static AgentCode>,
}

/// An example's agent code: the directory the example's spec names, the one `init` writes
/// instead, and the files (relative to either).
pub struct AgentCode {
    pub example_source: &'static str,
    pub source: &'static str,
    pub files: &'static [(&'static str, &'static str)],
}

/// `examples/agent/src`, embedded at build time (the test suite checks no file is missing).
pub const EXAMPLE_AGENT: AgentCode = AgentCode {
    example_source: "src",
    source: "agent",
    files: &[
        ("server.py", include_str!("../../examples/agent/src/server.py")),
        (
            "requirements.txt",
            include_str!("../../examples/agent/src/requirements.txt"),
        ),
    ],
};

pub const TEMPLATES: [Template; 5] = [
    Template {
        name: "s3files",
        summary: "VPC in two AZs with NAT, versioned S3 bucket, Amazon S3 Files at /mnt/data, AgentCore Runtime",
        example: include_str!("../../examples/s3files-runtime.toml"),
        code: None,
    },
    Template {
        name: "efs",
        summary: "the same network with an Amazon EFS access point at /mnt/data instead of S3 Files",
        example: include_str!("../../examples/efs-runtime.toml"),
        code: None,
    },
    Template {
        name: "session-storage",
        summary: "smallest stack: a PUBLIC-mode runtime with AgentCore session storage, no VPC",
        example: include_str!("../../examples/session-storage.toml"),
        code: None,
    },
    Template {
        name: "agent",
        summary: "the s3files stack with the example agent's code (written to agent/) deployed from an S3 bucket",
        example: include_str!("../../examples/agent/agentfs.toml"),
        code: Some(&EXAMPLE_AGENT),
    },
    Template {
        name: "private-agent",
        summary: "a runtime in private subnets without NAT, with an AgentCore Memory and a Gateway serving Lambda tools",
        example: include_str!("../../examples/private-agent.toml"),
        code: None,
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
            InitTemplate::Agent => "agent",
            InitTemplate::PrivateAgent => "private-agent",
        };
        TEMPLATES.iter().find(|t| t.name == name).unwrap_or(&TEMPLATES[0])
    }

    /// The file `init` writes: a heading, the preamble, then the example (its own comments kept,
    /// its editor hint, which points into agentfs's repository, dropped; its code source the
    /// directory `init` writes).
    pub fn render(&self) -> String {
        let mut example: String = self
            .example
            .lines()
            .filter(|l| !l.starts_with("# Editors:"))
            .map(|l| format!("{l}\n"))
            .collect();
        if let Some(code) = self.code {
            example = example
                .replace(
                    &format!("source = \"{}\"", code.example_source),
                    &format!("source = \"{}\"", code.source),
                )
                .replace(&format!("({}/", code.example_source), &format!("({}/", code.source));
        }
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
            crate::outln!("{:<16} {}", t.name, t.summary);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("."));
    let template = Template::of(args.template);
    let path = dir.join("agentfs.toml");
    let mut files = vec![(path.clone(), template.render())];
    if let Some(code) = template.code {
        let source = dir.join(code.source);
        files.extend(
            code.files
                .iter()
                .map(|(name, text)| (source.join(name), text.to_string())),
        );
    }
    // Nothing is written when anything would be overwritten.
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !existing.is_empty() && !args.force {
        let one = existing.len() == 1;
        return Err(CliError::Other(format!(
            "{} already exist{}; pass --force to overwrite {}",
            existing.join(", "),
            if one { "s" } else { "" },
            if one { "it" } else { "them" },
        )));
    }
    for (file, text) in &files {
        write(file, text)?;
    }
    let written: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    crate::outln!(
        "Wrote {} from the `{}` template. Next: agentfs validate {}",
        written.join(", "),
        template.name,
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    let failed = |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    std::fs::write(path, text).map_err(failed)
}
