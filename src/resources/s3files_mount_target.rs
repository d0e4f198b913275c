//! `s3files_mount_target`: CreateMountTarget takes no client token and no tags, so a create
//! first lists the file system's mount targets and reuses the one in the same subnet (at most
//! one per AZ exists). Waits for `available`. Security groups update in place.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_s3files::types::{LifeCycleState, ListMountTargetsDescription};

use super::Kind;
use super::lookup::{absent, each, owned};
use super::mount_family::{
    self, missing_is_empty, mount_target_fields, mount_target_spec, read_targets, with_reported,
};
use super::s3files::{self, failed, gone, state_name};
use super::tags::Owner;
use super::{Created, Found, Progress, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, Poll, api, delete_then_wait, wait_for};
use crate::lang::Group;
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, To, p};
use crate::lang::kind::Check;

mount_target_spec! {
    /// `[s3files_mount_target.NAME]` (S3 Files mount targets take no tags).
    S3FilesMountTargetSpec,
    Kind::S3FilesFileSystem,
    check: warn_default_group
}

/// Without security groups, the VPC's default group guards NFS.
fn warn_default_group(security_groups: &[String], check: &mut Check<'_>) {
    if security_groups.is_empty() {
        check.warn(
            "agentfs::lint::default_security_group",
            "security_groups",
            "no security groups: the VPC's default group will guard NFS",
            "name the security group that allows TCP 2049 from the runtime",
        );
    }
}

const FIELDS: [ApiField; 3] = mount_target_fields(
    "s3files",
    [
        "CreateMountTargetRequest$fileSystemId",
        "CreateMountTargetRequest$subnetId",
        "CreateMountTargetRequest$securityGroups",
    ],
    Limits::len(0, 100),
);

pub struct S3FilesMountTarget;

