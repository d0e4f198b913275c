"""Plug the S3 Files backend into moto: module alias plus a URL pattern ahead of S3's."""

from __future__ import annotations

import re
import sys

from .. import errors
from .models import S3FilesBackend

PATTERN = re.compile(r"https?://s3files\.(.+)\.amazonaws\.com")


def install() -> None:
    import moto.backend_index as backend_index

    from .. import s3files
    from . import models, responses, urls

    sys.modules["moto.s3files"] = s3files
    sys.modules["moto.s3files.models"] = models
    sys.modules["moto.s3files.responses"] = responses
    sys.modules["moto.s3files.urls"] = urls
    if not any(name == "s3files" for name, _ in backend_index.backend_url_patterns):
        # moto's S3 pattern `s3(?!-control|tables|vectors)(.*)` also matches `s3files.<region>`.
        backend_index.backend_url_patterns.insert(0, ("s3files", PATTERN))
    _guard_s3_bucket()


def _guard_s3_bucket() -> None:
    """S3 refuses to delete a bucket, or change its versioning, while a file system is attached."""
    from moto.s3.exceptions import S3ClientError
    from moto.s3.models import S3Backend

    from .models import s3files_backends

    class BucketHasS3FileSystemAttached(errors.StatusError, S3ClientError):
        """Raised inside moto's S3 handlers, which only serialise S3ClientError."""

    def attached(account_id: str, bucket_name: str) -> bool:
        for region_backend in s3files_backends[account_id].values():
            assert isinstance(region_backend, S3FilesBackend)
            if bucket_name in region_backend.buckets_in_use():
                return True
        return False

    def refuse(bucket_name: str) -> errors.StatusError:
        return BucketHasS3FileSystemAttached(
            "BucketHasS3FileSystemAttached",
            f"The bucket '{bucket_name}' has an S3 file system attached. Delete the file system first.",
            409, BucketName=bucket_name,
        )

    original_delete = S3Backend.delete_bucket
    original_versioning = S3Backend.put_bucket_versioning

    def delete_bucket(self: S3Backend, bucket_name: str):  # type: ignore[no-untyped-def]
        if attached(self.account_id, bucket_name):
            raise refuse(bucket_name)
        return original_delete(self, bucket_name)

    def put_bucket_versioning(self: S3Backend, bucket_name: str, status: str) -> None:
        bucket = self.get_bucket(bucket_name)
        if bucket.versioning_status != status and attached(self.account_id, bucket_name):
            raise refuse(bucket_name)
        original_versioning(self, bucket_name, status)

    S3Backend.delete_bucket = delete_bucket
    S3Backend.put_bucket_versioning = put_bucket_versioning
