"""Boot from volume: what a create's block devices (VolumeRequest) decide about the
server before the volume service makes and reserves them (ServerVolumes.check, then
prepare in the create's unit of work)."""

from __future__ import annotations

import json
from typing import Any

from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.ports.compute import ImageInfo
from nuage.ports.compute_volumes import ServerVolumes, VolumeRequest

ROOT_DEVICES = frozenset({"vda", "sda", "xvda", "hda"})


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


def image_volumes(image: ImageInfo) -> tuple[VolumeRequest, ...]:
    """The block devices an image defines (Nova's image-defined BDMs: the
    `block_device_mapping` property a volume-backed server's snapshot carries, JSON;
    `bdm_v2` "True" for the v2 shape, else the legacy one). Malformed: 400."""
    raw = image.properties.get("block_device_mapping")
    if not raw:
        return ()
    try:
        items = json.loads(raw)
    except ValueError:
        items = None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValidationError(ComputeFault.SERVER_VOLUME_MAPPING_INVALID,
                              problem=f"image {image.id} has a malformed block_device_mapping.")
    v2 = str(image.properties.get("bdm_v2", "")).lower() in ("true", "1", "yes")
    return tuple(r for r in (_image_mapping(i, v2) for i in items) if r is not None)


def _image_mapping(item: dict[str, Any], v2: bool) -> VolumeRequest | None:
    if item.get("no_device"):
        return None
    device = item.get("device_name") or None
    size = item.get("volume_size")
    size = int(size) if isinstance(size, int | str) and str(size).isdigit() else None
    delete = bool(item.get("delete_on_termination"))
    if not v2:
        # Legacy: a snapshot or a volume, booting from the one on the root device.
        source = "snapshot" if item.get("snapshot_id") else "volume"
        root = str(device or "").removeprefix("/dev/") in ROOT_DEVICES
        return VolumeRequest(source=source, uuid=item.get("snapshot_id") or item.get(
            "volume_id"), volume_size=size, boot_index=0 if root else None,
            device_name=device, delete_on_termination=delete)
    if item.get("destination_type") != "volume":
        return None     # an image on the local disk: the image itself, nothing to make
    source = str(item.get("source_type") or "")
    ident = item.get({"snapshot": "snapshot_id", "volume": "volume_id",
                      "image": "image_id"}.get(source, "uuid")) or item.get("uuid")
    boot = item.get("boot_index")
    return VolumeRequest(source=source, uuid=ident, volume_size=size,
                         boot_index=int(boot) if isinstance(boot, int) else None,
                         device_name=device, delete_on_termination=delete,
                         tag=item.get("tag"), volume_type=item.get("volume_type"))


def merge(image_defined: tuple[VolumeRequest, ...], requested: tuple[VolumeRequest, ...]
          ) -> tuple[VolumeRequest, ...]:
    """As Nova's create: the request's mappings win over the image's on the same device,
    and a request that names its own boot volume drops the image's."""
    taken = {r.device_name for r in requested if r.device_name}
    own_boot = boot_volume(requested) is not None
    kept = tuple(r for r in image_defined if r.device_name not in taken
                 and not (own_boot and r.boot_index == 0))
    return kept + requested
