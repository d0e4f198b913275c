//! `ecr_repository`: an Amazon ECR private repository for the runtime's images.
//!
//! CreateRepository with its tags; a repository of that name already made by agentfs for this
//! resource (a crash before the record) is adopted. Tag mutability and scan on push change in
//! place (PutImageTagMutability, PutImageScanningConfiguration); the encryption settings are
//! fixed at creation, so changing them replaces the repository. DeleteRepository refuses a
//! repository that still holds images unless `force_delete` is set.

use std::collections::BTreeMap;

use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability, Repository, Tag,
};
use futures_util::future::try_join_all;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::lookup::{keep, owned_by_tags};
use super::tags;
use super::{Created, Found, Recorded, Request, Resource};
use crate::aws::{ApiError, Ctx, api};
use crate::lang::api::{ApiField, ApiMap, Limits};
use crate::lang::cfn::{CfnType, TAGS, To, p};
use crate::lang::kind::{Check, KindSpec, RefSlot, Tags, UniqueName};
use crate::lang::{Addr, Group};

/// `[ecr_repository.NAME]`: a private ECR repository.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EcrRepositorySpec {
    /// Repository name: lowercase letters and digits, separated by `.`, `_`, `-` or `/`; 2 to 256.
    pub name: String,
    /// `MUTABLE` (default) or `IMMUTABLE`.
    #[serde(default = "mutable")]
    pub image_tag_mutability: String,
    /// Scan each image for vulnerabilities when it is pushed.
    #[serde(default)]
    pub scan_on_push: bool,
    /// `AES256` (default), `KMS` or `KMS_DSSE`; fixed once the repository exists.
    #[serde(default = "aes256")]
    pub encryption: String,
    /// The KMS key (ARN or id) for `KMS` encryption; the AWS managed key when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
    /// Delete the repository even when it still holds images.
    #[serde(default)]
    pub force_delete: bool,
    #[serde(default)]
    pub tags: Tags,
}

fn mutable() -> String {
    "MUTABLE".into()
}

fn aes256() -> String {
    "AES256".into()
}

/// The model's RepositoryName pattern.
/// The name against the model's limits (the `ApiMap` below), worded for a repository name.
fn repository_name(name: &str) -> Result<(), String> {
    let limits = EcrRepository::API.limits("name");
    let (min, max) = (limits.min_len.unwrap_or(0), limits.max_len.unwrap_or(usize::MAX));
    if !(min..=max).contains(&name.len()) {
        return Err(format!("{min} to {max} characters; this one has {}", name.len()));
    }
    if !limits.refuses(name) {
        Ok(())
    } else {
        Err("lowercase letters and digits in groups joined by `.`, `_`, `-` or `/`, e.g. `agents/support-bot`".into())
    }
}

impl KindSpec for EcrRepositorySpec {
    fn check(&self, check: &mut Check<'_>) {
        check.rule(
            "agentfs::ecr_repository_name",
            "name",
            &self.name,
            repository_name,
            || format!("`{}` is not a valid repository name", self.name),
        );
        check.one_of(
            "image_tag_mutability",
            &self.image_tag_mutability,
            "an image tag mutability",
            &["MUTABLE", "IMMUTABLE"],
        );
        check.one_of(
            "encryption",
            &self.encryption,
            "an encryption type",
            EcrRepository::API.limits("encryption").one_of,
        );
        if let Some(key) = &self.kms_key {
            if self.encryption == "AES256" {
                check.error(
                    "agentfs::ecr_encryption",
                    "kms_key",
                    "a KMS key is only used with KMS encryption",
                    "set `encryption = \"KMS\"` or remove `kms_key`",
                );
            }
            let limits = EcrRepository::API.limits("kms_key");
            if limits.refuses(key) {
                check.error(
                    "agentfs::ecr_encryption",
                    "kms_key",
                    format!(
                        "the KMS key is empty or longer than {} characters",
                        limits.max_len.unwrap_or(usize::MAX)
                    ),
                    "give the key's ARN or id",
                );
            }
        }
    }

    fn unique_name(&self, _: &Addr) -> Option<UniqueName> {
        Some(UniqueName {
            scope: String::new(),
            name: self.name.clone(),
        })
    }

    fn refs(&mut self) -> Vec<RefSlot<'_>> {
        Vec::new()
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }
}

pub struct EcrRepository;

