//! `agentfs force-unlock LOCK_ID`: remove a lock left by a process that died.

use std::process::ExitCode;

use crate::cli::ForceUnlockArgs;
use crate::pipeline::{CliError, state_store};
use crate::state::Backend;

pub async fn force_unlock(args: ForceUnlockArgs) -> Result<ExitCode, CliError> {
    let (store, stack, _) = state_store(&args.store, None).await?;
    match store.current_lock().await? {
        Some(info) => {
            store.unlock(&args.lock_id).await?;
            crate::outln!("Removed the lock of stack `{stack}` ({info}).");
            Ok(ExitCode::SUCCESS)
        }
        None => Err(CliError::Other(format!("stack `{stack}` is not locked"))),
    }
}
