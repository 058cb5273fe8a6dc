"""os-volume_upload_image: a volume's content becomes a Glance image.

The image is reserved first (queued, owned by the caller's project), outside the volume's
transaction as compute reserves a server snapshot's image, so that its id is answered at
once as Cinder does; then the volume goes `uploading` with the image's id on its row, and
its host's volume agent reads it in place and streams it into the image (raw), then
records `Uploaded` (or `Failed`: the image is discarded). Either way the volume is
`available` (or `in-use`) again. An attached volume (`force`) is read from a snapshot the
compute agent takes first (`upload_snapshot_id`), deleted once the outcome is recorded.
A crash leaves `uploading` and the image id: the next pass uploads again (an image
already active is left as it is; one cut half way fails and is discarded, the volume
given back).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.domain.volume import Snapshot, Volume, VolumeStatus, VolumeType
from nuage.domain.volume_errors import VolumeFault
from nuage.services.volume.base import VolumeUseCases, volume_target

# Glance's own fields and those a volume's image metadata records about its source image:
# never copied onto the new image as properties.
_NOT_PROPERTIES = frozenset({
    "image_id", "image_name", "checksum", "container_format", "disk_format", "min_disk",
    "min_ram", "size", "virtual_size", "status", "owner", "id", "name", "visibility",
    "protected", "os_hash_algo", "os_hash_value", "created_at", "updated_at", "tags",
    "locations", "direct_url", "file", "schema", "self", "os_hidden", "stores"})
# The agent streams the volume's plaintext as it reads it: raw is the format it makes.
DISK_FORMATS = frozenset({"raw"})
CONTAINER_FORMATS = frozenset({"bare"})
VISIBILITIES = frozenset({"private", "public", "shared", "community"})


@dataclass(frozen=True)
class UploadRequest:
    image_name: str
    force: bool = False
    disk_format: str = "raw"
    container_format: str = "bare"
    visibility: str = "private"
    protected: bool = False


@dataclass(frozen=True)
class UploadStarted:
    """Cinder's answer: the volume as it is now (uploading), its type, the new image."""

    volume: Volume
    volume_type: VolumeType | None
    image_id: str
    request: UploadRequest


class VolumeUploadService(VolumeUseCases):
    def upload_to_image(self, ctx: RequestContext, volume_id: str, req: UploadRequest
                        ) -> UploadStarted:
        self.require_user(ctx)
        for name, value, allowed in (("disk_format", req.disk_format, DISK_FORMATS),
                                     ("container_format", req.container_format,
                                      CONTAINER_FORMATS),
                                     ("visibility", req.visibility, VISIBILITIES)):
            if value not in allowed:
                raise ValidationError(VolumeFault.UPLOAD_FORMAT_INVALID, field=name,
                                      value=value)
        images = self.p.images
        if images is None:
            raise ValidationError(VolumeFault.UPLOAD_UNAVAILABLE)
        with self.p.uow() as uow:
            volume = self.find_volume(uow, ctx, volume_id)
            self.enforce(uow, ctx, "volume:volume:upload_image", volume_target(volume),
                         "volume", volume.id)
            self._check(volume, req)
            properties = {k: v for k, v in volume.image_metadata.items()
                          if k not in _NOT_PROPERTIES}
        properties.update({"disk_format": req.disk_format,
                           "container_format": req.container_format,
                           "visibility": req.visibility})
        image_id = images.reserve_snapshot(ctx, req.image_name, properties)
        try:
            started = self._start(ctx, volume_id, image_id, req)
        except BaseException:
            images.discard_snapshot(image_id, "the upload was refused")
            raise
        self.wake([started.volume.host])
        return started

    @staticmethod
    def _check(volume: Volume, req: UploadRequest) -> None:
        if volume.status == VolumeStatus.IN_USE and req.force:
            return
        if volume.status != VolumeStatus.AVAILABLE:
            raise ValidationError(VolumeFault.VOLUME_INVALID_STATUS, volume_id=volume.id,
                                  status=volume.status, action="upload_image")

    def _start(self, ctx: RequestContext, volume_id: str, image_id: str,
               req: UploadRequest) -> UploadStarted:
        with self.p.uow(write=True) as uow:
            volume = self.find_volume(uow, ctx, volume_id, for_update=True)
            self._check(volume, req)
            now = self.p.clock.now()
            if volume.status == VolumeStatus.IN_USE:
                # The guest's QEMU holds the file: the compute agent takes a snapshot
                # (forced), the upload reads it beside the running guest, and it goes
                # when the upload is recorded (agent_control.py). Not counted in the
                # snapshot quota: it is the upload's.
                temp = Snapshot(
                    id=str(uuid.uuid4()), project_id=volume.project_id,
                    user_id=ctx.user_id or "", volume_id=volume.id, size=volume.size,
                    created_at=now, updated_at=now, name=f"image-snap-{image_id}",
                    description=f"Temporary snapshot of the upload to image {image_id}",
                    forced=True)
                uow.volume_snapshots.add(temp)
                volume.upload_snapshot_id = temp.id
            volume.status = VolumeStatus.UPLOADING.value
            volume.upload_image_id = image_id
            volume.updated_at = now
            self.audit(uow, ctx, "volume.upload_image", "volume", volume.id,
                       volume.project_id, {"image_id": image_id,
                                           "disk_format": req.disk_format})
            vtype = uow.volume_types.get(volume.volume_type_id)
            uow.commit()
        return UploadStarted(volume, vtype, image_id, req)
