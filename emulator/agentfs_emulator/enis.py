"""Service-managed network interfaces (NAT gateways, S3 Files mount targets, AgentCore runtimes).

They are real moto ENIs, so DescribeNetworkInterfaces shows them and subnet/security-group deletes
see them, but they are requester-managed: the user can neither delete nor detach them.
"""

from __future__ import annotations

from typing import Any

# requester ids AWS shows for interfaces it manages on the user's behalf
REQUESTER = {
    "nat_gateway": "amazon-vpc-nat-gateway",
    "s3files_mount_target": "amazon-s3files",
    "agentic_ai": "bedrock-agentcore.amazonaws.com",
}


def ec2_backend(account_id: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region]


def mark_managed(eni: Any, kind: str, interface_type: str, description: str) -> Any:
    eni.agentfs_managed = kind
    eni.requester_managed = True
    eni.requester_id = REQUESTER[kind]
    eni.interface_type = interface_type
    eni.status = "in-use"
    eni.description = description
    return eni


def create_managed_eni(
    account_id: str,
    region: str,
    subnet_id: str,
    group_ids: list[str],
    kind: str,
    interface_type: str,
    description: str,
) -> Any:
    backend = ec2_backend(account_id, region)
    subnet = backend.get_subnet(subnet_id)
    eni = backend.create_network_interface(subnet, None, group_ids=list(group_ids))
    return mark_managed(eni, kind, interface_type, description)


def delete_managed_eni(account_id: str, region: str, eni_id: str | None) -> None:
    if eni_id:
        ec2_backend(account_id, region).enis.pop(eni_id, None)


def managed_kind(eni: Any) -> str | None:
    return getattr(eni, "agentfs_managed", None)
