"""AgentCore's neighbours of the runtime: memories, gateways with their targets, custom browsers and
custom code interpreters, as the service shapes them (ids, ARNs, states, client tokens, refusals).

Moto's own gateways and memories are ready at once, ignore client tokens and allow duplicate names;
browsers and code interpreters it does not serve at all. Every operation of these five is replaced
here. What the model says a request must hold (required members, enums, lengths, patterns, unions)
is checked before a request gets here (model_hooks.py); what is left is what the service checks
against its own state:

- names are unique (memories, gateways, browsers, code interpreters per account and region;
  targets per gateway): ConflictException;
- a retry with the same client token answers the resource it made (idempotency.py refuses the
  token reused with other parameters);
- roles must exist, VPC subnets and security groups must exist and share one VPC, an enabled
  recording needs its S3 location, an OpenAPI target needs an OAuth or API-key credential
  provider, and a gateway with targets is not deleted: ValidationException / ConflictException;
- each goes CREATING (UPDATING) -> ACTIVE or READY after its `<kind>_create` (`_update`) delay, or
  to its failed state when the `fail` knob names the transition, and is gone `<kind>_delete`
  seconds after DELETING. Changes are refused while a resource is not settled.
"""

from __future__ import annotations

import copy
import string
from typing import Any, Callable

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random

from . import agentcore, consistency, failures, scheduler
from .config import CONFIG
from .errors import StatusError

ALNUM = string.ascii_letters + string.digits
LOWER = string.ascii_lowercase + string.digits

# CreateMemory's strategy union member -> the strategy type GetMemory reports
STRATEGY_TYPES = {
    "semanticMemoryStrategy": "SEMANTIC",
    "summaryMemoryStrategy": "SUMMARIZATION",
    "userPreferenceMemoryStrategy": "USER_PREFERENCE",
    "customMemoryStrategy": "CUSTOM",
    "episodicMemoryStrategy": "EPISODIC",
}
# the namespace the service gives a strategy created without one
DEFAULT_NAMESPACES = {
    "SEMANTIC": "/strategies/{memoryStrategyId}/actors/{actorId}",
    "SUMMARIZATION": "/strategies/{memoryStrategyId}/actors/{actorId}/sessions/{sessionId}",
    "USER_PREFERENCE": "/strategies/{memoryStrategyId}/actors/{actorId}",
    "CUSTOM": "/strategies/{memoryStrategyId}/actors/{actorId}",
    "EPISODIC": "/strategies/{memoryStrategyId}/actors/{actorId}/sessions/{sessionId}",
}
OVERRIDE_TYPES = {
    "semanticOverride": "SEMANTIC_OVERRIDE", "summaryOverride": "SUMMARY_OVERRIDE",
    "userPreferenceOverride": "USER_PREFERENCE_OVERRIDE", "episodicOverride": "EPISODIC_OVERRIDE",
    "selfManagedConfiguration": "SELF_MANAGED",
}


def _random(chars: str, n: int = 10) -> str:
    return "".join(mock_random.choice(chars) for _ in range(n))


def not_found(what: str, ident: str) -> StatusError:
    return StatusError("ResourceNotFoundException", f"{what} not found: {ident}", 404)


def _clean(params: dict[str, Any], drop: set[str]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in params.items() if k not in drop and v is not None}


class Thing:
    """One memory, gateway, target, browser or code interpreter."""

    def __init__(self, kind: "Kind", ident: str, arn: str, name: str, token: str | None,
                 config: dict[str, Any], tags: dict[str, str], parent: "Thing | None" = None):
        self.kind, self.id, self.arn, self.name = kind, ident, arn, name
        self.client_token, self.config, self.tags, self.parent = token, config, dict(tags), parent
        self.status = "CREATING"
        self.created_at = self.updated_at = utcnow()
        self.failure_reason: str | None = None
        self.strategies: list[dict[str, Any]] = []


class Kind:
    """What differs between the five: names, ids, ARNs, states and delay knobs."""

    def __init__(self, key: str, what: str, arn_part: str, ready: str, failed: str,
                 ident: Callable[[str], str]):
        self.key, self.what, self.arn_part, self.ready, self.failed, self.ident = (
            key, what, arn_part, ready, failed, ident)


