"""IAM customer managed policies: a policy still attached, or with versions besides its default,
cannot be deleted; at most five versions; documents and names checked against the model."""

import json

import pytest
from botocore.exceptions import ClientError
from helpers import error_code

DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                            "Principal": {"Service": "ec2.amazonaws.com"}}]})


def test_an_attached_policy_is_not_deleted(iam):
    arn = iam.create_policy(PolicyName="attached", PolicyDocument=DOC)["Policy"]["Arn"]
    iam.create_role(RoleName="holder", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="holder", PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert error_code(e) == "DeleteConflict"
    iam.detach_role_policy(RoleName="holder", PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=arn)
    assert error_code(e) == "NoSuchEntity"


def test_non_default_versions_go_before_the_policy(iam):
    arn = iam.create_policy(PolicyName="versioned", PolicyDocument=DOC)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC, SetAsDefault=True)
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert error_code(e) == "DeleteConflict"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy(PolicyArn=arn)


def test_at_most_five_versions(iam):
    arn = iam.create_policy(PolicyName="five", PolicyDocument=DOC)["Policy"]["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC, SetAsDefault=True)
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC, SetAsDefault=True)
    assert error_code(e) == "LimitExceeded"


def test_names_and_paths_follow_the_model(iam):
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName="has space", PolicyDocument=DOC)
    assert error_code(e) == "ValidationError"
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName="ok", Path="no-slashes", PolicyDocument=DOC)
    assert error_code(e) == "ValidationError"
