//! `efs_file_system`: CreateFileSystem with CreationToken = the stack's token (a retry answers
//! FileSystemAlreadyExists, and the earlier one is found by that token), waits for `available`.
//! Throughput mode and tags change in place. Delete waits out mount targets still deleting,
//! then until the file system is gone.
//!
//! Also home of what the EFS kinds share: tags and tag sync.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_efs::types::{FileSystemDescription, LifeCycleState, PerformanceMode, ThroughputMode};

use super::efs::{created_fs, find_file_systems};
use super::tags::{self, Tagged};
use super::{Created, Found, Progress, Recorded, Request, Resource, Timeouts};
use crate::aws::{ApiError, Ctx, Poll, api, delete_then_wait, wait_for};
use crate::lang::Group;
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[efs_file_system.NAME]`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EfsFileSystemSpec {
    /// `generalPurpose` or `maxIO`.
    #[serde(default = "general_purpose")]
    pub performance_mode: String,
    /// `bursting`, `provisioned` or `elastic`.
    #[serde(default = "elastic")]
    pub throughput_mode: String,
    /// MiB/s for `provisioned` throughput (which needs it, and only it takes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput_mibps: Option<f64>,
    #[serde(default = "crate::lang::kind::default_true")]
    pub encrypted: bool,
    #[serde(default)]
    pub tags: Tags,
}

fn general_purpose() -> String {
    "generalPurpose".into()
}

fn elastic() -> String {
    "elastic".into()
}

impl KindSpec for EfsFileSystemSpec {
    fn check(&self, check: &mut Check<'_>) {
        check.one_of(
            "performance_mode",
            &self.performance_mode,
            "a performance mode",
            &["generalPurpose", "maxIO"],
        );
        check.one_of(
            "throughput_mode",
            &self.throughput_mode,
            "a throughput mode",
            &["bursting", "provisioned", "elastic"],
        );
        match (self.throughput_mode.as_str(), self.provisioned_throughput_mibps) {
            ("provisioned", None) => check.error(
                "agentfs::efs_throughput",
                "throughput_mode",
                "`provisioned` throughput needs its rate",
                "set `provisioned_throughput_mibps`, e.g. `provisioned_throughput_mibps = 64`",
            ),
            ("provisioned", Some(_)) | (_, None) => {}
            (other, Some(_)) => check.error(
                "agentfs::efs_throughput",
                "provisioned_throughput_mibps",
                format!("`{other}` throughput takes no provisioned rate"),
                "remove `provisioned_throughput_mibps` or set `throughput_mode = \"provisioned\"`",
            ),
        }
        // https://docs.aws.amazon.com/efs/latest/ug/performance.html: Max I/O is not
        // supported with Elastic throughput.
        if self.performance_mode == "maxIO" && self.throughput_mode == "elastic" {
            check.error(
                "agentfs::efs_throughput",
                "performance_mode",
                "`maxIO` performance does not combine with `elastic` throughput",
                "use `generalPurpose` with `elastic`, or `bursting`/`provisioned` throughput with `maxIO`",
            );
        }
    }
    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        Vec::new()
    }
    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct EfsFileSystem;

