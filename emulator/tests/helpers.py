"""Builders for the pieces of the reference stack that many tests need."""

from __future__ import annotations

import json
import time
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "us-east-1"


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def http_status(excinfo: pytest.ExceptionInfo[ClientError]) -> int:
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def wait_for(fetch: Callable[[], Any], predicate: Callable[[Any], bool], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached, last value: {value!r}")
        time.sleep(0.05)


def network(ec2: Any) -> dict[str, Any]:
    """VPC with two private subnets in two AZs and an NFS security group."""
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="nfs", Description="nfs", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": [a, b], "sg": sg}


def bucket(s3: Any, name: str = "fsverify-123456789012-us-east-1") -> str:
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def role(iam: Any, name: str, service: str = "elasticfilesystem.amazonaws.com") -> str:
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def file_system(s3files: Any, s3: Any, iam: Any, wait: bool = True) -> dict[str, Any]:
    name = bucket(s3)
    role_arn = role(iam, "fsverify-s3files-service-role")
    fs = s3files.create_file_system(bucket=f"arn:aws:s3:::{name}", roleArn=role_arn, acceptBucketWarning=True,
                                    tags=[{"key": "Name", "value": "fsverify"}])
    if wait:
        wait_for(lambda: s3files.get_file_system(fileSystemId=fs["fileSystemId"]),
                 lambda f: f["status"] == "available")
    return fs


ACCESS_POINT = {"posixUser": {"uid": 1000, "gid": 1000},
                "rootDirectory": {"path": "/agent", "creationPermissions": {"ownerUid": 1000, "ownerGid": 1000,
                                                                            "permissions": "0755"}}}


def access_point(s3files: Any, fs_id: str, **extra: Any) -> dict[str, Any]:
    ap = s3files.create_access_point(fileSystemId=fs_id, **ACCESS_POINT, **extra)
    wait_for(lambda: s3files.get_access_point(accessPointId=ap["accessPointId"]),
             lambda a: a["status"] == "available")
    return ap
