"""The data path: code runtimes run for real per session, S3 Files directories follow their bucket."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from helpers import access_point, error_code, file_system, network, role, wait_for

AGENT = '''
import json, os, time
from http.server import BaseHTTPRequestHandler, HTTPServer

class H(BaseHTTPRequestHandler):
    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.reply({"status": "Healthy"})
    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        if "write" in req:
            with open(os.path.join("/mnt/data", req["write"]), "w") as f:
                f.write(req.get("text", ""))
        if "delete" in req:
            os.unlink(os.path.join("/mnt/data", req["delete"]))
        if "sleep" in req:
            time.sleep(req["sleep"])
        print("invoked", flush=True)
        self.reply({"files": sorted(os.listdir("/mnt/data")), "mode": os.environ.get("MODE"), "pid": os.getpid(),
                    "dir_mode": oct(os.stat("/mnt/data").st_mode & 0o777)})

HTTPServer(("0.0.0.0", 8080), H).serve_forever()
'''


def zipped(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("agent.py", source)
    return buf.getvalue()


def uploaded_agent(s3: Any) -> dict[str, Any]:
    """AGENT zipped into a versioned bucket, as a runtime's codeConfiguration."""
    s3.create_bucket(Bucket="artifacts")
    s3.put_bucket_versioning(Bucket="artifacts", VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket="artifacts", Key="agent.zip", Body=zipped(AGENT))["VersionId"]
    return {"code": {"s3": {"bucket": "artifacts", "prefix": "agent.zip", "versionId": version}},
            "runtime": "PYTHON_3_12", "entryPoint": ["agent.py"]}


@pytest.fixture()
def stack(emu: Any, ec2: Any, s3: Any, iam: Any, s3files: Any, agentcore: Any) -> dict[str, Any]:
    net = network(ec2)
    fs = file_system(s3files, s3, iam)
    ap = access_point(s3files, fs["fileSystemId"])
    code = uploaded_agent(s3)
    runtime = agentcore.create_agent_runtime(
        agentRuntimeName="datapath_agent", agentRuntimeArtifact={"codeConfiguration": code},
        roleArn=role(iam, "runtime-role", "bedrock-agentcore.amazonaws.com"),
        networkConfiguration={"networkMode": "VPC", "networkModeConfig": {
            "subnets": net["subnets"], "securityGroups": [net["sg"]]}},
        environmentVariables={"MODE": "one"},
        filesystemConfigurations=[{"s3FilesAccessPoint": {"accessPointArn": ap["accessPointArn"],
                                                          "mountPath": "/mnt/data"}}])
    wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=runtime["agentRuntimeId"]),
             lambda r: r["status"] == "READY")
    return {"runtime": runtime, "fs": fs, "code": code, "bucket": "fsverify-123456789012-us-east-1", "net": net,
            "access_point": ap}


