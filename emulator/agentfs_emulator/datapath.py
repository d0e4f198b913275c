"""The file systems' data path: a local directory per file system, kept in step with its bucket.

S3 Files: files written under a file system's directory become objects at the matching key
(under the file system's prefix) once they have been left alone for `s3files_export_delay_seconds`,
each write a new object version; objects put into the bucket appear as files; deletes go both
ways. Files not yet exported are the file system's pending export (DeleteFileSystem refuses it
without forceDelete). EFS access points get a directory (under their file system's, made with their creation
permissions) with no bucket; session storage a directory per session, reset by a new runtime
version.

Syncing happens at every AWS call the emulator serves and around every invocation (under the
emulator's lock), like every other timed transition of the emulator (see scheduler.py).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from .config import CONFIG

_ROOT: str | None = None


def root() -> str:
    """The emulator's data directory (the `agent_data_dir` knob, else a fresh temporary one)."""
    global _ROOT
    configured = CONFIG.get("agent_data_dir")
    if configured:
        os.makedirs(configured, exist_ok=True)
        return configured
    if _ROOT is None:
        _ROOT = tempfile.mkdtemp(prefix="agentfs-emulator-")
    return _ROOT


@dataclass
class Synced:
    """What one file system last exchanged with its bucket."""
    # relative path -> (mtime_ns, size) of the file as last exported or imported
    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    # object key -> etag of the object as last exported or imported
    objects: dict[str, str] = field(default_factory=dict)
    pending: int = 0


_SYNCED: dict[str, Synced] = {}


def reset() -> None:
    """Forgets every file system's data (a reset of the emulator)."""
    import shutil

    _SYNCED.clear()
    for sub in ("s3files", "efs", "session-storage", "runtimes", "sessions"):
        shutil.rmtree(os.path.join(root(), sub), ignore_errors=True)


def fs_dir(fs_id: str) -> str:
    return os.path.join(root(), "s3files", fs_id)


def _s3files(account: str, region: str) -> Any:
    from .s3files.models import s3files_backends

    return s3files_backends[account][region]


class MountError(Exception):
    """A runtime's file system cannot be given to a session (its access point is gone)."""


def _make_root(base: str, root_path: str | None, permissions: str | None) -> str:
    """An access point's root directory under its file system's, made with the access point's
    creation permissions when it does not exist yet (as S3 Files and EFS do on first mount)."""
    path = os.path.join(base, (root_path or "/").strip("/"))
    if not os.path.isdir(path):
        os.makedirs(path, exist_ok=True)
        if permissions:
            # The mode is the access point's; the owner stays the emulator's own user: the session's
            # user namespace maps only that user (as root), so another owner would lock the agent out.
            os.chmod(path, int(str(permissions), 8))
    return path


def _efs_root(account: str, arn: str) -> str:
    """An EFS access point's root directory: a local directory per file system (no bucket behind
    it), shared by every session and runtime that mounts one of its access points."""
    from moto.efs.models import efs_backends

    parts = arn.split(":")
    region, ap_id = (parts[3], parts[-1].rsplit("/", 1)[-1]) if len(parts) >= 6 else ("", "")
    try:
        ap = efs_backends[account][region].access_points.get(ap_id)
    except KeyError:
        ap = None
    if ap is None:
        raise MountError(f"the EFS access point {arn} does not exist")
    root_directory = ap.root_directory or {}
    creation = root_directory.get("CreationInfo") or {}
    base = os.path.join(root(), "efs", ap.file_system_id)
    os.makedirs(base, exist_ok=True)
    return _make_root(base, root_directory.get("Path"), creation.get("Permissions"))


def mounts_for(account: str, region: str, runtime_id: str, version: int, config: dict[str, Any],
               session_id: str) -> list[dict[str, str]]:
    """Each file system of a runtime version as {"path": mount path, "source": local directory}."""
    mounts = []
    for entry in config.get("filesystemConfigurations") or []:
        if entry.get("s3FilesAccessPoint"):
            conf = entry["s3FilesAccessPoint"]
            backend = _s3files(account, region)
            ap = backend.get_access_point(conf["accessPointArn"])
            fs = backend.get_file_system(ap.file_system_id)
            os.makedirs(fs_dir(fs.id), exist_ok=True)
            _sync_fs(account, fs)  # what the bucket holds is there before the agent starts
            root_directory = ap.root_directory or {}
            source = _make_root(fs_dir(fs.id), root_directory.get("path"),
                                (root_directory.get("creationPermissions") or {}).get("permissions"))
        elif entry.get("efsAccessPoint"):
            conf = entry["efsAccessPoint"]
            source = _efs_root(account, conf["accessPointArn"])
        elif entry.get("sessionStorage"):
            conf = entry["sessionStorage"]
            digest = hashlib.sha256(session_id.encode()).hexdigest()[:16]
            # A new runtime version starts with empty session storage.
            source = _session_storage(runtime_id, version, digest)
        else:
            continue
        mounts.append({"path": conf["mountPath"].rstrip("/") or "/mnt", "source": source})
    return mounts


