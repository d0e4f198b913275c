"""IAM eventual consistency: a role is only usable by other services some time after creation."""

from __future__ import annotations

import threading
import time
from typing import Any

from .config import CONFIG

_lock = threading.Lock()
_created: dict[str, float] = {}  # role ARN -> monotonic creation time


def install() -> None:
    from moto.iam.models import IAMBackend

    original = IAMBackend.create_role

    def create_role(self: Any, *args: Any, **kwargs: Any) -> Any:
        role = original(self, *args, **kwargs)
        with _lock:
            _created[role.arn] = time.monotonic()
        return role

    IAMBackend.create_role = create_role


def reset() -> None:
    with _lock:
        _created.clear()


def find_role(account_id: str, role_arn: str) -> Any | None:
    from moto.iam.models import iam_backends

    try:
        return iam_backends[account_id]["global"].get_role_by_arn(role_arn)
    except Exception:
        return None


def role_propagated(role_arn: str) -> bool:
    """False while the role is younger than `iam_propagation_seconds`."""
    window = float(CONFIG.get("iam_propagation_seconds") or 0)
    if window <= 0:
        return True
    with _lock:
        created = _created.get(role_arn)
    return created is None or time.monotonic() - created >= window
