"""Container-image runtimes: `docker run` (or podman) per session, reached like a code agent.

No real container engine is needed: a fake `docker` on the tool path records its command line and
serves the agent's HTTP contract itself on the published loopback port, writing through the
bind-mounted directory it was given, so the emulator's whole path (tool lookup, command, /ping,
/invocations, logs, mounts, stop) runs for real.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers import error_code, role, wait_for
from test_datapath import SESSION_A, SESSION_B, call, stack  # noqa: F401 (a fixture)

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent@sha256:" + "ab" * 32

FAKE_DOCKER = '''#!{python}
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "calls.jsonl"), "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1] != "run":
    sys.exit(0)
args = sys.argv[2:]
port, env, volumes = None, {{}}, {{}}
for flag, value in zip(args, args[1:]):
    if flag == "-p":
        host, port, inside = value.split(":")
        assert host == "127.0.0.1" and inside == "8080", value
    elif flag == "-e":
        key, _, val = value.partition("=")
        env[key] = val
    elif flag == "-v":
        source, _, target = value.rpartition(":")
        volumes[target] = source

class Agent(BaseHTTPRequestHandler):
    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.reply({{"status": "Healthy"}})
    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{{}}")
        if "write" in req:  # what the agent writes at /mnt/data lands in the bind-mounted directory
            with open(os.path.join(volumes["/mnt/data"], req["write"]), "w") as f:
                f.write(req.get("text", ""))
        print("container invoked", flush=True)
        self.reply({{"image": args[-1], "env": env, "pid": os.getpid(),
                    "files": sorted(os.listdir(volumes["/mnt/data"]))}})
    def log_message(self, *a):
        pass

HTTPServer(("127.0.0.1", int(port)), Agent).serve_forever()
'''


@pytest.fixture()
def fake_docker(emu: Any, tmp_path: Any) -> Any:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER.format(python=sys.executable))
    docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
    emu.configure(container_tool_path=str(bin_dir))

    def calls() -> list[list[str]]:
        path = bin_dir / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return calls


def container_runtime(agentcore: Any, iam: Any, stack: dict[str, Any]) -> dict[str, Any]:
    net = stack["net"]
    runtime = agentcore.create_agent_runtime(
        agentRuntimeName="container_agent", agentRuntimeArtifact={"containerConfiguration": {"containerUri": IMAGE}},
        roleArn=role(iam, "container-role", "bedrock-agentcore.amazonaws.com"),
        networkConfiguration={"networkMode": "VPC", "networkModeConfig": {
            "subnets": net["subnets"], "securityGroups": [net["sg"]]}},
        environmentVariables={"MODE": "container"},
        filesystemConfigurations=[{"s3FilesAccessPoint": {"accessPointArn": stack["access_point"]["accessPointArn"],
                                                          "mountPath": "/mnt/data"}}])
    wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=runtime["agentRuntimeId"]),
             lambda r: r["status"] == "READY")
    return runtime


def test_a_container_image_runs_under_docker_per_session(emu, stack, fake_docker, agentcore, iam, s3):
    emu.configure(s3files_export_delay_seconds=0)
    runtime = container_runtime(agentcore, iam, stack)
    arn = runtime["agentRuntimeArn"]
    a = call(emu, arn, SESSION_A, {"write": "from-container.txt", "text": "hello"})
    assert a["image"] == IMAGE and a["env"]["MODE"] == "container" and a["env"]["AWS_REGION"] == "us-east-1"
    assert call(emu, arn, SESSION_A, {})["pid"] == a["pid"]  # the session keeps its container
    b = call(emu, arn, SESSION_B, {})
    assert b["pid"] != a["pid"] and b["files"] == ["from-container.txt"]  # one shared directory

    runs = [c for c in fake_docker() if c[0] == "run"]
    assert len(runs) == 2
    run = runs[0]
    assert run[:2] == ["run", "--rm"] and run[-1] == IMAGE
    assert run[run.index("--platform") + 1] == "linux/arm64"
    published = run[run.index("-p") + 1].split(":")
    assert published[0] == "127.0.0.1" and published[2] == "8080" and published[1].isdigit()
    source, target = run[run.index("-v") + 1].rsplit(":", 1)
    assert target == "/mnt/data" and os.path.basename(source) == "agent"  # the access point's root
    assert "MODE=container" in run
    # Written through the bind mount: an object in the bucket, as for a code agent.
    body = s3.get_object(Bucket=stack["bucket"], Key="agent/from-container.txt")["Body"].read()
    assert body == b"hello"
    logs = emu.client("logs")
    group = f"/aws/bedrock-agentcore/runtimes/{runtime['agentRuntimeId']}-DEFAULT"
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]
    assert any(e["message"] == "container invoked" for e in events)
    # Deleting the runtime stops its containers, and removes whatever `run --rm` left.
    agentcore.delete_agent_runtime(agentRuntimeId=runtime["agentRuntimeId"])
    # (the emulator's timed transitions run at its calls: poll through one)
    wait_for(lambda: (agentcore.list_agent_runtimes(), fake_docker())[1],
             lambda calls: sum(1 for c in calls if c[:2] == ["rm", "-f"]) == 2)


def test_without_docker_or_podman_a_container_image_is_refused_clearly(emu, stack, agentcore, iam, tmp_path):
    emu.configure(container_tool_path=str(tmp_path))  # a directory with neither tool
    runtime = container_runtime(agentcore, iam, stack)
    with pytest.raises(ClientError) as excinfo:
        call(emu, runtime["agentRuntimeArn"], SESSION_A, {})
    assert error_code(excinfo) == "ValidationException"
    message = excinfo.value.response["Error"]["Message"]
    assert "only code artifacts" in message and "no docker or podman" in message
