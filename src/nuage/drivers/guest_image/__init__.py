"""The default guest image: the Debian cloud kernel and a busybox initramfs whose init reads
the config drive. Built from Debian packages only; see docs/architecture/guest-image.md."""

from nuage.drivers.guest_image.builder import (
    DEFAULT_CMDLINE,
    GuestImageError,
    GuestImageFiles,
    build_guest_image,
)

__all__ = ["DEFAULT_CMDLINE", "GuestImageError", "GuestImageFiles", "build_guest_image"]
