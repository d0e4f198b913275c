//! Storage rules: encryption at rest and image repositories.
//!
//! No bucket rule: `s3_bucket` always sets default encryption (`AES256` or `aws:kms`, checked
//! by the kind) and has no field that could open public access, which new buckets block by
//! default. S3 Files encrypts with its bucket's settings.

use super::{Findings, Rule};
use crate::lang::diag::Severity;
use crate::parse::ParsedSpec;
use crate::resources::ResourceSpec;

pub const EFS_UNENCRYPTED: Rule = Rule {
    id: "AFS-EFS-001",
    severity: Severity::Error,
    title: "an unencrypted file system",
    why: "the file system's data and metadata are stored unencrypted; encryption at rest can only be chosen at creation, so turning it on later replaces the file system",
    fix: "set `encrypted = true` (the default)",
};

pub const ECR_MUTABLE_TAGS: Rule = Rule {
    id: "AFS-ECR-001",
    severity: Severity::Warning,
    title: "mutable image tags",
    why: "a pushed tag can be moved to another image, so the runtime may start code nobody reviewed under a tag that was",
    fix: "set `image_tag_mutability = \"IMMUTABLE\"` and push a new tag per build",
};

pub const ECR_NO_SCAN: Rule = Rule {
    id: "AFS-ECR-002",
    severity: Severity::Warning,
    title: "no vulnerability scan on push",
    why: "images reach the runtime without a scan for known vulnerabilities",
    fix: "set `scan_on_push = true`",
};

pub(super) fn check(spec: &ParsedSpec, out: &mut Findings<'_>) {
    for resource in &spec.resources {
        match &resource.spec {
            ResourceSpec::EfsFileSystem(fs) if !fs.encrypted => {
                out.add(
                    &EFS_UNENCRYPTED,
                    resource,
                    "encrypted",
                    "the file system is not encrypted at rest",
                );
            }
            ResourceSpec::EcrRepository(repo) => {
                if repo.image_tag_mutability != "IMMUTABLE" {
                    out.add(
                        &ECR_MUTABLE_TAGS,
                        resource,
                        "image_tag_mutability",
                        format!("repository `{}` lets a tag move to another image", repo.name),
                    );
                }
                if !repo.scan_on_push {
                    out.add(
                        &ECR_NO_SCAN,
                        resource,
                        "scan_on_push",
                        format!("repository `{}` does not scan images on push", repo.name),
                    );
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{STACK, findings, ids};

    #[test]
    fn unencrypted_efs_is_an_error_and_encrypted_is_clean() {
        let found = findings(&format!("{STACK}[efs_file_system.fs]\nencrypted = false\n"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "AFS-EFS-001");
        assert_eq!(found[0].field, "efs_file_system.fs.encrypted");
        assert!(ids(&format!("{STACK}[efs_file_system.fs]\n")).is_empty());
    }

    #[test]
    fn ecr_tags_and_scanning() {
        assert_eq!(
            ids(&format!("{STACK}[ecr_repository.r]\nname = \"agent\"\n")),
            ["AFS-ECR-001", "AFS-ECR-002"]
        );
        let clean = format!(
            "{STACK}[ecr_repository.r]\nname = \"agent\"\nimage_tag_mutability = \"IMMUTABLE\"\nscan_on_push = true\n"
        );
        assert!(ids(&clean).is_empty(), "{:?}", ids(&clean));
    }
}
