//! `requirements.txt` vendored for linux/arm64 with whichever of uv and pip is present, from a
//! local wheel index (no internet): a pure-Python wheel ends up in the artifact, a wheel built
//! only for x86_64 is the "no arm64 wheel" error naming the package.
//!
//! The installers are pointed at the index through their standard environment variables
//! (`PIP_NO_INDEX`/`PIP_FIND_LINKS`, `UV_NO_INDEX`/`UV_FIND_LINKS`), which agentfs passes
//! through, given to the installers explicitly (`artifact::Installers`), not set in the process.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use agentfs::resources::artifact::{self, ArtifactError};

/// A wheel with one module, `{name}/__init__.py`, tagged `tag`.
fn wheel(index: &Path, name: &str, version: &str, tag: &str) {
    let dist_info = format!("{name}-{version}.dist-info");
    let files = [
        (format!("{name}/__init__.py"), format!("VERSION = {version:?}\n")),
        (
            format!("{dist_info}/METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        ),
        (
            format!("{dist_info}/WHEEL"),
            format!(
                "Wheel-Version: 1.0\nGenerator: agentfs-tests\nRoot-Is-Purelib: {}\nTag: {tag}\n",
                tag.ends_with("-any")
            ),
        ),
    ];
    let mut record: String = files.iter().map(|(path, _)| format!("{path},,\n")).collect();
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (path, text) in files.iter().chain([&(format!("{dist_info}/RECORD"), record)]) {
        zip.start_file(path.as_str(), options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    std::fs::write(index.join(format!("{name}-{version}-{tag}.whl")), bytes).unwrap();
}

fn on_path(path: &std::ffi::OsStr, program: &str) -> bool {
    std::env::split_paths(path).any(|dir| dir.join(program).is_file())
}

/// PATH with an installer on it: as it is when it has uv or pip, else with the emulator's
/// virtualenv (which has pip; `.ci/run` makes it on a fresh machine) in front. The virtualenv
/// goes in front anyway when there is one: its pip needs no shim to start.
fn installer_path() -> Option<std::ffi::OsString> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let venv = std::env::var_os("AGENTFS_EMULATOR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("emulator/.venv"))
        .join("bin");
    if venv.join("pip").is_file() {
        let dirs = std::iter::once(venv).chain(std::env::split_paths(&path));
        return std::env::join_paths(dirs).ok();
    }
    ["uv", "pip3", "pip"].iter().any(|p| on_path(&path, p)).then_some(path)
}

fn names(zip: &[u8]) -> Vec<String> {
    let archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    archive.file_names().map(|n| n.unwrap().into_owned()).collect()
}

#[tokio::test]
async fn requirements_are_vendored_for_arm64_and_an_x86_only_wheel_is_named() {
    let Some(path) = installer_path() else {
        println!("skipped: neither uv nor pip is on PATH, and there is no emulator virtualenv with pip");
        return;
    };
    let index = tempfile::tempdir().unwrap();
    wheel(index.path(), "tinypure", "1.0", "py3-none-any");
    wheel(index.path(), "x86only", "1.0", "cp312-cp312-manylinux2014_x86_64");
    let links = index.path().to_string_lossy().into_owned();
    let installers = artifact::Installers {
        path: Some(path),
        env: [
            ("PIP_NO_INDEX", "1"),
            ("PIP_FIND_LINKS", links.as_str()),
            ("UV_NO_INDEX", "1"),
            ("UV_FIND_LINKS", links.as_str()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    };

    let source = tempfile::tempdir().unwrap();
    std::fs::write(source.path().join("server.py"), "import tinypure\n").unwrap();
    std::fs::write(source.path().join("requirements.txt"), "tinypure==1.0\n").unwrap();
    let built = artifact::build_with(source.path(), "PYTHON_3_12", &installers)
        .await
        .unwrap_or_else(|e| panic!("vendoring a py3-none-any wheel: {e}"));
    let files = names(&built.zip);
    for expected in ["server.py", "requirements.txt", "tinypure/__init__.py"] {
        assert!(files.iter().any(|f| f == expected), "{expected} not in {files:?}");
    }
    // The plan's digest is the source's: what requirements.txt pulls in is not part of it.
    assert_eq!(built.sha256, artifact::source_zip(source.path()).unwrap().sha256);

    std::fs::write(source.path().join("requirements.txt"), "tinypure==1.0\nx86only==1.0\n").unwrap();
    let refused = artifact::build_with(source.path(), "PYTHON_3_12", &installers).await;
    match refused {
        Err(e @ ArtifactError::NoArm64Wheel(..)) => {
            let message = e.to_string();
            assert!(message.contains("`x86only`"), "{message}");
            assert!(message.contains("arm64"), "{message}");
            assert!(message.contains("Python 3.12"), "{message}");
        }
        Err(e) => panic!("expected the no-arm64-wheel error, got: {e}"),
        Ok(built) => panic!("an x86_64-only wheel was vendored: {:?}", names(&built.zip)),
    }
}
