"""AgentCore Runtime endpoints, on the runtimes of agentcore.py (moto's own endpoints live on
moto's runtime store, which agentcore.py replaces).

An endpoint is `<runtime ARN>/runtime-endpoint/<name>`, points at a runtime version (the
runtime's newest when the request names none), goes CREATING/UPDATING -> READY after the
`endpoint_*` delays and is gone after DELETING. Its tags sit on its ARN. Deleting a runtime
deletes its endpoints, as the service does.
"""

from __future__ import annotations

import string
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random

from . import agentcore, scheduler
from .config import CONFIG
from .errors import StatusError


def not_found(runtime_id: str, name: str) -> StatusError:
    return StatusError("ResourceNotFoundException", f"Endpoint {name} of agent runtime {runtime_id} not found", 404)


class Endpoint:
    def __init__(self, runtime: agentcore.Runtime, name: str, version: str, description: str | None,
                 tags: dict[str, str], client_token: str | None):
        suffix = "".join(mock_random.choice(string.ascii_letters + string.digits) for _ in range(10))
        self.id = f"{name}-{suffix}"
        self.runtime = runtime
        self.name = name
        self.arn = f"{runtime.arn}/runtime-endpoint/{name}"
        self.target_version = version
        self.live_version: str | None = None
        self.description = description
        self.tags = dict(tags)
        self.client_token = client_token
        self.status = "CREATING"
        self.created_at = self.last_updated_at = utcnow()

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "agentRuntimeEndpointArn": self.arn, "agentRuntimeArn": self.runtime.arn, "status": self.status,
            "createdAt": self.created_at, "lastUpdatedAt": self.last_updated_at, "name": self.name,
            "id": self.id, "targetVersion": self.target_version,
        }
        if self.live_version:
            out["liveVersion"] = self.live_version
        if self.description:
            out["description"] = self.description
        return out


def _store(backend: Any) -> dict[tuple[str, str], Endpoint]:
    if not hasattr(backend, "agentfs_endpoints"):
        backend.agentfs_endpoints = {}
    store = backend.agentfs_endpoints
    # A runtime that is gone takes its endpoints with it.
    for key in [k for k, e in store.items() if agentcore._store(backend).get(e.runtime.id) is not e.runtime]:
        del store[key]
    return store


class EndpointService:
    def __init__(self, backend: Any):
        self.runtimes = agentcore.RuntimeService(backend)
        self.endpoints = _store(backend)

    def get(self, runtime_id: str, name: str) -> Endpoint:
        self.runtimes.get(runtime_id)
        endpoint = self.endpoints.get((runtime_id, name))
        if endpoint is None:
            raise not_found(runtime_id, name)
        return endpoint

    def by_arn(self, arn: str) -> Endpoint | None:
        return next((e for e in self.endpoints.values() if e.arn == arn), None)

    def _version(self, runtime: agentcore.Runtime, version: str | None) -> str:
        if version is None:
            return str(runtime.version)
        if not version.isdigit() or not 1 <= int(version) <= runtime.version:
            raise agentcore.validation(f"Agent runtime {runtime.id} has no version {version}", "agentRuntimeVersion")
        return version

    def _become_ready(self, endpoint: Endpoint, from_status: str, delay_kind: str) -> None:
        def apply() -> None:
            if endpoint.status == from_status:
                endpoint.status = "READY"
                endpoint.live_version = endpoint.target_version
        scheduler.schedule(CONFIG.delay(delay_kind), apply)

    def create(self, runtime_id: str, params: dict[str, Any]) -> Endpoint:
        runtime = self.runtimes.get(runtime_id)
        name = params["name"]
        token = params.get("clientToken")
        existing = self.endpoints.get((runtime_id, name))
        if existing is not None:
            if token and existing.client_token == token:
                return existing
            raise agentcore.conflict(f"An endpoint named {name} already exists on agent runtime {runtime_id}")
        if name == "DEFAULT":
            raise agentcore.conflict("The DEFAULT endpoint is managed by the service")
        version = self._version(runtime, params.get("agentRuntimeVersion"))
        endpoint = Endpoint(runtime, name, version, params.get("description"), params.get("tags") or {}, token)
        self.endpoints[(runtime_id, name)] = endpoint
        self._become_ready(endpoint, "CREATING", "runtime_create")
        return endpoint

    def update(self, runtime_id: str, name: str, params: dict[str, Any]) -> Endpoint:
        endpoint = self.get(runtime_id, name)
        if endpoint.status in ("CREATING", "UPDATING", "DELETING"):
            raise agentcore.conflict(f"Endpoint {name} is {endpoint.status} and cannot be updated")
        endpoint.target_version = self._version(endpoint.runtime, params.get("agentRuntimeVersion"))
        endpoint.description = params.get("description")
        endpoint.status = "UPDATING"
        endpoint.last_updated_at = utcnow()
        self._become_ready(endpoint, "UPDATING", "runtime_update")
        return endpoint

    def delete(self, runtime_id: str, name: str) -> Endpoint:
        endpoint = self.get(runtime_id, name)
        if endpoint.status == "DELETING":
            return endpoint
        endpoint.status = "DELETING"
        endpoints = self.endpoints

        def gone() -> None:
            if endpoints.get((runtime_id, name)) is endpoint:
                del endpoints[(runtime_id, name)]
        scheduler.schedule(CONFIG.delay("runtime_delete"), gone)
        return endpoint


