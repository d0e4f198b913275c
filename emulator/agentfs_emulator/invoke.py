"""InvokeAgentRuntime (AgentCore's data plane): code-artifact runtimes run for real, and
container images too where docker or podman is at hand (containers.py).

The artifact is read from the emulated bucket and unpacked once per runtime version. Each
runtime session gets its own process, as each AgentCore session gets its own microVM: started
in its own user, mount and network namespaces (sandbox.py), where every mounted file system's
local directory (datapath.py) sits at its exact mount path and the agent listens on its port
without colliding with anything else. The request goes to `POST /invocations` once `GET /ping`
answers; the answer streams back. Idle sessions are stopped after the runtime's
idleRuntimeSessionTimeout, every session at its maxLifetime, and all of a runtime's sessions when
it is deleted.

The `qualifier` names the endpoint invoked (DEFAULT when absent): DEFAULT runs the runtime's newest
version, any other endpoint the version it is live on. A session is one per runtime, endpoint and
session id, and runs the version it started on until the endpoint points elsewhere (then the next
invocation starts it afresh on the new version).
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, unquote

from . import agentcore, containers, datapath
from .config import CONFIG

PATH = re.compile(r"^/runtimes/(?P<arn>.+)/invocations/?$")
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
AGENT_PORT = 8080


class InvokeError(Exception):
    def __init__(self, code: str, message: str, status: int):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def matches(environ: dict[str, Any]) -> bool:
    return environ.get("REQUEST_METHOD") == "POST" and PATH.match(environ.get("PATH_INFO", "")) is not None


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


DEFAULT_ENDPOINT = "DEFAULT"


@dataclass(frozen=True)
class Target:
    """What one invocation runs: a runtime version, reached through an endpoint."""
    runtime_id: str
    endpoint: str
    version: int
    config: dict[str, Any]


@dataclass(frozen=True)
class Channel:
    """How the emulator reaches a session's agent: the Unix socket of its sandbox's relay (code),
    or the loopback port its container's 8080 is published on (container images)."""
    socket: str | None = None
    port: int | None = None

    def connect(self, timeout: float) -> http.client.HTTPConnection:
        if self.socket is not None:
            return UnixConnection(self.socket, timeout=timeout)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def ready(self) -> bool:
        return self.socket is None or os.path.exists(self.socket)


class Session:
    def __init__(self, key: tuple[str, str, str], version: int, process: subprocess.Popen, channel: Channel,
                 log: str, idle_timeout: float, max_lifetime: float, log_group: str, stream: str,
                 on_stop: Callable[[], None] | None = None):
        self.key, self.version, self.process, self.channel, self.log = key, version, process, channel, log
        self.started = self.last_used = time.monotonic()
        self.idle_timeout, self.max_lifetime = idle_timeout, max_lifetime
        self.log_group, self.log_stream, self.log_offset = log_group, stream, 0
        self.on_stop = on_stop
        self.busy = 0

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=3)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.on_stop is not None:
            self.on_stop()


class Sessions:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: dict[tuple[str, str, str], Session] = {}
        self.reaper: threading.Thread | None = None

    def stop_all(self) -> None:
        with self.lock:
            sessions, self.sessions = list(self.sessions.values()), {}
        for s in sessions:
            s.stop()


SESSIONS = Sessions()


