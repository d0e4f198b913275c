"""Everything that exists, per service and kind, with ids and tags (GET /_agentfs/inventory).

Resources moto creates by itself (each region's default VPC with its subnets, security group and
route table) are left out, so that a test can count what a run created and left behind.
"""

from __future__ import annotations

from typing import Any


def _instantiated(backend_dict: Any) -> list[tuple[str, str, Any]]:
    out = []
    for account, regions in list(backend_dict.items()):
        for region, backend in list(regions.items()):
            out.append((account, region, backend))
    return out


def _ec2_tags(resource: Any) -> dict[str, str]:
    try:
        return {t["key"]: t["value"] for t in resource.get_tags()}
    except Exception:
        return {}


def _route(route: Any) -> dict[str, Any]:
    target = next((getattr(route, name) for name in ("gateway", "nat_gateway", "vpc_endpoint_id", "instance",
                                                      "interface", "vpc_pcx", "transit_gateway")
                   if getattr(route, name, None) is not None), None)
    target_id = target if isinstance(target, str) else getattr(target, "id", None)
    destination = route.destination_cidr_block or (
        route.destination_prefix_list.id if route.destination_prefix_list else route.destination_ipv6_cidr_block)
    return {"destination": destination, "target": "local" if route.local else target_id}


def ec2_inventory(backend: Any) -> dict[str, list[dict[str, Any]]]:
    default_vpcs = {v.id for v in backend.vpcs.values() if v.is_default}
    subnets = [s for by_az in backend.subnets.values() for s in by_az.values() if s.vpc_id not in default_vpcs]
    groups = [g for vpc_id, by_id in backend.groups.items() if vpc_id not in default_vpcs for g in by_id.values()]

    def eni(e: Any) -> dict[str, Any]:
        return {
            "id": e.id, "subnet_id": e.subnet.id if e.subnet else None,
            "vpc_id": e.subnet.vpc_id if e.subnet else None, "interface_type": e.interface_type,
            "requester_managed": e.requester_managed, "status": e.status, "description": e.description,
            "security_groups": [g.id for g in e.group_set], "tags": _ec2_tags(e),
        }

    return {
        "vpcs": [{"id": v.id, "cidr_block": v.cidr_block, "state": v.state, "tags": _ec2_tags(v)}
                 for v in backend.vpcs.values() if v.id not in default_vpcs],
        "subnets": [{"id": s.id, "vpc_id": s.vpc_id, "cidr_block": s.cidr_block,
                     "availability_zone": s.availability_zone, "tags": _ec2_tags(s)} for s in subnets],
        "internet_gateways": [{"id": i.id, "vpc_id": i.vpc.id if i.vpc else None, "tags": _ec2_tags(i)}
                              for i in backend.internet_gateways.values()
                              if not (i.vpc and i.vpc.id in default_vpcs)],
        "addresses": [{"allocation_id": a.allocation_id, "public_ip": a.public_ip,
                       "association_id": a.association_id, "network_interface_id": a.eni.id if a.eni else None,
                       "tags": _ec2_tags(a)} for a in backend.addresses],
        "nat_gateways": [{"id": n.id, "state": n.state, "subnet_id": n.subnet_id, "vpc_id": n.vpc_id,
                          "tags": _ec2_tags(n)} for n in backend.nat_gateways.values() if n.state != "deleted"],
        "route_tables": [{"id": r.id, "vpc_id": r.vpc_id, "main": r.main_association_id is not None,
                          "routes": [_route(rt) for rt in r.routes],
                          "subnet_associations": sorted(r._associations.values()), "tags": _ec2_tags(r)}
                         for r in backend.route_tables.values() if r.vpc_id not in default_vpcs],
        "vpc_endpoints": [{"id": e.id, "vpc_id": e.vpc_id, "service_name": e.service_name, "state": e.state,
                           "route_table_ids": list(e.route_table_ids or []), "tags": _ec2_tags(e)}
                          for e in backend.vpc_end_points.values() if e.state != "deleted"],
        "security_groups": [{"id": g.id, "name": g.name, "vpc_id": g.vpc_id, "default": g.name == "default",
                             "tags": _ec2_tags(g)} for g in groups],
        "network_interfaces": [eni(e) for e in backend.enis.values()],
    }


def s3_inventory(backend: Any) -> list[dict[str, Any]]:
    out = []
    for bucket in backend.buckets.values():
        try:
            tags = {t["Key"]: t["Value"] for t in backend.tagger.list_tags_for_resource(bucket.arn)["Tags"]}
        except Exception:
            tags = {}
        out.append({"name": bucket.name, "region": bucket.region_name, "versioning": bucket.versioning_status,
                    "encryption": bucket.encryption, "object_count": len(list(bucket.keys.iterlists())),
                    "tags": tags})
    return out


