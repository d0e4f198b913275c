"""KMS as AWS answers it where moto does not.

- ScheduleKeyDeletion: the service takes a window of 7 to 30 days (the model allows 1 to 365;
  moto accepted anything and answered no date outside 7..30); a key already pending deletion is
  refused with KMSInvalidStateException (moto scheduled it again); the answer carries KeyState
  and PendingWindowInDays, as the model's ScheduleKeyDeletionResponse does.
- A key pending deletion cannot be changed: rotation, policy, description and aliases are
  refused with KMSInvalidStateException (moto changed it).
"""

from __future__ import annotations

import json
from typing import Any

from .errors import StatusError

WINDOW = range(7, 31)


def _pending(response: Any, key_id: str | None) -> Any:
    """The key `key_id` names (id or ARN) when it is pending deletion, else None."""
    if not key_id:
        return None
    backend = response.kms_backend
    key = backend.keys.get(backend.get_key_id(key_id))
    if key is not None and key.key_state == "PendingDeletion":
        return key
    return None


def _invalid_state(key: Any) -> StatusError:
    return StatusError("KMSInvalidStateException", f"{key.arn} is pending deletion.", 400)


def install() -> None:
    from moto.kms.responses import KmsResponse

    original_schedule = KmsResponse.schedule_key_deletion

    def schedule_key_deletion(self: Any) -> str:
        window = self._get_param("PendingWindowInDays")
        if window is not None and int(window) not in WINDOW:
            bound = "greater than or equal to 7" if int(window) < 7 else "less than or equal to 30"
            raise StatusError("ValidationException",
                              f"1 validation error detected: Value '{window}' at 'pendingWindowInDays' "
                              f"failed to satisfy constraint: Member must have value {bound}", 400)
        key = _pending(self, self._get_param("KeyId"))
        if key is not None:
            raise _invalid_state(key)
        answer = json.loads(original_schedule(self))
        answer["KeyState"] = "PendingDeletion"
        answer["PendingWindowInDays"] = int(window) if window is not None else 30
        return json.dumps(answer)

    KmsResponse.schedule_key_deletion = schedule_key_deletion

    def refuse_when_pending(name: str, key_param: str) -> None:
        original = getattr(KmsResponse, name)

        def handler(self: Any) -> Any:
            key = _pending(self, self._get_param(key_param))
            if key is not None:
                raise _invalid_state(key)
            return original(self)

        setattr(KmsResponse, name, handler)

    for name in ("enable_key_rotation", "disable_key_rotation", "put_key_policy", "update_key_description"):
        refuse_when_pending(name, "KeyId")
    for name in ("create_alias", "update_alias"):
        refuse_when_pending(name, "TargetKeyId")
