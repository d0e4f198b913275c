"""Inside one agent session's namespaces (user + mount + network, made by `unshare`): bring up
loopback, bind each file system's local directory at its mount path, start the agent, and
relay connections from a Unix socket (reachable from the emulator's network namespace, since
it is a file) to the agent's port on this namespace's loopback.

    unshare --user --map-root-user --mount --net python -m agentfs_emulator.sandbox SPEC.json
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _relay(client: socket.socket, port: int) -> None:
    try:
        upstream = socket.create_connection(("127.0.0.1", port), timeout=5)
        upstream.settimeout(None)
    except OSError:
        client.close()
        return
    threading.Thread(target=_pipe, args=(client, upstream), daemon=True).start()
    _pipe(upstream, client)


def _mount(mounts: list[dict[str, str]]) -> None:
    if not mounts:
        return
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    # A private tmpfs over /mnt: the host's /mnt is never touched.
    subprocess.run(["mount", "-t", "tmpfs", "agentfs-mnt", "/mnt"], check=True)
    for m in mounts:
        os.makedirs(m["path"], exist_ok=True)
        subprocess.run(["mount", "--bind", m["source"], m["path"]], check=True)


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """The agent ends when this relay ends (even by SIGKILL). (Not used for the relay itself: the
    death signal follows the forking *thread*, and the emulator forks from short-lived threads.)"""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _exit_with_emulator(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)  # the emulator is gone (killed): the agent follows through its death signal


def main() -> None:
    threading.Thread(target=_exit_with_emulator, args=(os.getppid(),), daemon=True).start()
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    _mount(spec["mounts"])
    log = open(spec["log"], "ab", buffering=0)
    agent = subprocess.Popen(spec["command"], cwd=spec["cwd"], env=spec["env"], stdout=log, stderr=log,
                             stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(spec["socket"])
    listener.listen(16)

    def watch() -> None:
        agent.wait()
        os._exit(agent.returncode or 0)

    threading.Thread(target=watch, daemon=True).start()
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_relay, args=(client, int(spec["port"])), daemon=True).start()


if __name__ == "__main__":
    main()