def install() -> None:
    from moto.bedrockagentcorecontrol.responses import BedrockAgentCoreControlResponse as R

    def service(self: Any) -> EndpointService:
        return EndpointService(self.backend)

    def create_agent_runtime_endpoint(self: Any) -> ActionResult:
        runtime_id = self._get_param("agentRuntimeId")
        e = service(self).create(runtime_id, self._get_params())
        return ActionResult({
            "targetVersion": e.target_version, "agentRuntimeEndpointArn": e.arn, "agentRuntimeArn": e.runtime.arn,
            "agentRuntimeId": e.runtime.id, "endpointName": e.name, "status": e.status, "createdAt": e.created_at,
        })

    def get_agent_runtime_endpoint(self: Any) -> ActionResult:
        e = service(self).get(self._get_param("agentRuntimeId"), self._get_param("endpointName"))
        return ActionResult(e.describe())

    def update_agent_runtime_endpoint(self: Any) -> ActionResult:
        e = service(self).update(self._get_param("agentRuntimeId"), self._get_param("endpointName"),
                                 self._get_params())
        out = e.describe()
        for key in ("name", "id", "description"):
            out.pop(key, None)
        return ActionResult(out)

    def delete_agent_runtime_endpoint(self: Any) -> ActionResult:
        e = service(self).delete(self._get_param("agentRuntimeId"), self._get_param("endpointName"))
        return ActionResult({"status": "DELETING", "agentRuntimeId": e.runtime.id, "endpointName": e.name})

    def list_agent_runtime_endpoints(self: Any) -> ActionResult:
        svc = service(self)
        runtime_id = self._get_param("agentRuntimeId")
        svc.runtimes.get(runtime_id)
        items = [e.describe() for (rid, _), e in svc.endpoints.items() if rid == runtime_id]
        page, token = agentcore._paginate(items, self._get_param("maxResults"), self._get_param("nextToken"))
        return ActionResult({"runtimeEndpoints": page, **({"nextToken": token} if token else {})})

    # Tags of endpoint ARNs; anything else goes to the handlers installed before.
    previous = {name: getattr(R, name) for name in ("tag_resource", "untag_resource", "list_tags_for_resource")}

    def tag_resource(self: Any) -> Any:
        e = service(self).by_arn(self._get_param("resourceArn"))
        if e is None:
            return previous["tag_resource"](self)
        e.tags.update(self._get_params().get("tags") or {})
        return EmptyResult()

    def untag_resource(self: Any) -> Any:
        e = service(self).by_arn(self._get_param("resourceArn"))
        if e is None:
            return previous["untag_resource"](self)
        for key in self._get_param("tagKeys", []) or []:
            e.tags.pop(key, None)
        return EmptyResult()

    def list_tags_for_resource(self: Any) -> Any:
        e = service(self).by_arn(self._get_param("resourceArn"))
        if e is None:
            return previous["list_tags_for_resource"](self)
        return ActionResult({"tags": e.tags})

    for fn in (create_agent_runtime_endpoint, get_agent_runtime_endpoint, update_agent_runtime_endpoint,
               delete_agent_runtime_endpoint, list_agent_runtime_endpoints, tag_resource, untag_resource,
               list_tags_for_resource):
        setattr(R, fn.__name__, fn)


def inventory(account: str, region: str) -> list[dict[str, Any]]:
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

    backend = bedrockagentcorecontrol_backends[account][region]
    return [{**e.describe(), "tags": e.tags} for e in _store(backend).values()]
