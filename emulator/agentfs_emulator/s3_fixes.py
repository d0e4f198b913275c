"""Corrects S3 responses where moto's automated serialiser names the XML root after the
operation (``GetBucketVersioningResponse``) instead of the model's payload element, which
boto3 tolerates but strict clients such as the Rust SDK reject."""

from __future__ import annotations

from typing import Any

ROOTS = {
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketEncryption": "ServerSideEncryptionConfiguration",
    "GetBucketTagging": "Tagging",
}


def fix_body(service: str, operation: str, body: bytes) -> bytes:
    root = ROOTS.get(operation)
    if service != "s3" or root is None:
        return body
    wrong = f"{operation}Response".encode()
    if wrong not in body[:200]:
        return body
    return body.replace(b"<" + wrong, b"<" + root.encode(), 1).replace(b"</" + wrong + b">", b"</" + root.encode() + b">", 1)


def install() -> None:
    """CreateBucket's ``CreateBucketConfiguration.Tags`` (in the model since 2025; moto 5.2
    ignores it): a bucket made by the call carries them from its first moment. A bucket that
    already existed keeps its own tags, as on AWS, where us-east-1 answers 200 to its owner."""
    import xmltodict
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    made: dict[str, str] = {}
    backend_create = S3Backend.create_bucket
    response_put = S3Response._bucket_response_put

    def create_bucket(self: Any, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        bucket = backend_create(self, bucket_name, *args, **kwargs)
        made["name"] = bucket_name
        return bucket

    def bucket_response_put(self: Any, request: Any, bucket_name: str, querystring: Any) -> Any:
        made.clear()
        answer = response_put(self, request, bucket_name, querystring)
        if made.get("name") == bucket_name and self.body:
            tags = _configuration_tags(xmltodict, self.body)
            if tags:
                self.backend.put_bucket_tagging(bucket_name, tags)
        return answer

    S3Backend.create_bucket = create_bucket
    S3Response._bucket_response_put = bucket_response_put


def _configuration_tags(xmltodict: Any, body: Any) -> dict[str, str]:
    try:
        config = xmltodict.parse(body).get("CreateBucketConfiguration") or {}
    except Exception:  # not XML: moto has answered the request already
        return {}
    tags = (config.get("Tags") or {}).get("Tag") or []
    if isinstance(tags, dict):
        tags = [tags]
    return {t.get("Key", ""): t.get("Value") or "" for t in tags}
