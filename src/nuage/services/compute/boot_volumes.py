"""Boot from volume: what a create's block devices (VolumeRequest) decide about the
server before the volume service makes and reserves them (ServerVolumes.check, then
prepare in the create's unit of work)."""

from __future__ import annotations

from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.ports.compute_volumes import ServerVolumes, VolumeRequest


def boot_volume(requests: tuple[VolumeRequest, ...]) -> VolumeRequest | None:
    """The volume the server boots from (boot_index 0), if it boots from one."""
    return next((r for r in requests if r.boot_index == 0), None)


def root_image(ctx: RequestContext, volumes: ServerVolumes | None, image_ref: str,
               requests: tuple[VolumeRequest, ...]) -> str:
    """The image the server's guest is made with: `image_ref`, or for a boot volume made
    from an image, that image ("" for one made otherwise). Refuses (400) volumes on a
    cloud without block storage, and a create with neither an image nor a boot volume."""
    if requests and volumes is None:
        raise ValidationError(ComputeFault.SERVER_VOLUMES_UNAVAILABLE)
    boot = boot_volume(requests)
    if boot is None:
        if not image_ref:
            if volumes is None:
                raise ValidationError(ComputeFault.SERVER_VOLUME_BOOT_UNSUPPORTED)
            raise ValidationError(ComputeFault.SERVER_VOLUME_MAPPING_INVALID,
                                  problem="Boot sequence for the instance and image/block "
                                  "device mapping combination is not valid.")
        return image_ref
    if boot.source == "image" and boot.uuid:
        return boot.uuid
    if boot.source == "volume" and boot.uuid and not image_ref and volumes is not None:
        # An existing volume made from an image (Tempest's volume_backed servers, the
        # CLI's --volume): its guest is made with that image, as for source "image".
        return volumes.source_image(ctx, boot.uuid) or ""
    return image_ref