def _iam_tags(raw: Any) -> dict[str, str]:
    """moto keeps role tags as a list of {Key, Value} in some versions, a dict in others."""
    if not raw:
        return {}
    items = raw.values() if isinstance(raw, dict) else raw
    if all(isinstance(t, dict) and "Key" in t for t in items):
        return {t["Key"]: t.get("Value", "") for t in items}
    return dict(raw)


def iam_inventory(backend: Any) -> list[dict[str, Any]]:
    out = []
    for role in backend.roles.values():
        tags = _iam_tags(role.tags)
        out.append({"name": role.name, "arn": role.arn, "inline_policies": sorted(role.policies),
                    "attached_policies": [p["PolicyArn"] for p in role.attached_managed_policies], "tags": tags})
    return out


def iam_policies(backend: Any) -> list[dict[str, Any]]:
    """Customer managed policies (AWS managed ones are the account's from the start)."""
    return [{"id": p.arn, "name": p.name, "versions": len(p.versions), "attachments": p.attachment_count,
             "tags": _iam_tags(getattr(p, "tags", None))}
            for p in backend.managed_policies.values() if ":aws:policy/" not in p.arn]


def kms_inventory(backend: Any) -> list[dict[str, Any]]:
    """Keys that exist for a user: a key pending deletion is on its way out, as AWS lists it."""
    aliases = {}
    for alias in backend.list_aliases():
        target = getattr(alias, "target_key_id", None)
        if target:
            aliases.setdefault(target, []).append(alias.alias_name)
    return [{"id": k.id, "state": k.key_state, "aliases": sorted(aliases.get(k.id, [])),
             "tags": {t["TagKey"]: t["TagValue"] for t in backend.list_resource_tags(k.id)["Tags"]}}
            for k in backend.keys.values() if k.key_state != "PendingDeletion"]


def logs_inventory(backend: Any) -> list[dict[str, Any]]:
    return [{"id": g.name, "retention": g.retention_in_days, "kms_key_id": g.kms_key_id}
            for g in backend.groups.values()]


def efs_inventory(backend: Any) -> dict[str, list[dict[str, Any]]]:
    return {
        "file_systems": [{"id": f.file_system_id, "tags": getattr(f, "tags", None)}
                         for f in backend.file_systems_by_id.values()],
        "mount_targets": [{"id": m.mount_target_id, "file_system_id": m.file_system_id, "subnet_id": m.subnet_id}
                          for m in backend.mount_targets_by_id.values()],
        "access_points": [{"id": a.access_point_id, "file_system_id": a.file_system_id}
                          for a in backend.access_points.values()],
    }


def collect() -> dict[str, Any]:
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends
    from moto.ec2.models import ec2_backends
    from moto.efs.models import efs_backends
    from moto.iam.models import iam_backends
    from moto.s3.models import s3_backends

    from . import agentcore, agentcore_endpoints, agentcore_neighbours
    from .s3files.models import s3files_backends

    result: dict[str, Any] = {}

    def put(account: str, region: str, service: str, value: Any) -> None:
        result.setdefault(account, {}).setdefault(region, {})[service] = value

    for account, region, backend in _instantiated(ec2_backends):
        put(account, region, "ec2", ec2_inventory(backend))
    # S3 and IAM are global: their backends are keyed by partition.
    for account, partition, backend in _instantiated(s3_backends):
        if partition == "aws":
            put(account, "global", "s3", s3_inventory(backend))
    for account, partition, backend in _instantiated(iam_backends):
        if partition == "aws":
            put(account, "global", "iam", {"roles": iam_inventory(backend), "policies": iam_policies(backend)})
    for account, region, backend in _instantiated(efs_backends):
        put(account, region, "efs", efs_inventory(backend))
    for account, region, backend in _instantiated(s3files_backends):
        put(account, region, "s3files", backend.inventory())
    from moto.ecr.models import ecr_backends

    for account, region, backend in _instantiated(ecr_backends):
        put(account, region, "ecr", {"repositories": [
            {"repositoryName": r.name, "repositoryArn": r.arn} for r in backend.repositories.values()]})
    from moto.kms.models import kms_backends
    from moto.logs.models import logs_backends

    for account, region, backend in _instantiated(kms_backends):
        put(account, region, "kms", {"keys": kms_inventory(backend)})
    for account, region, backend in _instantiated(logs_backends):
        put(account, region, "logs", {"log_groups": logs_inventory(backend)})
    for account, region, _ in _instantiated(bedrockagentcorecontrol_backends):
        put(account, region, "bedrock-agentcore-control", {
            "agent_runtimes": agentcore.inventory(account, region),
            "agent_runtime_endpoints": agentcore_endpoints.inventory(account, region),
            **agentcore_neighbours.inventory(account, region),
        })
    return result
