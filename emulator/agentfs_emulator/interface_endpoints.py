"""Interface VPC endpoints as AWS makes them, where moto does not.

- Create: the subnets must lie in distinct availability zones (DuplicateSubnetsInSameZone);
  private DNS (the default for AWS services) needs the VPC's DNS support and DNS hostnames
  (InvalidParameter); without security groups the VPC's default group guards the endpoint;
  a gateway endpoint takes neither subnets nor security groups. Each subnet gets one
  requester-managed network interface of type `vpc_endpoint` carrying the endpoint's groups
  (moto made plain interfaces without groups).
- Modify: PrivateDnsEnabled and ResetPolicy are applied (moto ignored them); added and removed
  subnets gain and lose their interface; a change of groups reaches the interfaces.
"""

from __future__ import annotations

import json
from typing import Any

from .enis import REQUESTER, create_managed_eni, delete_managed_eni
from .errors import StatusError

REQUESTER.setdefault("vpc_endpoint", "amazon-vpce")


def _invalid(code: str, message: str) -> StatusError:
    return StatusError(code, message, 400)


def _is_interface(endpoint_type: str | None) -> bool:
    return (endpoint_type or "").lower() == "interface"


def _eni(backend: Any, endpoint: Any, subnet_id: str) -> str:
    eni = create_managed_eni(backend.account_id, backend.region_name, subnet_id, endpoint.security_group_ids,
                             "vpc_endpoint", "vpc_endpoint", f"VPC Endpoint Interface {endpoint.id}")
    eni.agentfs_endpoint_subnet = subnet_id
    return eni.id


def _check_subnets(backend: Any, subnet_ids: list[str]) -> None:
    zones: dict[str, str] = {}
    for subnet_id in subnet_ids:
        zone = backend.get_subnet(subnet_id).availability_zone
        if zone in zones:
            raise _invalid("DuplicateSubnetsInSameZone",
                           f"Found another VPC endpoint subnet in the availability zone of {subnet_id}. "
                           "VPC endpoint subnets should be in different availability zones supported by the "
                           "VPC endpoint service.")
        zones[zone] = subnet_id


def _check_dns(backend: Any, vpc_id: str) -> None:
    vpc = backend.get_vpc(vpc_id)
    if not (vpc.enable_dns_support and vpc.enable_dns_hostnames):
        raise _invalid("InvalidParameter",
                       f"Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC "
                       f"attributes set to true for {vpc_id}")


def install() -> None:
    from moto.ec2.models import EC2Backend
    from moto.ec2.responses.vpcs import VPCs

    create = EC2Backend.create_vpc_endpoint
    modify = EC2Backend.modify_vpc_endpoint

    def create_vpc_endpoint(self: Any, *args: Any, **kwargs: Any) -> Any:
        endpoint_type = kwargs.get("endpoint_type")
        subnets = list(kwargs.get("subnet_ids") or [])
        groups = list(kwargs.get("security_group_ids") or [])
        if not _is_interface(endpoint_type):
            if subnets or groups:
                raise _invalid("InvalidParameter", "Subnets and security groups are not supported for Gateway "
                                                   "VPC endpoints.")
            return create(self, *args, **kwargs)
        before = set(self.vpc_end_points)
        _check_subnets(self, subnets)
        if kwargs.get("private_dns_enabled", True):
            _check_dns(self, kwargs["vpc_id"])
        if not groups:
            default = self.get_default_security_group(kwargs["vpc_id"])
            kwargs["security_group_ids"] = [default.id] if default else []
        endpoint = create(self, *args, **kwargs)
        if endpoint.id in before:
            return endpoint  # the same client token: the endpoint made before
        for eni_id in endpoint.network_interface_ids:
            self.enis.pop(eni_id, None)
        endpoint.network_interface_ids = [_eni(self, endpoint, s) for s in endpoint.subnet_ids or []]
        return endpoint

    def modify_vpc_endpoint(self: Any, vpc_id: str, *args: Any, **kwargs: Any) -> None:
        endpoint = self.describe_vpc_endpoints(vpc_end_point_ids=[vpc_id])[0]
        interface = _is_interface(endpoint.vpc_endpoint_type)
        subnets_before = list(endpoint.subnet_ids or [])
        add_subnets = kwargs.get("add_subnets") if "add_subnets" in kwargs else (args[1] if len(args) > 1 else None)
        if interface and add_subnets:
            _check_subnets(self, [s for s in subnets_before if s not in add_subnets] + list(add_subnets))
        modify(self, vpc_id, *args, **kwargs)
        if not interface:
            return
        after = list(endpoint.subnet_ids or [])
        if not endpoint.security_group_ids:
            default = self.get_default_security_group(endpoint.vpc_id)
            endpoint.security_group_ids = [default.id] if default else []
        kept = []
        for eni_id in endpoint.network_interface_ids:
            eni = self.enis.get(eni_id)
            if eni is None:
                continue
            if getattr(eni, "agentfs_endpoint_subnet", None) not in after:
                delete_managed_eni(self.account_id, self.region_name, eni_id)
                continue
            eni._group_set = [self.get_security_group_from_id(g) for g in endpoint.security_group_ids]
            kept.append(eni_id)
        covered = {getattr(self.enis[e], "agentfs_endpoint_subnet", None) for e in kept}
        kept.extend(_eni(self, endpoint, s) for s in after if s not in covered)
        endpoint.network_interface_ids = kept

    EC2Backend.create_vpc_endpoint = create_vpc_endpoint
    EC2Backend.modify_vpc_endpoint = modify_vpc_endpoint

    original_response = VPCs.modify_vpc_endpoint

    def modify_vpc_endpoint_response(self: Any) -> Any:
        endpoint_id = self._get_param("VpcEndpointId")
        endpoint = self.ec2_backend.describe_vpc_endpoints(vpc_end_point_ids=[endpoint_id])[0]
        dns = self._get_param("PrivateDnsEnabled")
        if dns is not None:
            enabled = str(dns).lower() == "true"
            if enabled:
                _check_dns(self.ec2_backend, endpoint.vpc_id)
            endpoint.private_dns_enabled = enabled
        answer = original_response(self)
        if str(self._get_param("ResetPolicy") or "").lower() == "true":
            from moto.ec2.models.vpcs import VPCEndPoint

            endpoint.policy_document = json.dumps(VPCEndPoint.DEFAULT_POLICY)
        return answer

    VPCs.modify_vpc_endpoint = modify_vpc_endpoint_response
