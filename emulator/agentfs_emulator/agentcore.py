"""AgentCore control: agent runtimes as AWS shapes them (file systems, tokens, ARNs, lifecycle).

Moto's own runtime handling drops `filesystemConfigurations` and `clientToken`, allows duplicate
names and makes `...:agent/<uuid>:1` ARNs; its runtime operations are replaced here. Everything
else in moto's bedrock-agentcore-control backend (gateways, memories, ...) stays as it is.
"""

from __future__ import annotations

import string
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random

from . import consistency, enis, failures, invoke, scheduler
from .config import CONFIG
from .errors import StatusError

# Names, mount paths, list sizes and the one-kind-per-entry rule of `filesystemConfigurations` are the
# service model's constraints, checked before a request gets here (model_hooks.py / validation.py).
# request members that are not part of the runtime's echoed configuration
NOT_CONFIG = {"agentRuntimeName", "agentRuntimeId", "clientToken", "tags"}


FAILED_STATUS = {"runtime_create": "CREATE_FAILED", "runtime_update": "UPDATE_FAILED"}


def validation(message: str, field: str | None = None) -> StatusError:
    fields = {"reason": "FieldValidationFailed"}
    if field:
        fields["fieldList"] = [{"name": field, "message": message}]
    return StatusError("ValidationException", message, 400, **fields)


def not_found(runtime_id: str) -> StatusError:
    return StatusError("ResourceNotFoundException", f"AgentRuntime not found: {runtime_id}", 404)


def conflict(message: str) -> StatusError:
    return StatusError("ConflictException", message, 409)


class Runtime:
    def __init__(self, region: str, account: str, name: str, client_token: str | None,
                 config: dict[str, Any], tags: dict[str, str]):
        suffix = "".join(mock_random.choice(string.ascii_letters + string.digits) for _ in range(10))
        self.id = f"{name}-{suffix}"
        self.arn = f"arn:aws:bedrock-agentcore:{region}:{account}:runtime/{self.id}"
        self.name = name
        self.client_token = client_token
        self.config = config
        self.tags = dict(tags)
        self.version = 1
        self.status = "CREATING"
        self.created_at = self.last_updated_at = utcnow()
        self.workload_identity = (
            f"arn:aws:bedrock-agentcore:{region}:{account}:workload-identity-directory/default/"
            f"workload-identity/{self.id}"
        )
        self.eni_ids: list[str] = []
        self.failure_reason: str | None = None
        self.versions: list[dict[str, Any]] = []
        # Every version's own configuration: versions are immutable, and an endpoint pinned to an
        # old one runs that one's artifact, environment and file systems (see invoke.py).
        self.configs: dict[int, dict[str, Any]] = {}
        self._snapshot()

    def _snapshot(self) -> None:
        self.configs[self.version] = self.config
        self.versions.insert(0, {**self.summary(), "status": "READY"})

    def config_at(self, version: int) -> dict[str, Any]:
        return self.configs.get(version, self.config)

    def summary(self) -> dict[str, Any]:
        return {
            "agentRuntimeArn": self.arn, "agentRuntimeId": self.id, "agentRuntimeVersion": str(self.version),
            "agentRuntimeName": self.name, "description": self.config.get("description", ""),
            "lastUpdatedAt": self.last_updated_at, "status": self.status,
        }

    def describe(self) -> dict[str, Any]:
        out = {k: v for k, v in self.config.items() if v is not None}
        out.update(self.summary())
        out.update({
            "createdAt": self.created_at, "roleArn": self.config["roleArn"],
            "lifecycleConfiguration": lifecycle(self.config),
            "workloadIdentityDetails": {"workloadIdentityArn": self.workload_identity},
        })
        if self.failure_reason:
            out["failureReason"] = self.failure_reason
        return out

    def short(self) -> dict[str, Any]:
        return {
            "agentRuntimeArn": self.arn, "agentRuntimeId": self.id, "agentRuntimeVersion": str(self.version),
            "createdAt": self.created_at, "lastUpdatedAt": self.last_updated_at, "status": self.status,
            "workloadIdentityDetails": {"workloadIdentityArn": self.workload_identity},
        }


