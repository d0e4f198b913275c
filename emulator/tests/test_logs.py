"""CloudWatch Logs: retention periods as the model documents them, keys as ARNs, the key calls
moto lacks, and requests checked against the model."""

import pytest
from botocore.exceptions import ClientError
from helpers import error_code

KEY = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"


@pytest.fixture()
def logs(emu):
    return emu.client("logs")


def group(logs, name):
    return next(g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name)


@pytest.mark.parametrize("days", [2, 31, 366, 3654])
def test_retention_outside_the_documented_periods_is_refused(logs, days):
    logs.create_log_group(logGroupName="/t/retention")
    with pytest.raises(ClientError) as e:
        logs.put_retention_policy(logGroupName="/t/retention", retentionInDays=days)
    assert error_code(e) == "InvalidParameterException"
    assert "retentionInDays" in e.value.response["Error"]["Message"]
    assert "retentionInDays" not in group(logs, "/t/retention")


def test_retention_of_a_documented_period_is_kept(logs):
    logs.create_log_group(logGroupName="/t/kept")
    logs.put_retention_policy(logGroupName="/t/kept", retentionInDays=30)
    assert group(logs, "/t/kept")["retentionInDays"] == 30
    logs.delete_retention_policy(logGroupName="/t/kept")
    assert "retentionInDays" not in group(logs, "/t/kept")


def test_a_key_is_associated_and_disassociated_by_arn(logs):
    logs.create_log_group(logGroupName="/t/key")
    logs.associate_kms_key(logGroupName="/t/key", kmsKeyId=KEY)
    assert group(logs, "/t/key")["kmsKeyId"] == KEY
    logs.disassociate_kms_key(logGroupName="/t/key")
    assert "kmsKeyId" not in group(logs, "/t/key")
    with pytest.raises(ClientError) as e:
        logs.associate_kms_key(logGroupName="/t/key", kmsKeyId="alias/mine")
    assert error_code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        logs.associate_kms_key(logGroupName="/t/missing", kmsKeyId=KEY)
    assert error_code(e) == "ResourceNotFoundException"


def test_group_names_are_checked_against_the_model(logs):
    with pytest.raises(ClientError) as e:
        logs.create_log_group(logGroupName="/has space")
    assert error_code(e) == "InvalidParameterException"
