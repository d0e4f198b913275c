//! `efs_mount_target`: no client token and no tags, so a create first looks for the file
//! system's mount target in the same subnet (DescribeMountTargets) and reuses it. Waits for
//! `available`. Security groups change in place (ModifyMountTargetSecurityGroups).

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_efs::types::{LifeCycleState, MountTargetDescription};

use super::Kind;
use super::efs;
use super::lookup::{absent, each, owned};
use super::mount_family::{
    self, ListedTarget, missing_is_empty, mount_target_fields, mount_target_spec, read_targets, with_reported,
};
use super::tags::Owner;
use super::{Created, Found, Progress, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, Poll, api, delete_then_wait, wait_for};
use crate::lang::Group;
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, To, p};

mount_target_spec! {
    /// `[efs_mount_target.NAME]`
    EfsMountTargetSpec,
    Kind::EfsFileSystem
}

const FIELDS: [ApiField; 3] = mount_target_fields(
    "efs",
    [
        "CreateMountTargetRequest$FileSystemId",
        "CreateMountTargetRequest$SubnetId",
        "CreateMountTargetRequest$SecurityGroups",
    ],
    Limits {
        max_len: Some(100),
        ..Limits::NONE
    },
);

pub struct EfsMountTarget;

impl Resource for EfsMountTarget {
    type Spec = EfsMountTargetSpec;
    const GROUP: Group = Group::Storage;
    const CREATE_CALL: &'static str = "efs:CreateMountTarget";
    const ATTRIBUTES: &'static [&'static str] = &[
        "id",
        "availability_zone",
        "availability_zone_id",
        "ip_address",
        "network_interface_id",
    ];
    const REPLACE_ON: &'static [&'static str] = mount_family::MOUNT_TARGET_REPLACE_ON;
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = mount_family::api(&FIELDS, &[]);
    const TIMEOUTS: Timeouts = mount_family::TIMEOUTS;

    async fn create(ctx: &Ctx, req: &Request<'_, EfsMountTargetSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let existing = list(ctx, spec.file_system.clone()).await?;
        let reusable = existing.iter().find(|t| t.subnet_id() == spec.subnet && !t.gone());
        let id = match reusable {
            Some(target) => {
                req.progress.phase("reusing the mount target already in this subnet");
                target.mount_target_id().to_string()
            }
            None => {
                if let Some(old) = existing.iter().find(|t| t.subnet_id() == spec.subnet) {
                    wait_gone(ctx, old.mount_target_id(), req.timeout, req.progress).await?;
                }
                let out = ctx
                    .clients
                    .efs
                    .create_mount_target()
                    .file_system_id(&spec.file_system)
                    .subnet_id(&spec.subnet)
                    .set_security_groups((!spec.security_groups.is_empty()).then(|| spec.security_groups.clone()))
                    .send()
                    .await
                    .map_err(api("efs:CreateMountTarget"))?;
                out.mount_target_id().to_string()
            }
        };
        let live = wait_available(ctx, &id, req.timeout, req.progress).await?;
        if reusable.is_some() && !spec.security_groups.is_empty() {
            set_security_groups(ctx, &id, &spec.security_groups).await?;
        }
        Ok(created(&live))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, EfsMountTargetSpec>,
        prior: &Recorded<'_, EfsMountTargetSpec>,
    ) -> Result<Created, ApiError> {
        let old: BTreeSet<&String> = prior.spec.security_groups.iter().collect();
        let new: BTreeSet<&String> = req.spec.security_groups.iter().collect();
        if old != new {
            set_security_groups(ctx, prior.id, &req.spec.security_groups).await?;
        }
        let live = wait_available(ctx, prior.id, req.timeout, req.progress).await?;
        Ok(created(&live))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, EfsMountTargetSpec>) -> Result<(), ApiError> {
        let id = prior.id;
        delete_then_wait(
            "efs:DeleteMountTarget",
            "the mount target",
            prior.timeout,
            prior.progress,
            || async {
                ctx.clients
                    .efs
                    .delete_mount_target()
                    .mount_target_id(id)
                    .send()
                    .await
                    .map_err(api("efs:DeleteMountTarget"))
            },
            || mount_target_status(ctx, id),
        )
        .await
    }

    /// Mount targets carry no tags, so none has an address. Import: one DescribeMountTargets
    /// per id. Recover: the file systems tagged with the stack (see
    /// [`efs::find_file_systems`]), then one DescribeMountTargets per file system.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let listings = if ids.is_empty() {
            let file_systems = efs::find_file_systems(ctx, &[]).await?;
            each(file_systems, |fs| async move {
                missing_is_empty(list(ctx, fs.created.id).await)
            })
            .await?
        } else {
            each(owned(ids), |id| async move {
                let id = id.as_str();
                match describe(ctx, id).await {
                    Ok(target) => Ok(target.into_iter().collect::<Vec<_>>()),
                    Err(e) if absent(&e) => Ok(Vec::new()),
                    Err(e) => Err(e),
                }
            })
            .await?
        };
        Ok(listings
            .iter()
            .flatten()
            .filter(|t| !t.gone())
            .map(|t| Found {
                owner: Owner::default(),
                created: created(t),
            })
            .collect())
    }

    /// One DescribeMountTargets per file system (records grouped by file system), and one
    /// DescribeNetworkInterfaces for the security groups of every mount target's network
    /// interface (instead of a DescribeMountTargetSecurityGroups per mount target). A mount
    /// target whose interface is not found there is asked DescribeMountTargetSecurityGroups.
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, EfsMountTargetSpec>],
    ) -> Result<Vec<Option<EfsMountTargetSpec>>, ApiError> {
        read_targets(
            ctx,
            records,
            |fs| list(ctx, fs),
            |id| async move {
                let out = ctx
                    .clients
                    .efs
                    .describe_mount_target_security_groups()
                    .mount_target_id(id)
                    .send()
                    .await
                    .map_err(api("efs:DescribeMountTargetSecurityGroups"));
                match out {
                    Ok(out) => Ok(Some(out.security_groups().to_vec())),
                    Err(e) if e.is_not_found() => Ok(None),
                    Err(e) => Err(e),
                }
            },
        )
        .await
    }
}

