"""KMS: deletion is scheduled, never immediate, within the service's 7 to 30 days; a key pending
deletion refuses changes and leaves the inventory."""

import pytest
from botocore.exceptions import ClientError
from helpers import error_code


@pytest.fixture()
def kms(emu):
    return emu.client("kms")


def kms_keys(emu):
    return [k["id"] for k in emu.inventory()["123456789012"]["us-east-1"]["kms"]["keys"]]


def test_schedule_key_deletion_answers_as_the_model_says(emu, kms):
    key = kms.create_key(Description="d", Tags=[{"TagKey": "team", "TagValue": "a"}])["KeyMetadata"]["KeyId"]
    assert key in kms_keys(emu)
    answer = kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert answer["KeyState"] == "PendingDeletion"
    assert answer["PendingWindowInDays"] == 7
    assert "DeletionDate" in answer
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    # Still listed by KMS, as AWS lists it, but gone from what a user holds.
    assert key in [k["KeyId"] for k in kms.list_keys()["Keys"]]
    assert key not in kms_keys(emu)


def test_a_key_pending_deletion_refuses_a_second_schedule_and_changes(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=30)
    for call in (lambda: kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7),
                 lambda: kms.enable_key_rotation(KeyId=key),
                 lambda: kms.update_key_description(KeyId=key, Description="x"),
                 lambda: kms.create_alias(AliasName="alias/pending", TargetKeyId=key)):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e) == "KMSInvalidStateException"


@pytest.mark.parametrize("days", [1, 6, 31, 365])
def test_deletion_window_is_seven_to_thirty_days(kms, days):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=days)
    assert error_code(e) == "ValidationException"
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"


def test_model_limits_are_enforced(kms):
    with pytest.raises(ClientError) as e:
        kms.create_key(Description="x" * 8193)
    assert error_code(e) == "ValidationException"
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/has space", TargetKeyId=key)
    assert error_code(e) == "ValidationException"
