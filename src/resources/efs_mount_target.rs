//! `efs_mount_target`: no client token and no tags, so a create first looks for the file
//! system's mount target in the same subnet (DescribeMountTargets) and reuses it. Waits for
//! `available`. Security groups change in place (ModifyMountTargetSecurityGroups).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_efs::types::{LifeCycleState, MountTargetDescription};
use futures_util::future::try_join_all;

use super::Kind;
use super::aws::{ApiError, Ctx, Poll, api, delete_then_wait, wait_for};
use super::efs;
use super::lookup::{absent, each, owned, set_or_recorded};
use super::s3files_mount_target::eni_security_groups;
use super::tags::Owner;
use super::{Created, Found, Progress, Recorded, Request, Resource, Timeouts};
use crate::spec::Group;
use crate::spec::api::{ApiField, ApiMap, Limits};
use crate::spec::kind::{KindSpec, RefSlot, list_refs};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[efs_mount_target.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EfsMountTargetSpec {
    pub file_system: String,
    pub subnet: String,
    #[serde(default)]
    pub security_groups: Vec<String>,
}

impl KindSpec for EfsMountTargetSpec {
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        let mut refs = vec![
            RefSlot::new("file_system", Kind::EfsFileSystem, "id", &mut self.file_system),
            RefSlot::new("subnet", Kind::Subnet, "id", &mut self.subnet),
        ];
        refs.extend(list_refs(
            "security_groups",
            Kind::SecurityGroup,
            "id",
            &mut self.security_groups,
        ));
        refs
    }
}

pub struct EfsMountTarget;

impl Resource for EfsMountTarget {
    type Spec = EfsMountTargetSpec;
    const GROUP: Group = Group::Storage;
    const ATTRIBUTES: &'static [&'static str] = &[
        "id",
        "availability_zone",
        "availability_zone_id",
        "ip_address",
        "network_interface_id",
    ];
    const REPLACE_ON: &'static [&'static str] = &["file_system", "subnet"];
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::reference("file_system", "efs", "CreateMountTargetRequest$FileSystemId"),
            ApiField::reference("subnet", "efs", "CreateMountTargetRequest$SubnetId"),
            ApiField::model(
                "security_groups",
                "efs",
                "CreateMountTargetRequest$SecurityGroups",
                Limits {
                    max_len: Some(100),
                    ..Limits::NONE
                },
            ),
        ],
        tags: &[],
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(600),
        update: Duration::from_secs(600),
        delete: Duration::from_secs(600),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, EfsMountTargetSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let existing = ctx
            .clients
            .efs
            .describe_mount_targets()
            .file_system_id(&spec.file_system)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(api("efs:DescribeMountTargets"))?;
        let reusable = existing.iter().find(|t| {
            t.subnet_id() == spec.subnet
                && !matches!(t.life_cycle_state(), LifeCycleState::Deleting | LifeCycleState::Deleted)
        });
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
                let listed = ctx
                    .clients
                    .efs
                    .describe_mount_targets()
                    .file_system_id(&fs.created.id)
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Result<Vec<_>, _>>()
                    .await
                    .map_err(api("efs:DescribeMountTargets"));
                match listed {
                    Ok(targets) => Ok(targets),
                    Err(e) if e.is_not_found() => Ok(Vec::new()),
                    Err(e) => Err(e),
                }
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
            .filter(|t| !matches!(t.life_cycle_state(), LifeCycleState::Deleting | LifeCycleState::Deleted))
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
        let file_systems: BTreeSet<&str> = records.iter().map(|r| r.spec.file_system.as_str()).collect();
        let listings = try_join_all(file_systems.into_iter().map(|fs| async move {
            let listed = ctx
                .clients
                .efs
                .describe_mount_targets()
                .file_system_id(fs)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(api("efs:DescribeMountTargets"));
            match listed {
                Ok(targets) => Ok(targets),
                Err(e) if e.is_not_found() => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        }))
        .await?;
        let live: BTreeMap<&str, &MountTargetDescription> = listings
            .iter()
            .flatten()
            .filter(|t| !matches!(t.life_cycle_state(), LifeCycleState::Deleting | LifeCycleState::Deleted))
            .map(|t| (t.mount_target_id(), t))
            .collect();
        let enis: Vec<String> = records
            .iter()
            .filter_map(|r| live.get(r.id).and_then(|t| t.network_interface_id()))
            .map(String::from)
            .collect();
        let groups = eni_security_groups(ctx, enis).await?;
        try_join_all(records.iter().map(|r| {
            let groups = &groups;
            let target = live.get(r.id).copied();
            async move {
                let Some(target) = target else { return Ok(None) };
                let mut spec = r.spec.clone();
                spec.subnet = target.subnet_id().to_string();
                spec.file_system = target.file_system_id().to_string();
                let live_groups = match target.network_interface_id().and_then(|eni| groups.get(eni)) {
                    Some(g) => g.clone(),
                    None => {
                        let out = ctx
                            .clients
                            .efs
                            .describe_mount_target_security_groups()
                            .mount_target_id(r.id)
                            .send()
                            .await
                            .map_err(api("efs:DescribeMountTargetSecurityGroups"));
                        match out {
                            Ok(out) => out.security_groups().to_vec(),
                            Err(e) if e.is_not_found() => return Ok(None),
                            Err(e) => return Err(e),
                        }
                    }
                };
                // No groups recorded: AWS put the VPC's default group on, as asked.
                if !r.spec.security_groups.is_empty() {
                    spec.security_groups = set_or_recorded(&r.spec.security_groups, live_groups);
                }
                Ok(Some(spec))
            }
        }))
        .await
    }
}

fn created(live: &MountTargetDescription) -> Created {
    let mut created = Created::new(live.mount_target_id());
    let optional = [
        ("availability_zone", live.availability_zone_name()),
        ("availability_zone_id", live.availability_zone_id()),
        ("ip_address", live.ip_address()),
        ("network_interface_id", live.network_interface_id()),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            created = created.with(key, value);
        }
    }
    created
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
