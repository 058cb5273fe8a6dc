"""The ImageSource port compute needs, answered by the image service of this deployment.

It lives with the image use cases: compute sees images only through its port, so a remote
agent can be given one that fetches over HTTP (the service areas are independent).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from nuage.domain.context import RequestContext
from nuage.ports.compute import ImageInfo
from nuage.services.image.data import ImageDataService
from nuage.services.image.images import ImageQuery, ImageService

# Backups rotated in one pass at most (a rotation keeps far fewer than this).
MAX_BACKUPS_LISTED = 1000
# The host agent fetches images for servers already authorised against them.
AGENT = RequestContext(request_id="compute-agent", user_id="nuage-compute", system=True,
                       roles=frozenset({"admin", "member", "reader"}))


def _owner(project_id: str) -> RequestContext:
    """Acting for a project on its own snapshot image (created by its user's request)."""
    return RequestContext(request_id="compute-agent", user_id="nuage-compute",
                          project_id=project_id, roles=frozenset({"member", "reader"}))


class LocalImageSource:
    def __init__(self, images: ImageService, data: ImageDataService) -> None:
        self._images = images
        self._data = data

    def describe(self, ctx: RequestContext, image_id: str) -> ImageInfo:
        image = self._images.get(ctx, image_id)
        return ImageInfo(id=image.id, name=image.name, status=image.status,
                         disk_format=image.disk_format, min_disk=image.min_disk,
                         min_ram=image.min_ram, size=image.size,
                         properties=dict(image.properties))

    def fetch(self, image_id: str, dest: Path) -> None:
        download = self._data.download(AGENT, image_id, None)
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            if download is not None:
                for chunk in download.chunks:
                    out.write(chunk)
            out.flush()
            os.fsync(out.fileno())

    def reserve_snapshot(self, ctx: RequestContext, name: str, properties: dict[str, str]
                         ) -> str:
        image = self._images.create(ctx, {"name": name, "disk_format": "qcow2",
                                          "container_format": "bare",
                                          "visibility": "private", **properties})
        return image.id

    def register_volume_snapshot(self, ctx: RequestContext, name: str,
                                 properties: dict[str, str]) -> str:
        # Raw and empty: the image is a bucket of properties, as Nova's; an empty upload
        # makes it active (size 0) through the usual path, checksums included.
        image = self._images.create(ctx, {"name": name, "disk_format": "raw",
                                          "container_format": "bare",
                                          "visibility": "private", **properties})
        try:
            self._upload(image.id, iter(()), 0)
        except BaseException:
            self._images.delete(_owner(image.owner), image.id)
            raise
        return image.id

    def upload_snapshot(self, image_id: str, source: Path, disk_format: str) -> None:
        with source.open("rb") as f:
            self._upload(image_id, iter(lambda: f.read(1 << 20), b""),
                         source.stat().st_size)

    def upload_image(self, image_id: str, chunks: Iterable[bytes], size: int) -> None:
        if self._images.get(AGENT, image_id).status == "active":
            return
        self._upload(image_id, chunks, size)

    def _upload(self, image_id: str, chunks: Iterable[bytes], size: int) -> None:
        image = self._images.get(AGENT, image_id)
        ctx = _owner(image.owner)
        upload = self._data.begin_upload(ctx, image_id, size)
        try:
            for chunk in chunks:
                upload.write(chunk)
        except BaseException as exc:
            self._data.abort_upload(ctx, upload, exc)
            raise
        self._data.finish_upload(ctx, upload)

    def discard_snapshot(self, image_id: str, reason: str) -> None:
        image = self._images.get(AGENT, image_id)
        self._images.delete(_owner(image.owner), image_id)

    def rotate_backups(self, project_id: str, instance_uuid: str, backup_type: str,
                       rotation: int) -> list[str]:
        # As Nova's compute manager does after a backup: the project's view of its images.
        ctx = _owner(project_id)
        page = self._images.list_images(ctx, ImageQuery(
            owner=project_id, properties={"image_type": "backup", "backup_type": backup_type,
                                          "instance_uuid": instance_uuid},
            sort=(("created_at", "desc"), ("id", "desc")), limit=MAX_BACKUPS_LISTED))
        deleted = []
        for image in page.images[max(rotation, 0):]:
            self._images.delete(ctx, image.id)
            deleted.append(image.id)
        return deleted