def _session_storage(runtime_id: str, version: int, digest: str) -> str:
    """The session's storage for this runtime version: what older versions left is reset (AWS:
    session storage "resets on version update"); it survives the session's stop and restart."""
    import shutil

    base = os.path.join(root(), "session-storage", runtime_id)
    for name in os.listdir(base) if os.path.isdir(base) else []:
        if name.startswith("v") and name[1:].isdigit() and int(name[1:]) < version:
            shutil.rmtree(os.path.join(base, name, digest), ignore_errors=True)
    source = os.path.join(base, f"v{version}", digest)
    os.makedirs(source, exist_ok=True)
    return source


def _bucket(account: str, name: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[account]["aws"].buckets.get(name)


def _latest(bucket: Any, prefix: str) -> dict[str, Any]:
    from moto.s3.models import FakeDeleteMarker

    out = {}
    for name, key in bucket.keys.items():
        if name.startswith(prefix) and not isinstance(key, FakeDeleteMarker) and not name.endswith("/"):
            out[name] = key
    return out


def _local_files(base: str) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, _dirs, files in os.walk(base):
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            out[os.path.relpath(path, base).replace(os.sep, "/")] = (st.st_mtime_ns, st.st_size)
    return out


def _sync_fs(account: str, fs: Any) -> None:
    from moto.s3.models import s3_backends

    base = fs_dir(fs.id)
    if not os.path.isdir(base):
        return
    bucket = _bucket(account, fs.bucket_name)
    if bucket is None:
        return
    s3 = s3_backends[account]["aws"]
    prefix = fs.prefix.strip("/") + "/" if fs.prefix.strip("/") else ""
    synced = _SYNCED.setdefault(fs.id, Synced())
    delay = float(CONFIG.get("s3files_export_delay_seconds") or 0)
    now_ns = time.time_ns()
    local = _local_files(base)
    objects = _latest(bucket, prefix)
    pending = 0
    # Export: changed files left alone for the delay become new object versions.
    for rel, sig in local.items():
        if synced.files.get(rel) == sig:
            continue
        if now_ns - sig[0] < delay * 1e9:
            pending += 1
            continue
        with open(os.path.join(base, rel), "rb") as f:
            data = f.read()
        key = s3.put_object(fs.bucket_name, prefix + rel, data)
        synced.files[rel], synced.objects[prefix + rel] = sig, key.etag
        objects[prefix + rel] = key
    # Files deleted through the mount: their objects get a delete marker.
    for rel in [r for r in synced.files if r not in local]:
        del synced.files[rel]
        if synced.objects.pop(prefix + rel, None) is not None and prefix + rel in objects:
            s3.delete_object(fs.bucket_name, prefix + rel)
            objects.pop(prefix + rel)
    # Import: new or changed objects become files.
    for name, key in objects.items():
        rel = name[len(prefix):]
        if synced.objects.get(name) == key.etag:
            continue
        if rel in local and synced.files.get(rel) != local[rel]:
            continue  # changed on both sides: the file system's own write wins, exported later
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(key.value)
        st = os.stat(path)
        synced.files[rel], synced.objects[name] = (st.st_mtime_ns, st.st_size), key.etag
    # Objects deleted from the bucket: their unchanged files go too.
    for name in [n for n in synced.objects if n not in objects]:
        del synced.objects[name]
        rel = name[len(prefix):]
        path = os.path.join(base, rel)
        if synced.files.get(rel) == local.get(rel) and os.path.exists(path):
            os.unlink(path)
        synced.files.pop(rel, None)
    synced.pending = pending


def sync(account: str, region: str) -> None:
    """Brings every S3 Files file system with a local directory in step with its bucket."""
    try:
        backend = _s3files(account, region)
    except KeyError:
        return
    for fs in list(backend.file_systems.values()):
        if fs.status in ("available", "deleting"):
            _sync_fs(account, fs)


def sync_all() -> None:
    if not _SYNCED and not os.path.isdir(os.path.join(root(), "s3files")):
        return
    from .s3files.models import s3files_backends

    for account, regions in list(s3files_backends.items()):
        for region in list(regions.keys()):
            sync(account, region)


def pending_export(fs_id: str) -> int:
    """Files of the file system not yet exported to its bucket."""
    synced = _SYNCED.get(fs_id)
    return synced.pending if synced else 0


def ship_logs(account: str, region: str, session: Any) -> None:
    """Appends the agent's new stdout/stderr lines to its CloudWatch log group and stream."""
    from moto.logs.models import logs_backends

    try:
        with open(session.log, "rb") as f:
            f.seek(session.log_offset)
            data = f.read()
    except OSError:
        return
    lines = data.decode("utf-8", "replace").splitlines()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        lines = lines[:-1]
    session.log_offset += len(data)
    if not lines:
        return
    logs = logs_backends[account][region]
    if session.log_group not in logs.groups:
        logs.create_log_group(session.log_group, {})
    group = logs.groups[session.log_group]
    if session.log_stream not in group.streams:
        logs.create_log_stream(session.log_group, session.log_stream)
    now = int(time.time() * 1000)
    logs.put_log_events(session.log_group, session.log_stream,
                        [{"timestamp": now, "message": line} for line in lines])
