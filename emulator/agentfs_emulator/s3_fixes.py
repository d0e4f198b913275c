"""Corrects S3 responses where moto's automated serialiser names the XML root after the
operation (``GetBucketVersioningResponse``) instead of the model's payload element, which
boto3 tolerates but strict clients such as the Rust SDK reject."""

from __future__ import annotations

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
