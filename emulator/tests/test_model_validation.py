"""Requests are checked against botocore's service models, as AWS checks them: every constraint
family is refused one step past its bound and accepted at the bound."""

import itertools

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from helpers import ACCESS_POINT, access_point, error_code, file_system, http_status, role

from agentfs_emulator.validation import FAMILIES, translate_pattern, validator

SERVICES = ["s3files", "bedrock-agentcore-control", "ec2", "iam", "s3"]
ARTIFACT = {"containerConfiguration": {"containerUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest"}}


def raw(emu, service):
    """A client that sends what it is given (botocore's own checks off), and does not retry."""
    return boto3.client(service, endpoint_url=emu.endpoint, region_name="us-east-1", aws_access_key_id="t",
                        aws_secret_access_key="t",
                        config=Config(parameter_validation=False, retries={"total_max_attempts": 1},
                                      s3={"addressing_style": "path"}))


def refused(call, code="ValidationException", status=400):
    with pytest.raises(ClientError) as err:
        call()
    assert error_code(err) == code, err.value
    assert http_status(err) == status
    return err.value.response["Error"]["Message"]


# ---- the models ------------------------------------------------------------------------------

def test_constraint_counts_per_service(capsys):
    """Walks every operation's input of each model: how many constraints are enforced, and which
    patterns needed translating from Java or could not be compiled."""
    report = {}
    for service in SERVICES:
        checker = validator(service)
        counts = checker.constraints()
        report[service] = counts
        assert sum(counts.values()) > 0, service
        assert set(counts) <= set(FAMILIES)
        # every pattern of the model, reachable from an input or not, compiles after translation
        for name, shape in checker.model._shape_resolver._shape_map.items():
            if "pattern" in shape:
                checker.pattern(checker.model.shape_for(name))
        assert checker.uncompiled == {}, checker.uncompiled
        with capsys.disabled():
            total = sum(counts.values())
            detail = ", ".join(f"{family} {counts[family]}" for family in FAMILIES if counts[family])
            print(f"\n  {service}: {total} constraints enforced ({detail}); "
                  f"patterns translated from Java: {sorted(checker.translated) or 'none'}; "
                  f"not compiled: {sorted(checker.uncompiled) or 'none'}")
    assert report["bedrock-agentcore-control"]["union"] > 0
    assert report["s3files"]["pattern"] > 0


def test_java_unicode_classes_are_translated():
    python, changed = translate_pattern(r"([\p{L}\p{Z}\p{N}_.:/=+\-@]+)")
    assert changed
    checker = validator("s3files")
    tag_key = checker.pattern(checker.model.shape_for("TagKey"))
    assert tag_key.fullmatch("agentfs:stack") and tag_key.fullmatch("Größe 1") and tag_key.fullmatch("名前")
    assert not tag_key.fullmatch("bad#key") and not tag_key.fullmatch("")
    # Java's \w is ASCII-only
    iam = validator("iam")
    role_name = iam.pattern(iam.model.shape_for("roleNameType"))
    assert role_name.fullmatch("fsverify-runtime-role") and not role_name.fullmatch("rôle")


# ---- AgentCore -----------------------------------------------------------------------------

_roles = itertools.count()


def runtime(iam, name="fsverify_runtime", **extra):
    role_arn = role(iam, f"validation-role-{next(_roles)}", "bedrock-agentcore.amazonaws.com")
    return {"agentRuntimeName": name, "agentRuntimeArtifact": ARTIFACT, "roleArn": role_arn,
            "networkConfiguration": {"networkMode": "PUBLIC"}, **extra}


def test_agentcore_pattern_and_message(emu, iam):
    client = raw(emu, "bedrock-agentcore-control")
    client.create_agent_runtime(**runtime(iam, "a" * 48))  # the pattern allows 48 characters
    message = refused(lambda: client.create_agent_runtime(**runtime(iam, "a" * 49)))
    assert message == (f"1 validation error detected: Value '{'a' * 49}' at 'agentRuntimeName' failed to satisfy "
                       "constraint: Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]{0,47}")
    refused(lambda: client.create_agent_runtime(**runtime(iam, "has-hyphen")))
    with pytest.raises(ClientError) as err:
        client.create_agent_runtime(**runtime(iam, "1starts_with_digit"))
    assert err.value.response["reason"] == "FieldValidationFailed"
    assert err.value.response["fieldList"][0]["name"] == "agentRuntimeName"


