//! `s3files_access_point`: CreateAccessPoint with the stack's client token (a retry returns the
//! same access point), POSIX user and root directory; waits for `available`. Only tags change
//! in place.

use aws_sdk_s3files::types::LifeCycleState;
use futures_util::future::try_join_all;

use super::Kind;
use super::lookup::{each, keep, owned, present};
use super::mount_family::s3files_sdk::{live_root, live_user, posix_user, root_directory};
use super::mount_family::{self, AccessPointModel, access_point_fields, access_point_spec, missing_is_empty};
use super::s3files::{gone, list_file_system_ids, state_name};
use super::tags::{self, Owner, Tagged};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, Poll, api, delete_then_wait, wait_for};
use crate::lang::Group;
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, TAGS, To, p};

access_point_spec! {
    /// `[s3files_access_point.NAME]`
    S3FilesAccessPointSpec,
    Kind::S3FilesFileSystem
}

const FIELDS: [ApiField; 11] = access_point_fields(AccessPointModel {
    service: "s3files",
    request: [
        "CreateAccessPointRequest$fileSystemId",
        "CreateAccessPointRequest$posixUser",
        "CreateAccessPointRequest$rootDirectory",
    ],
    user: ["PosixUser$uid", "PosixUser$gid", "PosixUser$secondaryGids"],
    secondary_gids: Limits::NONE,
    path: (
        "RootDirectory$path",
        Limits::len(1, 100).pattern(r"(\/|(\/(?!\.)+[^$#<>;;`|&?{}^*/\n]+){1,4})"),
    ),
    creation: [
        "CreationPermissions$ownerUid",
        "CreationPermissions$ownerGid",
        "CreationPermissions$permissions",
    ],
    permissions: Limits::len(3, 4).pattern("[0-7]{3,4}"),
});

pub struct S3FilesAccessPoint;

