"""EC2 as AWS behaves: asynchronous NAT gateways and VPC endpoints, client tokens, refused deletes."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow

from . import enis, failures, scheduler
from .config import CONFIG
from .errors import StatusError


def dependency(message: str) -> StatusError:
    return StatusError("DependencyViolation", message)


def _nat_alive(nat: Any) -> bool:
    return nat.state not in ("deleted", "failed")


def _enis_in_subnet(backend: Any, subnet_id: str) -> list[Any]:
    return [eni for eni in backend.enis.values() if eni.subnet is not None and eni.subnet.id == subnet_id]


def _vpc_of_eni(eni: Any) -> str | None:
    return eni.subnet.vpc_id if eni.subnet is not None else None


# ---- NAT gateways ---------------------------------------------------------------------------

def _finish_nat_delete(backend: Any, nat: Any) -> None:
    """deleting -> deleted: AWS unmaps the EIP and removes the NAT's network interface."""
    if nat.state != "deleting":
        return
    nat.state = "deleted"
    nat.delete_time = utcnow()
    for address in nat.address_set:
        for eip in backend.addresses:
            if eip.allocation_id and eip.allocation_id == address.get("allocationId"):
                eip.eni = None
                eip.association_id = None
        address.pop("associationId", None)
    backend.enis.pop(nat._eni.id, None)
    visible = float(CONFIG.get("deleted_nat_visible_seconds") or 0)
    scheduler.schedule(visible, lambda: backend.nat_gateways.pop(nat.id, None))


def _name_tag(resource: Any) -> str | None:
    try:
        return next((t["value"] for t in resource.get_tags() if t["key"] == "Name"), None)
    except Exception:
        return None


def _install_nat_gateways() -> None:
    from moto.ec2.models import EC2Backend
    from moto.ec2.responses.nat_gateways import NatGateways

    original_create = EC2Backend.create_nat_gateway

    def create_nat_gateway(self: Any, subnet_id: str, allocation_id: str, tags: Any = None,
                           connectivity_type: str = "public", client_token: str | None = None) -> Any:
        if client_token:
            for nat in self.nat_gateways.values():
                if getattr(nat, "client_token", None) == client_token:
                    return nat
        subnet = self.get_subnet(subnet_id)
        nat = original_create(self, subnet_id, allocation_id, tags, connectivity_type or "public")
        nat.client_token = client_token
        nat.delete_time = None
        nat.failure_code = nat.failure_message = None
        nat.state = "pending"
        nat._eni._group_set = []
        enis.mark_managed(nat._eni, "nat_gateway", "nat_gateway", f"Interface for NAT Gateway {nat.id}")
        public = (connectivity_type or "public") == "public"
        has_igw = any(igw.vpc is not None and igw.vpc.id == subnet.vpc_id
                      for igw in self.internet_gateways.values())

        def settle() -> None:
            if nat.state != "pending":
                return
            failed = failures.failure("nat_gateway_create", nat.id, subnet_id, _name_tag(nat))
            if failed:
                nat.failure_code = failed.code or "InternalError"
                nat.failure_message = failed.reason
                _release_failed_nat(self, nat)
            elif public and not has_igw:
                nat.failure_code = "Gateway.NotAttached"
                nat.failure_message = f"Network {subnet.vpc_id} has no Internet gateway attached"
                _release_failed_nat(self, nat)
            else:
                nat.state = "available"

        scheduler.schedule(CONFIG.delay("nat_gateway_create"), settle)
        return nat

    def _release_failed_nat(backend: Any, nat: Any) -> None:
        """A failed NAT gives its EIP and ENI back, like a deleted one, and stays listed as failed."""
        nat.state = "deleting"
        _finish_nat_delete(backend, nat)
        nat.state = "failed"

    def delete_nat_gateway(self: Any, nat_gateway_id: str) -> Any:
        nat = self.nat_gateways.get(nat_gateway_id)
        if nat is None:
            raise StatusError("NatGatewayNotFound", f"The Nat Gateway {nat_gateway_id} was not found")
        if nat.state in ("pending", "available"):
            nat.state = "deleting"
            scheduler.schedule(CONFIG.delay("nat_gateway_delete"), lambda: _finish_nat_delete(self, nat))
        return nat

    def create_nat_gateway_response(self: Any) -> ActionResult:
        from moto.ec2.utils import add_tag_specification

        token = self._get_param("ClientToken")
        nat = self.ec2_backend.create_nat_gateway(
            subnet_id=self._get_param("SubnetId"), allocation_id=self._get_param("AllocationId"),
            tags=add_tag_specification(self._get_param("TagSpecifications", [])),
            connectivity_type=self._get_param("ConnectivityType"), client_token=token,
        )
        result: dict[str, Any] = {"NatGateway": nat}
        if token:
            result["ClientToken"] = token
        return ActionResult(result)

    EC2Backend.create_nat_gateway = create_nat_gateway
    EC2Backend.delete_nat_gateway = delete_nat_gateway
    NatGateways.create_nat_gateway = create_nat_gateway_response


