"""Amazon S3 Files, registered into moto as the `s3files` service (see `register`)."""

from .models import s3files_backends  # noqa: F401
