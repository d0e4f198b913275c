"""AgentCore memories, gateways and targets, custom browsers and code interpreters: states, client
tokens, names, tags and the refusals the model and the service make."""

import re

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from helpers import ACCOUNT, error_code, network, role, wait_for

TOKEN = "agentfs-0123456789abcdef0123456789abcdef"
LAMBDA = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:weather"
TOOLS = [{"name": "get_weather", "description": "Weather for a city",
          "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]


def unchecked(emu):
    """A client that leaves every check to the server (botocore checks required members itself)."""
    return boto3.client("bedrock-agentcore-control", endpoint_url=emu.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(parameter_validation=False))


def test_memory_lifecycle_token_and_strategies(emu, agentcore):
    # A memory that stays CREATING (and then DELETING) for the whole test: what is refused or
    # listed meanwhile does not depend on timing.
    emu.configure(delays={"memory_create": 3600, "memory_delete": 3600})
    slow = agentcore.create_memory(name="slow_memory", eventExpiryDuration=7)["memory"]["id"]
    with pytest.raises(ClientError) as err:
        agentcore.update_memory(memoryId=slow, description="too soon")
    assert error_code(err) == "ConflictException"
    assert agentcore.delete_memory(memoryId=slow)["status"] == "DELETING"
    emu.configure(delays={"memory_create": 0, "memory_update": 0, "memory_delete": 0})

    args = {"name": "chat_memory", "eventExpiryDuration": 30, "clientToken": TOKEN, "tags": {"team": "a"},
            "memoryStrategies": [{"semanticMemoryStrategy": {"name": "facts", "namespaces": ["/facts/{actorId}"]}}]}
    created = agentcore.create_memory(**args)["memory"]
    mid = created["id"]
    assert created["status"] == "CREATING"
    assert re.fullmatch(r"chat_memory-[a-zA-Z0-9]{10}", mid)
    assert created["arn"] == f"arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}:memory/{mid}"
    assert agentcore.create_memory(**args)["memory"]["id"] == mid  # a retry with the same token
    with pytest.raises(ClientError) as err:
        agentcore.create_memory(**{**args, "eventExpiryDuration": 31})  # the token with other parameters
    assert error_code(err) == "ValidationException"
    with pytest.raises(ClientError) as err:
        agentcore.create_memory(**{**args, "clientToken": TOKEN.replace("0", "1")})
    assert error_code(err) == "ConflictException"  # the name is taken

    got = wait_for(lambda: agentcore.get_memory(memoryId=mid)["memory"], lambda m: m["status"] == "ACTIVE")
    [facts] = got["strategies"]
    assert facts["type"] == "SEMANTIC" and facts["namespaces"] == ["/facts/{actorId}"]
    assert agentcore.list_tags_for_resource(resourceArn=got["arn"])["tags"] == {"team": "a"}

    agentcore.update_memory(memoryId=mid, eventExpiryDuration=60, memoryStrategies={
        "addMemoryStrategies": [{"summaryMemoryStrategy": {"name": "summaries"}}],
        "modifyMemoryStrategies": [{"memoryStrategyId": facts["strategyId"], "description": "facts"}]})
    got = wait_for(lambda: agentcore.get_memory(memoryId=mid)["memory"], lambda m: m["status"] == "ACTIVE")
    assert got["eventExpiryDuration"] == 60
    by_name = {s["name"]: s for s in got["strategies"]}
    assert by_name["facts"]["description"] == "facts" and by_name["summaries"]["type"] == "SUMMARIZATION"
    assert by_name["summaries"]["namespaces"] == ["/strategies/{memoryStrategyId}/actors/{actorId}/sessions/{sessionId}"]
    agentcore.update_memory(memoryId=mid, memoryStrategies={
        "deleteMemoryStrategies": [{"memoryStrategyId": facts["strategyId"]}]})
    got = wait_for(lambda: agentcore.get_memory(memoryId=mid)["memory"], lambda m: m["status"] == "ACTIVE")
    assert [s["name"] for s in got["strategies"]] == ["summaries"]

    listed = {m["id"]: m["status"] for m in agentcore.list_memories()["memories"]}
    assert listed == {slow: "DELETING", mid: "ACTIVE"}
    assert agentcore.delete_memory(memoryId=mid)["status"] == "DELETING"
    wait_for(lambda: agentcore.list_memories()["memories"], lambda ms: [m["id"] for m in ms] == [slow])
    with pytest.raises(ClientError) as err:
        agentcore.get_memory(memoryId=mid)
    assert error_code(err) == "ResourceNotFoundException"


def test_memory_refusals_follow_the_model(emu):
    client = unchecked(emu)
    with pytest.raises(ClientError) as err:
        client.create_memory(name="chat-memory", eventExpiryDuration=2)
    assert error_code(err) == "ValidationException"
    message = err.value.response["Error"]["Message"]
    assert "2 validation errors" in message and "'name'" in message and "eventExpiryDuration" in message
    with pytest.raises(ClientError) as err:
        client.create_memory(name="m", eventExpiryDuration=30, memoryStrategies=[
            {"semanticMemoryStrategy": {"name": "a"}, "summaryMemoryStrategy": {"name": "b"}}])
    assert error_code(err) == "ValidationException"  # a union with two members
    with pytest.raises(ClientError) as err:
        client.create_memory(name="m", eventExpiryDuration=30, memoryExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/none")
    assert error_code(err) == "ValidationException"  # the role does not exist


def test_memory_that_fails_to_create(emu, agentcore):
    emu.configure(fail={"memory_create": "KMS key not usable"})
    mid = agentcore.create_memory(name="doomed", eventExpiryDuration=7)["memory"]["id"]
    got = wait_for(lambda: agentcore.get_memory(memoryId=mid)["memory"], lambda m: m["status"] != "CREATING")
    assert got["status"] == "FAILED" and got["failureReason"] == "KMS key not usable"
    agentcore.delete_memory(memoryId=mid)


def gateway_args(iam, name="tools", **extra):
    return {"name": name, "roleArn": role(iam, f"{name}-gateway", "bedrock-agentcore.amazonaws.com"),
            "protocolType": "MCP", "authorizerType": "AWS_IAM", **extra}


def test_gateway_and_target_lifecycle(emu, agentcore, iam):
    # A gateway that stays CREATING: no target is made on it meanwhile.
    emu.configure(delays={"gateway_create": 3600})
    slow = agentcore.create_gateway(**gateway_args(iam, name="slow"))["gatewayId"]
    with pytest.raises(ClientError) as err:
        agentcore.create_gateway_target(gatewayIdentifier=slow, name="weather", targetConfiguration={
            "mcp": {"lambda": {"lambdaArn": LAMBDA, "toolSchema": {"inlinePayload": TOOLS}}}})
    assert error_code(err) == "ConflictException"
    emu.configure(delays={"gateway_create": 0, "gateway_delete": 0, "gateway_target_create": 0,
                          "gateway_target_delete": 0})
    agentcore.delete_gateway(gatewayIdentifier=slow)

    args = gateway_args(iam, clientToken=TOKEN, tags={"team": "a"})
    created = agentcore.create_gateway(**args)
    gid = created["gatewayId"]
    assert created["status"] == "CREATING" and re.fullmatch(r"tools-[a-z0-9]{10}", gid)
    assert created["gatewayArn"] == f"arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}:gateway/{gid}"
    assert agentcore.create_gateway(**args)["gatewayId"] == gid
    wait_for(lambda: agentcore.get_gateway(gatewayIdentifier=gid), lambda g: g["status"] == "READY")

    target = {"gatewayIdentifier": gid, "name": "weather", "clientToken": TOKEN, "targetConfiguration": {
        "mcp": {"lambda": {"lambdaArn": LAMBDA, "toolSchema": {"inlinePayload": TOOLS}}}}}
    tid = agentcore.create_gateway_target(**target)["targetId"]
    assert re.fullmatch(r"[0-9A-Z]{10}", tid)
    assert agentcore.create_gateway_target(**target)["targetId"] == tid
    got = wait_for(lambda: agentcore.get_gateway_target(gatewayIdentifier=gid, targetId=tid),
                   lambda t: t["status"] == "READY")
    assert got["credentialProviderConfigurations"] == [{"credentialProviderType": "GATEWAY_IAM_ROLE"}]
    assert got["targetConfiguration"]["mcp"]["lambda"]["toolSchema"]["inlinePayload"] == TOOLS
    with pytest.raises(ClientError) as err:
        agentcore.create_gateway_target(gatewayIdentifier=gid, name="spec", targetConfiguration={
            "mcp": {"openApiSchema": {"inlinePayload": "{}"}}})
    assert error_code(err) == "ValidationException"  # OpenAPI needs OAuth or an API key
    with pytest.raises(ClientError) as err:
        agentcore.delete_gateway(gatewayIdentifier=gid)
    assert error_code(err) == "ValidationException"  # it still has a target

    update = {k: v for k, v in target.items() if k != "clientToken"}
    agentcore.update_gateway_target(targetId=tid, description="weather tools", **update)
    got = wait_for(lambda: agentcore.get_gateway_target(gatewayIdentifier=gid, targetId=tid),
                   lambda t: t["status"] == "READY")
    assert got["description"] == "weather tools"
    agentcore.update_gateway(gatewayIdentifier=gid, name="tools", roleArn=args["roleArn"], protocolType="MCP",
                             authorizerType="AWS_IAM", description="tools for agents")
    got = wait_for(lambda: agentcore.get_gateway(gatewayIdentifier=gid), lambda g: g["status"] == "READY")
    assert got["description"] == "tools for agents" and got["gatewayUrl"].startswith(f"https://{gid}.")

    agentcore.delete_gateway_target(gatewayIdentifier=gid, targetId=tid)
    wait_for(lambda: agentcore.list_gateway_targets(gatewayIdentifier=gid)["items"], lambda items: items == [])
    agentcore.delete_gateway(gatewayIdentifier=gid)
    wait_for(lambda: agentcore.list_gateways()["items"], lambda items: items == [])
    assert emu.inventory()[ACCOUNT]["us-east-1"]["bedrock-agentcore-control"]["gateways"] == []


def test_gateway_refusals(emu, agentcore, iam):
    client = unchecked(emu)
    with pytest.raises(ClientError) as err:
        client.create_gateway(name="tools", roleArn="not-a-role", protocolType="REST", authorizerType="AWS_IAM")
    assert error_code(err) == "ValidationException"
    message = err.value.response["Error"]["Message"]
    assert "roleArn" in message and "protocolType" in message
    with pytest.raises(ClientError) as err:
        agentcore.create_gateway(**gateway_args(iam, authorizerType="CUSTOM_JWT"))
    assert error_code(err) == "ValidationException"  # no JWT authorizer configuration


@pytest.mark.parametrize("noun", ["browser", "code_interpreter"])
def test_sandboxes(emu, agentcore, ec2, iam, noun):
    net = network(ec2)
    ids = {"browser": ("browserId", "browserArn", "browser-custom"),
           "code_interpreter": ("codeInterpreterId", "codeInterpreterArn", "code-interpreter-custom")}[noun]
    create, get, delete = (getattr(agentcore, f"{verb}_{noun}") for verb in ("create", "get", "delete"))
    args = {"name": f"my_{noun}", "clientToken": TOKEN, "tags": {"team": "a"},
            "executionRoleArn": role(iam, f"{noun}-exec", "bedrock-agentcore.amazonaws.com"),
            "networkConfiguration": {"networkMode": "VPC",
                                     "vpcConfig": {"subnets": net["subnets"], "securityGroups": [net["sg"]]}}}
    if noun == "browser":
        args["recording"] = {"enabled": True, "s3Location": {"bucket": "recordings-bucket", "prefix": "rec/"}}
    created = create(**args)
    ident = created[ids[0]]
    assert created["status"] == "CREATING" and re.fullmatch(rf"my_{noun}-[a-zA-Z0-9]{{10}}", ident)
    assert created[ids[1]] == f"arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}:{ids[2]}/{ident}"
    assert create(**args)[ids[0]] == ident
    got = wait_for(lambda: get(**{ids[0]: ident}), lambda b: b["status"] == "READY")
    assert got["networkConfiguration"]["vpcConfig"]["subnets"] == net["subnets"]
    assert agentcore.list_tags_for_resource(resourceArn=created[ids[1]])["tags"] == {"team": "a"}
    with pytest.raises(ClientError) as err:
        create(**{**args, "clientToken": TOKEN.replace("0", "2")})
    assert error_code(err) == "ConflictException"
    with pytest.raises(ClientError) as err:
        create(**{**args, "name": "other", "clientToken": TOKEN.replace("0", "3"), "networkConfiguration": {
            "networkMode": "VPC", "vpcConfig": {"subnets": ["subnet-0000000000000000a"], "securityGroups": [net["sg"]]}}})
    assert error_code(err) == "ValidationException"
    with pytest.raises(ClientError) as err:
        unchecked(emu).__getattribute__(f"create_{noun}")(name="bad-name", networkConfiguration={"networkMode": "NAT"})
    assert error_code(err) == "ValidationException"
    assert delete(**{ids[0]: ident})["status"] == "DELETING"
    wait_for(lambda: emu.inventory()[ACCOUNT]["us-east-1"]["bedrock-agentcore-control"][f"{noun}s"],
             lambda items: items == [])
    with pytest.raises(ClientError) as err:
        get(**{ids[0]: ident})
    assert error_code(err) == "ResourceNotFoundException"