# ---- VPC endpoints --------------------------------------------------------------------------

def _install_vpc_endpoints() -> None:
    from moto.ec2.exceptions import InvalidRouteError
    from moto.ec2.models import EC2Backend

    original_create = EC2Backend.create_vpc_endpoint
    original_delete = EC2Backend.delete_vpc_endpoints
    original_modify = EC2Backend.modify_vpc_endpoint

    def create_vpc_endpoint(self: Any, *args: Any, **kwargs: Any) -> Any:
        token = kwargs.get("client_token")
        if token:
            for endpoint in self.vpc_end_points.values():
                if endpoint.client_token == token and endpoint.state not in ("deleting", "deleted"):
                    return endpoint
        endpoint = original_create(self, *args, **kwargs)
        endpoint.state = "pending"

        def settle() -> None:
            if endpoint.state == "pending":
                endpoint.state = "available"

        scheduler.schedule(CONFIG.delay("vpc_endpoint_create"), settle)
        return endpoint

    def delete_vpc_endpoints(self: Any, vpce_ids: list[str] | None = None) -> None:
        for vpce_id in vpce_ids or []:
            endpoint = self.vpc_end_points.get(vpce_id)
            if endpoint is None or endpoint.state in ("deleting", "deleted"):
                continue
            original_delete(self, [vpce_id])  # removes routes / interface ENIs
            endpoint.state = "deleting"

            def gone(endpoint: Any = endpoint) -> None:
                self.vpc_end_points.pop(endpoint.id, None)

            scheduler.schedule(CONFIG.delay("vpc_endpoint_delete"), gone)

    def modify_vpc_endpoint(self: Any, vpc_id: str, *args: Any, **kwargs: Any) -> None:
        # moto changes the endpoint's table list but not the tables' routes: a gateway endpoint
        # has a route to its prefix list in each of its tables, as when it was created.
        endpoint = self.describe_vpc_endpoints(vpc_end_point_ids=[vpc_id])[0]
        before = list(endpoint.route_table_ids or [])
        original_modify(self, vpc_id, *args, **kwargs)
        prefix_list = endpoint.destination_prefix_list_id
        if not prefix_list:
            return
        after = list(endpoint.route_table_ids or [])
        for table_id in (t for t in after if t not in before):
            self.create_route(table_id, None, gateway_id=endpoint.id, destination_prefix_list_id=prefix_list)
        for table_id in (t for t in before if t not in after):
            try:
                self.delete_route(table_id, prefix_list)
            except InvalidRouteError:
                pass  # made before this fix, or deleted by hand

    EC2Backend.create_vpc_endpoint = create_vpc_endpoint
    EC2Backend.delete_vpc_endpoints = delete_vpc_endpoints
    EC2Backend.modify_vpc_endpoint = modify_vpc_endpoint


# ---- refused deletes ------------------------------------------------------------------------