def _error(start_response: Any, err: InvokeError) -> list[bytes]:
    body = json.dumps({"message": err.message}).encode()
    start_response(f"{err.status} ERROR", [("Content-Type", "application/json"), ("x-amzn-ErrorType", err.code),
                                          ("Content-Length", str(len(body)))])
    return [body]


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _account_region(environ: dict[str, Any], arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    if len(parts) >= 6 and parts[0] == "arn":
        return parts[4], parts[3]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    account = (query.get("accountId") or ["123456789012"])[0]
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        region = auth.split(",")[0].split()[1].split("/")[2]
    except IndexError:
        region = "us-east-1"
    return account, region


def _find_runtime(account: str, region: str, ident: str) -> Any:
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

    from .agentcore import _store

    backend = bedrockagentcorecontrol_backends[account][region]
    runtime_id = ident.rsplit("/", 1)[-1]
    runtime = _store(backend).get(runtime_id)
    if runtime is None:
        raise InvokeError("ResourceNotFoundException", f"AgentRuntime not found: {ident}", 404)
    if runtime.status != "READY":
        raise InvokeError("ConflictException", f"Agent runtime {runtime.id} is {runtime.status}", 409)
    return runtime


def _target(account: str, region: str, runtime: Any, qualifier: str | None) -> Target:
    """The version the qualifier's endpoint runs (an unknown endpoint is not found, as in AWS)."""
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

    from . import agentcore_endpoints

    name = qualifier or DEFAULT_ENDPOINT
    if name == DEFAULT_ENDPOINT:
        return Target(runtime.id, name, runtime.version, runtime.config)
    backend = bedrockagentcorecontrol_backends[account][region]
    endpoint = agentcore_endpoints._store(backend).get((runtime.id, name))
    if endpoint is None or endpoint.status == "DELETING":
        raise InvokeError("ResourceNotFoundException",
                          f"Endpoint {name} of agent runtime {runtime.id} not found", 404)
    if endpoint.live_version is None:
        raise InvokeError("ValidationException",
                          f"Endpoint {name} of agent runtime {runtime.id} is {endpoint.status}", 400)
    version = int(endpoint.live_version)
    return Target(runtime.id, name, version, runtime.config_at(version))


def _container_tool() -> str:
    tool = containers.tool()
    if tool is None:
        raise InvokeError("ValidationException",
                          "the agentfs emulator runs only code artifacts (codeConfiguration) without a container "
                          "tool; no docker or podman on PATH", 400)
    return tool


def _unpack(account: str, target_version: Target, code: dict[str, Any]) -> str:
    """The runtime version's unpacked code directory (made on first use)."""
    from moto.s3.models import s3_backends

    target = os.path.join(datapath.root(), "runtimes", target_version.runtime_id, f"v{target_version.version}",
                          "code")
    if os.path.isdir(target):
        return target
    s3 = (code.get("code") or {}).get("s3") or {}
    try:
        key = s3_backends[account]["aws"].get_object(s3["bucket"], s3["prefix"], version_id=s3.get("versionId"))
    except Exception as exc:  # moto raises its own not-found types
        raise InvokeError("ValidationException",
                          f"cannot read the code artifact s3://{s3.get('bucket')}/{s3.get('prefix')}: {exc}", 400)
    if key is None or not hasattr(key, "value"):
        raise InvokeError("ValidationException", f"the code artifact s3://{s3['bucket']}/{s3['prefix']} is gone", 400)
    staging = target + ".tmp"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(io.BytesIO(key.value)) as archive:
        for info in archive.infolist():
            archive.extract(info, staging)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(os.path.join(staging, info.filename), mode)
    os.replace(staging, target)
    return target


def _command(code: dict[str, Any], cwd: str) -> list[str]:
    entry = list(code.get("entryPoint") or [])
    runtime = code.get("runtime", "")
    if runtime.startswith("PYTHON"):
        # The emulator's own interpreter stands in for the managed Python runtime.
        return [sys.executable, *entry]
    if runtime.startswith("NODE"):
        node = shutil.which("node")
        if node is None:
            raise InvokeError("ValidationException", "a NODE_22 runtime needs `node` on the emulator's PATH", 400)
        return [node, *entry]
    raise InvokeError("ValidationException", f"unknown runtime {runtime}", 400)


def _check_host() -> None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        raise InvokeError("ValidationException",
                          "the agentfs emulator needs `unshare` and `ip` (util-linux, iproute2) to run agent "
                          "sessions in their own mount and network namespaces", 400)


_SOCKETS: str | None = None


def _socket_dir() -> str:
    """Where the sessions' Unix sockets go: a short path of its own, since a socket's path may be
    at most 107 bytes and `agent_data_dir` can be anywhere."""
    global _SOCKETS
    if _SOCKETS is None or not os.path.isdir(_SOCKETS):
        _SOCKETS = tempfile.mkdtemp(prefix="agentfs-sock-")
    return _SOCKETS


def _start(account: str, region: str, target: Target, session_id: str) -> Session:
    artifact = target.config.get("agentRuntimeArtifact") or {}
    container = artifact.get("containerConfiguration")
    code = artifact.get("codeConfiguration")
    if container is None and code is None:
        raise InvokeError("ValidationException", "the runtime version has no artifact to run", 400)
    tool = _container_tool() if container is not None else None
    if code is not None:
        _check_host()
    digest = hashlib.sha256(session_id.encode()).hexdigest()[:16]
    work = os.path.join(datapath.root(), "sessions", f"{target.runtime_id}-{target.endpoint}-v{target.version}-{digest}")
    os.makedirs(work, exist_ok=True)
    log = os.path.join(work, "agent.log")
    try:
        mounts = datapath.mounts_for(account, region, target.runtime_id, target.version, target.config, session_id)
    except datapath.MountError as exc:
        raise InvokeError("ValidationException", f"cannot mount the runtime's file systems: {exc}", 400)
    env = {"AWS_REGION": region, "AWS_DEFAULT_REGION": region, **(target.config.get("environmentVariables") or {})}
    if tool is not None:
        process, channel, on_stop = _run_container(tool, container["containerUri"], work, env, mounts, log)
    else:
        process = _run_code(account, target, code, work, env, mounts, log)
        channel, on_stop = Channel(socket=_socket_path(work)), None
    lifecycle = agentcore.lifecycle(target.config)
    scale = float(CONFIG.get("session_time_scale") or 1.0)
    session = Session((target.runtime_id, target.endpoint, session_id), target.version, process, channel, log,
                      scale * float(lifecycle.get("idleRuntimeSessionTimeout") or 900),
                      scale * float(lifecycle.get("maxLifetime") or 28800),
                      f"/aws/bedrock-agentcore/runtimes/{target.runtime_id}-{target.endpoint}",
                      f"{time.strftime('%Y/%m/%d')}/[runtime-logs]{session_id}", on_stop)
    _wait_ping(session, work)
    return session


def _socket_path(work: str) -> str:
    return os.path.join(_socket_dir(), f"{hashlib.sha256(work.encode()).hexdigest()[:24]}.sock")


def _run_code(account: str, target: Target, code: dict[str, Any], work: str, env: dict[str, str],
              mounts: list[dict[str, str]], log: str) -> subprocess.Popen:
    """The code agent's sandbox (sandbox.py) in its own user, mount and network namespaces."""
    cwd = _unpack(account, target, code)
    sock = _socket_path(work)
    if os.path.exists(sock):
        os.unlink(sock)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work, "PYTHONPATH": cwd,
           "PYTHONUNBUFFERED": "1", "PORT": str(AGENT_PORT), **env}
    spec = {"command": _command(code, cwd), "cwd": cwd, "env": env, "socket": sock, "log": log,
            "port": AGENT_PORT, "mounts": mounts}
    spec_path = os.path.join(work, "sandbox.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.Popen(
        ["unshare", "--user", "--map-root-user", "--mount", "--net",
         sys.executable, "-m", "agentfs_emulator.sandbox", spec_path],
        cwd=package_dir, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "sandbox.log"), "ab"),
        start_new_session=True, env={**os.environ, "PYTHONPATH": package_dir})