def test_agentcore_required_length_range_enum(emu, iam):
    client = raw(emu, "bedrock-agentcore-control")
    args = runtime(iam)
    message = refused(lambda: client.create_agent_runtime(**{k: v for k, v in args.items() if k != "roleArn"}))
    assert "Value null at 'roleArn' failed to satisfy constraint: Member must not be null" in message
    # length: description is 1..4096 (and sensitive: its value is not echoed)
    message = refused(lambda: client.create_agent_runtime(**{**args, "description": "d" * 4097}))
    assert message == ("1 validation error detected: Value at 'description' failed to satisfy constraint: "
                       "Member must have length less than or equal to 4096")
    # range: lifecycle timeouts are 60..1209600
    message = refused(lambda: client.create_agent_runtime(
        **{**args, "lifecycleConfiguration": {"idleRuntimeSessionTimeout": 59}}))
    assert ("Value '59' at 'lifecycleConfiguration.idleRuntimeSessionTimeout' failed to satisfy constraint: "
            "Member must have value greater than or equal to 60") in message
    # enum
    message = refused(lambda: client.create_agent_runtime(**{**args, "networkConfiguration": {"networkMode": "public"}}))
    assert "Member must satisfy enum value set: [PUBLIC, VPC]" in message
    # clientToken is 33..256 characters
    refused(lambda: client.create_agent_runtime(**{**args, "clientToken": "t" * 32}))
    client.create_agent_runtime(**{**args, "description": "d" * 4096, "clientToken": "t" * 33,
                                   "lifecycleConfiguration": {"idleRuntimeSessionTimeout": 60,
                                                              "maxLifetime": 1209600}})


def test_agentcore_filesystem_list_size_and_union(emu, iam):
    client = raw(emu, "bedrock-agentcore-control")
    args = runtime(iam)
    five = [{"sessionStorage": {"mountPath": f"/mnt/d{i}"}} for i in range(5)]
    six = five + [{"sessionStorage": {"mountPath": "/mnt/d5"}}]
    message = refused(lambda: client.create_agent_runtime(**args, filesystemConfigurations=six))
    assert ("at 'filesystemConfigurations' failed to satisfy constraint: "
            "Member must have length less than or equal to 5") in message
    both = [{"sessionStorage": {"mountPath": "/mnt/a"},
             "efsAccessPoint": {"accessPointArn": "arn:aws:elasticfilesystem:us-east-1:123456789012:"
                                                  "access-point/fsap-0123456789abcdef0", "mountPath": "/mnt/b"}}]
    message = refused(lambda: client.create_agent_runtime(**args, filesystemConfigurations=both))
    assert "Value at 'filesystemConfigurations.1.member' failed to satisfy constraint: Member must have exactly one" \
        in message
    refused(lambda: client.create_agent_runtime(**args, filesystemConfigurations=[{}]))
    # nested members are named by their path: list index (1-based), `member`, union member
    message = refused(lambda: client.create_agent_runtime(
        **args, filesystemConfigurations=[five[0], {"sessionStorage": {"mountPath": "/mnt/a/b"}}]))
    assert "at 'filesystemConfigurations.2.member.sessionStorage.mountPath'" in message
    message = refused(lambda: client.create_agent_runtime(**args, filesystemConfigurations=[{"sessionStorage": {}}]))
    assert "Value null at 'filesystemConfigurations.1.member.sessionStorage.mountPath'" in message
    client.create_agent_runtime(**args, filesystemConfigurations=five)


def test_agentcore_map_size_and_keys(emu, iam):
    client = raw(emu, "bedrock-agentcore-control")
    args = runtime(iam)
    refused(lambda: client.create_agent_runtime(**args, tags={f"k{i}": "v" for i in range(51)}))
    message = refused(lambda: client.create_agent_runtime(**args, tags={"bad#key": "v"}))
    assert "at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy" in message
    refused(lambda: client.create_agent_runtime(**args, environmentVariables={"K": "v" * 5001}))
    client.create_agent_runtime(**args, tags={f"k{i}": "v" for i in range(50)},
                                environmentVariables={"K": "v" * 5000})


# ---- S3 Files ------------------------------------------------------------------------------

def test_s3files_access_point_root_directory_and_posix_user(emu, s3files, s3, iam):
    fs = file_system(s3files, s3, iam)["fileSystemId"]
    client = raw(emu, "s3files")
    for path in ("/a/b/c/d/e", "/agent/", "relative", "/a//b", "/" + "x" * 100):
        refused(lambda: client.create_access_point(fileSystemId=fs, rootDirectory={"path": path}))
    message = refused(lambda: client.create_access_point(fileSystemId=fs, rootDirectory={"path": "/a;b"}))
    assert message.startswith("1 validation error detected: Value '/a;b' at 'rootDirectory.path' failed to satisfy "
                              "constraint: Member must satisfy regular expression pattern: ")
    for path in ("/", "/a/b/c/d", "/agent", "/" + "x" * 99):
        client.create_access_point(fileSystemId=fs, rootDirectory={"path": path})
    message = refused(lambda: client.create_access_point(fileSystemId=fs, posixUser={"uid": -1, "gid": 0}))
    assert "Value '-1' at 'posixUser.uid' failed to satisfy constraint: Member must have value greater than or " \
           "equal to 0" in message
    refused(lambda: client.create_access_point(fileSystemId=fs, posixUser={"uid": 4294967296, "gid": 0}))
    client.create_access_point(fileSystemId=fs, posixUser={"uid": 4294967295, "gid": 0})
    message = refused(lambda: client.create_access_point(
        fileSystemId=fs, rootDirectory={"path": "/x", "creationPermissions": {"ownerUid": 1, "ownerGid": 1,
                                                                             "permissions": "0955"}}))
    assert "at 'rootDirectory.creationPermissions.permissions'" in message
    with pytest.raises(ClientError) as err:
        client.create_access_point(fileSystemId="not-a-file-system")
    assert err.value.response["errorCode"] == "ValidationError"