impl Resource for EcrRepository {
    type Spec = EcrRepositorySpec;
    const GROUP: Group = Group::Compute;
    const CREATE_CALL: &'static str = "ecr:CreateRepository";
    const ATTRIBUTES: &'static [&'static str] = &["id", "arn", "name", "url", "registry_id"];
    /// Found by id, name or ARN when the stack uses one it does not own.
    const EXISTING: Option<crate::lang::existing::ExistingWays> =
        Some(crate::lang::existing::ExistingWays::by_name("ecr", |arn| {
            arn.split_once(":repository/").map(|(_, name)| name.to_string())
        }));
    const REPLACE_ON: &'static [&'static str] = &["name", "encryption", "kms_key"];
    const LOCAL_ONLY: &'static [&'static str] = &["force_delete"];
    const CFN: &'static [CfnType] = CFN;
    const API: ApiMap = ApiMap {
        fields: &[
            ApiField::model(
                "name",
                "ecr",
                "CreateRepositoryRequest$repositoryName",
                Limits::len(2, 256).pattern(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"),
            ),
            // The model also has the *_WITH_EXCLUSION values; they need exclusion filters,
            // which the kind does not offer, so its own check narrows this to two.
            ApiField::model(
                "image_tag_mutability",
                "ecr",
                "CreateRepositoryRequest$imageTagMutability",
                Limits::one_of(&[
                    "MUTABLE",
                    "IMMUTABLE",
                    "IMMUTABLE_WITH_EXCLUSION",
                    "MUTABLE_WITH_EXCLUSION",
                ]),
            ),
            ApiField::model(
                "scan_on_push",
                "ecr",
                "ImageScanningConfiguration$scanOnPush",
                Limits::NONE,
            ),
            ApiField::model(
                "encryption",
                "ecr",
                "EncryptionConfiguration$encryptionType",
                Limits::one_of(&["AES256", "KMS", "KMS_DSSE"]),
            ),
            ApiField::model("kms_key", "ecr", "EncryptionConfiguration$kmsKey", Limits::len(1, 2048)),
            ApiField::model("force_delete", "ecr", "DeleteRepositoryRequest$force", Limits::NONE),
        ],
        tags: super::tags::rules::ECR,
        not_sent: &[],
    };

    async fn create(ctx: &Ctx, req: &Request<'_, EcrRepositorySpec>) -> Result<Created, ApiError> {
        let spec = req.spec;
        let encryption = EncryptionConfiguration::builder()
            .encryption_type(EncryptionType::from(spec.encryption.as_str()))
            .set_kms_key(spec.kms_key.clone())
            .build()
            .map_err(invalid)?;
        let created = ctx
            .clients
            .ecr
            .create_repository()
            .repository_name(&spec.name)
            .image_tag_mutability(ImageTagMutability::from(spec.image_tag_mutability.as_str()))
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(spec.scan_on_push)
                    .build(),
            )
            .encryption_configuration(encryption)
            .set_tags(Some(ecr_tags(req.tags)?))
            .send()
            .await
            .map_err(api("ecr:CreateRepository"));
        match created {
            Ok(out) => out
                .repository()
                .map(attributes)
                .ok_or_else(|| ApiError::missing("ecr:CreateRepository", "repository")),
            Err(e) if e.is("RepositoryAlreadyExistsException") => adopt(ctx, req, e).await,
            Err(e) => Err(e),
        }
    }

    async fn update(
        ctx: &Ctx,
        req: &Request<'_, EcrRepositorySpec>,
        prior: &Recorded<'_, EcrRepositorySpec>,
    ) -> Result<Created, ApiError> {
        bring_to_spec(
            ctx,
            req.spec,
            prior.spec.image_tag_mutability.as_str(),
            prior.spec.scan_on_push,
        )
        .await?;
        let arn = prior.attributes.get("arn").cloned().unwrap_or_default();
        sync_tags(ctx, &arn, prior.tags, req.tags).await?;
        let live = describe(ctx, &[prior.id.to_string()]).await?;
        live.first()
            .map(attributes)
            .ok_or_else(|| ApiError::new("ecr:DescribeRepositories", "RepositoryNotFoundException", prior.id))
    }

    async fn delete(ctx: &Ctx, prior: &Recorded<'_, EcrRepositorySpec>) -> Result<(), ApiError> {
        let result = ctx
            .clients
            .ecr
            .delete_repository()
            .repository_name(prior.id)
            .force(prior.spec.force_delete)
            .send()
            .await
            .map_err(api("ecr:DeleteRepository"));
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if e.is("RepositoryNotEmptyException") => Err(ApiError::new(
                "ecr:DeleteRepository",
                "RepositoryNotEmptyException",
                format!(
                    "{}; set `force_delete = true` on {} to delete it with its images",
                    e.message, prior.address
                ),
            )),
            Err(e) => Err(e),
        }
    }

    /// Import: DescribeRepositories with the names. Recover: DescribeRepositories (paginated),
    /// then ListTagsForResource per repository, keeping those tagged with the stack.
    async fn find(ctx: &Ctx, ids: &[&str]) -> Result<Vec<Found>, ApiError> {
        let names: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        let repos = describe_known(ctx, &names).await?;
        let candidates = repos
            .iter()
            .map(|repo| (repo.repository_arn().unwrap_or_default().to_string(), attributes(repo)))
            .collect();
        let found = owned_by_tags(candidates, |arn| async move { tags_of(ctx, &arn).await }).await?;
        Ok(keep(ctx, ids, found))
    }

    /// One DescribeRepositories for every recorded repository, then ListTagsForResource per
    /// repository.
    async fn read(
        ctx: &Ctx,
        records: &[Recorded<'_, EcrRepositorySpec>],
    ) -> Result<Vec<Option<EcrRepositorySpec>>, ApiError> {
        let names: Vec<String> = records.iter().map(|r| r.id.to_string()).collect();
        let live = describe_known(ctx, &names).await?;
        try_join_all(records.iter().map(|r| {
            let repo = live.iter().find(|repo| repo.repository_name() == Some(r.id)).cloned();
            async move {
                let Some(repo) = repo else { return Ok(None) };
                let tags = match tags_of(ctx, repo.repository_arn().unwrap_or_default()).await {
                    Ok(tags) => tags,
                    Err(e) if e.is_not_found() => return Ok(None),
                    Err(e) => return Err(e),
                };
                let mut spec = r.spec.clone();
                if let Some(m) = repo.image_tag_mutability() {
                    spec.image_tag_mutability = m.as_str().to_string();
                }
                spec.scan_on_push = repo.image_scanning_configuration().is_some_and(|c| c.scan_on_push());
                if let Some(enc) = repo.encryption_configuration() {
                    spec.encryption = enc.encryption_type().as_str().to_string();
                    // AWS fills in the managed key's ARN when none was given: not drift.
                    if r.spec.kms_key.is_some() {
                        spec.kms_key = enc.kms_key().map(String::from);
                    }
                }
                spec.tags = tags::user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                Ok(Some(spec))
            }
        }))
        .await
    }
}

