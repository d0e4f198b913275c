"""S3 Files REST-JSON front end; botocore's `s3files` model drives parsing and serialisation."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, BaseResponse, EmptyResult

from .models import S3FilesBackend, s3files_backends


def paginate(items: list[Any], max_results: int | None, next_token: str | None) -> tuple[list[Any], str | None]:
    start = int(next_token) if next_token and next_token.isdigit() else 0
    size = max_results or 100
    page = items[start:start + size]
    return page, (str(start + size) if start + size < len(items) else None)


class S3FilesResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="s3files")
        self.automated_parameter_parsing = True

    @property
    def backend(self) -> S3FilesBackend:
        return s3files_backends[self.current_account][self.region]

    def _page(self, key: str, items: list[Any]) -> ActionResult:
        page, token = paginate(items, self._get_param("maxResults"), self._get_param("nextToken"))
        result: dict[str, Any] = {key: page}
        if token:
            result["nextToken"] = token
        return ActionResult(result)

    # file systems
    def create_file_system(self) -> ActionResult:
        p = self._get_params()
        fs = self.backend.create_file_system(
            bucket=p["bucket"], role_arn=p["roleArn"], prefix=p.get("prefix"),
            client_token=p.get("clientToken"), kms_key_id=p.get("kmsKeyId"), tags=p.get("tags") or [],
            accept_bucket_warning=bool(p.get("acceptBucketWarning")),
        )
        return ActionResult(fs.describe())

    def get_file_system(self) -> ActionResult:
        return ActionResult(self.backend.get_file_system(self._get_param("fileSystemId")).describe())

    def list_file_systems(self) -> ActionResult:
        items = [fs.summary() for fs in self.backend.list_file_systems(self._get_param("bucket"))]
        return self._page("fileSystems", items)

    def delete_file_system(self) -> ActionResult:
        self.backend.delete_file_system(self._get_param("fileSystemId"), bool(self._get_param("forceDelete")))
        return EmptyResult()

    # mount targets
    def create_mount_target(self) -> ActionResult:
        p = self._get_params()
        mt = self.backend.create_mount_target(p["fileSystemId"], p["subnetId"], p.get("securityGroups"))
        return ActionResult(mt.describe())

    def get_mount_target(self) -> ActionResult:
        return ActionResult(self.backend.get_mount_target(self._get_param("mountTargetId")).describe())

    def list_mount_targets(self) -> ActionResult:
        mts = self.backend.list_mount_targets(self._get_param("fileSystemId"), self._get_param("accessPointId"))
        items = [{k: v for k, v in mt.describe().items() if k != "securityGroups"} for mt in mts]
        return self._page("mountTargets", items)

    def update_mount_target(self) -> ActionResult:
        p = self._get_params()
        return ActionResult(self.backend.update_mount_target(p["mountTargetId"], p["securityGroups"]).describe())

    def delete_mount_target(self) -> ActionResult:
        self.backend.delete_mount_target(self._get_param("mountTargetId"))
        return EmptyResult()

    # access points
    def create_access_point(self) -> ActionResult:
        p = self._get_params()
        ap = self.backend.create_access_point(
            p["fileSystemId"], p.get("clientToken"), p.get("posixUser"), p.get("rootDirectory"), p.get("tags") or [],
        )
        return ActionResult(ap.describe())

    def get_access_point(self) -> ActionResult:
        return ActionResult(self.backend.get_access_point(self._get_param("accessPointId")).describe())

    def list_access_points(self) -> ActionResult:
        items = [ap.summary() for ap in self.backend.list_access_points(self._get_param("fileSystemId"))]
        return self._page("accessPoints", items)

    def delete_access_point(self) -> ActionResult:
        self.backend.delete_access_point(self._get_param("accessPointId"))
        return EmptyResult()

    # tags
    def tag_resource(self) -> ActionResult:
        p = self._get_params()
        self.backend.tag_resource(p["resourceId"], p["tags"])
        return EmptyResult()

    def untag_resource(self) -> ActionResult:
        p = self._get_params()
        self.backend.untag_resource(p["resourceId"], p.get("tagKeys") or [])
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        return ActionResult({"tags": self.backend.list_tags_for_resource(self._get_param("resourceId"))})
