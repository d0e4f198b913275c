"""Deferred state transitions (creating -> available, deleting -> gone, ...).

Nothing runs in the background: every request first calls `tick()`, which applies the transitions
whose time has come, in order. A client therefore always observes a consistent timeline, and a
transition scheduled with delay 0 is visible from the next request on.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable

_lock = threading.RLock()
_queue: list[tuple[float, int, Callable[[], None]]] = []
_counter = itertools.count()


def schedule(delay_seconds: float, action: Callable[[], None]) -> None:
    with _lock:
        heapq.heappush(_queue, (time.monotonic() + max(0.0, delay_seconds), next(_counter), action))


def tick() -> None:
    now = time.monotonic()
    with _lock:
        while _queue and _queue[0][0] <= now:
            _, _, action = heapq.heappop(_queue)
            try:
                action()
            except Exception as exc:  # a transition must never break the request that triggered it
                print(f"agentfs-emulator: scheduled transition failed: {exc!r}", flush=True)


def reset() -> None:
    with _lock:
        _queue.clear()
