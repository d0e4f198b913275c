"""Errors the models list: resources in use, client tokens reused with other parameters, quotas."""

import pytest
from botocore.exceptions import ClientError
from helpers import ACCESS_POINT, access_point, bucket, error_code, file_system, http_status, network, role, wait_for

ARTIFACT = {"containerConfiguration": {"containerUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest"}}


def refused(call, code, status):
    with pytest.raises(ClientError) as err:
        call()
    assert error_code(err) == code, err.value
    assert http_status(err) == status
    return err.value.response


def mounted_stack(ec2, s3files, s3, iam, agentcore, runtime_subnets):
    net = network(ec2)
    fs = file_system(s3files, s3, iam)["fileSystemId"]
    mts = [s3files.create_mount_target(fileSystemId=fs, subnetId=s, securityGroups=[net["sg"]])["mountTargetId"]
           for s in net["subnets"]]
    ap = access_point(s3files, fs)
    runtime = agentcore.create_agent_runtime(
        agentRuntimeName="mounting_runtime", agentRuntimeArtifact=ARTIFACT,
        roleArn=role(iam, "mounting-runtime-role", "bedrock-agentcore.amazonaws.com"),
        networkConfiguration={"networkMode": "VPC", "networkModeConfig": {
            "subnets": [net["subnets"][i] for i in runtime_subnets], "securityGroups": [net["sg"]]}},
        filesystemConfigurations=[{"s3FilesAccessPoint": {"accessPointArn": ap["accessPointArn"],
                                                          "mountPath": "/mnt/data"}}])
    return net, fs, mts, ap, runtime


def test_access_point_and_mount_target_in_use_by_a_runtime(emu, ec2, s3files, s3, iam, agentcore):
    net, fs, mts, ap, runtime = mounted_stack(ec2, s3files, s3, iam, agentcore, runtime_subnets=[0])
    rid = runtime["agentRuntimeId"]
    wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=rid), lambda r: r["status"] == "READY")
    body = refused(lambda: s3files.delete_access_point(accessPointId=ap["accessPointId"]), "ConflictException", 409)
    assert body["resourceId"] == ap["accessPointId"] and body["resourceType"] == "AccessPoint"
    assert runtime["agentRuntimeArn"] in body["Error"]["Message"]
    # the runtime's subnet is in us-east-1a: that AZ's mount target is in use, the other one is not
    refused(lambda: s3files.delete_mount_target(mountTargetId=mts[0]), "ConflictException", 409)
    s3files.delete_mount_target(mountTargetId=mts[1])
    # unmounted by an update, the access point can go (the mount target too)
    agentcore.update_agent_runtime(
        agentRuntimeId=rid, agentRuntimeArtifact=ARTIFACT, roleArn=runtime_role(agentcore, rid),
        networkConfiguration={"networkMode": "VPC", "networkModeConfig": {
            "subnets": [net["subnets"][0]], "securityGroups": [net["sg"]]}}, filesystemConfigurations=[])
    s3files.delete_access_point(accessPointId=ap["accessPointId"])
    s3files.delete_mount_target(mountTargetId=mts[0])


def runtime_role(agentcore, rid):
    return agentcore.get_agent_runtime(agentRuntimeId=rid)["roleArn"]


def test_deleting_runtime_still_holds_its_mounts(emu, ec2, s3files, s3, iam, agentcore):
    emu.configure(delays={"runtime_delete": 0.5})
    net, fs, mts, ap, runtime = mounted_stack(ec2, s3files, s3, iam, agentcore, runtime_subnets=[0, 1])
    rid = runtime["agentRuntimeId"]
    agentcore.delete_agent_runtime(agentRuntimeId=rid)
    refused(lambda: s3files.delete_access_point(accessPointId=ap["accessPointId"]), "ConflictException", 409)
    refused(lambda: s3files.delete_mount_target(mountTargetId=mts[1]), "ConflictException", 409)
    wait_for(lambda: agentcore.list_agent_runtimes()["agentRuntimes"], lambda r: r == [])
    s3files.delete_access_point(accessPointId=ap["accessPointId"])
    for mt in mts:
        s3files.delete_mount_target(mountTargetId=mt)


# ---- client tokens -------------------------------------------------------------------------

def test_s3files_client_tokens(s3files, s3, iam):
    name = bucket(s3)
    args = dict(bucket=f"arn:aws:s3:::{name}", roleArn=role(iam, "svc"), clientToken="fsverify-fs",
                tags=[{"key": "Name", "value": "a"}])
    fs = s3files.create_file_system(**args)["fileSystemId"]
    assert s3files.create_file_system(**args)["fileSystemId"] == fs
    body = refused(lambda: s3files.create_file_system(**{**args, "tags": [{"key": "Name", "value": "b"}]}),
                   "ConflictException", 409)
    assert "same client token" in body["Error"]["Message"]
    wait_for(lambda: s3files.get_file_system(fileSystemId=fs), lambda f: f["status"] == "available")
    ap = access_point(s3files, fs, clientToken="fsverify-ap")
    assert access_point(s3files, fs, clientToken="fsverify-ap")["accessPointId"] == ap["accessPointId"]
    other_root = {**ACCESS_POINT, "rootDirectory": {"path": "/other"}}
    refused(lambda: s3files.create_access_point(fileSystemId=fs, clientToken="fsverify-ap", **other_root),
            "ConflictException", 409)
    assert len(s3files.list_access_points(fileSystemId=fs)["accessPoints"]) == 1


