"""Failure states reached through the `fail` and `pending_export` knobs."""

import urllib.error

import pytest
from botocore.exceptions import ClientError
from helpers import error_code, file_system, http_status, network, role, wait_for

ARTIFACT = {"containerConfiguration": {"containerUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest"}}


def create_runtime(agentcore, iam, name):
    return agentcore.create_agent_runtime(
        agentRuntimeName=name, agentRuntimeArtifact=ARTIFACT,
        roleArn=role(iam, f"{name}-role", "bedrock-agentcore.amazonaws.com"),
        networkConfiguration={"networkMode": "PUBLIC"})["agentRuntimeId"]


def settled(agentcore, rid, pending):
    return wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=rid), lambda r: r["status"] != pending)


def test_runtime_create_fails_for_matching_names_only(emu, agentcore, iam):
    emu.configure(fail={"runtime_create": {"match": "^doomed", "reason": "Image pull failed: manifest unknown"}})
    doomed = create_runtime(agentcore, iam, "doomed_runtime")
    fine = create_runtime(agentcore, iam, "fine_runtime")
    got = settled(agentcore, doomed, "CREATING")
    assert got["status"] == "CREATE_FAILED" and got["failureReason"] == "Image pull failed: manifest unknown"
    assert settled(agentcore, fine, "CREATING")["status"] == "READY"
    assert "failureReason" not in agentcore.get_agent_runtime(agentRuntimeId=fine)
    listed = {r["agentRuntimeId"]: r["status"] for r in agentcore.list_agent_runtimes()["agentRuntimes"]}
    assert listed == {doomed: "CREATE_FAILED", fine: "READY"}
    # a failed runtime can still be deleted
    agentcore.delete_agent_runtime(agentRuntimeId=doomed)
    wait_for(lambda: [r["agentRuntimeId"] for r in agentcore.list_agent_runtimes()["agentRuntimes"]],
             lambda ids: ids == [fine])


def test_runtime_update_and_delete_fail(emu, agentcore, iam):
    rid = create_runtime(agentcore, iam, "flaky_runtime")
    got = settled(agentcore, rid, "CREATING")
    emu.configure(fail={"runtime_update": "Runtime health check failed", "runtime_delete": "Internal error"})
    agentcore.update_agent_runtime(agentRuntimeId=rid, agentRuntimeArtifact=ARTIFACT, roleArn=got["roleArn"],
                                   networkConfiguration={"networkMode": "PUBLIC"}, description="v2")
    got = settled(agentcore, rid, "UPDATING")
    assert got["status"] == "UPDATE_FAILED" and got["failureReason"] == "Runtime health check failed"
    agentcore.delete_agent_runtime(agentRuntimeId=rid)
    got = settled(agentcore, rid, "DELETING")
    assert got["status"] == "DELETE_FAILED" and got["failureReason"] == "Internal error"
    # the knob off again: the retried delete goes through
    emu.configure(fail=None)
    agentcore.delete_agent_runtime(agentRuntimeId=rid)
    with pytest.raises(ClientError) as err:
        wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=rid), lambda r: False, timeout=3)
    assert error_code(err) == "ResourceNotFoundException"


def test_nat_gateway_fails_with_code_and_message(emu, ec2):
    emu.configure(deleted_nat_visible_seconds=30, fail={"nat_gateway_create": [
        {"match": "fsverify-nat-a", "code": "InsufficientFreeAddressesInSubnet",
         "reason": "Subnet has insufficient free addresses to create this NAT gateway"}]})
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.101.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    nats = {}
    for name in ("fsverify-nat-a", "fsverify-nat-b"):
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nats[name] = (ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip, TagSpecifications=[
            {"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": name}]}])["NatGateway"]["NatGatewayId"],
            eip)
    state = lambda nat_id: ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]
    failed = wait_for(lambda: state(nats["fsverify-nat-a"][0]), lambda n: n["State"] != "pending")
    assert failed["State"] == "failed" and failed["FailureCode"] == "InsufficientFreeAddressesInSubnet"
    assert failed["FailureMessage"] == "Subnet has insufficient free addresses to create this NAT gateway"
    assert wait_for(lambda: state(nats["fsverify-nat-b"][0]), lambda n: n["State"] != "pending")["State"] == "available"
    ec2.release_address(AllocationId=nats["fsverify-nat-a"][1])  # a failed NAT gives its address back