MEMORY = Kind("memory", "Memory", "memory", "ACTIVE", "FAILED", lambda name: f"{name}-{_random(ALNUM)}")
GATEWAY = Kind("gateway", "Gateway", "gateway", "READY", "FAILED",
               lambda name: f"{name.lower()}-{_random(LOWER)}")
TARGET = Kind("gateway_target", "Gateway target", "", "READY", "FAILED",
              lambda name: _random(string.ascii_uppercase + string.digits))
BROWSER = Kind("browser", "Browser", "browser-custom", "READY", "CREATE_FAILED",
               lambda name: f"{name}-{_random(ALNUM)}")
CODE_INTERPRETER = Kind("code_interpreter", "Code interpreter", "code-interpreter-custom", "READY", "CREATE_FAILED",
                        lambda name: f"{name}-{_random(ALNUM)}")
KINDS = (MEMORY, GATEWAY, TARGET, BROWSER, CODE_INTERPRETER)


def _stores(backend: Any) -> dict[str, dict[str, Thing]]:
    if not hasattr(backend, "agentfs_neighbours"):
        backend.agentfs_neighbours = {k.key: {} for k in KINDS}
    return backend.agentfs_neighbours


class Neighbours:
    """The five kinds' operations in one account/region backend."""

    def __init__(self, backend: Any):
        self.backend = backend
        self.account, self.region = backend.account_id, backend.region_name
        self.stores = _stores(backend)

    # ---- lookups --------------------------------------------------------------------------
    def get(self, kind: Kind, ident: str, parent: Thing | None = None) -> Thing:
        thing = self.stores[kind.key].get(ident)
        if thing is None or (parent is not None and thing.parent is not parent):
            raise not_found(kind.what, ident)
        return thing

    def by_arn(self, arn: str) -> Thing | None:
        for kind in KINDS:
            for thing in self.stores[kind.key].values():
                if thing.arn == arn:
                    return thing
        return None

    def children(self, gateway: Thing) -> list[Thing]:
        return [t for t in self.stores[TARGET.key].values() if t.parent is gateway]

    # ---- checks against state -----------------------------------------------------------
    def _role(self, arn: str | None, member: str) -> None:
        if arn and (consistency.find_role(self.account, arn) is None or not consistency.role_propagated(arn)):
            raise agentcore.validation("Role validation failed", member)

    def _network(self, network: dict[str, Any]) -> None:
        if network.get("networkMode") != "VPC":
            if network.get("vpcConfig"):
                raise agentcore.validation("vpcConfig is only valid with networkMode VPC", "networkConfiguration")
            return
        vpc = network.get("vpcConfig") or {}
        if not vpc:
            raise agentcore.validation("VPC network mode requires vpcConfig", "networkConfiguration.vpcConfig")
        agentcore.RuntimeService(self.backend)._validate_vpc(vpc.get("subnets") or [], vpc.get("securityGroups") or [])

    def _unique(self, kind: Kind, name: str, parent: Thing | None = None) -> None:
        for thing in self.stores[kind.key].values():
            if thing.name == name and thing.parent is parent:
                where = f" in gateway {parent.id}" if parent else ""
                raise agentcore.conflict(f"A {kind.what.lower()} named {name} already exists{where}")

    def _retry(self, kind: Kind, token: str | None, parent: Thing | None = None) -> Thing | None:
        if not token:
            return None
        return next((t for t in self.stores[kind.key].values()
                     if t.client_token == token and t.parent is parent), None)

    def _settled(self, thing: Thing) -> None:
        if thing.status not in (thing.kind.ready, "UPDATE_UNSUCCESSFUL"):
            raise agentcore.conflict(f"{thing.kind.what} {thing.id} is {thing.status} and cannot be changed")

    # ---- transitions -----------------------------------------------------------------------
    def _arn(self, kind: Kind, ident: str, parent: Thing | None) -> str:
        if kind is TARGET and parent is not None:
            return f"{parent.arn}/target/{ident}"
        return f"arn:aws:bedrock-agentcore:{self.region}:{self.account}:{kind.arn_part}/{ident}"

    def _make(self, kind: Kind, params: dict[str, Any], config: dict[str, Any], parent: Thing | None = None,
              name_member: str = "name") -> Thing:
        name = params.get(name_member) or ""
        ident = kind.ident(name)
        thing = Thing(kind, ident, self._arn(kind, ident, parent), name, params.get("clientToken"), config,
                      params.get("tags") or {}, parent)
        self.stores[kind.key][ident] = thing
        self._settle(thing, "CREATING", f"{kind.key}_create", kind.failed)
        return thing

    def _settle(self, thing: Thing, from_status: str, delay: str, failed_status: str) -> None:
        def apply() -> None:
            if thing.status != from_status:
                return
            failed = failures.failure(delay, thing.name, thing.id, thing.arn) if delay.endswith("_create") else None
            thing.status = failed_status if failed else thing.kind.ready
            thing.failure_reason = failed.reason if failed else None
            for strategy in thing.strategies:
                if strategy["status"] == "CREATING":
                    strategy["status"] = "ACTIVE"
            thing.strategies = [s for s in thing.strategies if s["status"] != "DELETING"]
        scheduler.schedule(CONFIG.delay(delay), apply)

    def _update(self, thing: Thing) -> None:
        thing.status = "UPDATING"
        thing.updated_at = utcnow()
        self._settle(thing, "UPDATING", f"{thing.kind.key}_update", "UPDATE_UNSUCCESSFUL"
                     if thing.kind is not MEMORY else "FAILED")

    def delete(self, kind: Kind, ident: str, parent: Thing | None = None) -> Thing:
        thing = self.get(kind, ident, parent)
        if thing.status == "DELETING":
            return thing
        if kind is GATEWAY and self.children(thing):
            raise agentcore.validation(f"Gateway {ident} has targets; delete them first", "gatewayIdentifier")
        thing.status = "DELETING"
        thing.updated_at = utcnow()
        store = self.stores[kind.key]

        def gone() -> None:
            if store.get(ident) is thing and thing.status == "DELETING":
                del store[ident]
        scheduler.schedule(CONFIG.delay(f"{kind.key}_delete"), gone)
        return thing

    # ---- memories ------------------------------------------------------------------------
    def _strategy(self, memory: Thing, entry: dict[str, Any]) -> dict[str, Any]:
        member = next(k for k, v in entry.items() if v is not None)
        body = entry[member]
        kind = STRATEGY_TYPES[member]
        if any(s["name"] == body["name"] and s["status"] != "DELETING" for s in memory.strategies):
            raise agentcore.validation(f"Duplicate memory strategy name {body['name']}", "memoryStrategies")
        namespaces = body.get("namespaces") or body.get("namespaceTemplates") or [DEFAULT_NAMESPACES[kind]]
        out: dict[str, Any] = {
            "strategyId": f"{body['name']}-{_random(ALNUM)}", "name": body["name"], "type": kind,
            "namespaces": list(namespaces), "namespaceTemplates": list(namespaces), "status": "CREATING",
            "createdAt": utcnow(), "updatedAt": utcnow(),
        }
        if body.get("description"):
            out["description"] = body["description"]
        configuration = body.get("configuration") or {}
        override = next((k for k, v in configuration.items() if v is not None), None)
        if override:
            out["configuration"] = {"type": OVERRIDE_TYPES[override]}
        return out

    def create_memory(self, params: dict[str, Any]) -> Thing:
        found = self._retry(MEMORY, params.get("clientToken"))
        if found:
            return found
        self._unique(MEMORY, params["name"])
        self._role(params.get("memoryExecutionRoleArn"), "memoryExecutionRoleArn")
        config = _clean(params, {"clientToken", "tags", "memoryStrategies"})
        memory = Thing(MEMORY, "", "", params["name"], None, {}, {})  # to collect strategies into
        for entry in params.get("memoryStrategies") or []:
            memory.strategies.append(self._strategy(memory, entry))
        made = self._make(MEMORY, params, config)
        made.strategies = memory.strategies
        return made

    def update_memory(self, memory_id: str, params: dict[str, Any]) -> Thing:
        memory = self.get(MEMORY, memory_id)
        self._settled(memory)
        self._role(params.get("memoryExecutionRoleArn"), "memoryExecutionRoleArn")
        for member in ("description", "eventExpiryDuration", "memoryExecutionRoleArn"):
            if params.get(member) is not None:
                memory.config[member] = params[member]
        changes = params.get("memoryStrategies") or {}
        by_id = {s["strategyId"]: s for s in memory.strategies}
        for gone in changes.get("deleteMemoryStrategies") or []:
            strategy = by_id.get(gone["memoryStrategyId"])
            if strategy is None:
                raise agentcore.validation(f"Memory strategy {gone['memoryStrategyId']} not found",
                                           "memoryStrategies.deleteMemoryStrategies")
            strategy["status"] = "DELETING"
        for change in changes.get("modifyMemoryStrategies") or []:
            strategy = by_id.get(change["memoryStrategyId"])
            if strategy is None or strategy["status"] == "DELETING":
                raise agentcore.validation(f"Memory strategy {change['memoryStrategyId']} not found",
                                           "memoryStrategies.modifyMemoryStrategies")
            if change.get("description") is not None:
                strategy["description"] = change["description"]
            namespaces = change.get("namespaces") or change.get("namespaceTemplates")
            if namespaces:
                strategy["namespaces"] = strategy["namespaceTemplates"] = list(namespaces)
            strategy["updatedAt"] = utcnow()
        for entry in changes.get("addMemoryStrategies") or []:
            memory.strategies.append(self._strategy(memory, entry))
        self._update(memory)
        return memory

    def describe_memory(self, memory: Thing) -> dict[str, Any]:
        out = {**memory.config, "arn": memory.arn, "id": memory.id, "name": memory.name, "status": memory.status,
               "createdAt": memory.created_at, "updatedAt": memory.updated_at,
               "strategies": copy.deepcopy(memory.strategies)}
        if memory.failure_reason:
            out["failureReason"] = memory.failure_reason
        return out

    # ---- gateways and targets --------------------------------------------------------------
    def _check_gateway(self, params: dict[str, Any]) -> None:
        self._role(params.get("roleArn"), "roleArn")
        jwt = (params.get("authorizerConfiguration") or {}).get("customJWTAuthorizer")
        if params.get("authorizerType") == "CUSTOM_JWT" and not jwt:
            raise agentcore.validation("authorizerConfiguration.customJWTAuthorizer is required for CUSTOM_JWT",
                                       "authorizerConfiguration")
        if params.get("authorizerType") != "CUSTOM_JWT" and jwt:
            raise agentcore.validation("authorizerConfiguration is only valid for CUSTOM_JWT", "authorizerConfiguration")

    def create_gateway(self, params: dict[str, Any]) -> Thing:
        found = self._retry(GATEWAY, params.get("clientToken"))
        if found:
            return found
        self._unique(GATEWAY, params["name"])
        self._check_gateway(params)
        return self._make(GATEWAY, params, _clean(params, {"clientToken", "tags"}))

    def update_gateway(self, gateway_id: str, params: dict[str, Any]) -> Thing:
        gateway = self.get(GATEWAY, gateway_id)
        self._settled(gateway)
        if params["name"] != gateway.name:
            self._unique(GATEWAY, params["name"])
        self._check_gateway(params)
        gateway.name = params["name"]
        gateway.config = _clean(params, {"gatewayIdentifier", "clientToken", "tags"})
        self._update(gateway)
        return gateway

    def describe_gateway(self, gateway: Thing) -> dict[str, Any]:
        out = {**gateway.config, "gatewayArn": gateway.arn, "gatewayId": gateway.id, "name": gateway.name,
               "status": gateway.status, "createdAt": gateway.created_at, "updatedAt": gateway.updated_at,
               "gatewayUrl": f"https://{gateway.id}.gateway.bedrock-agentcore.{self.region}.amazonaws.com/mcp",
               "workloadIdentityDetails": {"workloadIdentityArn": (
                   f"arn:aws:bedrock-agentcore:{self.region}:{self.account}:workload-identity-directory/default/"
                   f"workload-identity/{gateway.id}")}}
        if gateway.failure_reason:
            out["statusReasons"] = [gateway.failure_reason]
        return out

    def _check_target(self, params: dict[str, Any]) -> dict[str, Any]:
        mcp = (params.get("targetConfiguration") or {}).get("mcp") or {}
        providers = params.get("credentialProviderConfigurations") or []
        kinds = {p.get("credentialProviderType") for p in providers}
        if mcp.get("openApiSchema") is not None and not kinds & {"OAUTH", "API_KEY"}:
            raise agentcore.validation("An OpenAPI target needs an OAUTH or API_KEY credential provider",
                                       "credentialProviderConfigurations")
        if (mcp.get("lambda") is not None or mcp.get("smithyModel") is not None) and not providers:
            providers = [{"credentialProviderType": "GATEWAY_IAM_ROLE"}]
        config = _clean(params, {"gatewayIdentifier", "targetId", "clientToken", "name"})
        if providers:
            config["credentialProviderConfigurations"] = providers
        return config

    def create_target(self, gateway_id: str, params: dict[str, Any]) -> Thing:
        gateway = self.get(GATEWAY, gateway_id)
        found = self._retry(TARGET, params.get("clientToken"), gateway)
        if found:
            return found
        if gateway.status != "READY":
            raise agentcore.conflict(f"Gateway {gateway_id} is {gateway.status}")
        self._unique(TARGET, params.get("name") or "", gateway)
        return self._make(TARGET, params, self._check_target(params), gateway)

    def update_target(self, gateway_id: str, target_id: str, params: dict[str, Any]) -> Thing:
        gateway = self.get(GATEWAY, gateway_id)
        target = self.get(TARGET, target_id, gateway)
        self._settled(target)
        name = params.get("name")
        if name and name != target.name:
            self._unique(TARGET, name, gateway)
            target.name = name
        target.config = self._check_target(params)
        self._update(target)
        return target

    def describe_target(self, target: Thing) -> dict[str, Any]:
        out = {**target.config, "gatewayArn": target.parent.arn if target.parent else "", "targetId": target.id,
               "name": target.name, "status": target.status, "createdAt": target.created_at,
               "updatedAt": target.updated_at, "protocolType": "MCP"}
        out.setdefault("credentialProviderConfigurations", [])
        if target.failure_reason:
            out["statusReasons"] = [target.failure_reason]
        return out

    # ---- browsers and code interpreters ----------------------------------------------------
    def create_sandbox(self, kind: Kind, params: dict[str, Any]) -> Thing:
        found = self._retry(kind, params.get("clientToken"))
        if found:
            return found
        self._unique(kind, params["name"])
        self._role(params.get("executionRoleArn"), "executionRoleArn")
        self._network(params.get("networkConfiguration") or {})
        recording = params.get("recording") or {}
        if recording.get("enabled") and not recording.get("s3Location"):
            raise agentcore.validation("An enabled recording needs an s3Location", "recording.s3Location")
        return self._make(kind, params, _clean(params, {"clientToken", "tags"}))

    def describe_sandbox(self, thing: Thing, id_member: str, arn_member: str) -> dict[str, Any]:
        out = {**thing.config, id_member: thing.id, arn_member: thing.arn, "name": thing.name,
               "status": thing.status, "createdAt": thing.created_at, "lastUpdatedAt": thing.updated_at}
        if "browserSigning" in out:
            out["browserSigning"] = {"enabled": bool(out["browserSigning"].get("enabled"))}
        if thing.failure_reason:
            out["failureReason"] = thing.failure_reason
        return out


