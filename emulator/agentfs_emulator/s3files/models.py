"""S3 Files backend: file systems on S3 buckets, mount targets in VPC subnets, access points."""

from __future__ import annotations

from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random

from .. import consistency, datapath, enis, failures, scheduler
from ..config import CONFIG
from .exceptions import access_denied, conflict, not_found, quota_exceeded, validation

MAX_SECURITY_GROUPS = 5


def _hex_id(prefix: str) -> str:
    return f"{prefix}-{mock_random.get_random_hex(17)}"


def _last_segment(value: str, marker: str) -> str:
    """`fs-123` or `arn:...:file-system/fs-123` -> `fs-123` (marker `file-system/`)."""
    return value.rsplit(marker, 1)[-1] if marker in value else value


def _name_of(tags: list[dict[str, str]]) -> str | None:
    return next((t["value"] for t in tags if t["key"] == "Name"), None)


def _check_tags(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    for tag in tags:
        if tag["key"].lower().startswith("aws:"):
            raise validation("Tag keys starting with 'aws:' are reserved for AWS use")
    return [{"key": t["key"], "value": t.get("value", "")} for t in tags]


def _merge_tags(current: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    merged = {t["key"]: t["value"] for t in current}
    merged.update({t["key"]: t["value"] for t in new})
    return [{"key": k, "value": v} for k, v in merged.items()]


class FileSystem:
    def __init__(self, backend: S3FilesBackend, bucket: str, prefix: str, role_arn: str,
                 client_token: str | None, kms_key_id: str | None, tags: list[dict[str, str]]):
        self.id = _hex_id("fs")
        self.arn = f"arn:aws:s3files:{backend.region_name}:{backend.account_id}:file-system/{self.id}"
        self.bucket = bucket
        self.prefix = prefix
        self.role_arn = role_arn
        self.client_token = client_token or str(mock_random.uuid4())
        self.kms_key_id = kms_key_id
        self.tags = tags
        self.owner_id = backend.account_id
        self.status = "creating"
        self.status_message: str | None = None
        self.creation_time = utcnow()

    def names(self) -> tuple[str | None, ...]:
        return (self.id, self.arn, self.bucket, _name_of(self.tags))

    @property
    def bucket_name(self) -> str:
        return self.bucket.split(":::", 1)[-1]

    def summary(self) -> dict[str, Any]:
        out = {
            "creationTime": self.creation_time, "fileSystemArn": self.arn, "fileSystemId": self.id,
            "bucket": self.bucket, "status": self.status, "roleArn": self.role_arn, "ownerId": self.owner_id,
        }
        if _name_of(self.tags):
            out["name"] = _name_of(self.tags)
        if self.status_message:
            out["statusMessage"] = self.status_message
        return out

    def describe(self) -> dict[str, Any]:
        out = self.summary()
        out.update({"prefix": self.prefix, "clientToken": self.client_token, "tags": self.tags})
        if self.kms_key_id:
            out["kmsKeyId"] = self.kms_key_id
        return out


class MountTarget:
    def __init__(self, backend: S3FilesBackend, fs: FileSystem, subnet: Any, group_ids: list[str]):
        self.id = _hex_id("fsmt")
        self.file_system_id = fs.id
        self.subnet_id = subnet.id
        self.vpc_id = subnet.vpc_id
        self.availability_zone_id = subnet.availability_zone_id
        self.owner_id = backend.account_id
        self.security_groups = group_ids
        self.status = "creating"
        self.status_message: str | None = None
        eni = enis.create_managed_eni(
            backend.account_id, backend.region_name, subnet.id, group_ids, "s3files_mount_target",
            "interface", f"S3 Files mount target {self.id} for file system {fs.id}",
        )
        self.network_interface_id = eni.id
        self.ipv4_address = eni.private_ip_address

    def describe(self) -> dict[str, Any]:
        return {
            "availabilityZoneId": self.availability_zone_id, "ownerId": self.owner_id,
            "mountTargetId": self.id, "fileSystemId": self.file_system_id, "subnetId": self.subnet_id,
            "ipv4Address": self.ipv4_address, "networkInterfaceId": self.network_interface_id,
            "vpcId": self.vpc_id, "securityGroups": self.security_groups, "status": self.status,
            **({"statusMessage": self.status_message} if self.status_message else {}),
        }

    def names(self) -> tuple[str | None, ...]:
        return (self.id, self.subnet_id, self.file_system_id)


class AccessPoint:
    def __init__(self, backend: S3FilesBackend, fs: FileSystem, client_token: str | None,
                 posix_user: dict[str, Any] | None, root_directory: dict[str, Any] | None,
                 tags: list[dict[str, str]]):
        self.id = _hex_id("fsap")
        self.arn = f"{fs.arn}/access-point/{self.id}"
        self.file_system_id = fs.id
        self.client_token = client_token or str(mock_random.uuid4())
        self.posix_user = posix_user
        self.root_directory = root_directory or {"path": "/"}
        self.tags = tags
        self.owner_id = backend.account_id
        self.status = "creating"

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "accessPointArn": self.arn, "accessPointId": self.id, "fileSystemId": self.file_system_id,
            "status": self.status, "ownerId": self.owner_id, "rootDirectory": self.root_directory,
        }
        if self.posix_user:
            out["posixUser"] = self.posix_user
        if _name_of(self.tags):
            out["name"] = _name_of(self.tags)
        return out

    def describe(self) -> dict[str, Any]:
        return {**self.summary(), "clientToken": self.client_token, "tags": self.tags}


class S3FilesBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.file_systems: dict[str, FileSystem] = {}
        self.mount_targets: dict[str, MountTarget] = {}
        self.access_points: dict[str, AccessPoint] = {}

    # ---- helpers -------------------------------------------------------------------------
    def _ec2(self) -> Any:
        return enis.ec2_backend(self.account_id, self.region_name)

    def _transition(self, kind: str, obj: Any, to_status: str, from_status: str) -> None:
        def apply() -> None:
            if obj.status != from_status:
                return
            failed = failures.failure(kind, *obj.names()) if hasattr(obj, "names") else None
            if failed:
                obj.status, obj.status_message = "error", failed.reason
            else:
                obj.status = to_status
        scheduler.schedule(CONFIG.delay(kind), apply)

    def _remove_later(self, kind: str, table: dict[str, Any], obj: Any, then: Any = None) -> None:
        def apply() -> None:
            if table.get(obj.id) is obj:
                del table[obj.id]
                if then:
                    then()
        scheduler.schedule(CONFIG.delay(kind), apply)

    def get_file_system(self, file_system_id: str) -> FileSystem:
        fs = self.file_systems.get(_last_segment(file_system_id, "file-system/"))
        if fs is None:
            raise not_found(f"File system '{file_system_id}' does not exist.")
        return fs

    def get_mount_target(self, mount_target_id: str) -> MountTarget:
        mt = self.mount_targets.get(mount_target_id)
        if mt is None:
            raise not_found(f"Mount target '{mount_target_id}' does not exist.")
        return mt

    def get_access_point(self, access_point_id: str) -> AccessPoint:
        ap = self.access_points.get(_last_segment(access_point_id, "access-point/"))
        if ap is None:
            raise not_found(f"Access point '{access_point_id}' does not exist.")
        return ap

    def buckets_in_use(self) -> set[str]:
        return {fs.bucket_name for fs in self.file_systems.values()}

    def _require_available(self, fs: FileSystem) -> None:
        if fs.status != "available":
            raise conflict(
                f"File system '{fs.id}' is in lifecycle state '{fs.status}'; it must be 'available'.",
                fs.id, "FileSystem",
            )

    # ---- file systems ----------------------------------------------------------------------
    def create_file_system(self, bucket: str, role_arn: str, prefix: str | None, client_token: str | None,
                           kms_key_id: str | None, tags: list[dict[str, str]],
                           accept_bucket_warning: bool) -> FileSystem:
        tags = _check_tags(tags)
        if client_token:  # a retry (a token reused with other parameters was refused by idempotency.py)
            for fs in self.file_systems.values():
                if fs.client_token == client_token:
                    return fs
        from moto.s3.models import s3_backends

        bucket_name = bucket.split(":::", 1)[1]
        s3_bucket = s3_backends[self.account_id]["aws"].buckets.get(bucket_name)
        if s3_bucket is None:
            raise not_found(f"Bucket '{bucket_name}' does not exist.")
        if s3_bucket.versioning_status != "Enabled":
            raise validation(f"Bucket '{bucket_name}' must have versioning enabled to create a file system.")
        if consistency.find_role(self.account_id, role_arn) is None:
            raise access_denied(f"S3 Files cannot assume role '{role_arn}': the role does not exist.")
        if not consistency.role_propagated(role_arn):
            raise access_denied(
                f"S3 Files is not authorized to perform sts:AssumeRole on resource '{role_arn}'."
            )
        for fs in self.file_systems.values():
            if fs.bucket == bucket and fs.prefix == (prefix or "") and fs.status != "deleting":
                raise conflict(f"A file system already exists for bucket '{bucket_name}' and prefix.",
                               fs.id, "FileSystem")
        quota = int(CONFIG.quota("s3files_file_systems"))
        if sum(fs.status != "deleting" for fs in self.file_systems.values()) >= quota:
            raise quota_exceeded(f"The account already has the maximum of {quota} file systems in this Region.")
        fs = FileSystem(self, bucket, prefix or "", role_arn, client_token, kms_key_id, tags)
        self.file_systems[fs.id] = fs
        self._transition("file_system_create", fs, "available", "creating")
        return fs

    def list_file_systems(self, bucket: str | None) -> list[FileSystem]:
        return [fs for fs in self.file_systems.values() if not bucket or fs.bucket == bucket]

    def delete_file_system(self, file_system_id: str, force: bool = False) -> None:
        fs = self.get_file_system(file_system_id)
        if any(mt.file_system_id == fs.id for mt in self.mount_targets.values()):
            raise conflict(f"File system '{fs.id}' has mount targets and cannot be deleted.", fs.id, "FileSystem")
        if fs.status == "deleting":
            return
        if not force and (failures.pending_export(*fs.names()) or datapath.pending_export(fs.id)):
            raise conflict(
                f"File system '{fs.id}' has data that is not yet exported to bucket '{fs.bucket_name}'. "
                "Retry when the export has finished, or set forceDelete to delete it anyway (the data "
                "pending export is lost).", fs.id, "FileSystem")
        fs.status = "deleting"
        for ap in [ap for ap in self.access_points.values() if ap.file_system_id == fs.id]:
            ap.status = "deleting"
            self._remove_later("file_system_delete", self.access_points, ap)
        self._remove_later("file_system_delete", self.file_systems, fs)

    # ---- mount targets ---------------------------------------------------------------------
    def _resolve_groups(self, vpc_id: str, group_ids: list[str] | None) -> list[str]:
        ec2 = self._ec2()
        if not group_ids:
            default = ec2.get_default_security_group(vpc_id)
            return [default.id] if default else []
        if len(group_ids) > MAX_SECURITY_GROUPS:
            raise validation(f"At most {MAX_SECURITY_GROUPS} security groups may be given.")
        for group_id in group_ids:
            group = ec2.get_security_group_from_id(group_id)
            if group is None:
                raise validation(f"Security group '{group_id}' does not exist.")
            if group.vpc_id != vpc_id:
                raise validation(f"Security group '{group_id}' does not belong to VPC '{vpc_id}'.")
        return list(group_ids)

    def create_mount_target(self, file_system_id: str, subnet_id: str,
                            security_groups: list[str] | None) -> MountTarget:
        fs = self.get_file_system(file_system_id)
        self._require_available(fs)
        try:
            subnet = self._ec2().get_subnet(subnet_id)
        except Exception:
            raise validation(f"Subnet '{subnet_id}' does not exist.")
        siblings = [mt for mt in self.mount_targets.values() if mt.file_system_id == fs.id]
        for mt in siblings:
            if mt.vpc_id != subnet.vpc_id:
                raise conflict(f"Mount targets of file system '{fs.id}' must all be in VPC '{mt.vpc_id}'.",
                               mt.id, "MountTarget")
            if mt.availability_zone_id == subnet.availability_zone_id:
                raise conflict(
                    f"File system '{fs.id}' already has mount target '{mt.id}' in availability zone "
                    f"'{subnet.availability_zone}'.", mt.id, "MountTarget",
                )
        groups = self._resolve_groups(subnet.vpc_id, security_groups)
        mt = MountTarget(self, fs, subnet, groups)
        self.mount_targets[mt.id] = mt
        self._transition("mount_target_create", mt, "available", "creating")
        return mt

    def list_mount_targets(self, file_system_id: str | None, access_point_id: str | None) -> list[MountTarget]:
        if access_point_id:
            file_system_id = self.get_access_point(access_point_id).file_system_id
        if file_system_id:
            fs = self.get_file_system(file_system_id)
            return [mt for mt in self.mount_targets.values() if mt.file_system_id == fs.id]
        return list(self.mount_targets.values())

    def update_mount_target(self, mount_target_id: str, security_groups: list[str]) -> MountTarget:
        mt = self.get_mount_target(mount_target_id)
        mt.security_groups = self._resolve_groups(mt.vpc_id, security_groups)
        ec2 = self._ec2()
        eni = ec2.enis.get(mt.network_interface_id)
        if eni is not None:
            eni._group_set = [ec2.get_security_group_from_id(g) for g in mt.security_groups]
        return mt

    def _runtimes_using(self, access_points: list[AccessPoint]) -> list[Any]:
        from ..agentcore import runtimes_mounting

        return runtimes_mounting(self.account_id, self.region_name, {ap.arn for ap in access_points})

    def delete_mount_target(self, mount_target_id: str) -> None:
        mt = self.get_mount_target(mount_target_id)
        if mt.status == "deleting":
            return
        # "delete a resource that is in use" (the model's ConflictException): a runtime mounting
        # this file system reaches it through the mount target in its subnets' AZs.
        from ..agentcore import runtime_subnets

        ec2 = self._ec2()
        access_points = [ap for ap in self.access_points.values() if ap.file_system_id == mt.file_system_id]
        for runtime in self._runtimes_using(access_points):
            zones = set()
            for subnet_id in runtime_subnets(runtime):
                try:
                    zones.add(ec2.get_subnet(subnet_id).availability_zone_id)
                except Exception:
                    continue
            if mt.availability_zone_id in zones:
                raise conflict(
                    f"Mount target '{mt.id}' is in use: agent runtime '{runtime.arn}' mounts file system "
                    f"'{mt.file_system_id}' in availability zone '{mt.availability_zone_id}'.", mt.id, "MountTarget")
        mt.status = "deleting"
        account, region, eni_id = self.account_id, self.region_name, mt.network_interface_id
        self._remove_later("mount_target_delete", self.mount_targets, mt,
                           then=lambda: enis.delete_managed_eni(account, region, eni_id))

    # ---- access points ---------------------------------------------------------------------
    def create_access_point(self, file_system_id: str, client_token: str | None,
                            posix_user: dict[str, Any] | None, root_directory: dict[str, Any] | None,
                            tags: list[dict[str, str]]) -> AccessPoint:
        tags = _check_tags(tags)
        fs = self.get_file_system(file_system_id)
        if client_token:
            for ap in self.access_points.values():
                if ap.client_token == client_token and ap.file_system_id == fs.id:
                    return ap
        self._require_available(fs)
        quota = int(CONFIG.quota("s3files_access_points_per_file_system"))
        if sum(ap.file_system_id == fs.id for ap in self.access_points.values()) >= quota:
            raise quota_exceeded(f"File system '{fs.id}' already has the maximum of {quota} access points.")
        ap = AccessPoint(self, fs, client_token, posix_user, root_directory, tags)
        self.access_points[ap.id] = ap
        self._transition("access_point_create", ap, "available", "creating")
        return ap

    def list_access_points(self, file_system_id: str) -> list[AccessPoint]:
        fs = self.get_file_system(file_system_id)
        return [ap for ap in self.access_points.values() if ap.file_system_id == fs.id]

    def delete_access_point(self, access_point_id: str) -> None:
        ap = self.get_access_point(access_point_id)
        if ap.status == "deleting":
            return
        users = self._runtimes_using([ap])
        if users:
            raise conflict(f"Access point '{ap.id}' is in use by agent runtime '{users[0].arn}'.", ap.id,
                           "AccessPoint")
        ap.status = "deleting"
        self._remove_later("access_point_delete", self.access_points, ap)

    # ---- tags ------------------------------------------------------------------------------
    def _taggable(self, resource_id: str) -> FileSystem | AccessPoint:
        if "access-point/" in resource_id or resource_id.startswith("fsap-"):
            return self.get_access_point(resource_id)
        return self.get_file_system(resource_id)

    def tag_resource(self, resource_id: str, tags: list[dict[str, str]]) -> None:
        resource = self._taggable(resource_id)
        resource.tags = _merge_tags(resource.tags, _check_tags(tags))

    def untag_resource(self, resource_id: str, tag_keys: list[str]) -> None:
        resource = self._taggable(resource_id)
        resource.tags = [t for t in resource.tags if t["key"] not in set(tag_keys)]

    def list_tags_for_resource(self, resource_id: str) -> list[dict[str, str]]:
        return self._taggable(resource_id).tags

    # ---- inventory -------------------------------------------------------------------------
    def inventory(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "file_systems": [fs.describe() for fs in self.file_systems.values()],
            "mount_targets": [mt.describe() for mt in self.mount_targets.values()],
            "access_points": [ap.describe() for ap in self.access_points.values()],
        }


REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
    "ap-southeast-2",
]

s3files_backends = BackendDict(S3FilesBackend, "s3files", use_boto3_regions=False, additional_regions=REGIONS)
