#!/usr/bin/env python3
"""The example agent on the emulator: time from `agentfs apply` to the first answered
invocation, and the round trip of `agentfs invoke` (process start included) and of a bare
InvokeAgentRuntime call (boto3, the agent's session already running).

    benches/agent_loop.py [--bin target/debug/agentfs] [--rounds 20]

Uses the emulator's default delays (1 s per runtime/file-system transition, as in
`emulator/serve`), or FAST ones with --fast. Destroys the stack at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(ROOT / "target/debug/agentfs"))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--fast", action="store_true", help="every transition delay 0.2 s")
    args = parser.parse_args()
    agentfs = str(Path(args.bin).resolve())
    knobs = {"delays": {"*": 0.2}} if args.fast else {}
    proc = subprocess.Popen([str(ROOT / "emulator/serve"), "--port", "0", "--config", json.dumps(knobs)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        endpoint = proc.stdout.readline().split("listening on ", 1)[1].strip()
        env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}
        work = Path(tempfile.mkdtemp())
        shutil.copytree(ROOT / "examples/agent", work, dirs_exist_ok=True)
        run = lambda *a: subprocess.run([agentfs, *a], cwd=work, env=env, check=True, capture_output=True)
        session = "bench-session-" + "0" * 30
        payload = json.dumps({"write": {"name": "bench.txt", "text": "x"}})
        started = time.perf_counter()
        run("apply", "--auto-approve")
        applied = time.perf_counter()
        run("invoke", "--session", session, "--payload", payload)
        first = time.perf_counter()
        cli = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            run("invoke", "--session", session, "--payload", payload)
            cli.append(time.perf_counter() - t)
        state = json.loads((work / ".agentfs/agentdemo.state.json").read_text())
        arn = state["resources"]["agentcore_runtime.agent"]["attributes"]["arn"]
        data = boto3.client("bedrock-agentcore", endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
        sdk = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            data.invoke_agent_runtime(agentRuntimeArn=arn, runtimeSessionId=session, payload=payload)["response"].read()
            sdk.append(time.perf_counter() - t)
        run("destroy", "--auto-approve")
        print(f"| apply (27 resources) | {applied - started:.2f} s |")
        print(f"| apply -> first answered invocation (session start included) | {first - started:.2f} s |")
        print(f"| first invocation alone (new session: namespaces, unpack, /ping) | {first - applied:.2f} s |")
        print(f"| `agentfs invoke` round trip, median of {args.rounds} | {statistics.median(cli) * 1000:.0f} ms |")
        print(f"| InvokeAgentRuntime round trip (boto3), median of {args.rounds} | {statistics.median(sdk) * 1000:.1f} ms |")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
