"""Every request checked against its service model before the emulator's logic sees it.

Hooked once, in moto's dispatch (`BaseResponse.call_action`), where the request has been routed to
its operation and parsed into the model's members (`self.params`): that covers S3 Files, AgentCore
control, EC2 and IAM, whose responses parse automatically. S3's responses parse by hand, so for S3
the request is routed and parsed here, with moto's own router and rest-xml parser.

Two checks, in order: the model's constraints (validation.py), then client tokens (idempotency.py).
A violation is answered in the service's own style:

| service | code | HTTP | message |
|---|---|---|---|
| S3 Files, AgentCore | ValidationException | 400 | `N validation error(s) detected: Value '...' at 'a.1.member.b' failed to satisfy constraint: ...` |
| IAM | ValidationError | 400 | the same, member names starting lower-case (`roleName`) |
| EC2 | InvalidParameterValue / MissingParameter | 400 | `Value (x) for parameter P is invalid. ...` (the first violation only) |
| S3 | InvalidArgument (header, query, path) / MalformedXML (body) | 400 | the first violation |

Knob `validate_requests` (default true) turns the model checks off.
"""

from __future__ import annotations

import json
from typing import Any

from . import idempotency
from .config import CONFIG
from .errors import StatusError
from .validation import Violation, coral_message, validator

# services whose every operation is checked (their moto responses parse the request for us)
PARSED_SERVICES = {"s3files", "bedrock-agentcore-control", "ec2", "iam"}
# services on the AWS JSON protocol whose moto responses read the body themselves
JSON_SERVICES = {"kms", "logs"}


def validation_error(service: str, violations: list[Violation]) -> StatusError:
    if service == "bedrock-agentcore-control":
        return StatusError("ValidationException", coral_message(violations), 400, reason="FieldValidationFailed",
                           fieldList=[{"name": v.path, "message": v.sentence()} for v in violations])
    if service == "s3files":
        return StatusError("ValidationException", coral_message(violations), 400, errorCode="ValidationError")
    if service == "logs":
        return StatusError("InvalidParameterException", coral_message(violations), 400)
    if service == "iam":
        return StatusError("ValidationError", coral_message(violations, lower_first=True), 400)
    first = violations[0]
    if service == "ec2":
        name = first.path
        if first.family == "required":
            return StatusError("MissingParameter", f"The request must contain the parameter {name}", 400)
        shown = "" if first.shown_value() is None else str(first.value)
        return StatusError("InvalidParameterValue",
                           f"Value ({shown}) for parameter {name} is invalid. {first.constraint}.", 400)
    return StatusError("ValidationException", coral_message(violations), 400)


def check(service: str, operation: str, params: Any, account: str, region: str) -> tuple[Any, idempotency.Ticket | None]:
    """(error or None, idempotency ticket or None) for one parsed request."""
    checker = validator(service)
    try:
        op_model = checker.model.operation_model(operation)
    except Exception:
        return None, None
    if CONFIG.get("validate_requests"):
        violations = checker.validate(operation, params)
        if violations:
            return validation_error(service, violations), None
    ticket = idempotency.check(service, op_model, params or {}, account, region)
    if ticket.error is not None:
        return ticket.error, None
    return None, ticket


def _install_parsed_services() -> None:
    from moto.core.responses import ActionResult, BaseResponse

    original = BaseResponse.call_action

    def call_action(self: Any) -> Any:
        service = self.boto3_service_name
        parsed = service in PARSED_SERVICES and self.automated_parameter_parsing
        if not parsed and service not in JSON_SERVICES:
            return original(self)
        operation = self._get_action()
        params = getattr(self, "params", None)
        if service in JSON_SERVICES:
            # AWS JSON protocol: the body is the operation's input shape.
            try:
                params = json.loads(self.body or "{}")
            except ValueError:
                params = None
        if not operation or params is None:
            return original(self)
        error, ticket = check(service, operation, params, self.current_account, self.region)
        if error is not None:
            status, headers, body = self.serialized(ActionResult(error))
            headers, body = self._enrich_response(headers, body)
            return status, headers, body
        if ticket is not None and ticket.replay is not None:
            status, headers, body = ticket.replay
            return status, dict(headers), body
        response = original(self)
        if ticket is not None:
            ticket.served(response)
        return response

    BaseResponse.call_action = call_action


# ---- S3 -------------------------------------------------------------------------------------

def _s3_params(response: Any, request: Any) -> tuple[str, Any] | None:
    """(operation, parsed params) of an S3 request, or None when it cannot be routed or parsed."""
    from moto.core.parse import RestXMLParser
    from moto.core.routing import get_service_router

    try:
        operation, uri_params = get_service_router("s3").match(response.normalized_request)
        op_model = validator("s3").model.operation_model(operation.name)
        body = response.raw_body if isinstance(response.raw_body, (bytes, str)) else b""
        params = RestXMLParser(op_model).parse({
            "method": request.method, "values": request.values, "headers": request.headers,
            "body": body, "url_path": request.path, "url_params": uri_params,
        })
        return operation.name, params
    except Exception:
        return None


def _install_s3() -> None:
    from moto.s3.exceptions import S3ClientError
    from moto.s3.responses import S3Response

    class S3ModelError(StatusError, S3ClientError):
        """Raised inside moto's S3 handlers, which serialise S3ClientError."""

    def s3_error(violations: list[Violation]) -> StatusError:
        first = violations[0]
        if first.location in ("header", "headers", "querystring", "uri"):
            shown = "" if first.shown_value() is None else str(first.value)
            return S3ModelError("InvalidArgument", f"{first.sentence()}", 400,
                                ArgumentName=first.wire_name or first.path, ArgumentValue=shown)
        return S3ModelError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                                            f"against our published schema ({first.sentence()})", 400)

    def guard(original: Any) -> Any:
        def handler(self: Any, request: Any, full_url: str) -> Any:
            if CONFIG.get("validate_requests"):
                routed = _s3_params(self, request)
                if routed is not None:
                    violations = validator("s3").validate(*routed)
                    if violations:
                        raise s3_error(violations)
            return original(self, request, full_url)
        return handler

    S3Response._bucket_response = guard(S3Response._bucket_response)
    S3Response._key_response = guard(S3Response._key_response)


def install() -> None:
    _install_parsed_services()
    _install_s3()
