//! Code artifacts of AgentCore direct code deployment: a source directory zipped the same way
//! every time (sorted entries, fixed timestamps, build debris left out), a `requirements.txt`
//! vendored for linux/arm64, the size limits checked, and the zip put into the stack's bucket.
//!
//! The digest of the source zip (without vendored dependencies, which `requirements.txt`
//! determines) is what the plan compares: same source, same digest, no upload.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use crate::aws::{ApiError, Ctx, api};

/// AgentCore's direct code deployment limits: 250 MB zipped, 750 MB unzipped.
pub const MAX_ZIPPED: u64 = 250 * 1024 * 1024;
pub const MAX_UNZIPPED: u64 = 750 * 1024 * 1024;

/// Directories that are never part of an artifact: version control, bytecode caches,
/// virtual environments (also any directory holding a `pyvenv.cfg`).
const SKIPPED_DIRS: &[&str] = &[".git", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache"];

/// Why an artifact could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
    #[error("cannot write the zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("the artifact is {size} bytes {what}; AgentCore accepts at most {limit} bytes")]
    TooLarge { what: &'static str, size: u64, limit: u64 },
    #[error("neither `uv` nor `pip` is on PATH to vendor requirements.txt; install one of them")]
    NoInstaller,
    #[error(
        "dependency `{0}` has no linux/arm64 (manylinux2014_aarch64) wheel for {1}; pin a version that ships one or drop it"
    )]
    NoArm64Wheel(String, String),
    #[error("vendoring requirements.txt failed: {0}")]
    Vendor(String),
}

/// A built artifact: the zip bytes and the digest of the source they came from.
pub struct Artifact {
    pub zip: Vec<u8>,
    pub sha256: String,
}

