"""Client tokens, as the service models define them: the member marked `idempotencyToken` (or named
`clientToken` / `ClientToken`) of an operation's input.

A token seen again with the same parameters is a retry: the operations whose backend finds the
earlier resource by its token (CreateFileSystem, CreateAccessPoint, CreateAgentRuntime,
CreateNatGateway, CreateVpcEndpoint, and AgentCore's CreateMemory, CreateGateway,
CreateGatewayTarget, CreateBrowser, CreateCodeInterpreter) answer with that resource; for every other operation the
first answer is replayed. A token seen again with different parameters is refused with the error
the service uses for that (see `mismatch_error`). Tokens are remembered per account, region,
service and operation until a reset.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from .errors import StatusError

# (service, operation) whose backend looks the earlier resource up by token and answers with its
# current state; the others get their first answer again.
BACKEND_FINDS_BY_TOKEN = {
    ("s3files", "CreateFileSystem"),
    ("s3files", "CreateAccessPoint"),
    ("bedrock-agentcore-control", "CreateAgentRuntime"),
    ("bedrock-agentcore-control", "CreateMemory"),
    ("bedrock-agentcore-control", "CreateGateway"),
    ("bedrock-agentcore-control", "CreateGatewayTarget"),
    ("bedrock-agentcore-control", "CreateBrowser"),
    ("bedrock-agentcore-control", "CreateCodeInterpreter"),
    ("ec2", "CreateNatGateway"),
    ("ec2", "CreateVpcEndpoint"),
}
IGNORED_MEMBERS = {"DryRun"}

_lock = threading.Lock()
_seen: dict[tuple[str, str, str, str, str], tuple[str, Any]] = {}


def token_member(operation_model: Any) -> str | None:
    shape = operation_model.input_shape
    if shape is None:
        return None
    for name, member in shape.members.items():
        if member.metadata.get("idempotencyToken"):
            return name
    for name in ("clientToken", "ClientToken"):
        if name in shape.members:
            return name
    return None


def _fingerprint(params: Any, token: str) -> str:
    data = {k: v for k, v in dict(params).items() if k != token and k not in IGNORED_MEMBERS and v is not None}
    return json.dumps(data, sort_keys=True, default=str)


def mismatch_error(service: str, operation: str, token: str) -> StatusError:
    message = (f"The request uses the same client token as a previous, but non-identical {operation} "
               f"request ({token}).")
    if service == "ec2":
        return StatusError("IdempotentParameterMismatch", message, 400)
    if service == "bedrock-agentcore-control":
        # the model's ValidationExceptionReason has IdempotentParameterMismatchException
        return StatusError("ValidationException", message, 400, reason="IdempotentParameterMismatchException")
    # S3 Files: its model has no idempotency error; ConflictException is "a resource that already exists"
    return StatusError("ConflictException", message, 409, errorCode="Conflict", resourceId="",
                       resourceType=operation.removeprefix("Create"))


class Ticket:
    """What `check` found out about one request."""

    def __init__(self, key: tuple[str, str, str, str, str] | None, fingerprint: str | None,
                 replay: Any = None, error: StatusError | None = None):
        self.key, self.fingerprint, self.replay, self.error = key, fingerprint, replay, error

    def served(self, response: Any) -> None:
        """Remember a successful answer (status < 300) under its token."""
        if self.key is None or self.replay is not None or self.error is not None:
            return
        status = response[0] if isinstance(response, tuple) else 200
        try:
            ok = int(status) < 300
        except (TypeError, ValueError):
            ok = False
        if ok:
            with _lock:
                _seen.setdefault(self.key, (self.fingerprint or "", response))


def check(service: str, operation_model: Any, params: Any, account: str, region: str) -> Ticket:
    name = token_member(operation_model)
    token = params.get(name) if (name and params) else None
    if not token:
        return Ticket(None, None)
    operation = operation_model.name
    key = (account, region, service, operation, str(token))
    fingerprint = _fingerprint(params, name)
    with _lock:
        earlier = _seen.get(key)
    if earlier is None:
        return Ticket(key, fingerprint)
    if earlier[0] != fingerprint:
        return Ticket(key, fingerprint, error=mismatch_error(service, operation, str(token)))
    if (service, operation) in BACKEND_FINDS_BY_TOKEN:
        return Ticket(key, fingerprint)
    return Ticket(key, fingerprint, replay=earlier[1])


def reset() -> None:
    with _lock:
        _seen.clear()