impl Resource for EfsFileSystem {
    type Spec = EfsFileSystemSpec;
    const GROUP: Group = Group::Storage;
    const CREATE_CALL: &'static str = "efs:CreateFileSystem";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn"];
    /// Found by id, name or ARN when the stack uses one it does not own.
    const EXISTING: Option<crate::lang::existing::ExistingWays> =
        Some(crate::lang::existing::ExistingWays::by_id("elasticfilesystem"));
    const REPLACE_LOSES: Option<&'static str> = Some("every file on the file system");
    const REPLACE_ON: &'static [&'static str] = &["performance_mode", "encrypted"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model(
                "performance_mode",
                "efs",
                "CreateFileSystemRequest$PerformanceMode",
                Limits::one_of(&["generalPurpose", "maxIO"]),
            ),
            ApiField::model(
                "throughput_mode",
                "efs",
                "CreateFileSystemRequest$ThroughputMode",
                Limits::one_of(&["bursting", "provisioned", "elastic"]),
            ),
            ApiField::model(
                "provisioned_throughput_mibps",
                "efs",
                "CreateFileSystemRequest$ProvisionedThroughputInMibps",
                Limits::range(1.0, None),
            ),
            ApiField::model("encrypted", "efs", "CreateFileSystemRequest$Encrypted", Limits::NONE),
        ],
        tags: super::tags::rules::EFS,
        not_sent: &[],
    };
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(600),
        update: Duration::from_secs(600),
        delete: Duration::from_secs(600),
    };

    async fn create(ctx: &Ctx, req: &Request<'_, EfsFileSystemSpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let performance = match spec.performance_mode.as_str() {
            "generalPurpose" => PerformanceMode::GeneralPurpose,
            "maxIO" => PerformanceMode::MaxIo,
            other => return Err(bad_value("performance_mode", other, "`generalPurpose` or `maxIO`")),
        };
        let created = ctx
            .clients
            .efs
            .create_file_system()
            .creation_token(req.token)
            .performance_mode(performance)
            .throughput_mode(throughput(&spec.throughput_mode)?)
            .set_provisioned_throughput_in_mibps(spec.provisioned_throughput_mibps)
            .encrypted(spec.encrypted)
            .set_tags(Some(tags::efs(req.tags)?))
            .send()
            .await
            .map_err(api("efs:CreateFileSystem"));
        let (id, arn) = match created {
            Ok(out) => (
                out.file_system_id().to_string(),
                out.file_system_arn().map(String::from),
            ),
            Err(e) if e.is("FileSystemAlreadyExists") => {
                let out = ctx
                    .clients
                    .efs
                    .describe_file_systems()
                    .creation_token(req.token)
                    .send()
                    .await
                    .map_err(api("efs:DescribeFileSystems"))?;
                let fs = out
                    .file_systems()
                    .first()
                    .ok_or_else(|| ApiError::missing("efs:DescribeFileSystems", "FileSystems"))?;
                (fs.file_system_id().to_string(), fs.file_system_arn().map(String::from))
            }
            Err(e) => return Err(e),
        };
        wait_state(ctx, &id, req.timeout, req.progress).await?;
        Ok(created_fs(ctx, &id, arn))
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, EfsFileSystemSpec>,
        prior: &Recorded<'_, EfsFileSystemSpec>,
    ) -> Result<Created, ApiError> {
        if req.spec.throughput_mode != prior.spec.throughput_mode
            || req.spec.provisioned_throughput_mibps != prior.spec.provisioned_throughput_mibps
        {
            ctx.clients
                .efs
                .update_file_system()
                .file_system_id(prior.id)
                .throughput_mode(throughput(&req.spec.throughput_mode)?)
                .set_provisioned_throughput_in_mibps(req.spec.provisioned_throughput_mibps)
                .send()
                .await
                .map_err(api("efs:UpdateFileSystem"))?;
            wait_state(ctx, prior.id, req.timeout, req.progress).await?;
        }
        tags::sync(ctx, Tagged::Efs(prior.id), prior.tags, req.tags).await?;
        Ok(created_fs(ctx, prior.id, prior.attributes.get("arn").cloned()))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, EfsFileSystemSpec>) -> Result<(), ApiError> {
        let id = prior.id;
        // FileSystemInUse while mount targets (deleted just before) are still going.
        delete_then_wait(
            "efs:DeleteFileSystem",
            "the file system",
            prior.timeout,
            prior.progress,
            || async {
                ctx.clients
                    .efs
                    .delete_file_system()
                    .file_system_id(id)
                    .send()
                    .await
                    .map_err(api("efs:DeleteFileSystem"))
            },
            || async {
                Ok(match describe(ctx, id).await? {
                    None | Some(LifeCycleState::Deleted) => Poll::Ready(()),
                    Some(state) => Poll::Pending(state.as_str().to_string()),
                })
            },
        )
        .await
    }

    /// Import: one DescribeFileSystems per id. Recover: one DescribeFileSystems for the whole
    /// region (paginated; it carries the tags), keeping those tagged with the stack.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        find_file_systems(ctx, ids).await
    }

    /// One DescribeFileSystems: by id for a single file system, else the region's whole
    /// listing (paginated), which carries performance mode, throughput mode, encryption and tags.
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, EfsFileSystemSpec>],
    ) -> Result<Vec<Option<EfsFileSystemSpec>>, ApiError> {
        let mut call = ctx.clients.efs.describe_file_systems();
        match records {
            [] => return Ok(Vec::new()),
            [only] => call = call.file_system_id(only.id),
            _ => {}
        }
        let listed = call
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(api("efs:DescribeFileSystems"));
        let listed = match listed {
            Ok(listed) => listed,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(e),
        };
        let live: BTreeMap<&str, &FileSystemDescription> = listed
            .iter()
            .filter(|fs| {
                !matches!(
                    fs.life_cycle_state(),
                    LifeCycleState::Deleting | LifeCycleState::Deleted
                )
            })
            .map(|fs| (fs.file_system_id(), fs))
            .collect();
        Ok(records
            .iter()
            .map(|r| {
                let fs = live.get(r.id)?;
                let mut spec = r.spec.clone();
                spec.performance_mode = fs.performance_mode().as_str().to_string();
                if let Some(mode) = fs.throughput_mode() {
                    spec.throughput_mode = mode.as_str().to_string();
                }
                spec.provisioned_throughput_mibps = match fs.throughput_mode() {
                    Some(ThroughputMode::Provisioned) => fs.provisioned_throughput_in_mibps(),
                    _ => None,
                };
                if let Some(encrypted) = fs.encrypted() {
                    spec.encrypted = encrypted;
                }
                spec.tags = tags::user_tags(fs.tags().iter().map(|t| (t.key(), t.value())));
                Some(spec)
            })
            .collect())
    }
}