def lifecycle(config: dict[str, Any]) -> dict[str, Any]:
    """A version's session lifecycle (the service's defaults when the request gave none)."""
    return config.get("lifecycleConfiguration") or {"idleRuntimeSessionTimeout": 900, "maxLifetime": 28800}


def _store(backend: Any) -> dict[str, Runtime]:
    if not hasattr(backend, "agentfs_runtimes"):
        backend.agentfs_runtimes = {}
    return backend.agentfs_runtimes


def _is_vpc(config: dict[str, Any]) -> bool:
    return (config.get("networkConfiguration") or {}).get("networkMode") == "VPC"


class RuntimeService:
    """Runtime operations of one account/region backend."""

    def __init__(self, backend: Any):
        self.backend = backend
        self.account = backend.account_id
        self.region = backend.region_name
        self.runtimes = _store(backend)

    def get(self, runtime_id: str) -> Runtime:
        runtime = self.runtimes.get(runtime_id)
        if runtime is None:
            raise not_found(runtime_id)
        return runtime

    def by_arn(self, arn: str) -> Runtime | None:
        return next((r for r in self.runtimes.values() if r.arn == arn), None)

    # ---- validation ----------------------------------------------------------------------
    def _validate(self, config: dict[str, Any]) -> None:
        role_arn = config["roleArn"]
        if consistency.find_role(self.account, role_arn) is None or not consistency.role_propagated(role_arn):
            raise validation("Role validation failed", "roleArn")
        network = config.get("networkConfiguration") or {}
        if _is_vpc(config):
            vpc_config = network.get("networkModeConfig") or {}
            self._validate_vpc(vpc_config.get("subnets") or [], vpc_config.get("securityGroups") or [])
        self._validate_filesystems(config.get("filesystemConfigurations") or [], _is_vpc(config))

    def _validate_vpc(self, subnets: list[str], groups: list[str]) -> None:
        if not subnets or not groups:
            raise validation("VPC network mode requires subnets and securityGroups", "networkModeConfig")
        ec2 = enis.ec2_backend(self.account, self.region)
        vpcs = set()
        for subnet_id in subnets:
            try:
                vpcs.add(ec2.get_subnet(subnet_id).vpc_id)
            except Exception:
                raise validation(f"Subnet {subnet_id} does not exist", "networkModeConfig.subnets")
        for group_id in groups:
            group = ec2.get_security_group_from_id(group_id)
            if group is None:
                raise validation(f"Security group {group_id} does not exist", "networkModeConfig.securityGroups")
            vpcs.add(group.vpc_id)
        if len(vpcs) != 1:
            raise validation("Subnets and security groups must belong to the same VPC", "networkModeConfig")

    def _validate_filesystems(self, filesystems: list[dict[str, Any]], vpc_mode: bool) -> None:
        seen: set[str] = set()
        for index, entry in enumerate(filesystems):
            kinds = [k for k, v in entry.items() if v is not None]
            if len(kinds) != 1:  # the model's union rule; only reached with validate_requests off
                continue
            body = entry[kinds[0]] or {}
            path = body.get("mountPath", "")
            field = f"filesystemConfigurations.{index + 1}.member.{kinds[0]}.mountPath"
            normalized = path.rstrip("/")
            if normalized in seen:
                raise validation(f"Duplicate mountPath {path}", field)
            seen.add(normalized)
            if kinds[0] in ("s3FilesAccessPoint", "efsAccessPoint") and not vpc_mode:
                raise validation(f"{kinds[0]} requires networkMode VPC", "networkConfiguration")
            if kinds[0] == "s3FilesAccessPoint":
                self._check_s3files_access_point(body.get("accessPointArn", ""), index)

    def _check_s3files_access_point(self, arn: str, index: int) -> None:
        from .s3files.models import s3files_backends

        field = f"filesystemConfigurations.{index + 1}.member.s3FilesAccessPoint.accessPointArn"
        try:
            ap = s3files_backends[self.account][self.region].get_access_point(arn)
        except Exception:
            raise validation(f"S3 Files access point {arn} does not exist", field)
        if ap.arn != arn or ap.status != "available":
            raise validation(f"S3 Files access point {arn} is not available", field)

    # ---- runtime ENIs ----------------------------------------------------------------------
    def _attach_enis(self, runtime: Runtime) -> None:
        if not _is_vpc(runtime.config):
            return
        vpc = runtime.config["networkConfiguration"]["networkModeConfig"]
        for subnet_id in vpc["subnets"]:
            eni = enis.create_managed_eni(
                self.account, self.region, subnet_id, vpc["securityGroups"], "agentic_ai", "agentic_ai",
                f"Bedrock AgentCore Runtime {runtime.id} network interface",
            )
            runtime.eni_ids.append(eni.id)

    def _release_enis_later(self, runtime: Runtime) -> None:
        account, region, eni_ids = self.account, self.region, list(runtime.eni_ids)

        def release() -> None:
            for eni_id in eni_ids:
                enis.delete_managed_eni(account, region, eni_id)

        scheduler.schedule(float(CONFIG.get("runtime_eni_linger_seconds") or 0), release)

    # ---- operations ------------------------------------------------------------------------
    def create(self, params: dict[str, Any]) -> Runtime:
        name = params["agentRuntimeName"]
        token = params.get("clientToken")
        if token:  # a retry (a token reused with other parameters was refused by idempotency.py)
            for runtime in self.runtimes.values():
                if runtime.client_token == token:
                    return runtime
        if any(r.name == name for r in self.runtimes.values()):
            raise conflict(f"An agent runtime named {name} already exists")
        config = {k: v for k, v in params.items() if k not in NOT_CONFIG}
        self._validate(config)
        runtime = Runtime(self.region, self.account, name, token, config, params.get("tags") or {})
        self.runtimes[runtime.id] = runtime
        self._attach_enis(runtime)
        self._become_ready("runtime_create", runtime, "CREATING")
        return runtime

    def _become_ready(self, kind: str, runtime: Runtime, from_status: str) -> None:
        def apply() -> None:
            if runtime.status != from_status:
                return
            failed = failures.failure(kind, runtime.name, runtime.id, runtime.arn)
            runtime.status = FAILED_STATUS[kind] if failed else "READY"
            runtime.failure_reason = failed.reason if failed else None
            runtime.versions[0]["status"] = runtime.status
        scheduler.schedule(CONFIG.delay(kind), apply)

    def update(self, runtime_id: str, params: dict[str, Any]) -> Runtime:
        runtime = self.get(runtime_id)
        if runtime.status in ("CREATING", "UPDATING", "DELETING"):
            raise conflict(f"Agent runtime {runtime_id} is {runtime.status} and cannot be updated")
        config = {k: v for k, v in params.items() if k not in NOT_CONFIG}
        self._validate(config)
        old_enis = list(runtime.eni_ids)
        runtime.config = config
        runtime.version += 1
        runtime.status = "UPDATING"
        runtime.last_updated_at = utcnow()
        runtime.eni_ids = []
        self._attach_enis(runtime)
        if old_enis:
            for eni_id in old_enis:
                enis.delete_managed_eni(self.account, self.region, eni_id)
        runtime._snapshot()
        runtime.versions[0]["status"] = "UPDATING"
        self._become_ready("runtime_update", runtime, "UPDATING")
        return runtime

    def delete(self, runtime_id: str) -> Runtime:
        runtime = self.get(runtime_id)
        if runtime.status == "DELETING":
            return runtime
        runtime.status = "DELETING"

        def gone() -> None:
            if self.runtimes.get(runtime.id) is not runtime or runtime.status != "DELETING":
                return
            failed = failures.failure("runtime_delete", runtime.name, runtime.id, runtime.arn)
            if failed:
                runtime.status, runtime.failure_reason = "DELETE_FAILED", failed.reason
                return
            del self.runtimes[runtime.id]
            invoke.stop_runtime(runtime.id)
            self._release_enis_later(runtime)

        scheduler.schedule(CONFIG.delay("runtime_delete"), gone)
        return runtime


