"""AgentCore control: runtimes with file systems, tokens, names, ARNs, lifecycle, VPC ENIs."""

import re

import pytest
from botocore.exceptions import ClientError
from helpers import ACCOUNT, access_point, error_code, file_system, network, role, wait_for

ARTIFACT = {"containerConfiguration": {"containerUri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/agent:latest"}}


def runtime_args(iam, name="fsverify_runtime", **extra):
    role_arn = extra.pop("roleArn", None) or role(iam, f"{name}-role", "bedrock-agentcore.amazonaws.com")
    return {"agentRuntimeName": name, "agentRuntimeArtifact": ARTIFACT, "roleArn": role_arn,
            "networkConfiguration": {"networkMode": "PUBLIC"}, **extra}


def vpc_config(net):
    return {"networkMode": "VPC", "networkModeConfig": {"subnets": net["subnets"], "securityGroups": [net["sg"]]}}


def test_runtime_lifecycle_arn_and_token(emu, agentcore, iam):
    emu.configure(delays={"runtime_create": 0.4, "runtime_delete": 0.4, "runtime_update": 0.4})
    args = runtime_args(iam, clientToken="fsverify-runtime-token-0000000000001", tags={"stack": "fsverify"},
                        filesystemConfigurations=[{"sessionStorage": {"mountPath": "/mnt/session"}}])
    created = agentcore.create_agent_runtime(**args)
    rid = created["agentRuntimeId"]
    assert created["status"] == "CREATING"
    assert re.fullmatch(r"fsverify_runtime-[a-zA-Z0-9]{10}", rid)
    assert created["agentRuntimeArn"] == f"arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}:runtime/{rid}"
    assert agentcore.create_agent_runtime(**args)["agentRuntimeId"] == rid  # same client token
    with pytest.raises(ClientError) as err:
        agentcore.create_agent_runtime(**{**args, "clientToken": "fsverify-runtime-token-0000000000002"})
    assert error_code(err) == "ConflictException"
    got = wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=rid), lambda r: r["status"] == "READY")
    assert got["filesystemConfigurations"] == [{"sessionStorage": {"mountPath": "/mnt/session"}}]
    assert agentcore.list_tags_for_resource(resourceArn=created["agentRuntimeArn"])["tags"] == {"stack": "fsverify"}
    update = {k: v for k, v in args.items() if k not in ("agentRuntimeName", "tags", "clientToken")}
    updated = agentcore.update_agent_runtime(agentRuntimeId=rid, **{**update, "description": "v2"})
    assert updated["status"] == "UPDATING" and updated["agentRuntimeVersion"] == "2"
    wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=rid), lambda r: r["status"] == "READY")
    assert agentcore.delete_agent_runtime(agentRuntimeId=rid)["status"] == "DELETING"
    assert agentcore.get_agent_runtime(agentRuntimeId=rid)["status"] == "DELETING"
    with pytest.raises(ClientError) as err:
        wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=rid), lambda r: False, timeout=3)
    assert error_code(err) == "ResourceNotFoundException"


@pytest.mark.parametrize("path,ok", [("/mnt/data", True), ("/mnt/data/", True), ("/mnt/data/sub", False),
                                     ("/var/data", False)])
def test_mount_path_validation(agentcore, iam, path, ok):
    args = runtime_args(iam, filesystemConfigurations=[{"sessionStorage": {"mountPath": path}}])
    if ok:
        agentcore.create_agent_runtime(**args)
    else:
        with pytest.raises(ClientError) as err:
            agentcore.create_agent_runtime(**args)
        assert error_code(err) == "ValidationException"


def test_at_most_five_filesystems(emu, agentcore, iam):
    configs = [{"sessionStorage": {"mountPath": f"/mnt/d{i}"}} for i in range(6)]
    args = runtime_args(iam)
    from botocore.config import Config
    import boto3

    raw = boto3.client("bedrock-agentcore-control", endpoint_url=emu.endpoint, region_name="us-east-1",
                       aws_access_key_id="t", aws_secret_access_key="t",
                       config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as err:
        raw.create_agent_runtime(**args, filesystemConfigurations=configs)
    assert error_code(err) == "ValidationException"


def test_s3files_access_point_runtime_in_vpc_mode_with_enis(emu, agentcore, iam, ec2, s3files, s3):
    emu.configure(runtime_eni_linger_seconds=0.6)
    net = network(ec2)
    fs = file_system(s3files, s3, iam)
    ap = access_point(s3files, fs["fileSystemId"])
    fs_config = [{"s3FilesAccessPoint": {"accessPointArn": ap["accessPointArn"], "mountPath": "/mnt/data"}}]
    with pytest.raises(ClientError):  # S3 Files needs VPC mode
        agentcore.create_agent_runtime(**runtime_args(iam, filesystemConfigurations=fs_config))
    created = agentcore.create_agent_runtime(**runtime_args(iam, name="vpc_runtime",
                                                            networkConfiguration=vpc_config(net),
                                                            filesystemConfigurations=fs_config))
    got = wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=created["agentRuntimeId"]),
                   lambda r: r["status"] == "READY")
    assert got["filesystemConfigurations"] == fs_config
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": net["subnets"]}])
    agentic = [e for e in enis["NetworkInterfaces"] if e["InterfaceType"] == "agentic_ai"]
    assert sorted(e["SubnetId"] for e in agentic) == sorted(net["subnets"])
    with pytest.raises(ClientError) as err:
        ec2.delete_network_interface(NetworkInterfaceId=agentic[0]["NetworkInterfaceId"])
    assert error_code(err) == "OperationNotPermitted"
    agentcore.delete_agent_runtime(agentRuntimeId=created["agentRuntimeId"])
    with pytest.raises(ClientError) as err:
        wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=created["agentRuntimeId"]), lambda r: False, 3)
    # the runtime is gone but its ENIs linger and block subnet and security group deletes
    with pytest.raises(ClientError) as err:
        ec2.delete_subnet(SubnetId=net["subnets"][1])
    assert error_code(err) == "DependencyViolation"
    with pytest.raises(ClientError) as err:
        ec2.delete_security_group(GroupId=net["sg"])
    assert error_code(err) == "DependencyViolation"
    wait_for(lambda: ec2.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [net["subnets"][1]]}])["NetworkInterfaces"], lambda e: e == [])
    ec2.delete_subnet(SubnetId=net["subnets"][1])


def test_role_propagation_delay(emu, agentcore, iam, s3files, s3):
    emu.configure(iam_propagation_seconds=0.8)
    args = runtime_args(iam, name="young_role")
    with pytest.raises(ClientError) as err:
        agentcore.create_agent_runtime(**args)
    assert error_code(err) == "ValidationException" and "Role validation failed" in str(err.value)
    name = "fsverify-123456789012-us-east-1"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    svc = role(iam, "young-svc")
    with pytest.raises(ClientError) as err:
        s3files.create_file_system(bucket=f"arn:aws:s3:::{name}", roleArn=svc)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    wait_for(lambda: _try(lambda: agentcore.create_agent_runtime(**args)), lambda ok: ok, timeout=5)
    wait_for(lambda: _try(lambda: s3files.create_file_system(bucket=f"arn:aws:s3:::{name}", roleArn=svc)),
             lambda ok: ok, timeout=5)


def _try(call):
    try:
        call()
        return True
    except ClientError:
        return False
