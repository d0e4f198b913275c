"""Inspection endpoints and fault injection."""

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
import boto3
from helpers import error_code


def no_retry(emu, service):
    return boto3.client(service, endpoint_url=emu.endpoint, region_name="us-east-1", aws_access_key_id="t",
                        aws_secret_access_key="t", config=Config(retries={"total_max_attempts": 1},
                                                                 s3={"addressing_style": "path"}))


def test_inventory_and_calls(emu, ec2, iam, s3):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "agentfs:stack", "Value": "fsverify"}]}])["Vpc"]["VpcId"]
    iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}')
    s3.create_bucket(Bucket="b-inventory")
    inv = emu.inventory()["123456789012"]
    assert [v["id"] for v in inv["us-east-1"]["ec2"]["vpcs"]] == [vpc]
    assert inv["us-east-1"]["ec2"]["vpcs"][0]["tags"] == {"agentfs:stack": "fsverify"}
    assert inv["global"]["iam"]["roles"][0]["inline_policies"] == ["p"]
    assert [b["name"] for b in inv["global"]["s3"]] == ["b-inventory"]
    ops = [(c["service"], c["operation"]) for c in emu.calls()]
    assert ops == [("ec2", "CreateVpc"), ("iam", "CreateRole"), ("iam", "PutRolePolicy"), ("s3", "CreateBucket")]


def test_reset(emu, ec2):
    ec2.create_vpc(CidrBlock="10.20.0.0/16")
    emu.control("POST", "reset")
    ec2_now = emu.inventory().get("123456789012", {}).get("us-east-1", {}).get("ec2", {})
    assert ec2_now.get("vpcs", []) == []
    assert emu.calls() == []


@pytest.mark.parametrize("service,call,code,status", [
    ("ec2", lambda c: c.describe_vpcs(), "RequestLimitExceeded", 400),
    ("iam", lambda c: c.list_roles(), "Throttling", 400),
    ("sts", lambda c: c.get_caller_identity(), "Throttling", 400),
    ("s3", lambda c: c.list_buckets(), "SlowDown", 503),
    ("s3files", lambda c: c.list_file_systems(), "ThrottlingException", 429),
    ("bedrock-agentcore-control", lambda c: c.list_agent_runtimes(), "ThrottlingException", 429),
])
def test_throttling_in_each_protocol(emu, service, call, code, status):
    emu.configure(throttle_rate=1.0)
    with pytest.raises(ClientError) as err:
        call(no_retry(emu, service))
    assert error_code(err) == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert emu.calls()[-1]["faulted"] == "throttle"
    assert emu.calls()[-1]["error"] == code


def test_unavailable_and_seeded_rate(emu):
    emu.configure(unavailable_rate=1.0)
    with pytest.raises(ClientError) as err:
        no_retry(emu, "ec2").describe_vpcs()
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    emu.configure(unavailable_rate=0, throttle_rate=0.5, fault_seed=7)
    client = no_retry(emu, "ec2")
    outcomes = []
    for _ in range(40):
        try:
            client.describe_vpcs()
            outcomes.append(True)
        except ClientError:
            outcomes.append(False)
    assert 5 < outcomes.count(False) < 35
    emu.configure(fault_seed=7)
    again = []
    for _ in range(40):
        try:
            client.describe_vpcs()
            again.append(True)
        except ClientError:
            again.append(False)
    assert again == outcomes  # the seed makes the fault sequence reproducible


def test_latency(emu, ec2):
    emu.configure(latency_ms={"DescribeVpcs": 300})
    ec2.describe_vpcs()
    assert emu.calls()[-1]["duration_ms"] >= 300
    ec2.describe_subnets()
    assert emu.calls()[-1]["duration_ms"] < 300


def test_bad_knob_is_refused(emu):
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as err:
        emu.configure(no_such_knob=1)
    assert err.value.code == 400



def test_inventory_lists_tagged_roles(emu, iam):
    iam.create_role(RoleName="tagged", AssumeRolePolicyDocument="{}", Tags=[{"Key": "agentfs:stack", "Value": "s"}])
    roles = emu.inventory()["123456789012"]["global"]["iam"]["roles"]
    assert [(r["name"], r["tags"]) for r in roles] == [("tagged", {"agentfs:stack": "s"})]


def test_inventory_lists_efs_mount_targets(emu, ec2):
    efs = emu.client("efs")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    fs = efs.create_file_system(CreationToken="inventory")["FileSystemId"]
    target = efs.create_mount_target(FileSystemId=fs, SubnetId=subnet)["MountTargetId"]
    listed = emu.inventory()["123456789012"]["us-east-1"]["efs"]["mount_targets"]
    assert listed == [{"id": target, "file_system_id": fs, "subnet_id": subnet}]


def test_hold_after_mutating_calls(emu, ec2):
    """The N-th mutating call takes effect but its answer is held, and so is every later call;
    re-setting the knob releases them: later calls are answered 503 without being executed."""
    import threading

    emu.configure(hold_after_mutating_calls=2)
    ec2.describe_vpcs()  # reads are not counted
    ec2.create_vpc(CidrBlock="10.1.0.0/16")
    results = {}

    def second():
        results["second"] = no_retry(emu, "ec2").create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]

    def third():
        try:
            no_retry(emu, "ec2").create_vpc(CidrBlock="10.3.0.0/16")
        except ClientError as err:
            results["third"] = err.response["ResponseMetadata"]["HTTPStatusCode"]

    held = threading.Thread(target=second)
    held.start()
    for _ in range(200):
        if [c["operation"] for c in emu.calls()].count("CreateVpc") == 2:
            break
        threading.Event().wait(0.02)
    later = threading.Thread(target=third)
    later.start()
    later.join(0.5)
    assert held.is_alive() and later.is_alive()  # both held; the control API still answers
    cidrs = sorted(v["cidr_block"] for v in emu.inventory()["123456789012"]["us-east-1"]["ec2"]["vpcs"])
    assert cidrs == ["10.1.0.0/16", "10.2.0.0/16"]  # the second took effect, the third did not

    emu.configure(hold_after_mutating_calls=None)
    held.join(10)
    later.join(10)
    assert results["second"].startswith("vpc-") and results["third"] == 503
    assert emu.calls()[-1]["faulted"] == "held"
    cidrs = sorted(v["cidr_block"] for v in emu.inventory()["123456789012"]["us-east-1"]["ec2"]["vpcs"])
    assert cidrs == ["10.1.0.0/16", "10.2.0.0/16"]
    ec2.create_vpc(CidrBlock="10.4.0.0/16")  # off again: nothing is held


def test_the_call_log_marks_mutating_calls_as_the_hold_knob_counts_them(emu, ec2, s3):
    """Crash tests count mutating calls from the log: the log must agree with the hold knob,
    including on calls the emulator cannot name (`GET /path` is a read)."""
    from agentfs_emulator.calls import is_mutating

    assert not is_mutating("GET /some-bucket") and not is_mutating("HEAD /some-bucket")
    assert is_mutating("CreateVpc") and not is_mutating("DescribeVpcs")
    ec2.describe_vpcs()
    ec2.create_vpc(CidrBlock="10.5.0.0/16")
    flags = {c["operation"]: c["mutating"] for c in emu.calls()}
    assert flags["DescribeVpcs"] is False and flags["CreateVpc"] is True
