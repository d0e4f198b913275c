"""EFS calls agentfs makes that moto lacks: UpdateFileSystem (throughput mode, provisioned
throughput). The change is immediate: the file system stays `available`."""

from __future__ import annotations

import json
from typing import Any


def install() -> None:
    from moto.efs.exceptions import FileSystemNotFound
    from moto.efs.responses import EFSResponse

    def update_file_system(self: Any) -> tuple[str, dict[str, Any]]:
        file_system_id = self._get_param("FileSystemId")
        fs = self.efs_backend.file_systems_by_id.get(file_system_id)
        if fs is None:
            raise FileSystemNotFound(file_system_id)
        mode = self._get_param("ThroughputMode")
        if mode:
            fs.throughput_mode = mode
        mibps = self._get_param("ProvisionedThroughputInMibps")
        if mibps is not None:
            fs.provisioned_throughput_in_mibps = mibps
        return json.dumps(fs.info_json()), {"status": 202, "Content-Type": "application/json"}

    EFSResponse.update_file_system = update_file_system