fn invalid(e: aws_sdk_ecr::error::BuildError) -> ApiError {
    ApiError::new("ecr:CreateRepository", "InvalidRequest", e.to_string())
}

fn attributes(repo: &Repository) -> Created {
    let name = repo.repository_name().unwrap_or_default();
    Created::new(name)
        .with("arn", repo.repository_arn().unwrap_or_default())
        .with("name", name)
        .with("url", repo.repository_uri().unwrap_or_default())
        .with("registry_id", repo.registry_id().unwrap_or_default())
}

fn ecr_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ApiError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(invalid))
        .collect()
}

/// Sends the in-place settings that differ from `mutability` / `scan_on_push`.
async fn bring_to_spec(
    ctx: &Ctx,
    spec: &EcrRepositorySpec,
    mutability: &str,
    scan_on_push: bool,
) -> Result<(), ApiError> {
    if spec.image_tag_mutability != mutability {
        ctx.clients
            .ecr
            .put_image_tag_mutability()
            .repository_name(&spec.name)
            .image_tag_mutability(ImageTagMutability::from(spec.image_tag_mutability.as_str()))
            .send()
            .await
            .map_err(api("ecr:PutImageTagMutability"))?;
    }
    if spec.scan_on_push != scan_on_push {
        ctx.clients
            .ecr
            .put_image_scanning_configuration()
            .repository_name(&spec.name)
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(spec.scan_on_push)
                    .build(),
            )
            .send()
            .await
            .map_err(api("ecr:PutImageScanningConfiguration"))?;
    }
    Ok(())
}

/// ECR's own tag calls (TagResource / UntagResource on the repository ARN).
async fn sync_tags(
    ctx: &Ctx,
    arn: &str,
    recorded: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let (stale, changed) = tags::changes(recorded, desired);
    if !stale.is_empty() {
        ctx.clients
            .ecr
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(api("ecr:UntagResource"))?;
    }
    if !changed.is_empty() {
        ctx.clients
            .ecr
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(ecr_tags(&changed)?))
            .send()
            .await
            .map_err(api("ecr:TagResource"))?;
    }
    Ok(())
}

