"""The image use cases of one deployment, built from their ports (see `build_identity`)."""

from __future__ import annotations

from dataclasses import dataclass

from nuage.services.image.base import ImagePorts
from nuage.services.image.data import ImageDataService
from nuage.services.image.images import ImageService
from nuage.services.image.members import ImageMemberService


@dataclass(frozen=True)
class ImageServices:
    images: ImageService
    data: ImageDataService
    members: ImageMemberService


def build_image(ports: ImagePorts) -> ImageServices:
    return ImageServices(images=ImageService(ports), data=ImageDataService(ports),
                         members=ImageMemberService(ports))