def _run_container(tool: str, image: str, work: str, env: dict[str, str], mounts: list[dict[str, str]],
                   log: str) -> tuple[subprocess.Popen, Channel, Callable[[], None]]:
    """The image's container (containers.py), its output in the session's log like a code agent's."""
    name = f"agentfs-{os.getpid()}-{hashlib.sha256(work.encode()).hexdigest()[:16]}"
    port = containers.free_port()
    command = containers.run_command(tool, name, image, port, AGENT_PORT, env, mounts)
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                   start_new_session=True)
    return process, Channel(port=port), lambda: containers.remove(tool, name)


def _wait_ping(session: Session, work: str) -> None:
    deadline = time.monotonic() + float(CONFIG.get("agent_start_timeout_seconds") or 30)
    while time.monotonic() < deadline:
        if not session.alive():
            session.stop()
            raise InvokeError("RuntimeClientError", "the agent process exited before answering GET /ping: "
                              + _tail(session.log) + _tail(os.path.join(work, "sandbox.log")), 424)
        if session.channel.ready():
            try:
                conn = session.channel.connect(timeout=2)
                conn.request("GET", "/ping")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            except http.client.HTTPException:
                pass
        time.sleep(0.05)
    session.stop()
    raise InvokeError("RuntimeClientError", "the agent did not answer GET /ping on port 8080 in time: "
                      + _tail(session.log), 424)


