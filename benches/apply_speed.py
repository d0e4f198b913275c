#!/usr/bin/env python3
"""Apply speed against the graph's physical limit.

Starts the emulator with a fixed latency per call and AWS-like waits (NAT gateway 3 s, mount
target 2 s, runtime 3 s, ...), applies the reference stack with --output json at several
--parallelism values, and compares the wall time with two critical paths, the longest chain of
the graph weighted by:

- measured: each resource's own duration in this run (start to done). A ratio of 1.0 means the
  run was limited only by the dependency chain, however long each resource took.
- ideal: what the emulator was told to cost, the configured wait of the resource's create
  transition plus one call's latency for the create and one for the read that sees it ready
  (resources that do not wait: the create call alone). A lower bound no client can beat; the
  ratio shows everything agentfs adds (extra calls, polling intervals, planning, state writes).

    benches/apply_speed.py [--bin target/release/agentfs] [--parallelism 1 4 10]

--bin may be relative to the current directory (e.g. target/debug/agentfs).

Destroys the stack after each run. Prints a Markdown table for benches/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KNOBS = {
    "latency_ms": 50,
    "delays": {"*": 0.5, "nat_gateway_create": 3, "nat_gateway_delete": 3, "mount_target_create": 2,
               "mount_target_delete": 2, "runtime_create": 3, "runtime_delete": 3},
}


def start_emulator() -> tuple[subprocess.Popen, str]:
    subprocess.run([str(ROOT / "emulator/serve"), "--install-only"], check=True)
    proc = subprocess.Popen([str(ROOT / "emulator/serve"), "--port", "0", "--config", json.dumps(KNOBS)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "listening on " in line:
            return proc, line.split("listening on ", 1)[1].strip()
    raise SystemExit("the emulator did not start")


# The emulator's transition kind for each resource kind whose create waits (emulator/README.md).
CREATE_WAIT = {
    "nat_gateway": "nat_gateway_create",
    "vpc_endpoint": "vpc_endpoint_create",
    "s3files_file_system": "file_system_create",
    "s3files_mount_target": "mount_target_create",
    "s3files_access_point": "access_point_create",
    "agentcore_runtime": "runtime_create",
}


def ideal_seconds(kind: str) -> float:
    """A resource's least possible create time under KNOBS: its wait plus the calls' latency."""
    latency = KNOBS.get("latency_ms", 0)
    per_call = (latency.get("*", 0) if isinstance(latency, dict) else latency) / 1000.0
    delays = KNOBS.get("delays", {})
    transition = CREATE_WAIT.get(kind)
    wait = delays.get(transition, delays.get("*", 0.0)) if transition else 0.0
    return wait + per_call * (2 if wait > 0 else 1)


def critical_path(graph: dict, seconds: dict[str, float]) -> float:
    finish: dict[str, float] = {}
    deps: dict[str, list[str]] = {n["address"]: [] for n in graph["nodes"]}
    for edge in graph["edges"]:
        deps[edge["to"]].append(edge["from"])
    for node in graph["nodes"]:  # nodes come in creation order
        address = node["address"]
        start = max((finish[d] for d in deps[address]), default=0.0)
        finish[address] = start + seconds.get(address, 0.0)
    return max(finish.values(), default=0.0)


def destroy(binary: str, work: str, env: dict[str, str]) -> None:
    """Destroys the stack for the next run; a destroy that stops early is run again, as documented."""
    for attempt in range(1, 4):
        out = subprocess.run([binary, "destroy", "--auto-approve", "--output", "json"], cwd=work, env=env,
                             capture_output=True, text=True)
        if out.returncode == 0:
            return
        failed = [json.loads(l).get("error", "") for l in out.stdout.splitlines() if '"event":"failed"' in l]
        print(f"destroy attempt {attempt} stopped ({'; '.join(failed) or out.stderr.strip()}); running it again",
              file=sys.stderr)
        time.sleep(2)
    raise SystemExit(f"destroy failed:\n{out.stdout}\n{out.stderr}")


def run(binary: str, endpoint: str, parallelism: int) -> tuple[float, float, float, int]:
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               AWS_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    with tempfile.TemporaryDirectory() as work:
        spec = Path(work) / "agentfs.toml"
        spec.write_text((ROOT / "examples/s3files-runtime.toml").read_text())
        graph = json.loads(subprocess.run([binary, "graph", "--format", "json"], cwd=work, env=env, check=True,
                                          capture_output=True, text=True).stdout)
        started = time.monotonic()
        out = subprocess.run([binary, "apply", "--auto-approve", "--output", "json", "--parallelism", str(parallelism)],
                             cwd=work, env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
        if out.returncode != 0:
            raise SystemExit(f"apply failed:\n{out.stdout}\n{out.stderr}")
        seconds = {}
        for line in out.stdout.splitlines():
            if line.startswith("{"):
                event = json.loads(line)
                if event.get("event") == "done":
                    seconds[event["address"]] = event["seconds"]
        destroy(binary, work, env)
        ideal = {n["address"]: ideal_seconds(n["kind"]) for n in graph["nodes"]}
        return wall, critical_path(graph, seconds), critical_path(graph, ideal), len(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=str(ROOT / "target/release/agentfs"))
    parser.add_argument("--parallelism", type=int, nargs="+", default=[1, 4, 10])
    args = parser.parse_args()
    # Each run works in a temporary directory: a relative --bin must not be looked up from there.
    binary = str(Path(args.bin).resolve())
    if not Path(binary).is_file():
        sys.exit(f"{args.bin} does not exist: run `cargo build --release` (or pass --bin)")
    proc, endpoint = start_emulator()
    try:
        print(f"knobs: {json.dumps(KNOBS)}")
        print("| --parallelism | resources | wall (s) | critical path, measured (s) | wall / measured "
              "| ideal critical path (s) | wall / ideal |")
        print("|---|---|---|---|---|---|---|")
        for p in args.parallelism:
            wall, measured, ideal, count = run(binary, endpoint, p)
            print(f"| {p} | {count} | {wall:.1f} | {measured:.1f} | {wall / measured:.2f} | {ideal:.1f} "
                  f"| {wall / ideal:.2f} |", flush=True)
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