def _paginate(items: list[Any], max_results: Any, next_token: Any) -> tuple[list[Any], str | None]:
    start = int(next_token) if isinstance(next_token, str) and next_token.isdigit() else 0
    size = int(max_results or 100)
    return items[start:start + size], (str(start + size) if start + size < len(items) else None)


def install() -> None:
    from moto.bedrockagentcorecontrol.responses import BedrockAgentCoreControlResponse as R

    def service(self: Any) -> RuntimeService:
        return RuntimeService(self.backend)

    def create_agent_runtime(self: Any) -> ActionResult:
        return ActionResult(service(self).create(self._get_params()).short())

    def get_agent_runtime(self: Any) -> ActionResult:
        return ActionResult(service(self).get(self._get_param("agentRuntimeId")).describe())

    def update_agent_runtime(self: Any) -> ActionResult:
        params = self._get_params()
        return ActionResult(service(self).update(params["agentRuntimeId"], params).short())

    def delete_agent_runtime(self: Any) -> ActionResult:
        runtime = service(self).delete(self._get_param("agentRuntimeId"))
        return ActionResult({"status": "DELETING", "agentRuntimeId": runtime.id})

    def list_agent_runtimes(self: Any) -> ActionResult:
        items = [r.summary() for r in service(self).runtimes.values()]
        page, token = _paginate(items, self._get_param("maxResults"), self._get_param("nextToken"))
        return ActionResult({"agentRuntimes": page, **({"nextToken": token} if token else {})})

    def list_agent_runtime_versions(self: Any) -> ActionResult:
        runtime = service(self).get(self._get_param("agentRuntimeId"))
        return ActionResult({"agentRuntimes": runtime.versions})

    originals = {name: getattr(R, name) for name in ("tag_resource", "untag_resource", "list_tags_for_resource")}

    def tag_resource(self: Any) -> Any:
        runtime = service(self).by_arn(self._get_param("resourceArn"))
        if runtime is None:
            return originals["tag_resource"](self)
        runtime.tags.update(self._get_params().get("tags") or {})
        return EmptyResult()

    def untag_resource(self: Any) -> Any:
        runtime = service(self).by_arn(self._get_param("resourceArn"))
        if runtime is None:
            return originals["untag_resource"](self)
        for key in self._get_param("tagKeys", []) or []:
            runtime.tags.pop(key, None)
        return EmptyResult()

    def list_tags_for_resource(self: Any) -> Any:
        runtime = service(self).by_arn(self._get_param("resourceArn"))
        if runtime is None:
            return originals["list_tags_for_resource"](self)
        return ActionResult({"tags": runtime.tags})

    for fn in (create_agent_runtime, get_agent_runtime, update_agent_runtime, delete_agent_runtime,
               list_agent_runtimes, list_agent_runtime_versions, tag_resource, untag_resource,
               list_tags_for_resource):
        setattr(R, fn.__name__, fn)


def inventory(account: str, region: str) -> list[dict[str, Any]]:
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

    backend = bedrockagentcorecontrol_backends[account][region]
    return [{**r.describe(), "tags": r.tags, "networkInterfaceIds": r.eni_ids} for r in _store(backend).values()]


def runtimes_mounting(account: str, region: str, access_point_arns: set[str]) -> list[Runtime]:
    """The runtimes (any status: a deleting runtime still has its file systems mounted) whose
    `filesystemConfigurations` mount one of these S3 Files access points."""
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

    if region not in bedrockagentcorecontrol_backends[account]:
        return []
    found = []
    for runtime in _store(bedrockagentcorecontrol_backends[account][region]).values():
        for entry in runtime.config.get("filesystemConfigurations") or []:
            if ((entry or {}).get("s3FilesAccessPoint") or {}).get("accessPointArn") in access_point_arns:
                found.append(runtime)
                break
    return found


def runtime_subnets(runtime: Runtime) -> list[str]:
    if not _is_vpc(runtime.config):
        return []
    return list((runtime.config["networkConfiguration"].get("networkModeConfig") or {}).get("subnets") or [])
