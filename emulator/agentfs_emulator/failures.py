"""Failure states on demand: the `fail` and `pending_export` knobs (see config.py and the README).

`fail` maps a transition kind (config.FAIL_KINDS) to rules; a rule is a reason string (every
resource of that kind fails) or {"reason": ..., "match": <regex>, "code": ...}, where `match` is
searched in the resource's names (id, name or Name tag, ARN, subnet...) and `code` is the NAT
gateway FailureCode. The first matching rule wins. Rules are read when the transition completes,
so a knob set while a resource is still pending applies to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .config import CONFIG


@dataclass
class Failure:
    reason: str
    code: str | None = None


def _matches(pattern: str | None, names: tuple[str | None, ...]) -> bool:
    if pattern is None:
        return True
    return any(name and re.search(pattern, name) for name in names)


def failure(kind: str, *names: str | None) -> Failure | None:
    """The failure configured for this transition of a resource known by `names`, if any."""
    for rule in (CONFIG.get("fail") or {}).get(kind, []):
        if _matches(rule.get("match"), names):
            return Failure(rule["reason"], rule.get("code"))
    return None


def pending_export(*names: str | None) -> bool:
    """Whether a file system known by `names` still has data that is not exported to S3."""
    setting = CONFIG.get("pending_export")
    if isinstance(setting, str):
        return _matches(setting, names)
    return bool(setting)