def test_agentcore_client_token(emu, agentcore, iam):
    args = dict(agentRuntimeName="token_runtime", agentRuntimeArtifact=ARTIFACT,
                roleArn=role(iam, "token-role", "bedrock-agentcore.amazonaws.com"),
                networkConfiguration={"networkMode": "PUBLIC"}, clientToken="fsverify-token-runtime-00000000000001")
    first = agentcore.create_agent_runtime(**args)["agentRuntimeId"]
    assert agentcore.create_agent_runtime(**args)["agentRuntimeId"] == first
    body = refused(lambda: agentcore.create_agent_runtime(**args, description="changed"), "ValidationException", 400)
    assert body["reason"] == "IdempotentParameterMismatchException"
    # a reset forgets tokens
    emu.control("POST", "reset")
    role(iam, "token-role", "bedrock-agentcore.amazonaws.com")
    agentcore.create_agent_runtime(**args, description="changed")


def test_ec2_client_tokens(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    # moto ignores CreateRouteTable's token: the first answer is given again
    first = ec2.create_route_table(VpcId=vpc, ClientToken="fsverify-rtb")["RouteTable"]["RouteTableId"]
    assert ec2.create_route_table(VpcId=vpc, ClientToken="fsverify-rtb")["RouteTable"]["RouteTableId"] == first
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    assert len(tables) == 2  # the main one and ours
    refused(lambda: ec2.create_route_table(VpcId=other_vpc, ClientToken="fsverify-rtb"),
            "IdempotentParameterMismatch", 400)
    # NAT gateway: same token, another subnet
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip, ClientToken="fsverify-nat")["NatGateway"]
    again = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip, ClientToken="fsverify-nat")["NatGateway"]
    assert again["NatGatewayId"] == nat["NatGatewayId"]
    refused(lambda: ec2.create_nat_gateway(SubnetId=subnets[1], AllocationId=eip, ClientToken="fsverify-nat"),
            "IdempotentParameterMismatch", 400)
    # VPC endpoint
    args = dict(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway",
                RouteTableIds=[first], ClientToken="fsverify-s3-endpoint")
    endpoint = ec2.create_vpc_endpoint(**args)["VpcEndpoint"]["VpcEndpointId"]
    assert ec2.create_vpc_endpoint(**args)["VpcEndpoint"]["VpcEndpointId"] == endpoint
    refused(lambda: ec2.create_vpc_endpoint(**{**args, "VpcEndpointType": "Interface"}),
            "IdempotentParameterMismatch", 400)


# ---- quotas --------------------------------------------------------------------------------

def test_s3files_quotas(emu, s3files, s3, iam):
    emu.configure(quotas={"s3files_access_points_per_file_system": 2, "s3files_file_systems": 1})
    fs = file_system(s3files, s3, iam)["fileSystemId"]
    access_point(s3files, fs)
    access_point(s3files, fs)
    body = refused(lambda: s3files.create_access_point(fileSystemId=fs, **ACCESS_POINT),
                   "ServiceQuotaExceededException", 402)
    assert body["errorCode"] == "ServiceQuotaExceeded"
    other = bucket(s3, "fsverify-other-123456789012-us-east-1")
    refused(lambda: s3files.create_file_system(bucket=f"arn:aws:s3:::{other}", roleArn=role(iam, "svc2")),
            "ServiceQuotaExceededException", 402)
    assert emu.control("GET", "config")["quotas"] == {"s3files_file_systems": 1,
                                                       "s3files_access_points_per_file_system": 2}


def test_create_bucket_tags_come_with_the_bucket_and_an_existing_bucket_keeps_its_own(emu, s3):
    s3.create_bucket(Bucket="tagged-at-birth",
                     CreateBucketConfiguration={"Tags": [{"Key": "agentfs:stack", "Value": "one"}]})
    assert s3.get_bucket_tagging(Bucket="tagged-at-birth")["TagSet"] == [{"Key": "agentfs:stack", "Value": "one"}]
    # us-east-1 answers 200 to the owner of an existing bucket, and that bucket keeps its tags.
    s3.create_bucket(Bucket="tagged-at-birth",
                     CreateBucketConfiguration={"Tags": [{"Key": "agentfs:stack", "Value": "two"}]})
    assert s3.get_bucket_tagging(Bucket="tagged-at-birth")["TagSet"] == [{"Key": "agentfs:stack", "Value": "one"}]
