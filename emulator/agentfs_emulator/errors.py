"""Errors with an explicit HTTP status, serialised by moto in the calling service's protocol.

Moto takes an error's HTTP status from the service model's error shape. S3's model has no shape
for `BucketHasS3FileSystemAttached` and S3 Files' has none for access denied, so errors raised by
the extensions may carry `http_status`; `install()` teaches moto's serializer to honour it.
"""

from __future__ import annotations

import warnings
from typing import Any

from moto.core.exceptions import ServiceException


class StatusError(ServiceException):
    """A service error with a fixed code and HTTP status."""

    http_status = 400

    def __init__(self, code: str, message: str, http_status: int | None = None, **fields: Any):
        super().__init__(code, message)
        if http_status is not None:
            self.http_status = http_status
        for key, value in fields.items():
            setattr(self, key, value)


def install() -> None:
    import moto.core.serialize as serialize
    from moto.core.errors import ErrorShape

    original = serialize.get_error_model

    def get_error_model(exception: Exception, default_service_model: Any) -> ErrorShape:
        with warnings.catch_warnings():
            # An error code the service model does not list (AWS sends such codes too, e.g.
            # S3 Files' AccessDeniedException) is expected here: say nothing.
            warnings.simplefilter("ignore", UserWarning)
            shape = original(exception, default_service_model)
        status = getattr(exception, "http_status", None)
        if isinstance(exception, StatusError) and status is not None:
            model = dict(shape._shape_model)  # type: ignore[attr-defined]
            model["error"] = {**model.get("error", {}), "httpStatusCode": status}
            shape = ErrorShape(shape.name, model, getattr(shape, "_shape_resolver", None))
        return shape

    serialize.get_error_model = get_error_model