def call(emu: Any, arn: str, session: str, body: dict[str, Any]) -> dict[str, Any]:
    data = boto3.client("bedrock-agentcore", endpoint_url=emu.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")
    out = data.invoke_agent_runtime(agentRuntimeArn=arn, runtimeSessionId=session, payload=json.dumps(body))
    assert out["runtimeSessionId"] == session
    return json.loads(out["response"].read())


SESSION_A = "a" * 40
SESSION_B = "b" * 40


def test_code_configuration_is_stored_and_returned(stack, agentcore):
    got = agentcore.get_agent_runtime(agentRuntimeId=stack["runtime"]["agentRuntimeId"])
    assert got["agentRuntimeArtifact"] == {"codeConfiguration": stack["code"]}


def test_sessions_share_the_file_system_and_files_reach_the_bucket(emu, stack, s3):
    emu.configure(s3files_export_delay_seconds=0)
    arn = stack["runtime"]["agentRuntimeArn"]
    a = call(emu, arn, SESSION_A, {"write": "a.txt", "text": "from a"})
    b = call(emu, arn, SESSION_B, {"write": "b.txt", "text": "from b"})
    assert b["files"] == ["a.txt", "b.txt"] and b["mode"] == "one"
    assert a["pid"] != b["pid"]  # a process per session
    assert call(emu, arn, SESSION_A, {})["pid"] == a["pid"]  # kept for the session
    body = s3.get_object(Bucket=stack["bucket"], Key="agent/a.txt")["Body"].read()
    assert body == b"from a"
    # Each write is a new object version.
    call(emu, arn, SESSION_A, {"write": "a.txt", "text": "again"})
    versions = s3.list_object_versions(Bucket=stack["bucket"], Prefix="agent/a.txt")["Versions"]
    assert len(versions) == 2
    # Objects appear as files, and deletes go both ways.
    s3.put_object(Bucket=stack["bucket"], Key="agent/c.txt", Body=b"from s3")
    assert call(emu, arn, SESSION_B, {})["files"] == ["a.txt", "b.txt", "c.txt"]
    s3.delete_object(Bucket=stack["bucket"], Key="agent/c.txt")
    call(emu, arn, SESSION_B, {"delete": "b.txt"})
    assert call(emu, arn, SESSION_A, {})["files"] == ["a.txt"]
    listed = s3.list_objects_v2(Bucket=stack["bucket"], Prefix="agent/").get("Contents", [])
    assert [o["Key"] for o in listed] == ["agent/a.txt"]
    # The agent's output is in the runtime's log group.
    logs = emu.client("logs")
    group = f"/aws/bedrock-agentcore/runtimes/{stack['runtime']['agentRuntimeId']}-DEFAULT"
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    events = logs.get_log_events(logGroupName=group, logStreamName=streams[0]["logStreamName"])["events"]
    assert any(e["message"] == "invoked" for e in events)


def test_unexported_files_are_pending_export(emu, stack, s3files):
    emu.configure(s3files_export_delay_seconds=3600)
    call(emu, stack["runtime"]["agentRuntimeArn"], SESSION_A, {"write": "late.txt", "text": "x"})
    emu.client("bedrock-agentcore-control").delete_agent_runtime(agentRuntimeId=stack["runtime"]["agentRuntimeId"])
    for mt in s3files.list_mount_targets(fileSystemId=stack["fs"]["fileSystemId"]).get("mountTargets", []):
        s3files.delete_mount_target(mountTargetId=mt["mountTargetId"])
    with pytest.raises(ClientError) as excinfo:
        s3files.delete_file_system(fileSystemId=stack["fs"]["fileSystemId"])
    assert error_code(excinfo) == "ConflictException"


def test_a_new_version_runs_new_code_and_unknown_sessions_are_refused(emu, stack, agentcore):
    rid = stack["runtime"]["agentRuntimeId"]
    arn = stack["runtime"]["agentRuntimeArn"]
    first = call(emu, arn, SESSION_A, {})
    current = agentcore.get_agent_runtime(agentRuntimeId=rid)
    update = {k: current[k] for k in ("agentRuntimeArtifact", "roleArn", "networkConfiguration",
                                      "filesystemConfigurations")}
    agentcore.update_agent_runtime(agentRuntimeId=rid, **update, environmentVariables={"MODE": "two"})
    wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=rid), lambda r: r["status"] == "READY")
    second = call(emu, arn, SESSION_A, {})
    assert second["mode"] == "two" and second["pid"] != first["pid"]
    data = boto3.client("bedrock-agentcore", endpoint_url=emu.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")
    with pytest.raises(ClientError) as excinfo:
        data.invoke_agent_runtime(agentRuntimeArn=arn.replace("datapath_agent", "missing_agent"),
                                  runtimeSessionId=SESSION_A, payload=b"{}")
    assert error_code(excinfo) == "ResourceNotFoundException"


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_an_idle_session_is_stopped_and_the_next_call_starts_a_new_one(emu, stack):
    emu.configure(session_time_scale=0.001)  # the default 900 s idle timeout becomes 0.9 s
    arn = stack["runtime"]["agentRuntimeArn"]
    first = call(emu, arn, SESSION_A, {})["pid"]
    wait_for(lambda: _gone(first), bool)
    assert call(emu, arn, SESSION_A, {})["pid"] != first


def _invoke_raw(emu: Any, arn: str, session: str, body: dict[str, Any], qualifier: str | None = None) -> dict[str, Any]:
    data = boto3.client("bedrock-agentcore", endpoint_url=emu.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")
    extra = {"qualifier": qualifier} if qualifier else {}
    out = data.invoke_agent_runtime(agentRuntimeArn=arn, runtimeSessionId=session, payload=json.dumps(body), **extra)
    return json.loads(out["response"].read())


def _update(agentcore: Any, rid: str, **changes: Any) -> None:
    current = agentcore.get_agent_runtime(agentRuntimeId=rid)
    update = {k: current[k] for k in ("agentRuntimeArtifact", "roleArn", "networkConfiguration")
              if k in current}
    update["filesystemConfigurations"] = current.get("filesystemConfigurations", [])
    agentcore.update_agent_runtime(agentRuntimeId=rid, **{**update, **changes})
    wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=rid), lambda r: r["status"] == "READY")


