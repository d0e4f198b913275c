//! Local state: `.agentfs/<stack>.state.json` (mode 0600), written by temp file + fsync +
//! rename, with the state it replaced kept as `<stack>.state.json.backup` (0600), and
//! `.agentfs/<stack>.lock` created exclusively as the lock. A lock whose holder ran on this
//! host and is no longer running is taken over with a warning.

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

    /// The state as it was before the last write: `<stack>.state.json.backup`.
    pub fn backup_path(&self) -> PathBuf {
        self.state_path.with_extension("json.backup")
    }

    /// Copies the current state (whatever its content: an unreadable one is kept too) to the
    /// backup, atomically and readable by its owner only. Nothing to keep is not an error.
    fn back_up(&self) -> Result<(), StateError> {
        let bytes = match fs::read(&self.state_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.io(&self.state_path)(e)),
        };
        let backup = self.backup_path();
        let temp = backup.with_extension(format!("backup.tmp{}", std::process::id()));
        let mut file = create_private(&temp, false).map_err(self.io(&temp))?;
        file.write_all(&bytes).map_err(self.io(&temp))?;
        file.sync_all().map_err(self.io(&temp))?;
        fs::rename(&temp, &backup).map_err(self.io(&backup))
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
        self.back_up()?;
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
        self.back_up()?;
        match fs::remove_file(&self.state_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(self.io(&self.state_path)(e)),
            _ => Ok(()),
        }
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        self.ensure_dir()?;
        match self.try_lock(info) {
            Err(StateError::Locked { info: holder, .. }) if holder_is_gone(&holder) => {
                if self.take_over(&holder)? {
                    crate::errln!(
                        "warning: taking over the lock of stack `{}`: it was {holder}, and that process is no longer running on this host",
                        self.stack
                    );
                }
                self.try_lock(info)
            }
            other => other,
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
        self.read_lock(&self.lock_path)
    }
}

/// A lock file that cannot be read or parsed: shown as such, never taken over.
fn unreadable_lock() -> LockInfo {
    LockInfo {
        id: "unknown".into(),
        holder: "unknown (lock file unreadable)".into(),
        pid: 0,
        created: 0,
        operation: "unknown".into(),
    }
}

impl LocalBackend {
    fn read_lock(&self, path: &Path) -> Result<Option<LockInfo>, StateError> {
        match fs::read_to_string(path) {
            Ok(text) => Ok(Some(serde_json::from_str(&text).unwrap_or_else(|_| unreadable_lock()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(path)(e)),
        }
    }

    /// Creates the lock file, or names who holds it.
    fn try_lock(&self, info: &LockInfo) -> Result<(), StateError> {
        match create_private(&self.lock_path, true) {
            Ok(mut file) => {
                let bytes = serde_json::to_vec_pretty(info).unwrap_or_default();
                file.write_all(&bytes)
                    .and_then(|_| file.sync_all())
                    .map_err(self.io(&self.lock_path))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(StateError::Locked {
                stack: self.stack.clone(),
                info: self.read_lock(&self.lock_path)?.unwrap_or_else(unreadable_lock),
            }),
            Err(e) => Err(self.io(&self.lock_path)(e)),
        }
    }

    /// Removes the lock of `dead` if it is still the one in place. The lock file is first
    /// renamed aside (atomic: of two processes taking over, one gets it); when what was moved
    /// turns out to be a newer lock, it is put back. Returns whether `dead`'s lock was removed.
    fn take_over(&self, dead: &LockInfo) -> Result<bool, StateError> {
        let aside = self
            .lock_path
            .with_extension(format!("lock.stale{}", std::process::id()));
        match fs::rename(&self.lock_path, &aside) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(self.io(&self.lock_path)(e)),
        }
        let moved = self.read_lock(&aside)?;
        if moved.as_ref() != Some(dead) {
            // Someone took the lock in between: give it back (fails only if a third did too).
            let _ = fs::hard_link(&aside, &self.lock_path);
        }
        fs::remove_file(&aside).map_err(self.io(&aside))?;
        Ok(moved.as_ref() == Some(dead))
    }
}

/// Whether the process that holds `lock` ran on this host and is gone. Only answers yes when
/// it can tell: same host name, a real pid, and `/proc` to look in.
pub fn holder_is_gone(lock: &LockInfo) -> bool {
    let host = hostname::get().map(|h| h.to_string_lossy().into_owned()).ok();
    let same_host = lock.holder.rsplit_once('@').map(|(_, h)| h) == host.as_deref();
    if !same_host || lock.pid == 0 || lock.pid == std::process::id() || !Path::new("/proc/self").exists() {
        return false;
    }
    match fs::read_to_string(format!("/proc/{}/stat", lock.pid)) {
        // `pid (comm) state ...`: a zombie has exited and only waits for its parent to reap it.
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')),
        Err(_) => !Path::new(&format!("/proc/{}", lock.pid)).exists(),
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

    fn lock_of(pid: u32, host: &str) -> LockInfo {
        LockInfo {
            pid,
            holder: format!("someone@{host}"),
            ..LockInfo::new("apply")
        }
    }

    fn this_host() -> String {
        hostname::get().unwrap().to_string_lossy().into_owned()
    }

    /// The pid of a process that has exited and been reaped.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[tokio::test]
    async fn a_lock_whose_holder_died_on_this_host_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path(), "s");
        let stale = lock_of(dead_pid(), &this_host());
        assert!(holder_is_gone(&stale));
        fs::write(dir.path().join("s.lock"), serde_json::to_vec(&stale).unwrap()).unwrap();
        let mine = LockInfo::new("apply");
        backend.lock(&mine).await.unwrap();
        assert_eq!(backend.current_lock().await.unwrap(), Some(mine.clone()));
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["s.lock"], "nothing is left aside");
        backend.unlock(&mine.id).await.unwrap();
    }

    #[tokio::test]
    async fn a_lock_held_by_a_live_process_or_another_host_is_not_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path(), "s");
        let mut sleeper = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let live = lock_of(sleeper.id(), &this_host());
        let elsewhere = lock_of(dead_pid(), "another-host.example");
        let unreadable = lock_of(0, &this_host());
        for held in [&live, &elsewhere, &unreadable] {
            assert!(!holder_is_gone(held), "{held}");
            fs::write(dir.path().join("s.lock"), serde_json::to_vec(held).unwrap()).unwrap();
            match backend.lock(&LockInfo::new("apply")).await {
                Err(StateError::Locked { info, .. }) => assert_eq!(&info, held),
                other => panic!("{held}: {other:?}"),
            }
        }
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        assert!(holder_is_gone(&live), "once it has exited");
    }

    #[tokio::test]
    async fn every_write_keeps_the_state_it_replaces_as_a_private_backup() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path(), "s");
        let mut state = State::new("s", "us-east-1");
        backend.save(&state).await.unwrap();
        assert!(
            !backend.backup_path().exists(),
            "nothing to keep before the first write"
        );
        let first = fs::read(backend.state_path()).unwrap();
        state.serial = 1;
        backend.save(&state).await.unwrap();
        assert_eq!(fs::read(backend.backup_path()).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(backend.backup_path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // An unreadable state is kept too, and removing the state keeps the last one.
        fs::write(backend.state_path(), "not json").unwrap();
        backend.save(&state).await.unwrap();
        assert_eq!(fs::read(backend.backup_path()).unwrap(), b"not json");
        let last = fs::read(backend.state_path()).unwrap();
        backend.remove().await.unwrap();
        assert_eq!(fs::read(backend.backup_path()).unwrap(), last);
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
