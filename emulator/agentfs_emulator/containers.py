"""Container-image runtimes under docker or podman: the `run` command line of one session.

A session's container is `<tool> run --rm` for linux/arm64 (the platform AgentCore runs), its
port 8080 published on a free loopback port of the host, the runtime's environment variables
set, and each mounted file system's local directory (datapath.py) bind-mounted at its mount
path. The tool is looked up in the `container_tool_path` knob's directories (default: the
emulator's PATH), docker before podman.
"""

from __future__ import annotations

import shutil
import socket
import subprocess

from .config import CONFIG

PLATFORM = "linux/arm64"
TOOLS = ("docker", "podman")


def tool() -> str | None:
    """The container tool's path, or None when neither docker nor podman is there."""
    path = CONFIG.get("container_tool_path")
    for name in TOOLS:
        found = shutil.which(name, path=path)
        if found:
            return found
    return None


def free_port() -> int:
    """A loopback port nothing listens on now (the tool binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_command(tool_path: str, name: str, image: str, host_port: int, container_port: int,
                env: dict[str, str], mounts: list[dict[str, str]]) -> list[str]:
    command = [tool_path, "run", "--rm", "--name", name, "--platform", PLATFORM,
               "-p", f"127.0.0.1:{host_port}:{container_port}"]
    for key, value in env.items():
        command += ["-e", f"{key}={value}"]
    for mount in mounts:
        command += ["-v", f"{mount['source']}:{mount['path']}"]
    return [*command, image]


def remove(tool_path: str, name: str) -> None:
    """Removes the session's container if stopping its `run` left it behind (best effort)."""
    try:
        subprocess.run([tool_path, "rm", "-f", name], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired):
        pass