/// The file system's mount targets (DescribeMountTargets, all pages).
async fn list(ctx: &Ctx, file_system: String) -> Result<Vec<MountTargetDescription>, ApiError> {
    ctx.clients
        .efs
        .describe_mount_targets()
        .file_system_id(file_system)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("efs:DescribeMountTargets"))
}

fn created(live: &MountTargetDescription) -> Created {
    with_reported(
        Created::new(live.mount_target_id()),
        [
            ("availability_zone", live.availability_zone_name()),
            ("availability_zone_id", live.availability_zone_id()),
            ("ip_address", live.ip_address()),
            ("network_interface_id", live.network_interface_id()),
        ],
    )
}

async fn set_security_groups(ctx: &Ctx, id: &str, groups: &[String]) -> Result<(), ApiError> {
    ctx.clients
        .efs
        .modify_mount_target_security_groups()
        .mount_target_id(id)
        .set_security_groups(Some(groups.to_vec()))
        .send()
        .await
        .map_err(api("efs:ModifyMountTargetSecurityGroups"))?;
    Ok(())
}

async fn describe(ctx: &Ctx, id: &str) -> Result<Option<MountTargetDescription>, ApiError> {
    let out = ctx
        .clients
        .efs
        .describe_mount_targets()
        .mount_target_id(id)
        .send()
        .await
        .map_err(api("efs:DescribeMountTargets"))?;
    Ok(out.mount_targets().first().cloned())
}

async fn wait_available(
    ctx: &Ctx,
    id: &str,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<MountTargetDescription, ApiError> {
    wait_for(
        "efs:CreateMountTarget",
        "the mount target to be available",
        timeout,
        progress,
        || async {
            Ok(match describe(ctx, id).await? {
                Some(mt) => match mt.life_cycle_state() {
                    LifeCycleState::Available => Poll::Ready(mt),
                    s @ (LifeCycleState::Error | LifeCycleState::Deleting | LifeCycleState::Deleted) => {
                        Poll::Failed(s.as_str().to_string())
                    }
                    other => Poll::Pending(other.as_str().to_string()),
                },
                None => Poll::Pending("not yet listed".to_string()),
            })
        },
    )
    .await
}

/// Where a deleted mount target is on its way out.
async fn mount_target_status(ctx: &Ctx, id: &str) -> Result<Poll<()>, ApiError> {
    Ok(match describe(ctx, id).await? {
        None => Poll::Ready(()),
        Some(mt) => match mt.life_cycle_state() {
            LifeCycleState::Deleted => Poll::Ready(()),
            other => Poll::Pending(other.as_str().to_string()),
        },
    })
}

/// Waits until a mount target being deleted is gone.
async fn wait_gone(ctx: &Ctx, id: &str, timeout: Duration, progress: &dyn Progress) -> Result<(), ApiError> {
    wait_for(
        "efs:DeleteMountTarget",
        "the mount target to be deleted",
        timeout,
        progress,
        || async {
            match mount_target_status(ctx, id).await {
                Err(e) if e.is_not_found() => Ok(Poll::Ready(())),
                other => other,
            }
        },
    )
    .await
}

/// `AWS::EFS::MountTarget` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::EFS::MountTarget",
    &[
        p("FileSystemId", To::Ref("file_system", "efs_file_system")),
        p("SubnetId", To::Ref("subnet", "subnet")),
        p("SecurityGroups[]", To::Ref("security_groups[]", "security_group")),
        p("IpAddress", To::Refuse(ADDRESS)),
        p("IpAddressType", To::Refuse(ADDRESS)),
        p("Ipv6Address", To::Refuse(ADDRESS)),
    ],
)
.attributes(&[("Id", "id"), ("IpAddress", "ip_address")])];

const ADDRESS: &str = "agentfs lets AWS choose a mount target's IPv4 address";
