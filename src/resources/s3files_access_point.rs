//! `s3files_access_point`: CreateAccessPoint with the stack's client token (a retry returns the
//! same access point), POSIX user and root directory; waits for `available`. Only tags change
//! in place.

use std::time::Duration;

use aws_sdk_s3files::types::{CreationPermissions, LifeCycleState, PosixUser, RootDirectory};
use futures_util::future::try_join_all;

use super::Kind;
use super::aws::{ApiError, Ctx, Poll, api, delete_then_wait, wait_for};
use super::lookup::{each, keep, owned, present};
use super::posix;
use super::s3files::{gone, list_file_system_ids, state_name};
use super::tags::{self, Owner, Tagged};
use super::{Created, Found, Recorded, Request, Resource, Timeouts};
use crate::spec::Group;
use crate::spec::api::{ApiField, ApiMap, Limits};
use crate::spec::kind::{Check, KindSpec, RefSlot, Tags};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[s3files_access_point.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3FilesAccessPointSpec {
    pub file_system: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posix_user: Option<posix::PosixUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_directory: Option<posix::RootDirectory>,
    #[serde(default)]
    pub tags: Tags,
}

impl KindSpec for S3FilesAccessPointSpec {
    fn check(&self, check: &mut Check<'_>) {
        posix::check_access_point(check, self.posix_user.as_ref(), self.root_directory.as_ref());
    }
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        vec![RefSlot::new(
            "file_system",
            Kind::S3FilesFileSystem,
            "id",
            &mut self.file_system,
        )]
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct S3FilesAccessPoint;

impl Resource for S3FilesAccessPoint {
    type Spec = S3FilesAccessPointSpec;
    const GROUP: Group = Group::Storage;
    const CREATE_CALL: &'static str = "s3files:CreateAccessPoint";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn"];
    const REPLACE_ON: &'static [&'static str] = &["file_system", "posix_user", "root_directory"];
    // Access points have no unique name: the new one exists before the runtime moves off the old.
    const CREATE_BEFORE_DESTROY: bool = true;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::reference("file_system", "s3files", "CreateAccessPointRequest$fileSystemId"),
            ApiField::model(
                "posix_user",
                "s3files",
                "CreateAccessPointRequest$posixUser",
                Limits::NONE,
            ),
            ApiField::model(
                "posix_user.uid",
                "s3files",
                "PosixUser$uid",
                Limits::range(0.0, Some(4294967295.0)),
            ),
            ApiField::model(
                "posix_user.gid",
                "s3files",
                "PosixUser$gid",
                Limits::range(0.0, Some(4294967295.0)),
            ),
            ApiField::model(
                "posix_user.secondary_gids",
                "s3files",
                "PosixUser$secondaryGids",
                Limits::NONE,
            ),
            ApiField::model(
                "posix_user.secondary_gids[]",
                "s3files",
                "SecondaryGids$member",
                Limits::range(0.0, Some(4294967295.0)),
            ),
            ApiField::model(
                "root_directory",
                "s3files",
                "CreateAccessPointRequest$rootDirectory",
                Limits::NONE,
            ),
            ApiField::model(
                "root_directory.path",
                "s3files",
                "RootDirectory$path",
                Limits::len(1, 100).pattern(r"(\/|(\/(?!\.)+[^$#<>;;`|&?{}^*/\n]+){1,4})"),
            ),
            ApiField::model(
                "root_directory.creation_permissions.owner_uid",
                "s3files",
                "CreationPermissions$ownerUid",
                Limits::range(0.0, Some(4294967295.0)),
            ),
            ApiField::model(
                "root_directory.creation_permissions.owner_gid",
                "s3files",
                "CreationPermissions$ownerGid",
                Limits::range(0.0, Some(4294967295.0)),
            ),
            ApiField::model(
                "root_directory.creation_permissions.permissions",
                "s3files",
                "CreationPermissions$permissions",
                Limits::len(3, 4).pattern("[0-7]{3,4}"),
            ),
        ],
        tags: super::tags::rules::S3FILES,
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(600),
        update: Duration::from_secs(600),
        delete: Duration::from_secs(600),
    };

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
                match listed {
                    Ok(points) => Ok(points),
                    Err(e) if e.is_not_found() => Ok(Vec::new()),
                    Err(e) => Err(e),
                }
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
            let mut spec = r.spec.clone();
            spec.file_system = out.file_system_id().to_string();
            spec.posix_user = out.posix_user().map(|u| posix::PosixUser {
                uid: u.uid(),
                gid: u.gid(),
                secondary_gids: u.secondary_gids().to_vec(),
            });
            let live_root = out.root_directory().map(|d| posix::RootDirectory {
                path: d.path().unwrap_or("/").to_string(),
                creation_permissions: d.creation_permissions().map(|p| posix::CreationPermissions {
                    owner_uid: p.owner_uid(),
                    owner_gid: p.owner_gid(),
                    permissions: p.permissions().to_string(),
                }),
            });
            spec.root_directory = live_root_directory(r.spec.root_directory.as_ref(), live_root);
            spec.tags = tags::user_tags(out.tags().iter().map(|t| (t.key(), t.value())));
            Ok(Some(spec))
        }))
        .await
    }
}

/// The live root directory as the spec would say it: AWS reports `/` for an access point
/// made without one, and may write the mode without its leading zero.
pub(super) fn live_root_directory(
    recorded: Option<&posix::RootDirectory>,
    live: Option<posix::RootDirectory>,
) -> Option<posix::RootDirectory> {
    let Some(mut live) = live else {
        return recorded
            .filter(|r| r.path == "/" && r.creation_permissions.is_none())
            .cloned();
    };
    if recorded.is_none() && live.path == "/" && live.creation_permissions.is_none() {
        return None;
    }
    if let (Some(live_perm), Some(old_perm)) = (
        live.creation_permissions.as_mut(),
        recorded.and_then(|r| r.creation_permissions.as_ref()),
    ) && live_perm.permissions.trim_start_matches('0') == old_perm.permissions.trim_start_matches('0')
    {
        live_perm.permissions = old_perm.permissions.clone();
    }
    Some(live)
}

fn created(ctx: &Ctx, file_system: &str, id: &str, arn: Option<String>) -> Created {
    let arn = arn.unwrap_or_else(|| ctx.arn("s3files", &format!("file-system/{file_system}/access-point/{id}")));
    Created::new(id).with("arn", arn)
}

fn invalid(e: impl std::fmt::Display) -> ApiError {
    ApiError::new("s3files:CreateAccessPoint", "InvalidRequest", e.to_string())
}

fn posix_user(user: &posix::PosixUser) -> Result<PosixUser, ApiError> {
    PosixUser::builder()
        .uid(user.uid)
        .gid(user.gid)
        .set_secondary_gids((!user.secondary_gids.is_empty()).then(|| user.secondary_gids.clone()))
        .build()
        .map_err(invalid)
}

fn root_directory(root: &posix::RootDirectory) -> Result<RootDirectory, ApiError> {
    let permissions = root
        .creation_permissions
        .as_ref()
        .map(|p| {
            CreationPermissions::builder()
                .owner_uid(p.owner_uid)
                .owner_gid(p.owner_gid)
                .permissions(&p.permissions)
                .build()
                .map_err(invalid)
        })
        .transpose()?;
    Ok(RootDirectory::builder()
        .path(&root.path)
        .set_creation_permissions(permissions)
        .build())
}
