"""Runtime knobs of the emulator, settable at start (CLI/env) and through POST /_agentfs/config."""

from __future__ import annotations

import copy
import random
import re
import threading
from typing import Any

# Seconds each asynchronous transition takes. AWS takes minutes; these stay small so tests are fast.
DEFAULT_DELAYS: dict[str, float] = {
    "nat_gateway_create": 1.0,
    "nat_gateway_delete": 1.0,
    "vpc_endpoint_create": 1.0,
    "vpc_endpoint_delete": 1.0,
    "file_system_create": 1.0,
    "file_system_delete": 1.0,
    "mount_target_create": 1.0,
    "mount_target_delete": 1.0,
    "access_point_create": 0.5,
    "access_point_delete": 0.5,
    "runtime_create": 1.0,
    "runtime_update": 1.0,
    "runtime_delete": 1.0,
    # AgentCore's neighbours of the runtime (agentcore_neighbours.py)
    "memory_create": 1.0,
    "memory_update": 0.5,
    "memory_delete": 1.0,
    "gateway_create": 1.0,
    "gateway_update": 0.5,
    "gateway_delete": 1.0,
    "gateway_target_create": 0.5,
    "gateway_target_update": 0.5,
    "gateway_target_delete": 0.5,
    "browser_create": 1.0,
    "browser_delete": 1.0,
    "code_interpreter_create": 1.0,
    "code_interpreter_delete": 1.0,
}

# Service quotas that the emulator enforces (AWS's defaults; AWS raises them on request).
DEFAULT_QUOTAS: dict[str, int] = {
    # S3 Files user guide, "Unsupported features, limits, and quotas"
    "s3files_file_systems": 1000,                     # per account and Region
    "s3files_access_points_per_file_system": 10000,
}

# Transitions that the `fail` knob can make fail (see failures.py), and the failed state each ends in.
FAIL_KINDS: dict[str, str] = {
    "runtime_create": "AgentCore runtime -> CREATE_FAILED, with failureReason",
    "runtime_update": "AgentCore runtime -> UPDATE_FAILED, with failureReason",
    "runtime_delete": "AgentCore runtime -> DELETE_FAILED, with failureReason (it stays)",
    "nat_gateway_create": "NAT gateway -> failed, with FailureCode (`code`, default InternalError) and FailureMessage",
    "file_system_create": "S3 Files file system -> error, with statusMessage",
    "mount_target_create": "S3 Files mount target -> error, with statusMessage",
    "memory_create": "AgentCore memory -> FAILED, with failureReason",
    "gateway_create": "AgentCore gateway -> FAILED, with statusReasons",
    "gateway_target_create": "AgentCore gateway target -> FAILED, with statusReasons",
    "browser_create": "AgentCore browser -> CREATE_FAILED, with failureReason",
    "code_interpreter_create": "AgentCore code interpreter -> CREATE_FAILED, with failureReason",
}

DEFAULTS: dict[str, Any] = {
    "delays": DEFAULT_DELAYS,
    "quotas": DEFAULT_QUOTAS,
    # {kind: rule or [rules]}: a rule is "reason" or {"reason": ..., "match": regex, "code": ...}
    "fail": {},
    # S3 Files data not yet exported to S3: DeleteFileSystem refuses unless forceDelete. false, true
    # (every file system) or a regex searched in the file system's id, Name tag and bucket ARN.
    "pending_export": False,
    # How long DescribeNatGateways keeps listing a NAT gateway in state `deleted` (AWS: about an hour).
    "deleted_nat_visible_seconds": 60.0,
    # Eventual consistency (off by default).
    "iam_propagation_seconds": 0.0,
    "runtime_eni_linger_seconds": 0.0,
    # Fault injection (off by default).
    "throttle_rate": 0.0,
    "unavailable_rate": 0.0,
    "latency_ms": 0,  # a number, or {"<Operation>": ms, "*": ms}
    "fault_seed": None,
    "fault_operations": None,  # optional list of operation names faults are limited to
    # Check every request against its botocore service model (validation.py) before serving it.
    "validate_requests": True,
    # The data path (datapath.py, invoke.py): where file systems, unpacked code and sessions live
    # (default: a fresh temporary directory), how long a written file waits before it is exported
    # to the bucket, and how long an agent may take to answer GET /ping.
    "agent_data_dir": None,
    "s3files_export_delay_seconds": 0.5,
    "agent_start_timeout_seconds": 30.0,
    "agent_invoke_timeout_seconds": 900.0,
    # Factor on every runtime's idleRuntimeSessionTimeout and maxLifetime (the API's minimum is 60 s),
    # so tests can see sessions end: 0.01 makes the default 900 s idle timeout 9 s.
    "session_time_scale": 1.0,
    # Where container-image runtimes look for docker, then podman (a PATH-style list of
    # directories); None: the emulator's own PATH. Without either, invoking one is refused.
    "container_tool_path": None,
    # Crash tests (see hold.py): hold every call once this many mutating calls have been served.
    "hold_after_mutating_calls": None,
}