def _tail(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read()[-2000:].decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _session(account: str, region: str, target: Target, session_id: str) -> Session:
    key = (target.runtime_id, target.endpoint, session_id)
    with SESSIONS.lock:
        session = SESSIONS.sessions.get(key)
        if session is not None and session.alive() and session.version == target.version:
            session.busy += 1
            session.last_used = time.monotonic()
            return session
        # The endpoint points at another version now (or the process ended): start afresh.
        stale = SESSIONS.sessions.pop(key, None)
    if stale is not None:
        stale.stop()
    session = _start(account, region, target, session_id)
    with SESSIONS.lock:
        SESSIONS.sessions[key] = session
        session.busy += 1
    _ensure_reaper()
    return session


def _ensure_reaper() -> None:
    with SESSIONS.lock:
        if SESSIONS.reaper is not None:
            return
        SESSIONS.reaper = threading.Thread(target=_reap, daemon=True, name="agentfs-session-reaper")
        SESSIONS.reaper.start()


def _reap() -> None:
    while True:
        time.sleep(0.5)
        now = time.monotonic()
        with SESSIONS.lock:
            ended = [s for s in SESSIONS.sessions.values()
                     if not s.alive() or now - s.started > s.max_lifetime
                     or (s.busy == 0 and now - s.last_used > s.idle_timeout)]
            for s in ended:
                SESSIONS.sessions.pop(s.key, None)
        for s in ended:
            s.stop()


def stop_runtime(runtime_id: str) -> None:
    """Ends every session of a runtime (it was deleted)."""
    with SESSIONS.lock:
        ended = [s for k, s in SESSIONS.sessions.items() if k[0] == runtime_id]
        for s in ended:
            SESSIONS.sessions.pop(s.key, None)
    for s in ended:
        s.stop()


def handle(environ: dict[str, Any], start_response: Any, app_lock: Any) -> Iterator[bytes] | list[bytes]:
    """Serves one InvokeAgentRuntime; `app_lock` guards moto's backends (the agent runs outside it)."""
    arn = unquote(PATH.match(environ["PATH_INFO"]).group("arn"))
    session_id = environ.get("HTTP_X_AMZN_BEDROCK_AGENTCORE_RUNTIME_SESSION_ID") or ""
    user_id = environ.get("HTTP_X_AMZN_BEDROCK_AGENTCORE_RUNTIME_USER_ID")
    qualifier = (parse_qs(environ.get("QUERY_STRING", "")).get("qualifier") or [None])[0]
    payload = _read_body(environ)
    account, region = _account_region(environ, arn)
    try:
        if not 33 <= len(session_id) <= 256:
            raise InvokeError("ValidationException",
                              "runtimeSessionId must be 33 to 256 characters", 400)
        with app_lock:
            runtime = _find_runtime(account, region, arn)
            target = _target(account, region, runtime, qualifier)
            datapath.sync(account, region)
            session = _session(account, region, target, session_id)
    except InvokeError as err:
        return _error(start_response, err)
    try:
        conn = session.channel.connect(timeout=float(CONFIG.get("agent_invoke_timeout_seconds") or 900))
        headers = {"Content-Type": environ.get("CONTENT_TYPE") or "application/json",
                   "Accept": environ.get("HTTP_ACCEPT") or "application/json",
                   SESSION_HEADER: session_id}
        if user_id:
            headers["X-Amzn-Bedrock-AgentCore-Runtime-User-Id"] = user_id
        conn.request("POST", "/invocations", body=payload, headers=headers)
        answer = conn.getresponse()
    except (OSError, http.client.HTTPException) as exc:
        session.busy -= 1
        return _error(start_response, InvokeError("RuntimeClientError", f"the agent did not answer: {exc}", 424))
    if answer.status >= 400:
        body = answer.read()
        session.busy -= 1
        return _error(start_response, InvokeError(
            "RuntimeClientError", f"the agent answered {answer.status}: {body[:2000].decode('utf-8', 'replace')}", 424))
    content_type = answer.getheader("Content-Type") or "application/json"
    start_response("200 OK", [("Content-Type", content_type), (SESSION_HEADER, session_id)])

    def stream() -> Iterator[bytes]:
        try:
            while True:
                chunk = answer.read1(65536)
                if not chunk:
                    break
                yield chunk
        finally:
            conn.close()
            session.busy -= 1
            session.last_used = time.monotonic()
            with app_lock:
                datapath.sync(account, region)
                datapath.ship_logs(account, region, session)

    return stream()
