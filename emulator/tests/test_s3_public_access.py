"""S3 public access: a new bucket blocks it all; a public policy is refused while
BlockPublicPolicy is on, accepted once it is off; SSE-KMS keeps its key."""

import json

import pytest
from botocore.exceptions import ClientError
from helpers import error_code

PUBLIC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                  "Resource": "arn:aws:s3:::open-bucket/*"}]}
KEY = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"


def test_a_new_bucket_blocks_every_public_access(s3):
    s3.create_bucket(Bucket="fresh-bucket")
    block = s3.get_public_access_block(Bucket="fresh-bucket")["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                     "RestrictPublicBuckets": True}


def test_a_public_policy_needs_block_public_policy_off(s3):
    s3.create_bucket(Bucket="open-bucket")
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket="open-bucket", Policy=json.dumps(PUBLIC))
    assert error_code(e) == "AccessDenied"
    s3.put_public_access_block(Bucket="open-bucket", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    s3.put_bucket_policy(Bucket="open-bucket", Policy=json.dumps(PUBLIC))
    assert json.loads(s3.get_bucket_policy(Bucket="open-bucket")["Policy"]) == PUBLIC


def test_sse_kms_keeps_its_key(s3):
    s3.create_bucket(Bucket="kms-bucket")
    s3.put_bucket_encryption(Bucket="kms-bucket", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY}}]})
    rule = s3.get_bucket_encryption(Bucket="kms-bucket")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY}
