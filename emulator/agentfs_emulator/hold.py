"""Crash tests: stop answering once the N-th mutating AWS call has been served.

Knob `hold_after_mutating_calls: N` (null = off). A call is mutating when its operation name does
not start with Describe, Get, List or Head (an unidentified `GET /path` or `HEAD /path` is a read).
Counting starts from 0 whenever the knob is set and on reset. The N-th mutating call is executed
and logged, but its response is held back; every AWS call that arrives after it is held *before*
it reaches moto. So exactly N mutating calls have taken effect, and the client has not seen the
N-th answer: a test can now kill the client, which is then "killed right after the N-th call".

Setting the knob again (to null or to a new N) or a reset releases what is held: the N-th call's
response is sent, and each call held before moto is answered 503 without being executed (logged
with `faulted: "held"`). Held calls also give up after `MAX_HOLD_SECONDS`.
"""

from __future__ import annotations

import threading

from .calls import is_mutating
from .config import CONFIG
MAX_HOLD_SECONDS = 600.0

_lock = threading.Lock()
_count = 0
_gate: threading.Event | None = None  # set while holding; released by rearm()/reset()


def rearm() -> None:
    """Release everything held and start counting again (called whenever the knob is set)."""
    global _count, _gate
    with _lock:
        if _gate is not None:
            _gate.set()
        _gate = None
        _count = 0


reset = rearm


def held() -> threading.Event | None:
    """Before moto: the event to wait on if calls are being held, else None."""
    with _lock:
        return _gate


def served(operation: str) -> threading.Event | None:
    """After moto ran a call: the event to wait on if this call was the N-th mutating one."""
    global _count, _gate
    limit = CONFIG.get("hold_after_mutating_calls")
    if not limit or not is_mutating(operation):
        return None
    with _lock:
        _count += 1
        if _count == int(limit) and _gate is None:
            _gate = threading.Event()
            return _gate
    return None


def wait(gate: threading.Event) -> None:
    gate.wait(MAX_HOLD_SECONDS)