impl Resource for S3FilesAccessPoint {
    type Spec = S3FilesAccessPointSpec;
    const GROUP: Group = Group::Storage;
    const CREATE_CALL: &'static str = "s3files:CreateAccessPoint";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn"];
    /// Found by id, name or ARN when the stack uses one it does not own.
    const EXISTING: Option<crate::lang::existing::ExistingWays> =
        Some(crate::lang::existing::ExistingWays::by_id("s3files"));
    const REPLACE_ON: &'static [&'static str] = mount_family::ACCESS_POINT_REPLACE_ON;
    const CREATE_BEFORE_DESTROY: bool = mount_family::ACCESS_POINT_CREATE_BEFORE_DESTROY;
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = mount_family::api(&FIELDS, super::tags::rules::S3FILES);
    const TIMEOUTS: Timeouts = mount_family::TIMEOUTS;

    async fn create(ctx: &Ctx, req: &Request<'_, S3FilesAccessPointSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let out = ctx
            .clients
            .s3files
            .create_access_point()
            .file_system_id(&spec.file_system)
            .client_token(req.token)
            .set_tags(Some(tags::s3files(req.tags)?))
            .set_posix_user(spec.posix_user.as_ref().map(posix_user).transpose()?)
            .set_root_directory(spec.root_directory.as_ref().map(root_directory).transpose()?)
            .send()
            .await
            .map_err(api("s3files:CreateAccessPoint"))?;
        let id = out.access_point_id().to_string();
        let arn = out.access_point_arn().to_string();
        if out.status() != &LifeCycleState::Available {
            wait_for(
                "s3files:CreateAccessPoint",
                "the access point to be available",
                req.timeout,
                req.progress,
                || async {
                    let out = ctx
                        .clients
                        .s3files
                        .get_access_point()
                        .access_point_id(&id)
                        .send()
                        .await
                        .map_err(api("s3files:GetAccessPoint"))?;
                    Ok(match out.status() {
                        LifeCycleState::Available => Poll::Ready(()),
                        s @ (LifeCycleState::Error
                        | LifeCycleState::Misconfigured
                        | LifeCycleState::Deleting
                        | LifeCycleState::Deleted) => Poll::Failed(s.as_str().to_string()),
                        other => Poll::Pending(state_name(Some(other))),
                    })
                },
            )
            .await?;
        }
        Ok(created(ctx, &spec.file_system, &id, Some(arn)))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, S3FilesAccessPointSpec>,
        prior: &Recorded<'_, S3FilesAccessPointSpec>,
    ) -> Result<Created, ApiError> {
        tags::sync(ctx, Tagged::S3Files(prior.id), prior.tags, req.tags).await?;
        Ok(created(
            ctx,
            &req.spec.file_system,
            prior.id,
            prior.attributes.get("arn").cloned(),
        ))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, S3FilesAccessPointSpec>) -> Result<(), ApiError> {
        let id = prior.id;
        // 409 while a runtime still mounts it.
        delete_then_wait(
            "s3files:DeleteAccessPoint",
            "the access point",
            prior.timeout,
            prior.progress,
            || async {
                ctx.clients
                    .s3files
                    .delete_access_point()
                    .access_point_id(id)
                    .send()
                    .await
                    .map_err(api("s3files:DeleteAccessPoint"))
            },
            || async {
                let out = ctx
                    .clients
                    .s3files
                    .get_access_point()
                    .access_point_id(id)
                    .send()
                    .await
                    .map_err(api("s3files:GetAccessPoint"))?;
                Ok(match out.status() {
                    LifeCycleState::Deleted => Poll::Ready(()),
                    other => Poll::Pending(state_name(Some(other))),
                })
            },
        )
        .await
    }

    /// Import: one GetAccessPoint per id. Recover: ListFileSystems, one ListAccessPoints per
    /// file system (an access point of this stack may sit on any file system), then one
    /// GetAccessPoint per access point for its tags, keeping those tagged with the stack.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let candidates: Vec<String> = if ids.is_empty() {
            let listings = each(list_file_system_ids(ctx).await?, |fs| async move {
                let listed = ctx
                    .clients
                    .s3files
                    .list_access_points()
                    .file_system_id(fs)
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Result<Vec<_>, _>>()
                    .await
                    .map_err(api("s3files:ListAccessPoints"));
                missing_is_empty(listed)
            })
            .await?;
            listings
                .iter()
                .flatten()
                .filter(|ap| !gone(Some(ap.status())))
                .map(|ap| ap.access_point_id().to_string())
                .collect()
        } else {
            owned(ids)
        };
        let found = each(candidates, |id| async move {
            let Some(out) = present(
                ctx.clients
                    .s3files
                    .get_access_point()
                    .access_point_id(&id)
                    .send()
                    .await
                    .map_err(api("s3files:GetAccessPoint")),
            )?
            else {
                return Ok(None);
            };
            if gone(Some(out.status())) {
                return Ok(None);
            }
            let owner = Owner::of(out.tags().iter().map(|t| (t.key(), t.value())));
            let arn = Some(out.access_point_arn().to_string());
            Ok(Some((owner, created(ctx, out.file_system_id(), &id, arn))))
        })
        .await?;
        Ok(keep(ctx, ids, found))
    }

    /// One GetAccessPoint per access point: it carries POSIX user, root directory and tags
    /// (ListAccessPoints has no tags, so it would need ListTagsForResource per access point).
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, S3FilesAccessPointSpec>],
    ) -> Result<Vec<Option<S3FilesAccessPointSpec>>, ApiError> {
        try_join_all(records.iter().map(|r| async move {
            let out = match ctx
                .clients
                .s3files
                .get_access_point()
                .access_point_id(r.id)
                .send()
                .await
                .map_err(api("s3files:GetAccessPoint"))
            {
                Ok(out) => out,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
            if gone(Some(out.status())) {
                return Ok(None);
            }
            let tags = tags::user_tags(out.tags().iter().map(|t| (t.key(), t.value())));
            Ok(Some(r.spec.read_back(
                Some(out.file_system_id()),
                out.posix_user().map(live_user),
                out.root_directory().map(live_root),
                tags,
            )))
        }))
        .await
    }
}

fn created(ctx: &Ctx, file_system: &str, id: &str, arn: Option<String>) -> Created {
    let arn = arn.unwrap_or_else(|| ctx.arn("s3files", &format!("file-system/{file_system}/access-point/{id}")));
    Created::new(id).with("arn", arn)
}

/// `AWS::S3Files::AccessPoint` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::S3Files::AccessPoint",
    &[
        p("FileSystemId", To::Ref("file_system", "s3files_file_system")),
        p("PosixUser.Uid", To::Int("posix_user.uid")),
        p("PosixUser.Gid", To::Int("posix_user.gid")),
        p("PosixUser.SecondaryGids", To::Field("posix_user.secondary_gids")),
        p("RootDirectory.Path", To::Field("root_directory.path")),
        p(
            "RootDirectory.CreationPermissions.OwnerUid",
            To::Int("root_directory.creation_permissions.owner_uid"),
        ),
        p(
            "RootDirectory.CreationPermissions.OwnerGid",
            To::Int("root_directory.creation_permissions.owner_gid"),
        ),
        p(
            "RootDirectory.CreationPermissions.Permissions",
            To::Field("root_directory.creation_permissions.permissions"),
        ),
        p(
            "ClientToken",
            To::Refuse("agentfs makes its own idempotency token for every create"),
        ),
        p("Tags", TAGS),
    ],
)
.attributes(&[("AccessPointId", "id"), ("AccessPointArn", "arn")])];
