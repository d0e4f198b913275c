//! What the EFS and S3 Files access points and mount targets have in common, so each kind file
//! keeps only what its service does differently:
//! - the spec structs (declared through [`access_point_spec!`] and [`mount_target_spec!`], so
//!   each keeps its own name and doc in the JSON Schema) with their checks and references;
//! - the API members both services model alike ([`access_point_fields`], [`mount_target_fields`]);
//! - POSIX user and root directory between the spec and either SDK ([`efs_sdk`], [`s3files_sdk`]);
//! - the batched read of mount targets ([`read_targets`]).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use futures_util::future::try_join_all;

use super::ec2::eni_security_groups;
use super::lookup::set_or_recorded;
use super::posix::RootDirectory;
use super::{Created, Kind, Recorded, Timeouts};
use crate::aws::{ApiError, Ctx};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::kind::{RefSlot, list_refs};

/// Every kind of the family waits up to ten minutes for a create, an update or a delete.
pub const TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(600),
    update: Duration::from_secs(600),
    delete: Duration::from_secs(600),
};

/// What AWS cannot change on an access point in place.
pub const ACCESS_POINT_REPLACE_ON: &[&str] = &["file_system", "posix_user", "root_directory"];

/// Access points have no unique name: the new one exists before the runtime moves off the old.
pub const ACCESS_POINT_CREATE_BEFORE_DESTROY: bool = true;

/// What AWS cannot change on a mount target in place.
pub const MOUNT_TARGET_REPLACE_ON: &[&str] = &["file_system", "subnet"];

/// Declares an access point kind's spec: the file system it belongs to (a reference to
/// `$file_system`), the POSIX identity and root directory, and tags.
macro_rules! access_point_spec {
    ($(#[$doc:meta])* $name:ident, $file_system:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            pub file_system: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub posix_user: Option<$crate::resources::posix::PosixUser>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub root_directory: Option<$crate::resources::posix::RootDirectory>,
            #[serde(default)]
            pub tags: $crate::lang::kind::Tags,
        }

        impl $crate::lang::kind::KindSpec for $name {
            fn check(&self, check: &mut $crate::lang::kind::Check<'_>) {
                $crate::resources::posix::check_access_point(
                    check,
                    self.posix_user.as_ref(),
                    self.root_directory.as_ref(),
                );
            }
            fn refs(&mut self) -> Vec<$crate::lang::kind::RefSlot<'_>> {
                vec![$crate::lang::kind::RefSlot::new("file_system", $file_system, "id", &mut self.file_system)]
            }
            fn tags(&self) -> Option<&$crate::lang::kind::Tags> {
                Some(&self.tags)
            }
        }

        impl $name {
            /// The recorded spec with what AWS reports of the access point.
            fn read_back(
                &self,
                file_system: Option<&str>,
                posix_user: Option<$crate::resources::posix::PosixUser>,
                root_directory: Option<$crate::resources::posix::RootDirectory>,
                tags: ::std::collections::BTreeMap<String, String>,
            ) -> $name {
                $name {
                    file_system: file_system.map_or_else(|| self.file_system.clone(), String::from),
                    posix_user,
                    root_directory: $crate::resources::mount_family::live_root_directory(
                        self.root_directory.as_ref(),
                        root_directory,
                    ),
                    tags,
                }
            }
        }
    };
}
pub(super) use access_point_spec;

