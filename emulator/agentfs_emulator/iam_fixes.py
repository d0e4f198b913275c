"""IAM managed policies as AWS answers them where moto does not: DeletePolicy refuses a policy
that is still attached, or that still has versions besides the default one, with DeleteConflict
(moto deleted it, leaving dangling attachments)."""

from __future__ import annotations

from typing import Any


def install() -> None:
    from moto.iam.exceptions import DeleteConflictException
    from moto.iam.responses import IamResponse

    original = IamResponse.delete_policy

    def delete_policy(self: Any) -> Any:
        policy = self.backend.get_policy(self._get_param("PolicyArn"))
        if policy.attachment_count > 0:
            raise DeleteConflictException("Cannot delete a policy attached to entities.")
        if len(policy.versions) > 1:
            raise DeleteConflictException(
                "This policy has more than one version. Before you delete a policy, you must delete the "
                "policy's versions. The default version is deleted with the policy.")
        return original(self)

    IamResponse.delete_policy = delete_policy
