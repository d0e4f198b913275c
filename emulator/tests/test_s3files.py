"""S3 Files: file systems, mount targets, access points, their lifecycle and errors."""

import pytest
from botocore.exceptions import ClientError
from helpers import ACCESS_POINT, ACCOUNT, access_point, bucket, error_code, file_system, http_status, network, role, wait_for


def test_file_system_lifecycle_and_shape(emu, s3files, s3, iam):
    emu.configure(delays={"file_system_create": 0.4, "file_system_delete": 0.4})
    fs = file_system(s3files, s3, iam, wait=False)
    assert fs["status"] == "creating"
    assert fs["fileSystemArn"] == f"arn:aws:s3files:us-east-1:{ACCOUNT}:file-system/{fs['fileSystemId']}"
    got = wait_for(lambda: s3files.get_file_system(fileSystemId=fs["fileSystemArn"]), lambda f: f["status"] != "creating")
    assert got["status"] == "available" and got["name"] == "fsverify"
    assert [f["fileSystemId"] for f in s3files.list_file_systems()["fileSystems"]] == [fs["fileSystemId"]]
    s3files.delete_file_system(fileSystemId=fs["fileSystemId"])
    assert s3files.get_file_system(fileSystemId=fs["fileSystemId"])["status"] == "deleting"
    with pytest.raises(ClientError) as err:
        wait_for(lambda: s3files.get_file_system(fileSystemId=fs["fileSystemId"]), lambda f: False, timeout=3)
    assert error_code(err) == "ResourceNotFoundException" and http_status(err) == 404


def test_file_system_client_token_is_idempotent(s3files, s3, iam):
    name = bucket(s3)
    role_arn = role(iam, "svc")
    args = dict(bucket=f"arn:aws:s3:::{name}", roleArn=role_arn, clientToken="tok-1")
    first = s3files.create_file_system(**args)
    again = s3files.create_file_system(**args)
    assert first["fileSystemId"] == again["fileSystemId"]
    assert len(s3files.list_file_systems()["fileSystems"]) == 1


def test_file_system_needs_bucket_and_role(s3files, s3, iam):
    role_arn = role(iam, "svc")
    with pytest.raises(ClientError) as err:
        s3files.create_file_system(bucket="arn:aws:s3:::missing-bucket", roleArn=role_arn)
    assert http_status(err) == 404
    name = bucket(s3)
    with pytest.raises(ClientError) as err:
        s3files.create_file_system(bucket=f"arn:aws:s3:::{name}", roleArn=f"arn:aws:iam::{ACCOUNT}:role/nope")
    assert http_status(err) == 403


def test_tags(s3files, s3, iam):
    fs = file_system(s3files, s3, iam)
    s3files.tag_resource(resourceId=fs["fileSystemId"], tags=[{"key": "team", "value": "a"}])
    s3files.untag_resource(resourceId=fs["fileSystemArn"], tagKeys=["Name"])
    assert s3files.list_tags_for_resource(resourceId=fs["fileSystemId"])["tags"] == [{"key": "team", "value": "a"}]
    with pytest.raises(ClientError) as err:
        s3files.tag_resource(resourceId=fs["fileSystemId"], tags=[{"key": "aws:x", "value": "a"}])
    assert error_code(err) == "ValidationException"


