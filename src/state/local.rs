//! Local state: `.agentfs/<stack>.state.json` (mode 0600), written by temp file + fsync +
//! rename, and `.agentfs/<stack>.lock` created exclusively as the lock.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Backend, LockInfo, State, StateError, parse_state};

pub struct LocalBackend {
    stack: String,
    state_path: PathBuf,
    lock_path: PathBuf,
}

impl LocalBackend {
    pub fn new(dir: &Path, stack: &str) -> LocalBackend {
        LocalBackend {
            stack: stack.to_string(),
            state_path: dir.join(format!("{stack}.state.json")),
            lock_path: dir.join(format!("{stack}.lock")),
        }
    }

    pub fn state_path(&self) -> &Path {
        &self.state_path
    }

    fn io(&self, path: &Path) -> impl FnOnce(std::io::Error) -> StateError {
        let path = path.display().to_string();
        move |source| StateError::Io { path, source }
    }

    fn ensure_dir(&self) -> Result<(), StateError> {
        if let Some(dir) = self.state_path.parent() {
            fs::create_dir_all(dir).map_err(self.io(dir))?;
        }
        Ok(())
    }
}

/// Opens a new file readable by its owner only: state holds ids and configuration.
pub(crate) fn create_private(path: &Path, exclusive: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true);
    if exclusive {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

impl Backend for LocalBackend {
    fn describe(&self) -> String {
        self.state_path.display().to_string()
    }

    async fn load(&self) -> Result<Option<State>, StateError> {
        let text = match fs::read(&self.state_path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(&self.state_path)(e)),
        };
        parse_state(&self.describe(), &text).map(Some)
    }

    async fn save(&self, state: &State) -> Result<(), StateError> {
        self.ensure_dir()?;
        let bytes = serde_json::to_vec_pretty(state).map_err(|source| StateError::Corrupt {
            path: self.describe(),
            source,
        })?;
        let temp = self
            .state_path
            .with_extension(format!("json.tmp{}", std::process::id()));
        let mut file = create_private(&temp, false).map_err(self.io(&temp))?;
        file.write_all(&bytes).map_err(self.io(&temp))?;
        file.sync_all().map_err(self.io(&temp))?;
        fs::rename(&temp, &self.state_path).map_err(self.io(&self.state_path))?;
        if let Some(dir) = self.state_path.parent()
            && let Ok(dir) = File::open(dir)
        {
            // Persist the rename itself.
            let _ = dir.sync_all();
        }
        Ok(())
    }

    async fn remove(&self) -> Result<(), StateError> {
        match fs::remove_file(&self.state_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(self.io(&self.state_path)(e)),
            _ => Ok(()),
        }
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        self.ensure_dir()?;
        match create_private(&self.lock_path, true) {
            Ok(mut file) => {
                let bytes = serde_json::to_vec_pretty(info).unwrap_or_default();
                file.write_all(&bytes)
                    .and_then(|_| file.sync_all())
                    .map_err(self.io(&self.lock_path))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = self.current_lock().await?.unwrap_or_else(|| LockInfo {
                    id: "unknown".into(),
                    holder: "unknown (lock file unreadable)".into(),
                    pid: 0,
                    created: 0,
                    operation: "unknown".into(),
                });
                Err(StateError::Locked {
                    stack: self.stack.clone(),
                    info: holder,
                })
            }
            Err(e) => Err(self.io(&self.lock_path)(e)),
        }
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        match self.current_lock().await? {
            Some(info) if info.id == id || id == "unknown" => {
                fs::remove_file(&self.lock_path).map_err(self.io(&self.lock_path))
            }
            _ => Err(StateError::NoSuchLock(id.to_string())),
        }
    }

    async fn current_lock(&self) -> Result<Option<LockInfo>, StateError> {
        match fs::read_to_string(&self.lock_path) {
            Ok(text) => Ok(serde_json::from_str(&text).ok().or(Some(LockInfo {
                id: "unknown".into(),
                holder: "unknown (lock file unreadable)".into(),
                pid: 0,
                created: 0,
                operation: "unknown".into(),
            }))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(&self.lock_path)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn saves_atomically_with_private_mode_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path(), "s");
        assert!(backend.load().await.unwrap().is_none());
        let mut state = State::new("s", "us-east-1");
        state.serial = 7;
        backend.save(&state).await.unwrap();
        assert_eq!(backend.load().await.unwrap().unwrap(), state);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(backend.state_path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[tokio::test]
    async fn second_lock_names_the_holder_until_unlocked() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path(), "s");
        let first = LockInfo::new("apply");
        backend.lock(&first).await.unwrap();
        let err = backend.lock(&LockInfo::new("destroy")).await.unwrap_err();
        match err {
            StateError::Locked { info, .. } => assert_eq!(info, first),
            other => panic!("{other}"),
        }
        assert!(matches!(backend.unlock("wrong").await, Err(StateError::NoSuchLock(_))));
        backend.unlock(&first.id).await.unwrap();
        backend.lock(&LockInfo::new("apply")).await.unwrap();
    }

    #[tokio::test]
    async fn refuses_other_format_versions() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path(), "s");
        fs::write(backend.state_path(), r#"{"format_version": 99}"#).unwrap();
        assert!(matches!(
            backend.load().await,
            Err(StateError::Version { found: 99, .. })
        ));
    }
}
