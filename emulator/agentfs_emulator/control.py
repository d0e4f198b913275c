"""Control and inspection endpoints under /_agentfs/ (never faulted, never logged as AWS calls).

GET  /_agentfs/health     -> {"ok": true}
GET  /_agentfs/inventory  -> everything that exists, per account / region / service / kind
GET  /_agentfs/calls      -> every AWS call received (?since=<seq> for the newer ones only)
GET  /_agentfs/config     -> current knobs
POST /_agentfs/config     -> merge JSON knobs, answer the resulting knobs
POST /_agentfs/reset      -> drop every resource and the call log (knobs are kept; body {"config": true}
                             resets them to their defaults too)
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from . import consistency, datapath, hold, idempotency, inventory, invoke, scheduler
from .calls import CALLS
from .config import CONFIG

PREFIX = "/_agentfs/"


def reset_everything(reset_config: bool = False) -> None:
    from moto.core.base_backend import BackendDict
    from moto.core.model_instances import reset_model_data

    scheduler.reset()
    invoke.SESSIONS.stop_all()
    datapath.reset()
    BackendDict.reset()
    reset_model_data()
    consistency.reset()
    hold.reset()
    idempotency.reset()
    CALLS.clear()
    if reset_config:
        CONFIG.reset()


def _read_json(environ: dict[str, Any]) -> Any:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    return json.loads(raw) if raw.strip() else {}


def handle(environ: dict[str, Any]) -> tuple[int, Any]:
    method = environ.get("REQUEST_METHOD", "GET")
    route = environ.get("PATH_INFO", "")[len(PREFIX):].strip("/")
    try:
        if route == "health":
            return 200, {"ok": True}
        if route == "inventory" and method == "GET":
            scheduler.tick()
            return 200, inventory.collect()
        if route == "calls" and method == "GET":
            since = int((parse_qs(environ.get("QUERY_STRING", "")).get("since") or ["0"])[0])
            return 200, [c for c in CALLS.all() if c["seq"] > since]
        if route == "config" and method == "GET":
            return 200, CONFIG.snapshot()
        if route == "config" and method == "POST":
            changes = _read_json(environ)
            result = CONFIG.update(changes)
            if isinstance(changes, dict) and "hold_after_mutating_calls" in changes:
                hold.rearm()
            return 200, result
        if route == "reset" and method == "POST":
            body = _read_json(environ)
            reset_everything(bool(body.get("config")) if isinstance(body, dict) else False)
            return 200, {"ok": True}
    except (ValueError, TypeError) as exc:
        return 400, {"error": str(exc)}
    return 404, {"error": f"no control endpoint {method} {PREFIX}{route}"}