impl Resource for S3FilesMountTarget {
    type Spec = S3FilesMountTargetSpec;
    const GROUP: Group = Group::Storage;
    const CREATE_CALL: &'static str = "s3files:CreateMountTarget";
    const ATTRIBUTES: &'static [&'static str] = &[
        "id",
        "availability_zone_id",
        "ip_address",
        "network_interface_id",
        "vpc_id",
    ];
    const REPLACE_ON: &'static [&'static str] = mount_family::MOUNT_TARGET_REPLACE_ON;
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = mount_family::api(&FIELDS, &[]);
    const TIMEOUTS: Timeouts = mount_family::TIMEOUTS;

    async fn create(ctx: &Ctx, req: &Request<'_, S3FilesMountTargetSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let id = match in_subnet(ctx, spec, req.timeout, req.progress).await? {
            Some(id) => {
                req.progress.phase("reusing the mount target already in this subnet");
                id
            }
            None => {
                let out = ctx
                    .clients
                    .s3files
                    .create_mount_target()
                    .file_system_id(&spec.file_system)
                    .subnet_id(&spec.subnet)
                    .set_security_groups(non_empty(&spec.security_groups))
                    .send()
                    .await
                    .map_err(api("s3files:CreateMountTarget"))?;
                out.mount_target_id().to_string()
            }
        };
        let live = wait_settled(ctx, &id, req.timeout, req.progress)
            .await
            .map_err(|e| e.about(&id))?;
        if !spec.security_groups.is_empty() && !same_set(&live.security_groups, &spec.security_groups) {
            set_security_groups(ctx, &id, spec, req.timeout, req.progress).await
        } else {
            Ok(created(&id, &live))
        }
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, S3FilesMountTargetSpec>,
        prior: &Recorded<'_, S3FilesMountTargetSpec>,
    ) -> Result<Created, ApiError> {
        if same_set(&req.spec.security_groups, &prior.spec.security_groups) {
            let live = wait_settled(ctx, prior.id, req.timeout, req.progress).await?;
            return Ok(created(prior.id, &live));
        }
        set_security_groups(ctx, prior.id, req.spec, req.timeout, req.progress).await
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, S3FilesMountTargetSpec>) -> Result<(), ApiError> {
        let id = prior.id;
        // 409 while a runtime in its AZ still mounts the file system.
        delete_then_wait(
            "s3files:DeleteMountTarget",
            "the mount target",
            prior.timeout,
            prior.progress,
            || async {
                ctx.clients
                    .s3files
                    .delete_mount_target()
                    .mount_target_id(id)
                    .send()
                    .await
                    .map_err(api("s3files:DeleteMountTarget"))
            },
            || async {
                let live = get(ctx, id).await?;
                Ok(match live.status {
                    Some(LifeCycleState::Deleted) => Poll::Ready(()),
                    Some(LifeCycleState::Error) => Poll::Failed(failed(live.status.as_ref(), live.message.as_deref())),
                    other => Poll::Pending(state_name(other.as_ref())),
                })
            },
        )
        .await
    }

    /// Mount targets carry no tags, so none has an address. Import: one GetMountTarget per id.
    /// Recover: the file systems tagged with the stack (see [`s3files::find_file_systems`]),
    /// then one ListMountTargets per file system.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let found: Vec<Created> = if ids.is_empty() {
            let file_systems = s3files::find_file_systems(ctx, &[]).await?;
            let listings = each(file_systems, |fs| async move {
                missing_is_empty(list(ctx, fs.created.id).await)
            })
            .await?;
            listings
                .iter()
                .flatten()
                .filter(|t| !gone(t.status()))
                .map(|t| {
                    let live = Live {
                        status: t.status().cloned(),
                        message: t.status_message().map(String::from),
                        security_groups: Vec::new(),
                        availability_zone_id: t.availability_zone_id().map(String::from),
                        ip_address: t.ipv4_address().map(String::from),
                        network_interface_id: t.network_interface_id().map(String::from),
                        vpc_id: t.vpc_id().map(String::from),
                    };
                    created(t.mount_target_id(), &live)
                })
                .collect()
        } else {
            let looked_up = each(owned(ids), |id| async move {
                let id = id.as_str();
                match get(ctx, id).await {
                    Ok(live) if gone(live.status.as_ref()) => Ok(None),
                    Ok(live) => Ok(Some(created(id, &live))),
                    Err(e) if absent(&e) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?;
            looked_up.into_iter().flatten().collect()
        };
        Ok(found
            .into_iter()
            .map(|created| Found {
                owner: Owner::default(),
                created,
            })
            .collect())
    }

    /// One ListMountTargets per file system (records grouped by file system), and one
    /// DescribeNetworkInterfaces for the security groups of every mount target's network
    /// interface (the listing leaves them out). A mount target whose interface is not found
    /// there is read with GetMountTarget.
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, S3FilesMountTargetSpec>],
    ) -> Result<Vec<Option<S3FilesMountTargetSpec>>, ApiError> {
        read_targets(
            ctx,
            records,
            |fs| list(ctx, fs),
            |id| async move {
                match get(ctx, &id).await {
                    Ok(live) => Ok(Some(live.security_groups)),
                    Err(e) if e.is_not_found() => Ok(None),
                    Err(e) => Err(e),
                }
            },
        )
        .await
    }
}

/// The file system's mount targets (ListMountTargets, all pages).
async fn list(ctx: &Ctx, file_system: String) -> Result<Vec<ListMountTargetsDescription>, ApiError> {
    ctx.clients
        .s3files
        .list_mount_targets()
        .file_system_id(file_system)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("s3files:ListMountTargets"))
}

/// What a mount target looks like now.
struct Live {
    status: Option<LifeCycleState>,
    message: Option<String>,
    security_groups: Vec<String>,
    availability_zone_id: Option<String>,
    ip_address: Option<String>,
    network_interface_id: Option<String>,
    vpc_id: Option<String>,
}

fn created(id: &str, live: &Live) -> Created {
    with_reported(
        Created::new(id),
        [
            ("availability_zone_id", live.availability_zone_id.as_deref()),
            ("ip_address", live.ip_address.as_deref()),
            ("network_interface_id", live.network_interface_id.as_deref()),
            ("vpc_id", live.vpc_id.as_deref()),
        ],
    )
}

fn non_empty(list: &[String]) -> Option<Vec<String>> {
    (!list.is_empty()).then(|| list.to_vec())
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
}

