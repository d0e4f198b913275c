"""S3 public access as AWS has it since April 2023, where moto differs.

- A new bucket blocks all public access (its public access block has all four settings on);
  moto made buckets without one.
- PutBucketPolicy refuses a public policy (an `Allow` to every principal without a condition)
  while the bucket's BlockPublicPolicy is on: AccessDenied, as AWS answers.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import StatusError


def _public(policy: Any) -> bool:
    try:
        document = json.loads(policy)
    except (TypeError, ValueError):
        return False
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        principal = statement.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict) and "*" in (
            principal.get("AWS") if isinstance(principal.get("AWS"), list) else [principal.get("AWS")]))
        if statement.get("Effect") == "Allow" and everyone and not statement.get("Condition"):
            return True
    return False


def install() -> None:
    from moto.s3.exceptions import S3ClientError
    from moto.s3.models import PublicAccessBlock, S3Backend

    class AccessDenied(StatusError, S3ClientError):
        """Raised inside moto's S3 handlers, which serialise S3ClientError."""

    create = S3Backend.create_bucket
    put_policy = S3Backend.put_bucket_policy

    def create_bucket(self: Any, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        existed = bucket_name in self.buckets
        bucket = create(self, bucket_name, *args, **kwargs)
        if not existed and bucket.public_access_block is None:
            bucket.public_access_block = PublicAccessBlock(True, True, True, True)
        return bucket

    def put_bucket_policy(self: Any, bucket_name: str, policy: bytes) -> None:
        block = self.get_bucket(bucket_name).public_access_block
        if block is not None and block.block_public_policy and _public(policy):
            raise AccessDenied("AccessDenied", f"User is not authorized to perform: s3:PutBucketPolicy on resource: "
                                               f"\"arn:aws:s3:::{bucket_name}\" because public policies are "
                                               "blocked by the BlockPublicPolicy block public access setting.", 403)
        put_policy(self, bucket_name, policy)

    S3Backend.create_bucket = create_bucket
    S3Backend.put_bucket_policy = put_bucket_policy