/// Every file under `dir` (relative, `/`-separated, sorted), build debris left out.
fn files(dir: &Path) -> Result<Vec<(String, PathBuf)>, ArtifactError> {
    let read = |path: &Path| {
        std::fs::read_dir(path).map_err(|source| ArtifactError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in read(&current)? {
            let entry = entry.map_err(|source| ArtifactError::Read {
                path: current.clone(),
                source,
            })?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry.file_type().map_err(|source| ArtifactError::Read {
                path: path.clone(),
                source,
            })?;
            if kind.is_dir() {
                if !SKIPPED_DIRS.contains(&name.as_str()) && !path.join("pyvenv.cfg").exists() {
                    pending.push(path);
                }
            } else if kind.is_file() && !name.ends_with(".pyc") {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((relative, path));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

/// Appends the files of `dir` to `zip`; returns their total size.
fn add_dir(zip: &mut zip::ZipWriter<Cursor<Vec<u8>>>, dir: &Path) -> Result<u64, ArtifactError> {
    let mut total = 0;
    for (name, path) in files(dir)? {
        let bytes = std::fs::read(&path).map_err(|source| ArtifactError::Read {
            path: path.clone(),
            source,
        })?;
        total += bytes.len() as u64;
        // A fixed timestamp and mode make the same files the same zip.
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(if is_executable(&path) { 0o755 } else { 0o644 });
        zip.start_file(name, options)?;
        zip.write_all(&bytes)
            .map_err(|source| ArtifactError::Read { path, source })?;
    }
    Ok(total)
}

/// The reproducible zip of `dir` and its digest (`sha256:<hex>`).
pub fn source_zip(dir: &Path) -> Result<Artifact, ArtifactError> {
    if !dir.is_dir() {
        return Err(ArtifactError::NotADirectory(dir.to_path_buf()));
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    add_dir(&mut zip, dir)?;
    let bytes = zip.finish()?.into_inner();
    let sha256 = digest(&bytes);
    Ok(Artifact { zip: bytes, sha256 })
}

fn digest(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// `PYTHON_3_12` as `3.12`; `None` for runtimes that are not Python.
pub fn python_version(runtime: &str) -> Option<String> {
    runtime.strip_prefix("PYTHON_").map(|v| v.replace('_', "."))
}

/// Whether a requirements file names any dependency (not only comments and blank lines).
fn has_requirements(text: &str) -> bool {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .any(|l| !l.is_empty())
}

/// Where the package installers run: the process's own environment, or (tests, tools) an
/// explicit PATH and variables, so that nothing needs to change the process environment.
#[derive(Debug, Clone, Default)]
pub struct Installers {
    /// Directories searched for `uv`, `pip3` and `pip` (default: the process's PATH).
    pub path: Option<std::ffi::OsString>,
    /// Variables set for the installer (`PIP_FIND_LINKS`, `UV_NO_INDEX`, ...).
    pub env: Vec<(String, String)>,
}

impl Installers {
    fn path(&self) -> Option<std::ffi::OsString> {
        self.path.clone().or_else(|| std::env::var_os("PATH"))
    }

    /// The first of `programs` on the PATH, as a path to run.
    fn find(&self, programs: &[&str]) -> Option<std::path::PathBuf> {
        let paths = self.path()?;
        programs.iter().find_map(|program| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|candidate| candidate.is_file())
        })
    }
}

/// The artifact to upload: the source, its `requirements.txt` vendored for linux/arm64 when
/// the runtime is Python, within AgentCore's size limits.
pub async fn build(dir: &Path, runtime: &str) -> Result<Artifact, ArtifactError> {
    build_with(dir, runtime, &Installers::default()).await
}

/// [`build`] with the installers run as `installers` says.
pub async fn build_with(dir: &Path, runtime: &str, installers: &Installers) -> Result<Artifact, ArtifactError> {
    let source = source_zip(dir)?;
    let requirements = dir.join("requirements.txt");
    let vendored = match (python_version(runtime), std::fs::read_to_string(&requirements)) {
        (Some(version), Ok(text)) if has_requirements(&text) => {
            Some(vendor(&requirements, &version, installers).await?)
        }
        _ => None,
    };
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut unzipped = add_dir(&mut zip, dir)?;
    if let Some(target) = &vendored {
        unzipped += add_dir(&mut zip, target.path())?;
    }
    let bytes = zip.finish()?.into_inner();
    check_size(bytes.len() as u64, unzipped)?;
    Ok(Artifact {
        zip: bytes,
        sha256: source.sha256,
    })
}

fn check_size(zipped: u64, unzipped: u64) -> Result<(), ArtifactError> {
    if zipped > MAX_ZIPPED {
        return Err(ArtifactError::TooLarge {
            what: "zipped",
            size: zipped,
            limit: MAX_ZIPPED,
        });
    }
    if unzipped > MAX_UNZIPPED {
        return Err(ArtifactError::TooLarge {
            what: "unzipped",
            size: unzipped,
            limit: MAX_UNZIPPED,
        });
    }
    Ok(())
}

/// Installs the requirements as linux/arm64 wheels for `version` into a temporary directory,
/// with uv when present, else pip.
async fn vendor(
    requirements: &Path,
    version: &str,
    installers: &Installers,
) -> Result<tempfile::TempDir, ArtifactError> {
    let target = tempfile::tempdir().map_err(|source| ArtifactError::Read {
        path: std::env::temp_dir(),
        source,
    })?;
    let dest = target.path().to_string_lossy().into_owned();
    let reqs = requirements.to_string_lossy().into_owned();
    let mut command = if let Some(uv) = installers.find(&["uv"]) {
        let mut c = tokio::process::Command::new(uv);
        c.args([
            "pip",
            "install",
            "--quiet",
            "--python-platform",
            "aarch64-manylinux2014",
        ]);
        c.args([
            "--python-version",
            version,
            "--only-binary",
            ":all:",
            "--target",
            &dest,
            "-r",
            &reqs,
        ]);
        c
    } else if let Some(pip) = installers.find(&["pip3", "pip"]) {
        let mut c = tokio::process::Command::new(pip);
        c.args(["install", "--quiet", "--disable-pip-version-check", "--no-compile"]);
        c.args(["--platform", "manylinux2014_aarch64", "--implementation", "cp"]);
        c.args([
            "--python-version",
            version,
            "--only-binary=:all:",
            "--target",
            &dest,
            "-r",
            &reqs,
        ]);
        c
    } else {
        return Err(ArtifactError::NoInstaller);
    };
    if let Some(path) = &installers.path {
        command.env("PATH", path);
    }
    let out = command
        .envs(installers.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .await
        .map_err(|e| ArtifactError::Vendor(e.to_string()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(match missing_wheel(&stderr) {
            Some(name) => ArtifactError::NoArm64Wheel(name, format!("Python {version}")),
            None => ArtifactError::Vendor(stderr.trim().to_string()),
        });
    }
    Ok(target)
}

/// The dependency pip or uv could not find a matching wheel for.
fn missing_wheel(stderr: &str) -> Option<String> {
    let patterns = [
        r"No matching distribution found for ([A-Za-z0-9_.\-]+)",
        r"Because ([A-Za-z0-9_.\-]+)[^\n]* has no wheels? with a matching",
        r"[Bb]ecause ([A-Za-z0-9_.\-]+) was not found in the package registry",
    ];
    patterns.iter().find_map(|p| {
        regex::Regex::new(p)
            .ok()
            .and_then(|re| re.captures(stderr))
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string())
    })
}

/// Where an uploaded artifact is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub bucket: String,
    pub key: String,
    /// `None` when the bucket is not versioned.
    pub version_id: Option<String>,
}

/// Puts the artifact into `bucket` at `key`; a versioned bucket gives each upload a version.
/// When the object's current version already holds this code (a create retried with its
/// client token), that version is the answer: uploading again would make a new version, and
/// the retried CreateAgentRuntime a different request than the first.
pub async fn upload(ctx: &Ctx, bucket: &str, key: &str, artifact: Artifact) -> Result<Uploaded, ApiError> {
    let current = ctx.clients.s3.head_object().bucket(bucket).key(key).send().await;
    if let Ok(head) = current
        && head.metadata().and_then(|m| m.get("agentfs-sha256")) == Some(&artifact.sha256)
    {
        return Ok(Uploaded {
            bucket: bucket.to_string(),
            key: key.to_string(),
            version_id: head.version_id().map(String::from),
        });
    }
    let out = ctx
        .clients
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/zip")
        .metadata("agentfs-sha256", &artifact.sha256)
        .body(artifact.zip.into())
        .send()
        .await
        .map_err(api("s3:PutObject"))?;
    Ok(Uploaded {
        bucket: bucket.to_string(),
        key: key.to_string(),
        version_id: out.version_id().map(String::from),
    })
}

/// Deletes every version of the artifact object (and its delete markers); a missing bucket
/// or object is already done.
pub async fn remove(ctx: &Ctx, bucket: &str, key: &str) -> Result<(), ApiError> {
    let listed = ctx
        .clients
        .s3
        .list_object_versions()
        .bucket(bucket)
        .prefix(key)
        .send()
        .await
        .map_err(api("s3:ListObjectVersions"));
    let listed = match listed {
        Ok(out) => out,
        Err(e) if e.is_not_found() || e.is("NoSuchBucket") => return Ok(()),
        Err(e) => return Err(e),
    };
    let versions = listed
        .versions()
        .iter()
        .filter(|v| v.key() == Some(key))
        .map(|v| v.version_id().map(String::from))
        .chain(
            listed
                .delete_markers()
                .iter()
                .filter(|m| m.key() == Some(key))
                .map(|m| m.version_id().map(String::from)),
        );
    for version in versions {
        ctx.clients
            .s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version.filter(|v| v != "null"))
            .send()
            .await
            .map_err(api("s3:DeleteObject"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn names(zip: &[u8]) -> Vec<String> {
        let archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
        archive.file_names().map(|n| n.unwrap().into_owned()).collect()
    }

    #[test]
    fn the_same_files_give_the_same_zip_and_debris_is_left_out() {
        let a = tree(&[("server.py", "print(1)"), ("lib/b.py", "x = 1"), ("lib/a.py", "y = 2")]);
        let b = tree(&[
            ("lib/a.py", "y = 2"),
            ("server.py", "print(1)"),
            ("lib/b.py", "x = 1"),
            (".git/HEAD", "ref"),
            ("__pycache__/server.cpython-312.pyc", "bytecode"),
            ("env/pyvenv.cfg", "home = /usr"),
            ("env/lib/site.py", "venv"),
            (".venv/bin/python", "venv"),
        ]);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let (za, zb) = (source_zip(a.path()).unwrap(), source_zip(b.path()).unwrap());
        assert_eq!(za.sha256, zb.sha256);
        assert_eq!(za.zip, zb.zip);
        assert_eq!(names(&za.zip), ["lib/a.py", "lib/b.py", "server.py"]);
        std::fs::write(a.path().join("server.py"), "print(2)").unwrap();
        assert_ne!(source_zip(a.path()).unwrap().sha256, za.sha256);
    }

    #[test]
    fn a_missing_source_is_an_error() {
        assert!(matches!(
            source_zip(Path::new("/nonexistent/agentfs-src")),
            Err(ArtifactError::NotADirectory(_))
        ));
    }

    #[test]
    fn size_limits_are_the_documented_ones() {
        assert!(check_size(MAX_ZIPPED, MAX_UNZIPPED).is_ok());
        assert!(matches!(
            check_size(MAX_ZIPPED + 1, 1),
            Err(ArtifactError::TooLarge { what: "zipped", .. })
        ));
        assert!(matches!(
            check_size(1, MAX_UNZIPPED + 1),
            Err(ArtifactError::TooLarge { what: "unzipped", .. })
        ));
    }

    #[test]
    fn requirements_with_only_comments_need_no_installer() {
        assert!(!has_requirements("# nothing\n\n   # here\n"));
        assert!(has_requirements("requests==2.0 # pinned\n"));
        assert_eq!(python_version("PYTHON_3_12").as_deref(), Some("3.12"));
        assert_eq!(python_version("NODE_22"), None);
    }

    #[test]
    fn a_missing_wheel_is_named() {
        let pip = "ERROR: Could not find a version that satisfies the requirement nosuchpkg\nERROR: No matching distribution found for nosuchpkg\n";
        assert_eq!(missing_wheel(pip).as_deref(), Some("nosuchpkg"));
        assert_eq!(missing_wheel("something else"), None);
    }
}