/// Declares a mount target kind's spec: its file system (a reference to `$file_system`), subnet
/// and security groups, with the kind's own checks, if any, in `$check`.
macro_rules! mount_target_spec {
    ($(#[$doc:meta])* $name:ident, $file_system:expr $(, check: $check:path)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            pub file_system: String,
            pub subnet: String,
            #[serde(default)]
            pub security_groups: Vec<String>,
        }

        impl $crate::lang::kind::KindSpec for $name {
            $(
                fn check(&self, check: &mut $crate::lang::kind::Check<'_>) {
                    $check(&self.security_groups, check);
                }
            )?
            fn refs(&mut self) -> Vec<$crate::lang::kind::RefSlot<'_>> {
                $crate::resources::mount_family::target_refs(
                    $file_system,
                    &mut self.file_system,
                    &mut self.subnet,
                    &mut self.security_groups,
                )
            }
        }

        impl $crate::resources::mount_family::TargetSpec for $name {
            fn file_system(&self) -> &str {
                &self.file_system
            }
            fn security_groups(&self) -> &[String] {
                &self.security_groups
            }
            fn read_back(&self, file_system: Option<&str>, subnet: &str, security_groups: Vec<String>) -> $name {
                $name {
                    file_system: file_system.map_or_else(|| self.file_system.clone(), String::from),
                    subnet: subnet.to_string(),
                    security_groups,
                }
            }
        }
    };
}
pub(super) use mount_target_spec;

/// A mount target's references: its file system, its subnet and its security groups.
pub fn target_refs<'a>(
    file_system_kind: Kind,
    file_system: &'a mut String,
    subnet: &'a mut String,
    security_groups: &'a mut [String],
) -> Vec<RefSlot<'a>> {
    let mut refs = vec![
        RefSlot::new("file_system", file_system_kind, "id", file_system),
        RefSlot::new("subnet", Kind::Subnet, "id", subnet),
    ];
    refs.extend(list_refs("security_groups", Kind::SecurityGroup, "id", security_groups));
    refs
}

