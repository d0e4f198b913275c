//! `agentfs convert TEMPLATE`: CloudFormation -> agentfs spec (see [`crate::convert`]).

use std::process::ExitCode;

use crate::cli::ConvertArgs;
use crate::pipeline::CliError;

pub fn run(args: ConvertArgs) -> Result<ExitCode, CliError> {
    let path = &args.template;
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.clone(),
        source,
    })?;
    let stack = args.stack.clone().unwrap_or_else(|| {
        crate::convert::stack_name(
            &path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default(),
        )
    });
    let converted = match crate::convert::convert(&text, &stack, args.partial) {
        Ok(c) => c,
        Err(failure) => {
            for u in &failure.unsupported {
                crate::errln!("unsupported: {} ({}): {}", u.logical_id, u.cfn_type, u.reason);
            }
            let errors = failure.errors;
            for e in &errors {
                crate::errln!("{}:{}: error: {}", path.display(), e.line, e.message);
            }
            return Err(CliError::Other(format!(
                "{}: {} value(s) cannot be converted",
                path.display(),
                errors.len()
            )));
        }
    };
    for x in &converted.excluded {
        crate::errln!("left out: {} ({}): {}", x.logical_id, x.cfn_type, x.reason);
    }
    for u in &converted.unsupported {
        crate::errln!("unsupported: {} ({}): {}", u.logical_id, u.cfn_type, u.reason);
    }
    if !converted.unsupported.is_empty() && !args.partial {
        return Err(CliError::Other(format!(
            "{} resource(s) cannot be expressed in agentfs (listed above); pass --partial to write the rest",
            converted.unsupported.len()
        )));
    }
    match &args.out {
        Some(out) => std::fs::write(out, &converted.spec).map_err(|source| CliError::Write {
            path: out.clone(),
            source,
        })?,
        None => crate::out!("{}", converted.spec),
    }
    Ok(ExitCode::SUCCESS)
}