def test_mount_targets_rules_and_enis(emu, s3files, s3, iam, ec2):
    net = network(ec2)
    fs = file_system(s3files, s3, iam)
    fs_id = fs["fileSystemId"]
    mt = s3files.create_mount_target(fileSystemId=fs_id, subnetId=net["subnets"][0], securityGroups=[net["sg"]])
    assert mt["status"] == "creating" and mt["vpcId"] == net["vpc"]
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[mt["networkInterfaceId"]])["NetworkInterfaces"][0]
    assert eni["SubnetId"] == net["subnets"][0] and [g["GroupId"] for g in eni["Groups"]] == [net["sg"]]
    assert eni["RequesterManaged"] is True
    # one mount target per AZ
    other_a = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.20.3.0/24", AvailabilityZone="us-east-1a")
    with pytest.raises(ClientError) as err:
        s3files.create_mount_target(fileSystemId=fs_id, subnetId=other_a["Subnet"]["SubnetId"])
    assert error_code(err) == "ConflictException" and http_status(err) == 409
    # all in one VPC
    vpc2 = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    sub2 = ec2.create_subnet(VpcId=vpc2, CidrBlock="10.30.1.0/24", AvailabilityZone="us-east-1c")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as err:
        s3files.create_mount_target(fileSystemId=fs_id, subnetId=sub2)
    assert http_status(err) == 409
    # unknown subnet / security group of another VPC
    with pytest.raises(ClientError) as err:
        s3files.create_mount_target(fileSystemId=fs_id, subnetId="subnet-0123456789abcdef0")
    assert error_code(err) == "ValidationException"
    sg2 = ec2.create_security_group(GroupName="x", Description="x", VpcId=vpc2)["GroupId"]
    with pytest.raises(ClientError) as err:
        s3files.create_mount_target(fileSystemId=fs_id, subnetId=net["subnets"][1], securityGroups=[sg2])
    assert error_code(err) == "ValidationException"
    # default security group when none given
    mt_b = s3files.create_mount_target(fileSystemId=fs_id, subnetId=net["subnets"][1])
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]},
                                                       {"Name": "group-name", "Values": ["default"]}])
    assert mt_b["securityGroups"] == [default_sg["SecurityGroups"][0]["GroupId"]]
    assert len(s3files.list_mount_targets(fileSystemId=fs_id)["mountTargets"]) == 2
    # the file system cannot go while mount targets exist
    with pytest.raises(ClientError) as err:
        s3files.delete_file_system(fileSystemId=fs_id)
    assert error_code(err) == "ConflictException" and http_status(err) == 409
    # deleting a mount target removes its network interface
    s3files.delete_mount_target(mountTargetId=mt["mountTargetId"])
    wait_for(lambda: s3files.list_mount_targets(fileSystemId=fs_id)["mountTargets"], lambda m: len(m) == 1)
    with pytest.raises(ClientError):
        ec2.describe_network_interfaces(NetworkInterfaceIds=[mt["networkInterfaceId"]])


def test_mount_target_waits_for_available_file_system(emu, s3files, s3, iam, ec2):
    emu.configure(delays={"file_system_create": 30})
    net = network(ec2)
    fs = file_system(s3files, s3, iam, wait=False)
    with pytest.raises(ClientError) as err:
        s3files.create_mount_target(fileSystemId=fs["fileSystemId"], subnetId=net["subnets"][0])
    assert error_code(err) == "ConflictException"


def test_access_points(s3files, s3, iam):
    fs = file_system(s3files, s3, iam)
    ap = access_point(s3files, fs["fileSystemId"])
    assert ap["accessPointArn"] == f"{fs['fileSystemArn']}/access-point/{ap['accessPointId']}"
    got = s3files.get_access_point(accessPointId=ap["accessPointArn"])
    assert got["posixUser"] == {"uid": 1000, "gid": 1000}
    assert got["rootDirectory"]["creationPermissions"]["permissions"] == "0755"
    again = s3files.create_access_point(fileSystemId=fs["fileSystemId"], clientToken=ap["clientToken"], **ACCESS_POINT)
    assert again["accessPointId"] == ap["accessPointId"]
    assert len(s3files.list_access_points(fileSystemId=fs["fileSystemId"])["accessPoints"]) == 1
    s3files.delete_access_point(accessPointId=ap["accessPointId"])
    wait_for(lambda: s3files.list_access_points(fileSystemId=fs["fileSystemId"])["accessPoints"], lambda a: a == [])
    with pytest.raises(ClientError) as err:
        s3files.get_access_point(accessPointId=ap["accessPointId"])
    assert http_status(err) == 404


def test_bucket_guarded_while_file_system_attached(s3files, s3, iam):
    fs = file_system(s3files, s3, iam)
    name = fs["bucket"].split(":::")[1]
    with pytest.raises(ClientError) as err:
        s3.delete_bucket(Bucket=name)
    assert error_code(err) == "BucketHasS3FileSystemAttached" and http_status(err) == 409
    with pytest.raises(ClientError) as err:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    assert error_code(err) == "BucketHasS3FileSystemAttached"
    s3files.delete_file_system(fileSystemId=fs["fileSystemId"])
    wait_for(lambda: s3files.list_file_systems()["fileSystems"], lambda f: f == [])
    s3.delete_bucket(Bucket=name)