def test_s3files_list_sizes_and_tags(emu, s3files, s3, iam):
    fs = file_system(s3files, s3, iam)["fileSystemId"]
    client = raw(emu, "s3files")
    message = refused(lambda: client.tag_resource(resourceId=fs, tags=[]))
    assert "at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1" in message
    refused(lambda: client.tag_resource(resourceId=fs, tags=[{"key": f"k{i}", "value": "v"} for i in range(51)]))
    refused(lambda: client.tag_resource(resourceId=fs, tags=[{"key": "bad#key", "value": "v"}]))
    message = refused(lambda: client.tag_resource(resourceId=fs, tags=[{"key": "k"}]))
    assert "Value null at 'tags.1.member.value'" in message
    client.tag_resource(resourceId=fs, tags=[{"key": f"k{i}", "value": "v"} for i in range(49)])
    client.tag_resource(resourceId=fs, tags=[{"key": "Größe", "value": "名前"}])  # Unicode letters are allowed
    refused(lambda: client.list_file_systems(maxResults=0))


# ---- EC2, IAM, S3 ----------------------------------------------------------------------------

def test_ec2_ranges_and_enums(emu):
    client = raw(emu, "ec2")
    message = refused(lambda: client.describe_vpcs(MaxResults=4), "InvalidParameterValue")
    assert message == "Value (4) for parameter MaxResults is invalid. Member must have value greater than or equal to 5."
    client.describe_vpcs(MaxResults=5)
    refused(lambda: client.allocate_address(Domain="classic"), "InvalidParameterValue")
    refused(lambda: client.create_vpc(CidrBlock="10.0.0.0/16", InstanceTenancy="shared"), "InvalidParameterValue")
    refused(lambda: client.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "not-a-type", "Tags": [{"Key": "k", "Value": "v"}]}]), "InvalidParameterValue")
    client.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "k", "Value": "v"}]}])


def test_iam_lengths_and_patterns(emu):
    client = raw(emu, "iam")
    message = refused(lambda: client.create_role(RoleName="r" * 65, AssumeRolePolicyDocument="{}"), "ValidationError")
    assert message == (f"1 validation error detected: Value '{'r' * 65}' at 'roleName' failed to satisfy constraint: "
                       "Member must have length less than or equal to 64")
    message = refused(lambda: client.create_role(RoleName="bad name", AssumeRolePolicyDocument="{}"), "ValidationError")
    assert "Member must satisfy regular expression pattern: [\\w+=,.@-]+" in message
    refused(lambda: client.create_role(RoleName="r", AssumeRolePolicyDocument="{}", MaxSessionDuration=3599),
            "ValidationError")
    message = refused(lambda: client.create_role(RoleName="r", AssumeRolePolicyDocument="{}",
                                                 Tags=[{"Key": "k" * 129, "Value": "v"}]), "ValidationError")
    assert "at 'tags.1.member.key'" in message
    client.create_role(RoleName="r" * 64, AssumeRolePolicyDocument="{}", MaxSessionDuration=3600)
    assert [c["error"] for c in emu.calls()] == ["ValidationError"] * 4 + [None]  # the call log names the error


def test_s3_enums_and_ranges(emu):
    client = raw(emu, "s3")
    client.create_bucket(Bucket="fsverify-validation")
    refused(lambda: client.put_bucket_versioning(Bucket="fsverify-validation",
                                                 VersioningConfiguration={"Status": "On"}), "MalformedXML")
    with pytest.raises(ClientError) as err:
        client.put_object(Bucket="fsverify-validation", Key="k", Body=b"x", ServerSideEncryption="AES128")
    assert error_code(err) == "InvalidArgument"
    assert err.value.response["Error"]["ArgumentName"] == "x-amz-server-side-encryption"
    refused(lambda: client.list_buckets(MaxBuckets=0), "InvalidArgument")
    client.put_bucket_versioning(Bucket="fsverify-validation", VersioningConfiguration={"Status": "Enabled"})
    client.put_object(Bucket="fsverify-validation", Key="k", Body=b"x", ServerSideEncryption="AES256")
    client.list_buckets(MaxBuckets=1)


def test_validation_can_be_turned_off(emu, iam):
    client = raw(emu, "bedrock-agentcore-control")
    args = runtime(iam, "a" * 49)
    refused(lambda: client.create_agent_runtime(**args))
    emu.configure(validate_requests=False)
    client.create_agent_runtime(**args)


def test_reference_requests_are_valid(emu, s3files, s3, iam):
    """The requests the reference stack sends pass the model (the whole stack: test_reference_stack.py)."""
    fs = file_system(s3files, s3, iam)
    ap = access_point(s3files, fs["fileSystemId"])
    assert ap["rootDirectory"] == ACCESS_POINT["rootDirectory"]
