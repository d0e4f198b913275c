"""Runtime knobs of the emulator, settable at start (CLI/env) and through POST /_agentfs/config."""

from __future__ import annotations

import copy
import random
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
}

# Service quotas that the emulator enforces (AWS's defaults; AWS raises them on request).
DEFAULT_QUOTAS: dict[str, int] = {
    # S3 Files user guide, "Unsupported features, limits, and quotas"
    "s3files_file_systems": 1000,                     # per account and Region
    "s3files_access_points_per_file_system": 10000,
}

DEFAULTS: dict[str, Any] = {
    "delays": DEFAULT_DELAYS,
    "quotas": DEFAULT_QUOTAS,
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
    # Crash tests (see hold.py): hold every call once this many mutating calls have been served.
    "hold_after_mutating_calls": None,
}


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
