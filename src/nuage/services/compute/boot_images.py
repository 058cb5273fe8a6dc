"""Which images a server reads, checked against the project that boots it (create, rebuild).

A server reads its image and, for direct kernel boot, the images its `kernel_id` and
`ramdisk_id` properties name. Whoever owns the root image writes those properties, so each
of them is checked as the booting project: an image it may not see is refused (400, Nova's
wording), whatever the root image says. The host agent checks again when it fetches them
(image_cache.py), since properties change after a create.
"""

from __future__ import annotations

from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError
from nuage.ports.compute import ImageInfo, ImageSource

# Read as a kernel or a ramdisk (-kernel, -initrd), never as a root disk.
NOT_BOOTABLE = frozenset({"aki", "ari"})


def boot_image(images: ImageSource, ctx: RequestContext, image_ref: str,
               not_found: ComputeFault = ComputeFault.SERVER_IMAGE_NOT_FOUND) -> ImageInfo:
    """The root image of a server of `ctx`'s project, with its kernel and ramdisk checked.
    Raises ValidationError (400); `not_found` is the fault of an unknown root image (create
    and rebuild word it differently)."""
    try:
        image = images.describe(ctx, image_ref)
    except NotFound as exc:
        # Nova answers 400 for an unknown image: the request, not a URL, is wrong.
        raise ValidationError(not_found, image_ref=image_ref) from exc
    if image.status != "active":
        raise ValidationError(ComputeFault.SERVER_IMAGE_INACTIVE, image_id=image.id)
    if image.disk_format in NOT_BOOTABLE:
        raise ValidationError(ComputeFault.SERVER_IMAGE_NOT_BOOTABLE, image_id=image.id)
    for key in ("kernel_id", "ramdisk_id"):
        ref = image.properties.get(key)
        if not ref:
            continue
        try:
            part = images.describe(ctx, ref)
        except NotFound as exc:
            # The same answer whether it does not exist or belongs to another project.
            raise ValidationError(ComputeFault.SERVER_IMAGE_PART_NOT_FOUND, image_id=ref) from exc
        if part.status != "active":
            raise ValidationError(ComputeFault.SERVER_IMAGE_INACTIVE, image_id=part.id)
    return image