/// DescribeRepositories for `names` (every repository when empty), all pages.
async fn describe(ctx: &Ctx, names: &[String]) -> Result<Vec<Repository>, ApiError> {
    ctx.clients
        .ecr
        .describe_repositories()
        .set_repository_names((!names.is_empty()).then(|| names.to_vec()))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(api("ecr:DescribeRepositories"))
}

/// The repositories of `names` that exist (every one when empty): one call, or, when an
/// unknown name fails the batch, one call per name.
async fn describe_known(ctx: &Ctx, names: &[String]) -> Result<Vec<Repository>, ApiError> {
    match describe(ctx, names).await {
        Err(e) if e.is_not_found() && !names.is_empty() => {
            let each_one = try_join_all(names.iter().map(|n| async move {
                match describe(ctx, std::slice::from_ref(n)).await {
                    Err(e) if e.is_not_found() => Ok(Vec::new()),
                    other => other,
                }
            }))
            .await?;
            Ok(each_one.into_iter().flatten().collect())
        }
        other => other,
    }
}

async fn tags_of(ctx: &Ctx, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let out = ctx
        .clients
        .ecr
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(api("ecr:ListTagsForResource"))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// After "already exists": ours if its tags say agentfs made it for this resource of this
/// stack; then brought to the spec. Otherwise the conflict stands.
async fn adopt(ctx: &Ctx, req: &Request<'_, EcrRepositorySpec>, conflict: ApiError) -> Result<Created, ApiError> {
    let spec = req.spec;
    let Some(repo) = describe(ctx, std::slice::from_ref(&spec.name))
        .await?
        .into_iter()
        .next()
    else {
        return Err(conflict);
    };
    let arn = repo.repository_arn().unwrap_or_default().to_string();
    let live_tags = tags_of(ctx, &arn).await?;
    let ours = super::tags::made_for(&live_tags, req.tags);
    if !ours {
        return Err(ApiError::new(
            "ecr:CreateRepository",
            "RepositoryAlreadyExistsException",
            format!(
                "a repository named `{}` already exists and was not made by agentfs for {} in stack `{}`: \
                 choose another name, or adopt it with `agentfs import`",
                spec.name, req.address, ctx.stack
            ),
        ));
    }
    let mutability = repo.image_tag_mutability().map(|m| m.as_str()).unwrap_or_default();
    let scan = repo.image_scanning_configuration().is_some_and(|c| c.scan_on_push());
    bring_to_spec(ctx, spec, mutability, scan).await?;
    sync_tags(ctx, &arn, &live_tags, req.tags).await?;
    Ok(attributes(&repo))
}

/// `AWS::ECR::Repository` (see [`crate::lang::cfn`]).
const CFN: &[CfnType] = &[CfnType::new(
    "AWS::ECR::Repository",
    &[
        p("RepositoryName", To::Field("name")),
        p("ImageTagMutability", To::Field("image_tag_mutability")),
        p("ImageScanningConfiguration.ScanOnPush", To::Bool("scan_on_push")),
        p("EncryptionConfiguration.EncryptionType", To::Field("encryption")),
        p("EncryptionConfiguration.KmsKey", To::Field("kms_key")),
        p("EmptyOnDelete", To::Bool("force_delete")),
        p("Tags", TAGS),
        p(
            "LifecyclePolicy",
            To::Refuse("agentfs does not manage ECR lifecycle policies"),
        ),
        p(
            "RepositoryPolicyText",
            To::Refuse("agentfs does not manage ECR repository policies"),
        ),
        p(
            "ImageTagMutabilityExclusionFilters",
            To::Refuse("agentfs sets one tag mutability for the whole repository"),
        ),
    ],
)
.attributes(&[("Arn", "arn"), ("RepositoryUri", "url")])
.ref_attribute("name")
.generated_name("name", generated_name)];

/// CloudFormation names a repository without `RepositoryName` `stack-logicalid-random`;
/// agentfs gives the same lower-case name on every apply.
fn generated_name(id: &str) -> String {
    format!("${{stack}}-{}", crate::lang::cfn::clip(id, 64).to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_the_model() {
        assert!(repository_name("agents/support-bot").is_ok());
        assert!(repository_name("a__b").is_ok());
        assert!(repository_name("Agent").is_err());
        assert!(repository_name("a").is_err());
        assert!(repository_name("trailing-").is_err());
    }
}
