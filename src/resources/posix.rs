//! What the EFS and S3 Files access points share: the POSIX identity of every request and
//! the root directory they expose, with the checks both APIs apply to them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::lang::kind::Check;
use crate::lang::rules;

/// The POSIX identity every request through an access point uses.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PosixUser {
    pub uid: i64,
    pub gid: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_gids: Vec<i64>,
}

/// Owner and mode of an access point's root directory when the service creates it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CreationPermissions {
    pub owner_uid: i64,
    pub owner_gid: i64,
    /// Octal mode as a string, e.g. `"0755"`.
    pub permissions: String,
}

/// The directory an access point exposes as `/`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RootDirectory {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_permissions: Option<CreationPermissions>,
}

/// The checks EFS and S3 Files apply to an access point's identity and root directory.
pub fn check_access_point(check: &mut Check<'_>, user: Option<&PosixUser>, root: Option<&RootDirectory>) {
    let id_range = 0..=4_294_967_295_i64;
    if let Some(user) = user
        && (!id_range.contains(&user.uid) || !id_range.contains(&user.gid))
    {
        check.error(
            "agentfs::posix_id",
            "posix_user",
            "uid and gid must be 0 to 4294967295",
            "e.g. `{ uid = 1000, gid = 1000 }`",
        );
    }
    if let Some(root) = root {
        if !root.path.starts_with('/') || root.path.len() > 100 {
            check.error(
                "agentfs::root_directory",
                "root_directory.path",
                format!("`{}` is not an absolute path of at most 100 characters", root.path),
                "e.g. `/agent`",
            );
        }
        if let Some(perms) = &root.creation_permissions
            && let Err(help) = rules::octal_mode(&perms.permissions)
        {
            check.error(
                "agentfs::root_directory",
                "root_directory.creation_permissions.permissions",
                format!("`{}` is not an octal mode", perms.permissions),
                help,
            );
        }
    }
}
