"""CloudWatch Logs as AWS answers it where moto does not.

- PutRetentionPolicy takes only the periods the model's `Days` documentation lists (moto kept any
  number): anything else is InvalidParameterException, worded as the service words it.
- CreateLogGroup, AssociateKmsKey: a key is given as a KMS key ARN (the service refuses ids and
  aliases); moto lacks AssociateKmsKey and DisassociateKmsKey.
"""

from __future__ import annotations

import re
from typing import Any

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)
KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+")


def _check_key(key: Any) -> None:
    from moto.logs.exceptions import InvalidParameterException

    if key is not None and not KEY_ARN.fullmatch(str(key)):
        raise InvalidParameterException(msg=f"Specified KMS key ARN is not valid: {key}")


def install() -> None:
    from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
    from moto.logs.responses import LogsResponse

    original_put = LogsResponse.put_retention_policy

    def put_retention_policy(self: Any) -> str:
        days = self._get_param("retentionInDays")
        if days not in RETENTION_DAYS:
            raise InvalidParameterException(
                constraint="Member must satisfy enum value set: [" + ", ".join(map(str, RETENTION_DAYS)) + "]",
                parameter="retentionInDays", value=days)
        return original_put(self)

    LogsResponse.put_retention_policy = put_retention_policy

    original_create = LogsResponse.create_log_group

    def create_log_group(self: Any) -> str:
        _check_key(self._get_param("kmsKeyId"))
        return original_create(self)

    LogsResponse.create_log_group = create_log_group

    def group(self: Any) -> Any:
        name = self._get_param("logGroupName")
        found = self.logs_backend.groups.get(name)
        if found is None:
            raise ResourceNotFoundException()
        return found

    def associate_kms_key(self: Any) -> str:
        key = self._get_param("kmsKeyId")
        _check_key(key)
        group(self).kms_key_id = key
        return ""

    def disassociate_kms_key(self: Any) -> str:
        group(self).kms_key_id = None
        return ""

    LogsResponse.associate_kms_key = associate_kms_key
    LogsResponse.disassociate_kms_key = disassociate_kms_key