fn bad_value(field: &str, value: &str, expected: &str) -> ApiError {
    ApiError::new(
        "efs:CreateFileSystem",
        "InvalidParameter",
        format!("{field} must be {expected}, not `{value}`"),
    )
}

fn throughput(mode: &str) -> Result<ThroughputMode, ApiError> {
    match mode {
        "bursting" => Ok(ThroughputMode::Bursting),
        "elastic" => Ok(ThroughputMode::Elastic),
        "provisioned" => Ok(ThroughputMode::Provisioned),
        other => Err(bad_value(
            "throughput_mode",
            other,
            "`bursting`, `elastic` or `provisioned`",
        )),
    }
}

/// The file system's lifecycle state; `None` if the listing no longer has it.
async fn describe(ctx: &Ctx, id: &str) -> Result<Option<LifeCycleState>, ApiError> {
    let out = ctx
        .clients
        .efs
        .describe_file_systems()
        .file_system_id(id)
        .send()
        .await
        .map_err(api("efs:DescribeFileSystems"))?;
    Ok(out.file_systems().first().map(|fs| fs.life_cycle_state().clone()))
}

async fn wait_state(ctx: &Ctx, id: &str, timeout: Duration, progress: &dyn Progress) -> Result<(), ApiError> {
    wait_for(
        "efs:CreateFileSystem",
        "the file system to be available",
        timeout,
        progress,
        || async {
            Ok(match describe(ctx, id).await? {
                Some(LifeCycleState::Available) => Poll::Ready(()),
                Some(s @ (LifeCycleState::Error | LifeCycleState::Deleting | LifeCycleState::Deleted)) => {
                    Poll::Failed(s.as_str().to_string())
                }
                Some(other) => Poll::Pending(other.as_str().to_string()),
                None => Poll::Pending("not yet listed".to_string()),
            })
        },
    )
    .await
}

/// `AWS::EFS::FileSystem` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::EFS::FileSystem",
    &[
        p("Encrypted", To::Bool("encrypted")),
        p("PerformanceMode", To::Field("performance_mode")),
        p("ThroughputMode", To::Field("throughput_mode")),
        p(
            "ProvisionedThroughputInMibps",
            To::Field("provisioned_throughput_mibps"),
        ),
        p(
            "FileSystemTags",
            To::Pairs {
                field: "tags",
                key: "Key",
                value: "Value",
            },
        ),
        p(
            "KmsKeyId",
            To::Refuse("agentfs encrypts a file system with the AWS managed key"),
        ),
        p(
            "AvailabilityZoneName",
            To::Refuse("agentfs makes Regional file systems"),
        ),
        p("BackupPolicy", To::Refuse(NOT_MANAGED)),
        p("BypassPolicyLockoutSafetyCheck", To::Refuse(NOT_MANAGED)),
        p("FileSystemPolicy", To::Refuse(NOT_MANAGED)),
        p("FileSystemProtection", To::Refuse(NOT_MANAGED)),
        p("LifecyclePolicies", To::Refuse(NOT_MANAGED)),
        p("ReplicationConfiguration", To::Refuse(NOT_MANAGED)),
    ],
)
.attributes(&[("FileSystemId", "id"), ("Arn", "arn")])];

const NOT_MANAGED: &str = "agentfs does not manage this file system setting";
