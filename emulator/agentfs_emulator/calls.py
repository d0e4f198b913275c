"""Which service and operation a request targets, and the log of every call received."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

# SigV4 signing name -> botocore service name (when they differ)
SIGNING_TO_SERVICE = {"elasticfilesystem": "efs", "bedrock-agentcore": "bedrock-agentcore-control"}
QUERY_SERVICES = {"ec2", "iam", "sts"}


def signing_name(environ: dict[str, Any]) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        scope = auth.split(",")[0].split()[1]
        return scope.split("/")[3].lower()
    except (IndexError, ValueError):
        return None


def _form_body(environ: dict[str, Any]) -> dict[str, list[str]]:
    """Parse a form-encoded body without consuming it (the stream is put back)."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return {}
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return {}
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return parse_qs(body.decode("utf-8", "replace"))


def identify(environ: dict[str, Any]) -> tuple[str, str]:
    """(service, operation) of an AWS request, best effort: ("unknown", "METHOD /path") otherwise."""
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "/")
    fallback = f"{method} {path}"
    signer = signing_name(environ)
    if signer is None:
        return "unknown", fallback
    service = SIGNING_TO_SERVICE.get(signer, signer)
    if service in QUERY_SERVICES:
        action = parse_qs(environ.get("QUERY_STRING", "")).get("Action") or _form_body(environ).get("Action")
        return service, action[0] if action else fallback
    try:
        from moto.core.request import Request
        from moto.core.routing import get_service_router

        operation, _ = get_service_router(service).match(Request(environ.copy()))
        return service, operation.name
    except Exception:
        if signer == "bedrock-agentcore":
            return "bedrock-agentcore", fallback
        return service, fallback


_XML_CODE = re.compile(rb"<Code>([^<]{1,200})</Code>")


def error_code(status: int, headers: list[tuple[str, str]], body: bytes) -> str | None:
    """The error code of an AWS answer (None for a success), in any of the protocols."""
    if status < 300:
        return None
    for key, value in headers:
        if key.lower() == "x-amzn-errortype" and value:
            return value.split(":", 1)[0]
    head = body[:4096]
    if head.lstrip().startswith(b"{"):
        try:
            data = json.loads(body)
        except ValueError:
            data = {}
        code = data.get("__type") or data.get("code") or data.get("Code") if isinstance(data, dict) else None
        if isinstance(code, str):
            return code.rsplit("#", 1)[-1]
    found = _XML_CODE.search(head)
    return found.group(1).decode("utf-8", "replace") if found else None


READ_PREFIXES = ("Describe", "Get", "List", "Head")


def is_mutating(operation: str) -> bool:
    """Whether a call changes AWS: the hold knob counts these and tests read the flag from the call
    log, so there is one definition. An unidentified `GET /path` or `HEAD /path` is a read."""
    if operation.startswith(("GET ", "HEAD ")):
        return False
    return not operation.startswith(READ_PREFIXES)


class CallLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[dict[str, Any]] = []

    def record(self, service: str, operation: str, method: str, path: str, status: int,
               faulted: str | None, started: float, duration: float, error: str | None = None) -> None:
        with self._lock:
            self._calls.append({
                "seq": len(self._calls) + 1,
                "service": service,
                "operation": operation,
                "mutating": is_mutating(operation),
                "method": method,
                "path": path,
                "status": status,
                "faulted": faulted,
                "error": error,
                "time": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="milliseconds"),
                "epoch": round(started, 3),
                "duration_ms": round(duration * 1000, 1),
            })

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


CALLS = CallLog()


def now() -> float:
    return time.time()
