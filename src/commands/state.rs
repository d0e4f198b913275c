//! `agentfs state list|show|pull|push|rm|migrate`: inspect and repair recorded state.

use std::process::ExitCode;

use crate::cli::{StateArgs, StateCommand};
use crate::pipeline::{CliError, load_state, replaceable, s3_store, state_store, with_lock};
use crate::state::Backend;
use crate::state::s3::Location;

/// `agentfs state ...`: inspect and repair recorded state with the same safety checks.
pub async fn state(args: StateArgs) -> Result<ExitCode, CliError> {
    let (store, stack, owner) = state_store(&args.store, args.spec.as_ref()).await?;
    let load = || async {
        load_state(&store, &owner)
            .await?
            .ok_or_else(|| CliError::Other(format!("stack `{stack}` has no recorded state in {}", store.describe())))
    };
    match &args.command {
        StateCommand::List => {
            let state = load().await?;
            let phase = |r: &crate::state::ResourceState| match &r.phase {
                crate::state::Phase::Created => "created",
                crate::state::Phase::Creating { .. } => "creating (interrupted)",
                crate::state::Phase::Deleting => "deleting (interrupted)",
            };
            for (addr, r) in &state.resources {
                crate::outln!("{addr}\t{}\t{}", r.id.as_deref().unwrap_or("-"), phase(r));
            }
            for (addr, copies) in &state.deposed {
                for r in copies {
                    crate::outln!("{addr}\t{}\tdeposed, {}", r.id.as_deref().unwrap_or("-"), phase(r));
                }
            }
            for (addr, r) in &state.reads {
                crate::outln!("{addr}\t{}\tread (existing, never changed)", r.id);
            }
        }
        StateCommand::Show { address } => {
            let state = load().await?;
            let addr: crate::spec::Addr = address.parse().map_err(|e| CliError::Other(format!("{e}")))?;
            let shown = match (state.resources.get(&addr), state.reads.get(&addr)) {
                (Some(r), _) => serde_json::to_string_pretty(r),
                (None, Some(read)) => serde_json::to_string_pretty(read),
                (None, None) => return Err(CliError::Other(format!("`{address}` is not in the state"))),
            };
            crate::outln!("{}", shown.unwrap_or_default());
        }
        StateCommand::Pull => {
            let state = load().await?;
            crate::outln!("{}", serde_json::to_string_pretty(&state).unwrap_or_default());
        }
        StateCommand::Push { file, force } => {
            let text = std::fs::read(file).map_err(|source| CliError::Read {
                path: file.clone(),
                source,
            })?;
            let mut pushed = crate::state::parse_state(&file.display().to_string(), &text)?;
            if !force {
                pushed.check_owner(&file.display().to_string(), &owner, None)?;
            }
            with_lock(&store, "state push", async {
                let current = match load_state(&store, &owner).await {
                    Ok(current) => current,
                    // --force replaces a stored state that cannot be read (or is another
                    // stack's), which is what a repair needs.
                    Err(e) if *force && replaceable(&e) => {
                        crate::errln!("warning: replacing {}: {e}", store.describe());
                        None
                    }
                    Err(e) if replaceable(&e) => {
                        return Err(CliError::Other(format!("{e}\n  help: `agentfs state push --force` replaces it")));
                    }
                    Err(e) => return Err(e),
                };
                if let Some(current) = current {
                    if !force && current.lineage != pushed.lineage {
                        return Err(CliError::Other(format!(
                            "refusing to push: lineage {} is another stack's state than {} (lineage {}); --force overrides",
                            pushed.lineage,
                            store.describe(),
                            current.lineage
                        )));
                    }
                    if !force && pushed.serial < current.serial {
                        return Err(CliError::Other(format!(
                            "refusing to push: serial {} is older than the stored serial {}; --force overrides",
                            pushed.serial, current.serial
                        )));
                    }
                    pushed.serial = pushed.serial.max(current.serial) + 1;
                }
                store.save(&pushed).await?;
                crate::outln!("Pushed {} ({} resources) to {}.", file.display(), pushed.resources.len(), store.describe());
                Ok(())
            })
            .await?;
        }
        StateCommand::Rm { address } => {
            let addr: crate::spec::Addr = address.parse().map_err(|e| CliError::Other(format!("{e}")))?;
            with_lock(&store, "state rm", async {
                let mut state = load().await?;
                let deposed = state.deposed.remove(&addr).is_some();
                if state.resources.remove(&addr).is_none() && !deposed {
                    return Err(CliError::Other(format!("`{address}` is not in the state")));
                }
                state.serial += 1;
                store.save(&state).await?;
                crate::outln!("Removed {address} from the state; the AWS resource itself was left as it is.");
                Ok(())
            })
            .await?;
        }
        StateCommand::Mv { from, to } => {
            let parse = |text: &str| {
                text.parse::<crate::spec::Addr>()
                    .map_err(|e| CliError::Other(format!("{e}")))
            };
            let (from_addr, to_addr) = (parse(from)?, parse(to)?);
            with_lock(&store, "state mv", async {
                let mut state = load().await?;
                state
                    .move_resource(&from_addr, &to_addr)
                    .map_err(|e| CliError::Other(e.to_string()))?;
                state.serial += 1;
                store.save(&state).await?;
                crate::outln!(
                    "Moved {from} to {to} in the state; the AWS resource itself was left as it is. Rename its table in the spec to `[{}]`.",
                    to
                );
                Ok(())
            })
            .await?;
        }
        StateCommand::Migrate { to, force } => {
            let state = load().await?;
            let location = Location::parse(to)
                .ok_or_else(|| CliError::Other(format!("`{to}` is not of the form s3://bucket/key")))?;
            let target = s3_store(location, Some(&state.region)).await;
            with_lock(&store, "state migrate", async {
                with_lock(&target, "state migrate", async {
                    if !force && let Some(existing) = target.load().await? {
                        return Err(CliError::Other(format!(
                            "{} already holds a state (stack `{}`, serial {}); --force replaces it",
                            target.describe(),
                            existing.stack,
                            existing.serial
                        )));
                    }
                    target.save(&state).await?;
                    Ok(())
                })
                .await
            })
            .await?;
            crate::outln!(
                "Copied the state of stack `{}` to {to}. Add to the spec:\n\n[backend.s3]\nbucket = \"{}\"\nkey = \"{}\"\n\nThe local file {} is kept as a backup.",
                state.stack,
                Location::parse(to).map(|l| l.bucket).unwrap_or_default(),
                Location::parse(to).map(|l| l.key).unwrap_or_default(),
                store.describe()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
