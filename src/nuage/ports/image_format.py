"""What the image service and the host's image cache need to prove an image self-contained.

An implementation parses disk image formats (drivers/image_format.py: oslo.utils' format
inspector) and applies the rules of domain/image_format.py.
"""

from __future__ import annotations

from typing import Protocol

from nuage.domain.image_format import Verdict


class ImageInspection(Protocol):
    """One image's bytes, fed in order, in pieces of any size. Keeps only the few regions
    the formats need (at most about 1 MiB), never the image. Not thread-safe."""

    def feed(self, data: bytes) -> None:
        """Raises UnsafeImage as soon as the bytes seen so far decide a refusal."""
        ...

    @property
    def settled(self) -> bool:
        """True once more bytes cannot change the verdict (a reader of a file may stop)."""
        ...

    def finish(self, size: int) -> Verdict:
        """The verdict on the whole image of `size` bytes; raises UnsafeImage to refuse."""
        ...


class ImageInspector(Protocol):
    def start(self, declared: str) -> ImageInspection:
        """An inspection of content declared as `declared` (a Glance disk_format)."""
        ...