def _fail_rules(kind: str, rules: Any) -> list[dict[str, Any]]:
    """Normalise a `fail` entry to a list of {"reason", "match"?, "code"?} rules (checked here)."""
    out = []
    for rule in rules if isinstance(rules, list) else [rules]:
        if isinstance(rule, str):
            rule = {"reason": rule}
        if not isinstance(rule, dict) or not isinstance(rule.get("reason"), str):
            raise ValueError(f"fail.{kind}: a rule is a reason string or an object with a string 'reason'")
        unknown = set(rule) - {"reason", "match", "code"}
        if unknown:
            raise ValueError(f"fail.{kind}: unknown rule field(s) {', '.join(sorted(unknown))}")
        if "match" in rule:
            try:
                re.compile(rule["match"])
            except (re.error, TypeError) as exc:
                raise ValueError(f"fail.{kind}: bad match pattern: {exc}")
        out.append(dict(rule))
    return out


class Config:
    """Thread-safe holder of the knobs. `update` deep-merges `delays`; `"*"` in delays sets every kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, Any] = copy.deepcopy(DEFAULTS)
        self.rng = random.Random()

    def reset(self) -> None:
        with self._lock:
            self._values = copy.deepcopy(DEFAULTS)
            self.rng = random.Random()

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        unknown = set(changes) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown knob(s): {', '.join(sorted(unknown))}")
        with self._lock:
            for key, value in changes.items():
                if key == "delays":
                    if not isinstance(value, dict):
                        raise ValueError("delays must be an object of kind -> seconds")
                    for kind, seconds in value.items():
                        if kind == "*":
                            for k in self._values["delays"]:
                                self._values["delays"][k] = float(seconds)
                        elif kind in DEFAULT_DELAYS:
                            self._values["delays"][kind] = float(seconds)
                        else:
                            raise ValueError(f"unknown delay kind {kind!r}")
                elif key == "quotas":
                    if not isinstance(value, dict):
                        raise ValueError("quotas must be an object of quota -> number")
                    for name, number in value.items():
                        if name not in DEFAULT_QUOTAS:
                            raise ValueError(f"unknown quota {name!r}")
                        self._values["quotas"][name] = int(number)
                elif key == "fail":
                    if value is None:
                        self._values["fail"] = {}
                        continue
                    if not isinstance(value, dict):
                        raise ValueError("fail must be an object of kind -> rule(s), or null")
                    for kind, rules in value.items():
                        if kind not in FAIL_KINDS:
                            raise ValueError(f"unknown fail kind {kind!r} (known: {', '.join(FAIL_KINDS)})")
                        if rules is None:
                            self._values["fail"].pop(kind, None)
                        else:
                            self._values["fail"][kind] = _fail_rules(kind, rules)
                elif key == "pending_export":
                    if not isinstance(value, (bool, str)):
                        raise ValueError("pending_export must be true, false or a regular expression")
                    if isinstance(value, str):
                        re.compile(value)
                    self._values[key] = value
                elif key in ("throttle_rate", "unavailable_rate"):
                    rate = float(value)
                    if not 0.0 <= rate <= 1.0:
                        raise ValueError(f"{key} must be within [0, 1]")
                    self._values[key] = rate
                elif key == "fault_seed":
                    self._values[key] = value
                    self.rng = random.Random(value)
                else:
                    self._values[key] = value
            return copy.deepcopy(self._values)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._values)

    def get(self, key: str) -> Any:
        with self._lock:
            return self._values[key]

    def quota(self, name: str) -> int:
        with self._lock:
            return int(self._values["quotas"][name])

    def delay(self, kind: str) -> float:
        with self._lock:
            return float(self._values["delays"][kind])


CONFIG = Config()
