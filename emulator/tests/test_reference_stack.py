"""The whole reference stack (shared/reference/target-stack.md), created in order and deleted in
reverse order, with the deletes AWS refuses refused along the way."""

import json

import pytest
from botocore.exceptions import ClientError
from helpers import ACCOUNT, REGION, error_code, wait_for

SUFFIX = "fsverify"
BUCKET = f"{SUFFIX}-{ACCOUNT}-{REGION}"


def tags(kind, name):
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": f"{SUFFIX}-{name}"},
                                            {"Key": "agentfs:stack", "Value": SUFFIX}]}]


def refused(call, code="DependencyViolation"):
    with pytest.raises(ClientError) as err:
        call()
    assert error_code(err) == code, err.value


def trust(service, source_arn):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": source_arn}}}]})


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_reference_stack_up_and_down(emu, ec2, s3, iam, s3files, agentcore):
    emu.configure(delays={"*": 0.1}, deleted_nat_visible_seconds=30)
    # ---- network
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=tags("vpc", "vpc"))["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    igw = ec2.create_internet_gateway(TagSpecifications=tags("internet-gateway", "igw"))["InternetGateway"]
    igw = igw["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)

    def subnet(cidr, az, name, public):
        sid = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az,
                                TagSpecifications=tags("subnet", name))["Subnet"]["SubnetId"]
        if public:
            ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": True})
        return sid

    private = [subnet("10.20.1.0/24", "us-east-1a", "private-a", False),
               subnet("10.20.2.0/24", "us-east-1b", "private-b", False)]
    public = [subnet("10.20.101.0/24", "us-east-1a", "public-a", True),
              subnet("10.20.102.0/24", "us-east-1b", "public-b", True)]
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=tags("elastic-ip", "eip"))["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public[0], AllocationId=eip, ClientToken=f"{SUFFIX}-nat",
                                 TagSpecifications=tags("natgateway", "nat"))["NatGateway"]["NatGatewayId"]
    wait_for(lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"],
             lambda s: s == "available")
    public_rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=tags("route-table", "public"))
    public_rt = public_rt["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    private_rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=tags("route-table", "private"))
    private_rt = private_rt["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    associations = [ec2.associate_route_table(RouteTableId=public_rt, SubnetId=s)["AssociationId"] for s in public]
    associations += [ec2.associate_route_table(RouteTableId=private_rt, SubnetId=s)["AssociationId"] for s in private]
    sg = ec2.create_security_group(GroupName=f"{SUFFIX}-nfs", Description="NFS from itself", VpcId=vpc,
                                   TagSpecifications=tags("security-group", "nfs"))["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "UserIdGroupPairs": [{"GroupId": sg}]}])
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway",
                                       RouteTableIds=[private_rt], ClientToken=f"{SUFFIX}-s3-endpoint",
                                       TagSpecifications=tags("vpc-endpoint", "s3"))["VpcEndpoint"]["VpcEndpointId"]
    # ---- bucket and roles
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    service_role = iam.create_role(
        RoleName=f"{SUFFIX}-s3files-service-role",
        AssumeRolePolicyDocument=trust("elasticfilesystem.amazonaws.com",
                                       f"arn:aws:s3files:{REGION}:{ACCOUNT}:file-system/*"))["Role"]["Arn"]
    iam.put_role_policy(RoleName=f"{SUFFIX}-s3files-service-role", PolicyName="bucket-access", PolicyDocument=policy(
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:ListBucketVersions"], "Resource": f"arn:aws:s3:::{BUCKET}"},
        {"Effect": "Allow", "Action": ["s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*"],
         "Resource": f"arn:aws:s3:::{BUCKET}/*"}))
    runtime_role = iam.create_role(
        RoleName=f"{SUFFIX}-runtime-role",
        AssumeRolePolicyDocument=trust("bedrock-agentcore.amazonaws.com",
                                       f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:*"))["Role"]["Arn"]
    iam.put_role_policy(RoleName=f"{SUFFIX}-runtime-role", PolicyName="ecr-pull", PolicyDocument=policy(
        {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                       "ecr:GetAuthorizationToken"], "Resource": "*"}))
    # ---- S3 Files
    fs = s3files.create_file_system(bucket=f"arn:aws:s3:::{BUCKET}", roleArn=service_role, acceptBucketWarning=True,
                                    clientToken=f"{SUFFIX}-fs", tags=[{"key": "agentfs:stack", "value": SUFFIX}])
    fs_id = fs["fileSystemId"]
    wait_for(lambda: s3files.get_file_system(fileSystemId=fs_id)["status"], lambda s: s == "available")
    mts = [s3files.create_mount_target(fileSystemId=fs_id, subnetId=s, securityGroups=[sg])["mountTargetId"]
           for s in private]
    ap = s3files.create_access_point(
        fileSystemId=fs_id, clientToken=f"{SUFFIX}-ap", posixUser={"uid": 1000, "gid": 1000},
        rootDirectory={"path": "/agent", "creationPermissions": {"ownerUid": 1000, "ownerGid": 1000,
                                                                 "permissions": "0755"}})
    for mt in mts:
        wait_for(lambda: s3files.get_mount_target(mountTargetId=mt)["status"], lambda s: s == "available")
    wait_for(lambda: s3files.get_access_point(accessPointId=ap["accessPointId"])["status"], lambda s: s == "available")
    # ---- runtime
    fs_config = [{"s3FilesAccessPoint": {"accessPointArn": ap["accessPointArn"], "mountPath": "/mnt/data"}}]
    runtime = agentcore.create_agent_runtime(
        agentRuntimeName=f"{SUFFIX}_runtime", roleArn=runtime_role,
        agentRuntimeArtifact={"containerConfiguration": {
            "containerUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{SUFFIX}:latest"}},
        networkConfiguration={"networkMode": "VPC", "networkModeConfig": {"subnets": private, "securityGroups": [sg]}},
        filesystemConfigurations=fs_config)
    rid = runtime["agentRuntimeId"]
    got = wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=rid), lambda r: r["status"] == "READY")
    assert got["filesystemConfigurations"] == fs_config

    inventory = emu.inventory()[ACCOUNT]
    ec2_inv = inventory[REGION]["ec2"]
    assert len(ec2_inv["subnets"]) == 4 and len(ec2_inv["nat_gateways"]) == 1
    assert len(inventory[REGION]["s3files"]["mount_targets"]) == 2
    assert len(inventory[REGION]["bedrock-agentcore-control"]["agent_runtimes"]) == 1
    assert sorted(r["name"] for r in inventory["global"]["iam"]["roles"]) == [
        f"{SUFFIX}-runtime-role", f"{SUFFIX}-s3files-service-role"]

    # ---- deletes AWS refuses while the stack stands
    refused(lambda: ec2.delete_subnet(SubnetId=private[0]))          # runtime and mount target ENIs
    refused(lambda: ec2.delete_subnet(SubnetId=public[0]))           # NAT gateway
    refused(lambda: ec2.delete_security_group(GroupId=sg))           # used by ENIs
    refused(lambda: ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc))  # NAT's EIP mapped
    refused(lambda: ec2.release_address(AllocationId=eip), "InvalidIPAddress.InUse")
    refused(lambda: ec2.delete_vpc(VpcId=vpc))
    refused(lambda: s3files.delete_file_system(fileSystemId=fs_id), "ConflictException")
    refused(lambda: s3.delete_bucket(Bucket=BUCKET), "BucketHasS3FileSystemAttached")
    refused(lambda: iam.delete_role(RoleName=f"{SUFFIX}-runtime-role"), "DeleteConflict")

    # ---- teardown, reverse order
    agentcore.delete_agent_runtime(agentRuntimeId=rid)
    wait_for(lambda: [r["agentRuntimeId"] for r in agentcore.list_agent_runtimes()["agentRuntimes"]], lambda r: r == [])
    s3files.delete_access_point(accessPointId=ap["accessPointId"])
    for mt in mts:
        s3files.delete_mount_target(mountTargetId=mt)
    wait_for(lambda: s3files.list_mount_targets(fileSystemId=fs_id)["mountTargets"], lambda m: m == [])
    s3files.delete_file_system(fileSystemId=fs_id)
    wait_for(lambda: s3files.list_file_systems()["fileSystems"], lambda f: f == [])
    for name, pol in [(f"{SUFFIX}-runtime-role", "ecr-pull"), (f"{SUFFIX}-s3files-service-role", "bucket-access")]:
        iam.delete_role_policy(RoleName=name, PolicyName=pol)
        iam.delete_role(RoleName=name)
    s3.delete_bucket(Bucket=BUCKET)
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "UserIdGroupPairs": [{"GroupId": sg}]}])
    wait_for(lambda: _deleted(lambda: ec2.delete_security_group(GroupId=sg)), lambda ok: ok)  # runtime ENIs linger
    for association in associations:
        ec2.disassociate_route_table(AssociationId=association)
    ec2.delete_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0")
    ec2.delete_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0")
    ec2.delete_route_table(RouteTableId=private_rt)
    ec2.delete_route_table(RouteTableId=public_rt)
    ec2.delete_nat_gateway(NatGatewayId=nat)
    refused(lambda: ec2.release_address(AllocationId=eip), "InvalidIPAddress.InUse")  # NAT still deleting
    wait_for(lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"],
             lambda s: s == "deleted")
    ec2.release_address(AllocationId=eip)
    for s in private + public:
        ec2.delete_subnet(SubnetId=s)
    refused(lambda: ec2.delete_vpc(VpcId=vpc))  # IGW still attached
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    ec2.delete_vpc(VpcId=vpc)

    # AWS's models would accept every request of the stack: nothing was refused as invalid input
    invalid = {"ValidationException", "ValidationError", "InvalidParameterValue", "MissingParameter",
               "InvalidArgument", "MalformedXML", "IdempotentParameterMismatch"}
    assert [c for c in emu.calls() if c["error"] in invalid] == []

    left = emu.inventory()[ACCOUNT]
    assert all(not v for v in left[REGION]["ec2"].values()), left[REGION]["ec2"]
    assert left[REGION]["s3files"] == {"file_systems": [], "mount_targets": [], "access_points": []}
    assert left["global"]["s3"] == [] and left["global"]["iam"]["roles"] == []


def _deleted(call):
    try:
        call()
        return True
    except ClientError:
        return False