def test_file_system_and_mount_target_go_to_error(emu, s3files, s3, iam, ec2):
    emu.configure(fail={"file_system_create": "The service role cannot read the bucket"})
    fs = file_system(s3files, s3, iam, wait=False)["fileSystemId"]
    got = wait_for(lambda: s3files.get_file_system(fileSystemId=fs), lambda f: f["status"] != "creating")
    assert got["status"] == "error" and got["statusMessage"] == "The service role cannot read the bucket"
    assert s3files.list_file_systems()["fileSystems"][0]["statusMessage"] == got["statusMessage"]
    with pytest.raises(ClientError) as err:  # nothing can be attached to a file system in error
        s3files.create_access_point(fileSystemId=fs)
    assert error_code(err) == "ConflictException"
    s3files.delete_file_system(fileSystemId=fs)
    wait_for(lambda: s3files.list_file_systems()["fileSystems"], lambda f: f == [])

    emu.control("POST", "reset")  # knobs are kept
    emu.configure(fail={"file_system_create": None, "mount_target_create": {"match": "^subnet-", "reason": "No free IP"}})
    net = network(ec2)
    fs = file_system(s3files, s3, iam)["fileSystemId"]
    mt = s3files.create_mount_target(fileSystemId=fs, subnetId=net["subnets"][0])["mountTargetId"]
    got = wait_for(lambda: s3files.get_mount_target(mountTargetId=mt), lambda m: m["status"] != "creating")
    assert got["status"] == "error" and got["statusMessage"] == "No free IP"
    assert s3files.list_mount_targets(fileSystemId=fs)["mountTargets"][0]["statusMessage"] == "No free IP"
    s3files.delete_mount_target(mountTargetId=mt)


def test_pending_export_refuses_delete_unless_forced(emu, s3files, s3, iam):
    emu.configure(pending_export=True)
    fs = file_system(s3files, s3, iam)["fileSystemId"]
    with pytest.raises(ClientError) as err:
        s3files.delete_file_system(fileSystemId=fs)
    assert error_code(err) == "ConflictException" and http_status(err) == 409
    assert "forceDelete" in err.value.response["Error"]["Message"]
    assert err.value.response["resourceId"] == fs
    s3files.delete_file_system(fileSystemId=fs, forceDelete=True)
    wait_for(lambda: s3files.list_file_systems()["fileSystems"], lambda f: f == [])


def test_pending_export_by_name_and_export_finishing(emu, s3files, s3, iam):
    emu.configure(pending_export="^fsverify$")  # searched in the id, the Name tag and the bucket ARN
    fs = file_system(s3files, s3, iam)["fileSystemId"]  # tagged Name=fsverify
    with pytest.raises(ClientError):
        s3files.delete_file_system(fileSystemId=fs)
    emu.configure(pending_export=False)  # the export finished
    s3files.delete_file_system(fileSystemId=fs)


@pytest.mark.parametrize("knobs", [
    {"fail": {"no_such_kind": "x"}},
    {"fail": {"runtime_create": {"match": "x"}}},
    {"fail": {"runtime_create": {"reason": "x", "match": "("}}},
    {"fail": {"runtime_create": {"reason": "x", "when": "y"}}},
    {"pending_export": 3},
    {"quotas": {"no_such_quota": 1}},
])
def test_bad_failure_knobs_are_refused(emu, knobs):
    with pytest.raises(urllib.error.HTTPError) as err:
        emu.configure(**knobs)
    assert err.value.code == 400
