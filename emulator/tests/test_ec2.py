"""EC2: asynchronous NAT gateways and VPC endpoints, client tokens, refused deletes."""

import pytest
from botocore.exceptions import ClientError
from helpers import error_code, wait_for


def public_network(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.101.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    return vpc, subnet, igw, eip


def nat_state(ec2, nat_id):
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]


def test_nat_gateway_lifecycle_and_client_token(emu, ec2):
    emu.configure(delays={"nat_gateway_create": 0.4, "nat_gateway_delete": 0.4}, deleted_nat_visible_seconds=0.8)
    vpc, subnet, igw, eip = public_network(ec2)
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip, ClientToken="fsverify-nat")["NatGateway"]
    assert nat["State"] == "pending"
    same = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip, ClientToken="fsverify-nat")["NatGateway"]
    assert same["NatGatewayId"] == nat["NatGatewayId"]
    assert len(ec2.describe_nat_gateways()["NatGateways"]) == 1
    wait_for(lambda: nat_state(ec2, nat["NatGatewayId"]), lambda s: s == "available")
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    assert nat_state(ec2, nat["NatGatewayId"]) == "deleting"
    wait_for(lambda: nat_state(ec2, nat["NatGatewayId"]), lambda s: s == "deleted")
    wait_for(lambda: ec2.describe_nat_gateways()["NatGateways"], lambda n: n == [])


def test_nat_without_igw_fails(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.101.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"]
    got = wait_for(lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0],
                   lambda n: n["State"] != "pending")
    assert got["State"] == "failed" and got["FailureCode"] == "Gateway.NotAttached"


def test_delete_unknown_nat_gateway(ec2):
    with pytest.raises(ClientError) as err:
        ec2.delete_nat_gateway(NatGatewayId="nat-0123456789abcdef0")
    assert error_code(err) == "NatGatewayNotFound"


def test_refusals_around_nat_gateway(emu, ec2):
    emu.configure(delays={"nat_gateway_delete": 0.3})
    vpc, subnet, igw, eip = public_network(ec2)
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    wait_for(lambda: nat_state(ec2, nat), lambda s: s == "available")
    for call, code in [
        (lambda: ec2.delete_subnet(SubnetId=subnet), "DependencyViolation"),
        (lambda: ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc), "DependencyViolation"),
        (lambda: ec2.release_address(AllocationId=eip), "InvalidIPAddress.InUse"),
        (lambda: ec2.delete_vpc(VpcId=vpc), "DependencyViolation"),
    ]:
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err) == code
    ec2.delete_nat_gateway(NatGatewayId=nat)
    with pytest.raises(ClientError):  # still deleting: EIP still mapped
        ec2.release_address(AllocationId=eip)
    wait_for(lambda: nat_state(ec2, nat), lambda s: s == "deleted")
    ec2.release_address(AllocationId=eip)
    ec2.delete_subnet(SubnetId=subnet)
    with pytest.raises(ClientError) as err:  # IGW still attached
        ec2.delete_vpc(VpcId=vpc)
    assert error_code(err) == "DependencyViolation"
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    ec2.delete_vpc(VpcId=vpc)


def test_network_interface_blocks_subnet_and_security_group(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc)["GroupId"]
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[sg])["NetworkInterface"]["NetworkInterfaceId"]
    with pytest.raises(ClientError) as err:
        ec2.delete_subnet(SubnetId=subnet)
    assert error_code(err) == "DependencyViolation"
    with pytest.raises(ClientError) as err:
        ec2.delete_security_group(GroupId=sg)
    assert error_code(err) == "DependencyViolation"
    with pytest.raises(ClientError) as err:  # subnets and security groups left
        ec2.delete_vpc(VpcId=vpc)
    assert error_code(err) == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def test_vpc_endpoint_lifecycle_and_client_token(emu, ec2):
    emu.configure(delays={"vpc_endpoint_create": 0.3, "vpc_endpoint_delete": 0.3})
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    args = dict(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway",
                RouteTableIds=[rtb], ClientToken="fsverify-s3-endpoint")
    endpoint = ec2.create_vpc_endpoint(**args)["VpcEndpoint"]
    assert endpoint["State"].lower() == "pending"
    assert ec2.create_vpc_endpoint(**args)["VpcEndpoint"]["VpcEndpointId"] == endpoint["VpcEndpointId"]
    state = lambda: ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])["VpcEndpoints"][0]["State"]
    wait_for(state, lambda s: s.lower() == "available")
    with pytest.raises(ClientError):
        ec2.delete_vpc(VpcId=vpc)
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])
    wait_for(lambda: ec2.describe_vpc_endpoints()["VpcEndpoints"], lambda e: e == [])


def test_vpc_endpoint_route_tables_changed_in_place(emu, ec2):
    """ModifyVpcEndpoint adds the prefix-list route to added tables and removes it from removed
    ones, so the endpoint can still be deleted afterwards."""
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    first, second = (ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"] for _ in range(2))
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3",
                                       VpcEndpointType="Gateway", RouteTableIds=[first])["VpcEndpoint"]
    endpoint_id = endpoint["VpcEndpointId"]

    def targets() -> dict[str, list[str]]:
        tables = ec2.describe_route_tables(RouteTableIds=[first, second])["RouteTables"]
        return {t["RouteTableId"]: sorted(r.get("GatewayId", "") for r in t["Routes"]) for t in tables}

    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, AddRouteTableIds=[second])
    assert targets() == {first: ["local", endpoint_id], second: ["local", endpoint_id]}
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, RemoveRouteTableIds=[first])
    assert targets() == {first: ["local"], second: ["local", endpoint_id]}
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])
    wait_for(lambda: ec2.describe_vpc_endpoints()["VpcEndpoints"], lambda e: e == [])
    assert targets() == {first: ["local"], second: ["local"]}


def test_efs_update_file_system(emu):
    efs = emu.client("efs")
    fs = efs.create_file_system(CreationToken="update", ThroughputMode="elastic")["FileSystemId"]
    out = efs.update_file_system(FileSystemId=fs, ThroughputMode="bursting")
    assert out["ThroughputMode"] == "bursting"
    assert efs.describe_file_systems(FileSystemId=fs)["FileSystems"][0]["ThroughputMode"] == "bursting"
    with pytest.raises(ClientError) as err:
        efs.update_file_system(FileSystemId="fs-0123456789abcdef0", ThroughputMode="bursting")
    assert error_code(err) == "FileSystemNotFound"
