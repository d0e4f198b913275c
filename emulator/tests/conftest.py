"""Starts one emulator (emulator/serve --port 0) for the whole test session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

EMULATOR_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(EMULATOR_DIR))  # tests of the model checks import agentfs_emulator.validation
REGION = "us-east-1"
ACCOUNT = "123456789012"
# Tests run with every transition delay at 0 unless they set their own.
FAST = {"delays": {"*": 0}, "deleted_nat_visible_seconds": 0, "iam_propagation_seconds": 0,
        "runtime_eni_linger_seconds": 0, "throttle_rate": 0, "unavailable_rate": 0, "latency_ms": 0}


class Emulator:
    def __init__(self, endpoint: str, process: subprocess.Popen):
        self.endpoint = endpoint
        self.process = process

    def control(self, method: str, route: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.endpoint}/_agentfs/{route}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def configure(self, **knobs: Any) -> Any:
        return self.control("POST", "config", knobs)

    def inventory(self) -> Any:
        return self.control("GET", "inventory")

    def calls(self) -> list[dict[str, Any]]:
        return self.control("GET", "calls")

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="session")
def emulator() -> Any:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "agentfs_emulator", "--port", "0"], cwd=EMULATOR_DIR,
        env={**env, "PYTHONPATH": str(EMULATOR_DIR)}, stdout=subprocess.PIPE, text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if "listening on " not in line:
        process.kill()
        raise RuntimeError(f"emulator did not start: {line!r}")
    emu = Emulator(line.strip().rsplit(" ", 1)[-1], process)
    yield emu
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture()
def emu(emulator: Emulator) -> Emulator:
    """The session emulator, reset to an empty state with fast knobs."""
    emulator.control("POST", "reset", {"config": True})
    emulator.configure(**FAST)
    return emulator


@pytest.fixture()
def ec2(emu: Emulator) -> Any:
    return emu.client("ec2")


@pytest.fixture()
def s3(emu: Emulator) -> Any:
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=emu.endpoint, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(s3={"addressing_style": "path"}))


@pytest.fixture()
def iam(emu: Emulator) -> Any:
    return emu.client("iam")


@pytest.fixture()
def s3files(emu: Emulator) -> Any:
    return emu.client("s3files")


@pytest.fixture()
def agentcore(emu: Emulator) -> Any:
    return emu.client("bedrock-agentcore-control")
