//! What the S3 Files kinds share: the file systems of the region, and lifecycle states.

use aws_sdk_s3files::types::LifeCycleState;

use super::lookup::{each, keep, owned, present};
use super::tags::Owner;
use super::{Created, Found};
use crate::aws::{ApiError, Ctx, api};

/// Every S3 Files file system in the region that is not being deleted (ListFileSystems).
pub async fn list_file_system_ids(ctx: &Ctx) -> Result<Vec<String>, ApiError> {
    let listed = ctx
        .clients
        .s3files
        .list_file_systems()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("s3files:ListFileSystems"))?;
    Ok(listed
        .iter()
        .filter(|fs| !gone(Some(fs.status())))
        .map(|fs| fs.file_system_id().to_string())
        .collect())
}

/// A state in which the resource no longer counts as existing.
pub fn gone(state: Option<&LifeCycleState>) -> bool {
    matches!(state, Some(LifeCycleState::Deleting | LifeCycleState::Deleted))
}

/// The lowercase wire name of a lifecycle state.
pub fn state_name(state: Option<&LifeCycleState>) -> String {
    state.map_or_else(|| "unknown".to_string(), |s| s.as_str().to_string())
}

pub fn failed(state: Option<&LifeCycleState>, message: Option<&str>) -> String {
    match message {
        Some(m) if !m.is_empty() => format!("{}: {m}", state_name(state)),
        _ => state_name(state),
    }
}

/// The file systems with these ids (import), or every one tagged with the stack (recover):
/// one GetFileSystem each. The file system kind's `find`, and where its mount targets and
/// access points start looking.
pub async fn find_file_systems(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
    let candidates = if ids.is_empty() {
        list_file_system_ids(ctx).await?
    } else {
        owned(ids)
    };
    let found = each(candidates, |id| async move {
        let Some(out) = present(
            ctx.clients
                .s3files
                .get_file_system()
                .file_system_id(&id)
                .send()
                .await
                .map_err(api("s3files:GetFileSystem")),
        )?
        else {
            return Ok(None);
        };
        if gone(out.status()) {
            return Ok(None);
        }
        let owner = Owner::of(out.tags().iter().map(|t| (t.key(), t.value())));
        let arn = out
            .file_system_arn()
            .map(String::from)
            .unwrap_or_else(|| ctx.arn("s3files", &format!("file-system/{id}")));
        Ok(Some((owner, Created::new(id).with("arn", arn))))
    })
    .await?;
    Ok(keep(ctx, ids, found))
}
