"""Which images a server reads, checked against the project that boots it (create, rebuild).

A server reads its image and, for direct kernel boot, the images its `kernel_id` and
`ramdisk_id` properties name. Whoever owns the root image writes those properties, so each
of them is checked as the booting project: an image it may not see is refused (400, Nova's
wording), whatever the root image says. The host agent checks again when it fetches them
(image_cache.py), since properties change after a create.
"""

from __future__ import annotations

from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound, ValidationError
from nuage.ports.compute import ImageInfo, ImageSource

# Read as a kernel or a ramdisk (-kernel, -initrd), never as a root disk.
NOT_BOOTABLE = frozenset({"aki", "ari"})


def boot_image(images: ImageSource, ctx: RequestContext, image_ref: str,
               not_found: str = "Can not find requested image") -> ImageInfo:
    """The root image of a server of `ctx`'s project, with its kernel and ramdisk checked.
    Raises ValidationError (400) with Nova's messages."""
    try:
        image = images.describe(ctx, image_ref)
    except NotFound as exc:
        # Nova answers 400 for an unknown image: the request, not a URL, is wrong.
        raise ValidationError(not_found) from exc
    if image.status != "active":
        raise ValidationError(f"Image {image.id} is not active.")
    if image.disk_format in NOT_BOOTABLE:
        raise ValidationError(f"Image {image.id} is unacceptable: a kernel (aki) or ramdisk "
                              f"(ari) image cannot be a server's root disk.")
    for key in ("kernel_id", "ramdisk_id"):
        ref = image.properties.get(key)
        if not ref:
            continue
        try:
            part = images.describe(ctx, ref)
        except NotFound as exc:
            # The same answer whether it does not exist or belongs to another project.
            raise ValidationError(f"Image {ref} could not be found.") from exc
        if part.status != "active":
            raise ValidationError(f"Image {part.id} is not active.")
    return image
