"""S3 Files errors; codes and HTTP statuses as in the service model."""

from ..errors import StatusError


def not_found(message: str) -> StatusError:
    return StatusError("ResourceNotFoundException", message, 404, errorCode="ResourceNotFound")


def conflict(message: str, resource_id: str = "", resource_type: str = "") -> StatusError:
    return StatusError(
        "ConflictException", message, 409,
        errorCode="Conflict", resourceId=resource_id, resourceType=resource_type,
    )


def validation(message: str) -> StatusError:
    return StatusError("ValidationException", message, 400, errorCode="ValidationError")


def access_denied(message: str) -> StatusError:
    # The S3 Files model has no access-denied shape; AWS answers 403 AccessDeniedException.
    return StatusError("AccessDeniedException", message, 403)


def quota_exceeded(message: str) -> StatusError:
    # HTTP 402, as the model's ServiceQuotaExceededException says
    return StatusError("ServiceQuotaExceededException", message, 402, errorCode="ServiceQuotaExceeded")
