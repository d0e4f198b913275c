"""Fault injection: throttling, service unavailable and latency, shaped like each service's errors."""

from __future__ import annotations

import json
import uuid
from .config import CONFIG

XMLNS = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}
JSON_THROTTLE_STATUS = 429  # ThrottlingException's status in the restJson models (S3 Files, AgentCore, EFS)


def latency_ms(operation: str) -> float:
    value = CONFIG.get("latency_ms") or 0
    if isinstance(value, dict):
        return float(value.get(operation, value.get("*", 0)) or 0)
    return float(value)


def choose_fault(operation: str) -> str | None:
    """"throttle", "unavailable" or None, drawn from the (optionally seeded) fault RNG."""
    only = CONFIG.get("fault_operations")
    if only and operation not in only:
        return None
    throttle = float(CONFIG.get("throttle_rate") or 0)
    unavailable = float(CONFIG.get("unavailable_rate") or 0)
    if throttle <= 0 and unavailable <= 0:
        return None
    draw = CONFIG.rng.random()
    if draw < throttle:
        return "throttle"
    if draw < throttle + unavailable:
        return "unavailable"
    return None


def fault_response(service: str, fault: str) -> tuple[int, list[tuple[str, str]], bytes]:
    request_id = str(uuid.uuid4())
    throttle = fault == "throttle"
    if service == "s3":
        code, status = ("SlowDown", 503) if throttle else ("ServiceUnavailable", 503)
        message = "Please reduce your request rate." if throttle else "Service is unable to handle request."
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}'
                f"</Message><RequestId>{request_id}</RequestId></Error>")
        return status, [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)], body.encode()
    if service == "ec2":
        code, status = ("RequestLimitExceeded", 400) if throttle else ("Unavailable", 503)
        message = "Request limit exceeded." if throttle else "The service is unavailable. Please try again shortly."
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
                f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>")
        return status, [("Content-Type", "text/xml")], body.encode()
    if service in XMLNS:
        code, status = ("Throttling", 400) if throttle else ("ServiceUnavailable", 503)
        kind = "Sender" if throttle else "Receiver"
        message = "Rate exceeded" if throttle else "Service Unavailable"
        body = (f'<ErrorResponse xmlns="{XMLNS[service]}"><Error><Type>{kind}</Type><Code>{code}</Code>'
                f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
        return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode()
    code, status = ("ThrottlingException", JSON_THROTTLE_STATUS) if throttle else ("ServiceUnavailableException", 503)
    message = "Rate exceeded" if throttle else "Service Unavailable"
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", request_id)]
    return status, headers, json.dumps({"message": message}).encode()