/// Where one service's model names the access point members (they differ in case and limits).
pub struct AccessPointModel {
    pub service: &'static str,
    /// `CreateAccessPointRequest` members: file system id, POSIX user, root directory.
    pub request: [&'static str; 3],
    /// `PosixUser` members: uid, gid, secondary gids.
    pub user: [&'static str; 3],
    pub secondary_gids: Limits,
    pub path: (&'static str, Limits),
    /// Creation members: owner uid, owner gid, permissions.
    pub creation: [&'static str; 3],
    pub permissions: Limits,
}

/// An access point's API map, the same fields for both services.
pub const fn access_point_fields(m: AccessPointModel) -> [ApiField; 11] {
    let id = Limits::range(0.0, Some(4294967295.0));
    let s = m.service;
    [
        ApiField::reference("file_system", s, m.request[0]),
        ApiField::model("posix_user", s, m.request[1], Limits::NONE),
        ApiField::model("posix_user.uid", s, m.user[0], id),
        ApiField::model("posix_user.gid", s, m.user[1], id),
        ApiField::model("posix_user.secondary_gids", s, m.user[2], m.secondary_gids),
        ApiField::model("posix_user.secondary_gids[]", s, "SecondaryGids$member", id),
        ApiField::model("root_directory", s, m.request[2], Limits::NONE),
        ApiField::model("root_directory.path", s, m.path.0, m.path.1),
        ApiField::model("root_directory.creation_permissions.owner_uid", s, m.creation[0], id),
        ApiField::model("root_directory.creation_permissions.owner_gid", s, m.creation[1], id),
        ApiField::model(
            "root_directory.creation_permissions.permissions",
            s,
            m.creation[2],
            m.permissions,
        ),
    ]
}

/// A mount target's API map: `members` are the `CreateMountTargetRequest` members for file
/// system id, subnet id and security groups.
pub const fn mount_target_fields(service: &'static str, members: [&'static str; 3], groups: Limits) -> [ApiField; 3] {
    [
        ApiField::reference("file_system", service, members[0]),
        ApiField::reference("subnet", service, members[1]),
        ApiField::model("security_groups", service, members[2], groups),
    ]
}

/// A family member's API map: its fields and tag rules (every field is sent).
pub const fn api(fields: &'static [ApiField], tags: &'static [ApiField]) -> ApiMap {
    ApiMap {
        fields,
        tags,
        not_sent: &[],
    }
}

/// The live root directory as the spec would say it: AWS reports `/` for an access point
/// made without one, and may write the mode without its leading zero.
pub fn live_root_directory(recorded: Option<&RootDirectory>, live: Option<RootDirectory>) -> Option<RootDirectory> {
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

/// POSIX user and root directory to and from one SDK's types (the two SDKs spell them alike
/// but for the creation permissions' type and accessor).
macro_rules! posix_sdk {
    ($sdk:ident, $call:literal, $creation:ident, $set_creation:ident, $get_creation:ident) => {
        use $crate::aws::ApiError;
        use $crate::resources::posix;

        fn invalid(e: impl std::fmt::Display) -> ApiError {
            ApiError::new($call, "InvalidRequest", e.to_string())
        }

        pub fn posix_user(user: &posix::PosixUser) -> Result<$sdk::types::PosixUser, ApiError> {
            $sdk::types::PosixUser::builder()
                .uid(user.uid)
                .gid(user.gid)
                .set_secondary_gids((!user.secondary_gids.is_empty()).then(|| user.secondary_gids.clone()))
                .build()
                .map_err(invalid)
        }

        pub fn root_directory(root: &posix::RootDirectory) -> Result<$sdk::types::RootDirectory, ApiError> {
            let creation = root
                .creation_permissions
                .as_ref()
                .map(|p| {
                    $sdk::types::$creation::builder()
                        .owner_uid(p.owner_uid)
                        .owner_gid(p.owner_gid)
                        .permissions(&p.permissions)
                        .build()
                        .map_err(invalid)
                })
                .transpose()?;
            Ok($sdk::types::RootDirectory::builder()
                .path(&root.path)
                .$set_creation(creation)
                .build())
        }

        /// The POSIX user as the spec says it.
        pub fn live_user(u: &$sdk::types::PosixUser) -> posix::PosixUser {
            posix::PosixUser {
                uid: u.uid(),
                gid: u.gid(),
                secondary_gids: u.secondary_gids().to_vec(),
            }
        }

        /// The root directory as AWS reports it, in the spec's shape.
        pub fn live_root(d: &$sdk::types::RootDirectory) -> posix::RootDirectory {
            posix::RootDirectory {
                path: d.path().unwrap_or("/").to_string(),
                creation_permissions: d.$get_creation().map(|p| posix::CreationPermissions {
                    owner_uid: p.owner_uid(),
                    owner_gid: p.owner_gid(),
                    permissions: p.permissions().to_string(),
                }),
            }
        }
    };
}

pub mod efs_sdk {
    posix_sdk!(
        aws_sdk_efs,
        "efs:CreateAccessPoint",
        CreationInfo,
        set_creation_info,
        creation_info
    );
}

pub mod s3files_sdk {
    posix_sdk!(
        aws_sdk_s3files,
        "s3files:CreateAccessPoint",
        CreationPermissions,
        set_creation_permissions,
        creation_permissions
    );
}

/// What both mount target specs let the shared read do.
pub trait TargetSpec: Clone {
    fn file_system(&self) -> &str;
    fn security_groups(&self) -> &[String];
    /// The recorded spec with the live file system, subnet and security groups.
    fn read_back(&self, file_system: Option<&str>, subnet: &str, security_groups: Vec<String>) -> Self;
}

/// A mount target as its service's listing describes it.
pub trait ListedTarget {
    fn id(&self) -> &str;
    fn subnet(&self) -> &str;
    fn file_system(&self) -> Option<&str>;
    fn network_interface(&self) -> Option<&str>;
    /// Being deleted or deleted: no longer counts as existing.
    fn gone(&self) -> bool;
}

/// A listing of what a missing parent would hold: nothing, rather than an error.
pub fn missing_is_empty<T>(listed: Result<Vec<T>, ApiError>) -> Result<Vec<T>, ApiError> {
    match listed {
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        other => other,
    }
}

/// Reads recorded mount targets: one `list` per file system (records grouped by file system),
/// and one DescribeNetworkInterfaces for the security groups of every mount target's network
/// interface (the listings leave them out or need a call per mount target). A mount target
/// whose interface is not found there is asked `groups_of` (its id); `None` means it is gone.
pub async fn read_targets<S, T, List, Listed, Groups, GroupsFut>(
    ctx: &Ctx,
    records: &[Recorded<'_, S>],
    list: List,
    groups_of: Groups,
) -> Result<Vec<Option<S>>, ApiError>
where
    S: TargetSpec,
    T: ListedTarget,
    List: Fn(String) -> Listed,
    Listed: Future<Output = Result<Vec<T>, ApiError>>,
    Groups: Fn(String) -> GroupsFut,
    GroupsFut: Future<Output = Result<Option<Vec<String>>, ApiError>>,
{
    let file_systems: BTreeSet<&str> = records.iter().map(|r| r.spec.file_system()).collect();
    let listings = try_join_all(
        file_systems
            .into_iter()
            .map(|fs| async { missing_is_empty(list(fs.to_string()).await) }),
    )
    .await?;
    let live: BTreeMap<&str, &T> = listings
        .iter()
        .flatten()
        .filter(|t| !t.gone())
        .map(|t| (t.id(), t))
        .collect();
    let enis: Vec<String> = records
        .iter()
        .filter_map(|r| live.get(r.id).and_then(|t| t.network_interface()))
        .map(String::from)
        .collect();
    let groups = eni_security_groups(ctx, enis).await?;
    let groups_of = &groups_of;
    try_join_all(records.iter().map(|r| {
        let groups = &groups;
        let target = live.get(r.id).copied();
        async move {
            let Some(target) = target else { return Ok(None) };
            let live_groups = match target.network_interface().and_then(|eni| groups.get(eni)) {
                Some(g) => g.clone(),
                None => match groups_of(r.id.to_string()).await? {
                    Some(g) => g,
                    None => return Ok(None),
                },
            };
            // No groups recorded: AWS put the VPC's default group on, as asked.
            let recorded = r.spec.security_groups();
            let security_groups = if recorded.is_empty() {
                recorded.to_vec()
            } else {
                set_or_recorded(recorded, live_groups)
            };
            Ok(Some(r.spec.read_back(
                target.file_system(),
                target.subnet(),
                security_groups,
            )))
        }
    }))
    .await
}

/// `created` with each attribute that AWS reported.
pub fn with_reported<'a>(
    created: Created,
    attributes: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Created {
    attributes
        .into_iter()
        .fold(created, |created, (key, value)| match value {
            Some(value) => created.with(key, value),
            None => created,
        })
}

impl ListedTarget for aws_sdk_efs::types::MountTargetDescription {
    fn id(&self) -> &str {
        self.mount_target_id()
    }
    fn subnet(&self) -> &str {
        self.subnet_id()
    }
    fn file_system(&self) -> Option<&str> {
        Some(self.file_system_id())
    }
    fn network_interface(&self) -> Option<&str> {
        self.network_interface_id()
    }
    fn gone(&self) -> bool {
        use aws_sdk_efs::types::LifeCycleState;
        matches!(
            self.life_cycle_state(),
            LifeCycleState::Deleting | LifeCycleState::Deleted
        )
    }
}

impl ListedTarget for aws_sdk_s3files::types::ListMountTargetsDescription {
    fn id(&self) -> &str {
        self.mount_target_id()
    }
    fn subnet(&self) -> &str {
        self.subnet_id()
    }
    fn file_system(&self) -> Option<&str> {
        self.file_system_id()
    }
    fn network_interface(&self) -> Option<&str> {
        self.network_interface_id()
    }
    fn gone(&self) -> bool {
        super::s3files::gone(self.status())
    }
}