def _endpoint_ready(agentcore: Any, rid: str, name: str) -> None:
    wait_for(lambda: agentcore.get_agent_runtime_endpoint(agentRuntimeId=rid, endpointName=name),
             lambda e: e["status"] == "READY")


def test_the_qualifier_runs_the_version_its_endpoint_points_at(emu, stack, agentcore):
    rid = stack["runtime"]["agentRuntimeId"]
    arn = stack["runtime"]["agentRuntimeArn"]
    agentcore.create_agent_runtime_endpoint(agentRuntimeId=rid, name="pinned")  # at version 1
    _endpoint_ready(agentcore, rid, "pinned")
    first = _invoke_raw(emu, arn, SESSION_A, {}, qualifier="pinned")
    assert first["mode"] == "one"
    _update(agentcore, rid, environmentVariables={"MODE": "two"})
    # DEFAULT (named or not) follows the newest version; the pinned endpoint stays on version 1,
    # and the session started there keeps its process.
    assert _invoke_raw(emu, arn, SESSION_B, {})["mode"] == "two"
    assert _invoke_raw(emu, arn, SESSION_B, {}, qualifier="DEFAULT")["mode"] == "two"
    kept = _invoke_raw(emu, arn, SESSION_A, {}, qualifier="pinned")
    assert kept["mode"] == "one" and kept["pid"] == first["pid"]
    # The endpoint moved to version 2: the session starts afresh there.
    agentcore.update_agent_runtime_endpoint(agentRuntimeId=rid, endpointName="pinned", agentRuntimeVersion="2")
    _endpoint_ready(agentcore, rid, "pinned")
    moved = _invoke_raw(emu, arn, SESSION_A, {}, qualifier="pinned")
    assert moved["mode"] == "two" and moved["pid"] != first["pid"]
    with pytest.raises(ClientError) as excinfo:
        _invoke_raw(emu, arn, SESSION_A, {}, qualifier="nosuch")
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "nosuch" in excinfo.value.response["Error"]["Message"]


def test_a_busy_session_is_stopped_at_its_max_lifetime_and_the_next_call_starts_afresh(emu, stack, agentcore):
    rid = stack["runtime"]["agentRuntimeId"]
    arn = stack["runtime"]["agentRuntimeArn"]
    _update(agentcore, rid, lifecycleConfiguration={"idleRuntimeSessionTimeout": 60, "maxLifetime": 180})
    emu.configure(session_time_scale=0.02)  # idle 1.2 s, max lifetime 3.6 s
    first = call(emu, arn, SESSION_A, {})["pid"]
    # An invocation still running (so never idle) when the max lifetime comes: the process is
    # stopped under it, and the caller hears that the agent did not answer.
    with pytest.raises(ClientError) as excinfo:
        call(emu, arn, SESSION_A, {"sleep": 60})
    assert error_code(excinfo) == "RuntimeClientError"
    wait_for(lambda: _gone(first), bool)
    assert call(emu, arn, SESSION_A, {})["pid"] != first


