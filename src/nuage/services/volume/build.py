"""The volume use cases of one deployment, built from their ports (see `build_network`)."""

from __future__ import annotations

from dataclasses import dataclass

from nuage.services.volume.actions import VolumeActionService
from nuage.services.volume.agent_control import VolumeAgentControl
from nuage.services.volume.backups import BackupService
from nuage.services.volume.base import VolumePorts
from nuage.services.volume.compute_binding import VolumeComputeBinding
from nuage.services.volume.quotas import VolumeQuotaService
from nuage.services.volume.snapshots import SnapshotService
from nuage.services.volume.types import VolumeTypeService
from nuage.services.volume.uploads import VolumeUploadService
from nuage.services.volume.volumes import VolumeService


@dataclass(frozen=True)
class VolumeServices:
    volumes: VolumeService
    actions: VolumeActionService
    snapshots: SnapshotService
    types: VolumeTypeService
    quotas: VolumeQuotaService
    backups: BackupService
    uploads: VolumeUploadService
    # Compute's ServerVolumes port (its servers' volumes), served by these use cases.
    compute_binding: VolumeComputeBinding
    ports: VolumePorts
    config_max_page: int

    def agent_control(self, host: str) -> VolumeAgentControl:
        """The volume agent's port (HostVolumes), bound to `host`."""
        return VolumeAgentControl(self.ports, host)


def build_volume(ports: VolumePorts) -> VolumeServices:
    quotas = VolumeQuotaService(ports)
    volumes = VolumeService(ports, quotas)
    return VolumeServices(
        volumes=volumes, actions=VolumeActionService(ports, quotas),
        snapshots=SnapshotService(ports, quotas), types=VolumeTypeService(ports),
        quotas=quotas, backups=BackupService(ports, quotas, volumes),
        uploads=VolumeUploadService(ports),
        compute_binding=VolumeComputeBinding(ports, quotas), ports=ports,
        config_max_page=ports.config.max_page)
