"""Interface VPC endpoints: one managed interface per subnet (distinct zones), guarded by the
endpoint's groups or the VPC's default group; private DNS needs the VPC's DNS attributes;
ModifyVpcEndpoint changes subnets, groups, private DNS and the policy."""

import json

import pytest
from botocore.exceptions import ClientError
from helpers import error_code

SERVICE = "com.amazonaws.us-east-1.ecr.api"


def network(ec2, hostnames=True):
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": hostnames})
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    a2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.3.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="endpoints", Description="https")["GroupId"]
    return vpc, a, b, a2, sg


def endpoint_enis(ec2, endpoint_id):
    return [e for e in ec2.describe_network_interfaces()["NetworkInterfaces"]
            if e.get("Description") == f"VPC Endpoint Interface {endpoint_id}"]


def describe(ec2, endpoint_id):
    return ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]


def test_one_managed_interface_per_subnet_with_the_endpoints_groups(ec2):
    vpc, a, b, _, sg = network(ec2)
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=SERVICE, VpcEndpointType="Interface",
                                       SubnetIds=[a, b], SecurityGroupIds=[sg])["VpcEndpoint"]
    enis = endpoint_enis(ec2, endpoint["VpcEndpointId"])
    assert sorted(e["SubnetId"] for e in enis) == sorted([a, b])
    for eni in enis:
        assert eni["InterfaceType"] == "vpc_endpoint"
        assert eni["RequesterManaged"] is True
        assert [g["GroupId"] for g in eni["Groups"]] == [sg]
    assert describe(ec2, endpoint["VpcEndpointId"])["PrivateDnsEnabled"] is True


def test_without_groups_the_vpcs_default_group_guards_it(ec2):
    vpc, a, _, _, _ = network(ec2)
    default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                    {"Name": "group-name", "Values": ["default"]}])
    default_id = default["SecurityGroups"][0]["GroupId"]
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=SERVICE, VpcEndpointType="Interface",
                                       SubnetIds=[a])["VpcEndpoint"]
    assert [g["GroupId"] for g in describe(ec2, endpoint["VpcEndpointId"])["Groups"]] == [default_id]


def test_two_subnets_in_one_zone_are_refused(ec2):
    vpc, a, _, a2, sg = network(ec2)
    with pytest.raises(ClientError) as e:
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=SERVICE, VpcEndpointType="Interface",
                                SubnetIds=[a, a2], SecurityGroupIds=[sg])
    assert error_code(e) == "DuplicateSubnetsInSameZone"


def test_private_dns_needs_dns_hostnames(ec2):
    vpc, a, _, _, sg = network(ec2, hostnames=False)
    with pytest.raises(ClientError) as e:
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=SERVICE, VpcEndpointType="Interface",
                                SubnetIds=[a], SecurityGroupIds=[sg])
    assert error_code(e) == "InvalidParameter"
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=SERVICE, VpcEndpointType="Interface",
                                       SubnetIds=[a], SecurityGroupIds=[sg], PrivateDnsEnabled=False)["VpcEndpoint"]
    assert describe(ec2, endpoint["VpcEndpointId"])["PrivateDnsEnabled"] is False


def test_a_gateway_endpoint_takes_no_subnets(ec2):
    vpc, a, _, _, _ = network(ec2)
    with pytest.raises(ClientError) as e:
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway",
                                SubnetIds=[a])
    assert error_code(e) == "InvalidParameter"


def test_modify_moves_interfaces_groups_dns_and_policy(ec2):
    vpc, a, b, _, sg = network(ec2)
    other = ec2.create_security_group(VpcId=vpc, GroupName="other", Description="x")["GroupId"]
    endpoint_id = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=SERVICE, VpcEndpointType="Interface",
                                          SubnetIds=[a], SecurityGroupIds=[sg])["VpcEndpoint"]["VpcEndpointId"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*",
                                                      "Resource": "*"}]}
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, AddSubnetIds=[b], RemoveSubnetIds=[a],
                            AddSecurityGroupIds=[other], RemoveSecurityGroupIds=[sg], PrivateDnsEnabled=False,
                            PolicyDocument=json.dumps(policy))
    live = describe(ec2, endpoint_id)
    assert live["SubnetIds"] == [b]
    assert [g["GroupId"] for g in live["Groups"]] == [other]
    assert live["PrivateDnsEnabled"] is False
    assert json.loads(live["PolicyDocument"]) == policy
    enis = endpoint_enis(ec2, endpoint_id)
    assert [e["SubnetId"] for e in enis] == [b]
    assert [g["GroupId"] for g in enis[0]["Groups"]] == [other]
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, ResetPolicy=True)
    assert json.loads(describe(ec2, endpoint_id)["PolicyDocument"]) != policy
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])
    assert endpoint_enis(ec2, endpoint_id) == []