@pytest.fixture()
def session_storage_runtime(emu: Any, s3: Any, iam: Any, agentcore: Any) -> dict[str, Any]:
    code = uploaded_agent(s3)
    runtime = agentcore.create_agent_runtime(
        agentRuntimeName="storage_agent", agentRuntimeArtifact={"codeConfiguration": code},
        roleArn=role(iam, "storage-role", "bedrock-agentcore.amazonaws.com"),
        networkConfiguration={"networkMode": "PUBLIC"},
        filesystemConfigurations=[{"sessionStorage": {"mountPath": "/mnt/data"}}])
    wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=runtime["agentRuntimeId"]),
             lambda r: r["status"] == "READY")
    return runtime


def test_session_storage_is_the_sessions_own_kept_by_its_version_and_reset_by_a_new_one(
        emu, session_storage_runtime, agentcore, tmp_path):
    rid = session_storage_runtime["agentRuntimeId"]
    arn = session_storage_runtime["agentRuntimeArn"]
    # idle 0.9 s: the session stops between calls; the data directory is this test's, to look into
    emu.configure(session_time_scale=0.001, agent_data_dir=str(tmp_path))
    first = call(emu, arn, SESSION_A, {"write": "state.txt", "text": "kept"})
    assert first["files"] == ["state.txt"]
    assert call(emu, arn, SESSION_B, {})["files"] == []  # each session has its own
    wait_for(lambda: _gone(first["pid"]), bool)
    resumed = call(emu, arn, SESSION_A, {})
    assert resumed["pid"] != first["pid"] and resumed["files"] == ["state.txt"]
    _update(agentcore, rid, environmentVariables={"MODE": "two"})
    assert call(emu, arn, SESSION_A, {})["files"] == []
    # Reset, not only hidden: the old version's copy is gone from the emulator's disk.
    assert not list(tmp_path.rglob("state.txt"))


def test_sessions_share_an_efs_access_point_made_with_its_creation_permissions(emu, ec2, s3, iam, agentcore):
    net = network(ec2)
    efs = emu.client("efs")
    fs_id = efs.create_file_system(CreationToken="agent-efs")["FileSystemId"]
    ap = efs.create_access_point(FileSystemId=fs_id, PosixUser={"Uid": 1000, "Gid": 1000}, RootDirectory={
        "Path": "/shared", "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "0750"}})
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="agent.zip", Body=zipped(AGENT))
    code = {"code": {"s3": {"bucket": "artifacts", "prefix": "agent.zip"}}, "runtime": "PYTHON_3_12",
            "entryPoint": ["agent.py"]}
    runtime = agentcore.create_agent_runtime(
        agentRuntimeName="efs_agent", agentRuntimeArtifact={"codeConfiguration": code},
        roleArn=role(iam, "efs-runtime-role", "bedrock-agentcore.amazonaws.com"),
        networkConfiguration={"networkMode": "VPC", "networkModeConfig": {
            "subnets": net["subnets"], "securityGroups": [net["sg"]]}},
        filesystemConfigurations=[{"efsAccessPoint": {"accessPointArn": ap["AccessPointArn"],
                                                      "mountPath": "/mnt/data"}}])
    wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=runtime["agentRuntimeId"]),
             lambda r: r["status"] == "READY")
    arn = runtime["agentRuntimeArn"]
    a = call(emu, arn, SESSION_A, {"write": "shared.txt", "text": "from a"})
    assert a["dir_mode"] == "0o750"
    b = call(emu, arn, SESSION_B, {})
    assert b["files"] == ["shared.txt"] and b["pid"] != a["pid"]
    # No bucket behind it: nothing but the artifact was stored in S3.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="artifacts")["Contents"]] == ["agent.zip"]
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["artifacts"]