async fn get(ctx: &Ctx, id: &str) -> Result<Live, ApiError> {
    let out = ctx
        .clients
        .s3files
        .get_mount_target()
        .mount_target_id(id)
        .send()
        .await
        .map_err(api("s3files:GetMountTarget"))?;
    Ok(Live {
        status: out.status().cloned(),
        message: out.status_message().map(String::from),
        security_groups: out.security_groups().to_vec(),
        availability_zone_id: out.availability_zone_id().map(String::from),
        ip_address: out.ipv4_address().map(String::from),
        network_interface_id: out.network_interface_id().map(String::from),
        vpc_id: out.vpc_id().map(String::from),
    })
}

/// The file system's mount target in `spec.subnet`, if one exists. One being deleted (a
/// replace in flight) is waited out so the new one can take its AZ.
async fn in_subnet(
    ctx: &Ctx,
    spec: &S3FilesMountTargetSpec,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<Option<String>, ApiError> {
    let targets = list(ctx, spec.file_system.clone()).await?;
    let Some(target) = targets.iter().find(|t| t.subnet_id() == spec.subnet) else {
        return Ok(None);
    };
    let id = target.mount_target_id().to_string();
    match target.status() {
        Some(LifeCycleState::Deleting | LifeCycleState::Deleted) => {
            wait_for(
                "s3files:CreateMountTarget",
                "the old mount target in this subnet to be deleted",
                timeout,
                progress,
                || async {
                    match get(ctx, &id).await {
                        Err(e) if e.is_not_found() => Ok(Poll::Ready(())),
                        Err(e) => Err(e),
                        Ok(live) if live.status == Some(LifeCycleState::Deleted) => Ok(Poll::Ready(())),
                        Ok(live) => Ok(Poll::Pending(state_name(live.status.as_ref()))),
                    }
                },
            )
            .await?;
            Ok(None)
        }
        _ => Ok(Some(id)),
    }
}

/// Waits until the mount target is `available` (from `creating` or `updating`).
async fn wait_settled(ctx: &Ctx, id: &str, timeout: Duration, progress: &dyn Progress) -> Result<Live, ApiError> {
    wait_for(
        "s3files:CreateMountTarget",
        "the mount target to be available",
        timeout,
        progress,
        || async {
            let live = get(ctx, id).await?;
            Ok(match live.status {
                Some(LifeCycleState::Available) => Poll::Ready(live),
                Some(
                    LifeCycleState::Error
                    | LifeCycleState::Misconfigured
                    | LifeCycleState::Deleting
                    | LifeCycleState::Deleted,
                ) => Poll::Failed(failed(live.status.as_ref(), live.message.as_deref())),
                ref other => Poll::Pending(state_name(other.as_ref())),
            })
        },
    )
    .await
}

async fn set_security_groups(
    ctx: &Ctx,
    id: &str,
    spec: &S3FilesMountTargetSpec,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<Created, ApiError> {
    ctx.clients
        .s3files
        .update_mount_target()
        .mount_target_id(id)
        .set_security_groups(Some(spec.security_groups.clone()))
        .send()
        .await
        .map_err(api("s3files:UpdateMountTarget"))?;
    let live = wait_settled(ctx, id, timeout, progress).await?;
    Ok(created(id, &live))
}

/// `AWS::S3Files::MountTarget` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::S3Files::MountTarget",
    &[
        p("FileSystemId", To::Ref("file_system", "s3files_file_system")),
        p("SubnetId", To::Ref("subnet", "subnet")),
        p("SecurityGroups[]", To::Ref("security_groups[]", "security_group")),
        p("IpAddressType", To::Refuse(ADDRESS)),
        p("Ipv4Address", To::Refuse(ADDRESS)),
        p("Ipv6Address", To::Refuse(ADDRESS)),
    ],
)
.attributes(&[
    ("MountTargetId", "id"),
    ("AvailabilityZoneId", "availability_zone_id"),
    ("NetworkInterfaceId", "network_interface_id"),
    ("VpcId", "vpc_id"),
])];

const ADDRESS: &str = "agentfs lets AWS choose a mount target's IPv4 address";
