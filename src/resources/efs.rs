//! What the EFS kinds share: finding the stack's file systems.

use aws_sdk_efs::types::{FileSystemDescription, LifeCycleState};

use super::lookup::{absent, each, keep, owned};
use super::tags::Owner;
use super::{Created, Found};
use crate::aws::{ApiError, Ctx, api};

/// The file systems with these ids (import), or every one tagged with the stack (recover).
/// The file system kind's `find`, and where its mount targets start looking.
pub async fn find_file_systems(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
    let listed: Vec<FileSystemDescription> = if ids.is_empty() {
        ctx.clients
            .efs
            .describe_file_systems()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(api("efs:DescribeFileSystems"))?
    } else {
        let looked_up = each(owned(ids), |id| async move {
            let id = id.as_str();
            match ctx
                .clients
                .efs
                .describe_file_systems()
                .file_system_id(id)
                .send()
                .await
                .map_err(api("efs:DescribeFileSystems"))
            {
                Ok(out) => Ok(out.file_systems().to_vec()),
                Err(e) if absent(&e) => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        })
        .await?;
        looked_up.into_iter().flatten().collect()
    };
    let found = listed
        .iter()
        .filter(|fs| {
            !matches!(
                fs.life_cycle_state(),
                LifeCycleState::Deleting | LifeCycleState::Deleted
            )
        })
        .map(|fs| {
            let owner = Owner::of(fs.tags().iter().map(|t| (t.key(), t.value())));
            let created = created_fs(ctx, fs.file_system_id(), fs.file_system_arn().map(String::from));
            Some((owner, created))
        })
        .collect();
    Ok(keep(ctx, ids, found))
}

/// What a file system's create and find return.
pub fn created_fs(ctx: &Ctx, id: &str, arn: Option<String>) -> Created {
    let arn = arn.unwrap_or_else(|| ctx.arn("elasticfilesystem", &format!("file-system/{id}")));
    Created::new(id).with("arn", arn)
}
