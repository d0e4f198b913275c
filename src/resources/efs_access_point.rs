//! `efs_access_point`: CreateAccessPoint with the stack's client token. Before creating, the
//! file system's access points are searched for that token, so a retry after a crash reuses
//! the earlier one (AWS would otherwise answer AccessPointAlreadyExists). Waits for
//! `available`; only tags change in place.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_efs::types::{AccessPointDescription, LifeCycleState};
use futures_util::future::try_join_all;

use super::Kind;
use super::lookup::{absent, each, keep, owned};
use super::mount_family::efs_sdk::{live_root, live_user, posix_user, root_directory};
use super::mount_family::{self, AccessPointModel, access_point_fields, access_point_spec, missing_is_empty};
use super::tags::{self, Owner, Tagged};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, Poll, api, delete_then_wait, wait_for};
use crate::lang::Group;
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, To, p};

access_point_spec! {
    /// `[efs_access_point.NAME]`
    EfsAccessPointSpec,
    Kind::EfsFileSystem
}

const FIELDS: [ApiField; 11] = access_point_fields(AccessPointModel {
    service: "efs",
    request: [
        "CreateAccessPointRequest$FileSystemId",
        "CreateAccessPointRequest$PosixUser",
        "CreateAccessPointRequest$RootDirectory",
    ],
    user: ["PosixUser$Uid", "PosixUser$Gid", "PosixUser$SecondaryGids"],
    secondary_gids: Limits::len(0, 16),
    path: (
        "RootDirectory$Path",
        Limits::len(1, 100).pattern(r"^(\/|(\/(?!\.)+[^$#<>;`|&?{}^*/\n]+){1,4})$"),
    ),
    creation: [
        "CreationInfo$OwnerUid",
        "CreationInfo$OwnerGid",
        "CreationInfo$Permissions",
    ],
    permissions: Limits::len(3, 4).pattern("^[0-7]{3,4}$"),
});

pub struct EfsAccessPoint;