def _page(self: Any, items: list[Any]) -> tuple[list[Any], str | None]:
    return agentcore._paginate(items, self._get_param("maxResults"), self._get_param("nextToken"))


def install() -> None:
    from moto.bedrockagentcorecontrol.responses import BedrockAgentCoreControlResponse as R

    def svc(self: Any) -> Neighbours:
        return Neighbours(self.backend)

    # memories
    def create_memory(self: Any) -> ActionResult:
        s = svc(self)
        return ActionResult({"memory": s.describe_memory(s.create_memory(self._get_params()))})

    def get_memory(self: Any) -> ActionResult:
        s = svc(self)
        return ActionResult({"memory": s.describe_memory(s.get(MEMORY, self._get_param("memoryId")))})

    def update_memory(self: Any) -> ActionResult:
        s = svc(self)
        params = self._get_params()
        return ActionResult({"memory": s.describe_memory(s.update_memory(params["memoryId"], params))})

    def delete_memory(self: Any) -> ActionResult:
        memory = svc(self).delete(MEMORY, self._get_param("memoryId"))
        return ActionResult({"memoryId": memory.id, "status": memory.status})

    def list_memories(self: Any) -> ActionResult:
        items = [{"arn": m.arn, "id": m.id, "status": m.status, "createdAt": m.created_at, "updatedAt": m.updated_at}
                 for m in svc(self).stores[MEMORY.key].values()]
        page, token = _page(self, items)
        return ActionResult({"memories": page, **({"nextToken": token} if token else {})})

    # gateways
    def create_gateway(self: Any) -> ActionResult:
        s = svc(self)
        return ActionResult(s.describe_gateway(s.create_gateway(self._get_params())))

    def get_gateway(self: Any) -> ActionResult:
        s = svc(self)
        return ActionResult(s.describe_gateway(s.get(GATEWAY, self._get_param("gatewayIdentifier"))))

    def update_gateway(self: Any) -> ActionResult:
        s = svc(self)
        params = self._get_params()
        return ActionResult(s.describe_gateway(s.update_gateway(params["gatewayIdentifier"], params)))

    def delete_gateway(self: Any) -> ActionResult:
        gateway = svc(self).delete(GATEWAY, self._get_param("gatewayIdentifier"))
        return ActionResult({"gatewayId": gateway.id, "status": gateway.status})

    def list_gateways(self: Any) -> ActionResult:
        items = [{"gatewayId": g.id, "name": g.name, "status": g.status, "createdAt": g.created_at,
                  "updatedAt": g.updated_at, "authorizerType": g.config.get("authorizerType"),
                  "protocolType": g.config.get("protocolType", "MCP"),
                  **({"description": g.config["description"]} if g.config.get("description") else {})}
                 for g in svc(self).stores[GATEWAY.key].values()]
        page, token = _page(self, items)
        return ActionResult({"items": page, **({"nextToken": token} if token else {})})

    # gateway targets
    def create_gateway_target(self: Any) -> ActionResult:
        s = svc(self)
        params = self._get_params()
        return ActionResult(s.describe_target(s.create_target(params["gatewayIdentifier"], params)))

    def get_gateway_target(self: Any) -> ActionResult:
        s = svc(self)
        gateway = s.get(GATEWAY, self._get_param("gatewayIdentifier"))
        return ActionResult(s.describe_target(s.get(TARGET, self._get_param("targetId"), gateway)))

    def update_gateway_target(self: Any) -> ActionResult:
        s = svc(self)
        params = self._get_params()
        return ActionResult(s.describe_target(s.update_target(params["gatewayIdentifier"], params["targetId"],
                                                              params)))

    def delete_gateway_target(self: Any) -> ActionResult:
        s = svc(self)
        gateway = s.get(GATEWAY, self._get_param("gatewayIdentifier"))
        target = s.delete(TARGET, self._get_param("targetId"), gateway)
        return ActionResult({"gatewayArn": gateway.arn, "targetId": target.id, "status": target.status})

    def list_gateway_targets(self: Any) -> ActionResult:
        s = svc(self)
        gateway = s.get(GATEWAY, self._get_param("gatewayIdentifier"))
        items = [{"targetId": t.id, "name": t.name, "status": t.status, "createdAt": t.created_at,
                  "updatedAt": t.updated_at} for t in s.children(gateway)]
        page, token = _page(self, items)
        return ActionResult({"items": page, **({"nextToken": token} if token else {})})

    # browsers and code interpreters
    def sandbox_ops(kind: Kind, noun: str, id_member: str, arn_member: str, list_member: str) -> list[Any]:
        def create(self: Any) -> ActionResult:
            thing = svc(self).create_sandbox(kind, self._get_params())
            return ActionResult({id_member: thing.id, arn_member: thing.arn, "createdAt": thing.created_at,
                                 "status": thing.status})

        def get(self: Any) -> ActionResult:
            s = svc(self)
            return ActionResult(s.describe_sandbox(s.get(kind, self._get_param(id_member)), id_member, arn_member))

        def delete(self: Any) -> ActionResult:
            thing = svc(self).delete(kind, self._get_param(id_member))
            return ActionResult({id_member: thing.id, "status": thing.status, "lastUpdatedAt": thing.updated_at})

        def listing(self: Any) -> ActionResult:
            if self._get_param("type") == "SYSTEM":
                items: list[Any] = []
            else:
                items = [{id_member: t.id, arn_member: t.arn, "name": t.name, "status": t.status,
                          "createdAt": t.created_at, "lastUpdatedAt": t.updated_at,
                          **({"description": t.config["description"]} if t.config.get("description") else {})}
                         for t in svc(self).stores[kind.key].values()]
            page, token = _page(self, items)
            return ActionResult({list_member: page, **({"nextToken": token} if token else {})})

        create.__name__, get.__name__, delete.__name__ = f"create_{noun}", f"get_{noun}", f"delete_{noun}"
        listing.__name__ = f"list_{noun}s"
        return [create, get, delete, listing]

    # tags of these five's ARNs; anything else goes to the handlers installed before
    previous = {name: getattr(R, name) for name in ("tag_resource", "untag_resource", "list_tags_for_resource")}

    def tag_resource(self: Any) -> Any:
        thing = svc(self).by_arn(self._get_param("resourceArn"))
        if thing is None or thing.kind is TARGET:
            return previous["tag_resource"](self)
        thing.tags.update(self._get_params().get("tags") or {})
        return EmptyResult()

    def untag_resource(self: Any) -> Any:
        thing = svc(self).by_arn(self._get_param("resourceArn"))
        if thing is None or thing.kind is TARGET:
            return previous["untag_resource"](self)
        for key in self._get_param("tagKeys", []) or []:
            thing.tags.pop(key, None)
        return EmptyResult()

    def list_tags_for_resource(self: Any) -> Any:
        thing = svc(self).by_arn(self._get_param("resourceArn"))
        if thing is None or thing.kind is TARGET:
            return previous["list_tags_for_resource"](self)
        return ActionResult({"tags": thing.tags})

    handlers = [create_memory, get_memory, update_memory, delete_memory, list_memories,
                create_gateway, get_gateway, update_gateway, delete_gateway, list_gateways,
                create_gateway_target, get_gateway_target, update_gateway_target, delete_gateway_target,
                list_gateway_targets, tag_resource, untag_resource, list_tags_for_resource]
    handlers += sandbox_ops(BROWSER, "browser", "browserId", "browserArn", "browserSummaries")
    handlers += sandbox_ops(CODE_INTERPRETER, "code_interpreter", "codeInterpreterId", "codeInterpreterArn",
                            "codeInterpreterSummaries")
    for fn in handlers:
        setattr(R, fn.__name__, fn)


def inventory(account: str, region: str) -> dict[str, list[dict[str, Any]]]:
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

    stores = _stores(bedrockagentcorecontrol_backends[account][region])
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, label in ((MEMORY, "memories"), (GATEWAY, "gateways"), (TARGET, "gateway_targets"),
                        (BROWSER, "browsers"), (CODE_INTERPRETER, "code_interpreters")):
        out[label] = [{"id": t.id, "arn": t.arn, "name": t.name, "status": t.status, "tags": t.tags,
                       **({"gateway_id": t.parent.id} if t.parent else {})} for t in stores[kind.key].values()]
    return out
