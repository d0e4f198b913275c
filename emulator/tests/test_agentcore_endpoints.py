"""AgentCore Runtime endpoints: versions, lifecycle, tags on the endpoint ARN, gone with the runtime."""

import re

import pytest
from botocore.exceptions import ClientError
from helpers import error_code, wait_for
from test_agentcore import runtime_args


def ready(agentcore, rid):
    return wait_for(lambda: agentcore.get_agent_runtime(agentRuntimeId=rid), lambda r: r["status"] == "READY")


def test_endpoint_follows_versions_and_goes_with_its_runtime(emu, agentcore, iam):
    emu.configure(delays={"runtime_create": 0.2, "runtime_delete": 0.2, "runtime_update": 0.2})
    args = runtime_args(iam, name="endpoint_runtime")
    rid = agentcore.create_agent_runtime(**args)["agentRuntimeId"]
    ready(agentcore, rid)
    update = {k: v for k, v in args.items() if k != "agentRuntimeName"}
    agentcore.update_agent_runtime(agentRuntimeId=rid, **update)
    ready(agentcore, rid)

    created = agentcore.create_agent_runtime_endpoint(agentRuntimeId=rid, name="prod", tags={"team": "a"})
    assert created["targetVersion"] == "2" and created["status"] == "CREATING"
    arn = created["agentRuntimeEndpointArn"]
    assert re.fullmatch(r"arn:aws:bedrock-agentcore:us-east-1:\d{12}:runtime/endpoint_runtime-\w{10}/runtime-endpoint/prod",
                        arn)
    got = wait_for(lambda: agentcore.get_agent_runtime_endpoint(agentRuntimeId=rid, endpointName="prod"),
                   lambda e: e["status"] == "READY")
    assert got["liveVersion"] == "2" and got["name"] == "prod"
    assert agentcore.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "a"}
    agentcore.tag_resource(resourceArn=arn, tags={"cost": "x"})
    assert agentcore.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "a", "cost": "x"}

    agentcore.update_agent_runtime_endpoint(agentRuntimeId=rid, endpointName="prod", agentRuntimeVersion="1",
                                            description="pinned")
    got = wait_for(lambda: agentcore.get_agent_runtime_endpoint(agentRuntimeId=rid, endpointName="prod"),
                   lambda e: e["status"] == "READY")
    assert got["targetVersion"] == "1" and got["description"] == "pinned"
    with pytest.raises(ClientError) as err:
        agentcore.update_agent_runtime_endpoint(agentRuntimeId=rid, endpointName="prod", agentRuntimeVersion="9")
    assert error_code(err) == "ValidationException"
    with pytest.raises(ClientError) as err:
        agentcore.create_agent_runtime_endpoint(agentRuntimeId=rid, name="prod")
    assert error_code(err) == "ConflictException"
    names = [e["name"] for e in agentcore.list_agent_runtime_endpoints(agentRuntimeId=rid)["runtimeEndpoints"]]
    assert names == ["prod"]

    agentcore.delete_agent_runtime(agentRuntimeId=rid)
    with pytest.raises(ClientError) as err:
        wait_for(lambda: agentcore.get_agent_runtime_endpoint(agentRuntimeId=rid, endpointName="prod"),
                 lambda e: False, timeout=3)
    assert error_code(err) == "ResourceNotFoundException"