def _install_refusals() -> None:
    from moto.ec2.models import EC2Backend

    orig = {name: getattr(EC2Backend, name) for name in (
        "delete_subnet", "detach_internet_gateway", "release_address", "delete_vpc",
        "delete_security_group", "delete_network_interface", "detach_network_interface",
        "disassociate_address",
    )}

    def delete_subnet(self: Any, subnet_id: str) -> Any:
        self.get_subnet(subnet_id)
        nats = [n.id for n in self.nat_gateways.values() if n.subnet_id == subnet_id and n.state != "deleted"]
        if nats or _enis_in_subnet(self, subnet_id):
            raise dependency(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        return orig["delete_subnet"](self, subnet_id)

    def detach_internet_gateway(self: Any, internet_gateway_id: str, vpc_id: str) -> None:
        igw = self.get_internet_gateway(internet_gateway_id)
        if igw.vpc is not None and igw.vpc.id == vpc_id:
            mapped = [eip.public_ip for eip in self.addresses
                      if eip.eni is not None and _vpc_of_eni(eip.eni) == vpc_id]
            if mapped:
                raise dependency(
                    f"Network {vpc_id} has some mapped public address(es). "
                    "Please unmap those public address(es) before detaching the gateway."
                )
        return orig["detach_internet_gateway"](self, internet_gateway_id, vpc_id)

    def _eip(self: Any, address: str | None, allocation_id: str | None) -> Any:
        if address:
            return self.address_by_ip([address])[0]
        return self.address_by_allocation([allocation_id])[0]

    def release_address(self: Any, address: str | None = None, allocation_id: str | None = None) -> None:
        eip = _eip(self, address, allocation_id)
        if eip.domain == "vpc" and (eip.eni is not None or eip.instance is not None):
            raise StatusError("InvalidIPAddress.InUse", f"Address {eip.public_ip} is in use.")
        return orig["release_address"](self, address, allocation_id)

    def disassociate_address(self: Any, address: str | None = None, association_id: str | None = None) -> None:
        eips = self.address_by_ip([address]) if address else self.address_by_association([association_id])
        if eips and eips[0].eni is not None and enis.managed_kind(eips[0].eni) == "nat_gateway":
            raise StatusError("OperationNotPermitted",
                              f"The address {eips[0].public_ip} is in use by a NAT gateway and cannot be disassociated.")
        return orig["disassociate_address"](self, address, association_id)

    def delete_vpc(self: Any, vpc_id: str) -> Any:
        self.get_vpc(vpc_id)
        message = f"The vpc '{vpc_id}' has dependencies and cannot be deleted."
        if any(igw.vpc is not None and igw.vpc.id == vpc_id for igw in self.internet_gateways.values()):
            raise dependency(message)
        if any(g for g in self.groups.get(vpc_id, {}).values() if not g.is_default):
            raise dependency(message)
        if any(e.vpc_id == vpc_id and e.state not in ("deleting", "deleted") for e in self.vpc_end_points.values()):
            raise dependency(message)
        if any(n.vpc_id == vpc_id and _nat_alive(n) for n in self.nat_gateways.values()):
            raise dependency(message)
        return orig["delete_vpc"](self, vpc_id)

    def delete_security_group(self: Any, name: str | None = None, group_id: str | None = None) -> None:
        group = self.get_security_group_by_name_or_id(group_id or name)
        if group is not None:
            users = [eni.id for eni in self.enis.values() if group in list(eni.group_set)]
            if users:
                raise dependency(f"resource {group.id} has a dependent object")
        return orig["delete_security_group"](self, name, group_id)

    def delete_network_interface(self: Any, eni_id: str) -> None:
        eni = self.get_network_interface(eni_id)
        kind = enis.managed_kind(eni)
        if kind == "agentic_ai":
            raise StatusError("OperationNotPermitted",
                              f"You are not allowed to manage network interface {eni_id}: it is owned by "
                              "Amazon Bedrock AgentCore.")
        if kind:
            raise StatusError("InvalidNetworkInterface.InUse", f"The network interface {eni_id} is currently in use.")
        return orig["delete_network_interface"](self, eni_id)

    def detach_network_interface(self: Any, attachment_id: str) -> None:
        for eni in self.enis.values():
            if enis.managed_kind(eni) and attachment_id in (eni.attachment_id, f"ela-attach-{eni.id[4:]}"):
                raise StatusError("OperationNotPermitted",
                                  f"You are not allowed to manage 'ela-attach' attachments ({attachment_id}).")
        return orig["detach_network_interface"](self, attachment_id)

    for fn in (delete_subnet, detach_internet_gateway, release_address, disassociate_address, delete_vpc,
               delete_security_group, delete_network_interface, detach_network_interface):
        setattr(EC2Backend, fn.__name__, fn)


def install() -> None:
    _install_nat_gateways()
    _install_vpc_endpoints()
    _install_refusals()