impl Resource for EfsAccessPoint {
    type Spec = EfsAccessPointSpec;
    const GROUP: Group = Group::Storage;
    const CREATE_CALL: &'static str = "efs:CreateAccessPoint";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn"];
    /// Found by id, name or ARN when the stack uses one it does not own.
    const EXISTING: Option<crate::lang::existing::ExistingWays> =
        Some(crate::lang::existing::ExistingWays::by_id("elasticfilesystem"));
    const REPLACE_ON: &'static [&'static str] = mount_family::ACCESS_POINT_REPLACE_ON;
    const CREATE_BEFORE_DESTROY: bool = mount_family::ACCESS_POINT_CREATE_BEFORE_DESTROY;
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = mount_family::api(&FIELDS, super::tags::rules::EFS);
    const TIMEOUTS: Timeouts = mount_family::TIMEOUTS;

    async fn create(ctx: &Ctx, req: &Request<'_, EfsAccessPointSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let existing = ctx
            .clients
            .efs
            .describe_access_points()
            .file_system_id(&spec.file_system)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(api("efs:DescribeAccessPoints"))?;
        let ap = match existing.into_iter().find(|ap| ap.client_token() == Some(req.token)) {
            Some(ap) => ap,
            None => {
                let out = ctx
                    .clients
                    .efs
                    .create_access_point()
                    .client_token(req.token)
                    .file_system_id(&spec.file_system)
                    .set_tags(Some(tags::efs(req.tags)?))
                    .set_posix_user(spec.posix_user.as_ref().map(posix_user).transpose()?)
                    .set_root_directory(spec.root_directory.as_ref().map(root_directory).transpose()?)
                    .send()
                    .await
                    .map_err(api("efs:CreateAccessPoint"))?;
                let id = out
                    .access_point_id()
                    .ok_or_else(|| ApiError::missing("efs:CreateAccessPoint", "AccessPointId"))?;
                AccessPointDescription::builder()
                    .access_point_id(id)
                    .set_access_point_arn(out.access_point_arn().map(String::from))
                    .set_life_cycle_state(out.life_cycle_state().cloned())
                    .build()
            }
        };
        let id = ap
            .access_point_id()
            .ok_or_else(|| ApiError::missing("efs:DescribeAccessPoints", "AccessPointId"))?
            .to_string();
        if ap.life_cycle_state() != Some(&LifeCycleState::Available) {
            wait_for(
                "efs:CreateAccessPoint",
                "the access point to be available",
                req.timeout,
                req.progress,
                || async {
                    Ok(
                        match describe(ctx, &id).await?.and_then(|ap| ap.life_cycle_state().cloned()) {
                            Some(LifeCycleState::Available) => Poll::Ready(()),
                            Some(s @ (LifeCycleState::Error | LifeCycleState::Deleting | LifeCycleState::Deleted)) => {
                                Poll::Failed(s.as_str().to_string())
                            }
                            Some(other) => Poll::Pending(other.as_str().to_string()),
                            None => Poll::Pending("not yet listed".to_string()),
                        },
                    )
                },
            )
            .await?;
        }
        Ok(created(ctx, &id, ap.access_point_arn().map(String::from)))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, EfsAccessPointSpec>,
        prior: &Recorded<'_, EfsAccessPointSpec>,
    ) -> Result<Created, ApiError> {
        tags::sync(ctx, Tagged::Efs(prior.id), prior.tags, req.tags).await?;
        Ok(created(ctx, prior.id, prior.attributes.get("arn").cloned()))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, EfsAccessPointSpec>) -> Result<(), ApiError> {
        let id = prior.id;
        delete_then_wait(
            "efs:DeleteAccessPoint",
            "the access point",
            prior.timeout,
            prior.progress,
            || async {
                ctx.clients
                    .efs
                    .delete_access_point()
                    .access_point_id(id)
                    .send()
                    .await
                    .map_err(api("efs:DeleteAccessPoint"))
            },
            || async {
                Ok(match describe(ctx, id).await? {
                    None => Poll::Ready(()),
                    Some(ap) => match ap.life_cycle_state() {
                        None | Some(LifeCycleState::Deleted) => Poll::Ready(()),
                        Some(other) => Poll::Pending(other.as_str().to_string()),
                    },
                })
            },
        )
        .await
    }

    /// Import: one DescribeAccessPoints per id. Recover: one DescribeAccessPoints for the whole
    /// account (paginated; it carries the tags), keeping those tagged with the stack.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let listed: Vec<AccessPointDescription> = if ids.is_empty() {
            ctx.clients
                .efs
                .describe_access_points()
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(api("efs:DescribeAccessPoints"))?
        } else {
            let looked_up = each(owned(ids), |id| async move {
                let id = id.as_str();
                match describe(ctx, id).await {
                    Ok(ap) => Ok(ap),
                    Err(e) if absent(&e) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?;
            looked_up.into_iter().flatten().collect()
        };
        let found = listed
            .iter()
            .filter(|ap| {
                !matches!(
                    ap.life_cycle_state(),
                    Some(LifeCycleState::Deleting | LifeCycleState::Deleted)
                )
            })
            .map(|ap| {
                let id = ap.access_point_id()?;
                let owner = Owner::of(ap.tags().iter().map(|t| (t.key(), t.value())));
                Some((owner, created(ctx, id, ap.access_point_arn().map(String::from))))
            })
            .collect();
        Ok(keep(ctx, ids, found))
    }

    /// One DescribeAccessPoints per file system (records grouped by file system): it carries
    /// POSIX user, root directory and tags.
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, EfsAccessPointSpec>],
    ) -> Result<Vec<Option<EfsAccessPointSpec>>, ApiError> {
        let file_systems: BTreeSet<&str> = records.iter().map(|r| r.spec.file_system.as_str()).collect();
        let listings = try_join_all(file_systems.into_iter().map(|fs| async move {
            let listed = ctx
                .clients
                .efs
                .describe_access_points()
                .file_system_id(fs)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(api("efs:DescribeAccessPoints"));
            missing_is_empty(listed)
        }))
        .await?;
        let live: BTreeMap<&str, &AccessPointDescription> = listings
            .iter()
            .flatten()
            .filter(|ap| {
                !matches!(
                    ap.life_cycle_state(),
                    Some(LifeCycleState::Deleting | LifeCycleState::Deleted)
                )
            })
            .filter_map(|ap| Some((ap.access_point_id()?, ap)))
            .collect();
        Ok(records
            .iter()
            .map(|r| {
                let ap = live.get(r.id)?;
                let tags = tags::user_tags(ap.tags().iter().map(|t| (t.key(), t.value())));
                Some(r.spec.read_back(
                    ap.file_system_id(),
                    ap.posix_user().map(live_user),
                    ap.root_directory().map(live_root),
                    tags,
                ))
            })
            .collect())
    }
}

fn created(ctx: &Ctx, id: &str, arn: Option<String>) -> Created {
    let arn = arn.unwrap_or_else(|| ctx.arn("elasticfilesystem", &format!("access-point/{id}")));
    Created::new(id).with("arn", arn)
}

async fn describe(ctx: &Ctx, id: &str) -> Result<Option<AccessPointDescription>, ApiError> {
    let out = ctx
        .clients
        .efs
        .describe_access_points()
        .access_point_id(id)
        .send()
        .await
        .map_err(api("efs:DescribeAccessPoints"))?;
    Ok(out.access_points().first().cloned())
}

/// `AWS::EFS::AccessPoint` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::EFS::AccessPoint",
    &[
        p("FileSystemId", To::Ref("file_system", "efs_file_system")),
        p("PosixUser.Uid", To::Int("posix_user.uid")),
        p("PosixUser.Gid", To::Int("posix_user.gid")),
        p("PosixUser.SecondaryGids", To::Field("posix_user.secondary_gids")),
        p("RootDirectory.Path", To::Field("root_directory.path")),
        p(
            "RootDirectory.CreationInfo.OwnerUid",
            To::Int("root_directory.creation_permissions.owner_uid"),
        ),
        p(
            "RootDirectory.CreationInfo.OwnerGid",
            To::Int("root_directory.creation_permissions.owner_gid"),
        ),
        p(
            "RootDirectory.CreationInfo.Permissions",
            To::Field("root_directory.creation_permissions.permissions"),
        ),
        p(
            "ClientToken",
            To::Refuse("agentfs makes its own idempotency token for every create"),
        ),
        p(
            "AccessPointTags",
            To::Pairs {
                field: "tags",
                key: "Key",
                value: "Value",
            },
        ),
    ],
)
.attributes(&[("AccessPointId", "id"), ("Arn", "arn")])];
