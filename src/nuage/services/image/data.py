"""Image data: streamed, inspected, hashed and encrypted on the way in; decrypted on the way out.

An upload is three steps, so no database transaction is held while bytes stream:

1. `begin_upload`: queued -> saving in one transaction (a second upload gets 409), and a
   fresh data key wrapped under the owner project's key.
2. `Upload.write`, piece by piece: the format inspection (the ImageInspector port) sees
   the bytes (and refuses a bad header at once), md5 and sha512 are updated, the plaintext
   is sealed into a blob.
3. `finish_upload`: the inspector's verdict, the blob made durable, then saving -> active
   with size, checksum, os_hash_value and virtual_size in one transaction.

A refused upload (not the declared format, a format that references other files: a qcow2
backing or data file, VMDK extents, ...; over the size cap, a size
other than the one declared) discards the data and puts the image back to `queued`, so
the owner can upload the right bytes: Glance restores the image the same way on invalid
data. Any other failure (the client went away, a disk error) leaves it `killed`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from nuage.domain import image as rules
from nuage.domain import policy
from nuage.domain.audit import Outcome
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden, NuageError, ValidationError
from nuage.domain.image import Image, ImageStatus, TooLarge
from nuage.domain.image_errors import ImageFault, RangeNotSatisfiable
from nuage.domain.image_format import UnsafeImage, Verdict
from nuage.ports.blobs import BlobWriter
from nuage.ports.image_format import ImageInspection
from nuage.services.image.base import ImageUseCases

log = logging.getLogger(__name__)


class Upload:
    """One upload in flight. Not thread-safe: one request feeds it, in order."""

    def __init__(self, image: Image, writer: BlobWriter, blob_id: str, wrapped_key: str,
                 declared_size: int | None, size_cap: int, inspection: ImageInspection
                 ) -> None:
        self.image_id = image.id
        self.owner = image.owner
        self.blob_id = blob_id
        self.wrapped_key = wrapped_key
        self.declared_size = declared_size
        self._cap = size_cap
        self._writer = writer
        self._inspection = inspection
        self._md5 = hashlib.md5()
        self._sha512 = hashlib.sha512()
        self.size = 0
        self.closed = False

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self._cap:
            raise TooLarge(ImageFault.DATA_TOO_LARGE, limit=self._cap)
        if self.declared_size is not None and self.size > self.declared_size:
            raise ValidationError(ImageFault.DATA_OVER_DECLARED)
        try:
            self._inspection.feed(data)
        except UnsafeImage as exc:
            raise ValidationError(ImageFault.DATA_REFUSED, reason=str(exc)) from exc
        self._md5.update(data)
        self._sha512.update(data)
        self._writer.write(data)

    def seal(self) -> Verdict:
        """Check what arrived, then make the blob durable (ValidationError to refuse)."""
        if self.declared_size is not None and self.size != self.declared_size:
            raise ValidationError(ImageFault.DATA_SIZE_MISMATCH, size=self.size,
                                  declared=self.declared_size)
        try:
            verdict = self._inspection.finish(self.size)
        except UnsafeImage as exc:
            raise ValidationError(ImageFault.DATA_REFUSED, reason=str(exc)) from exc
        self._writer.commit()
        self.closed = True
        return verdict

    def discard(self) -> bool:
        """Drop the partial blob; False if the upload was already over."""
        if self.closed:
            return False
        self.closed = True
        try:
            self._writer.abort()
        except OSError:
            log.exception("could not discard the partial upload of image %s", self.image_id)
        return True

    @property
    def md5(self) -> str:
        return self._md5.hexdigest()

    @property
    def sha512(self) -> str:
        return self._sha512.hexdigest()


@dataclass(frozen=True)
class Download:
    image: Image
    chunks: Iterator[bytes]
    start: int
    end: int          # inclusive
    partial: bool


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """A single `bytes=` range as (start, end inclusive); None for the whole image.

    Raises RangeNotSatisfiable for a range outside the image."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None      # unsupported forms are ignored, as HTTP allows
    first, _, last = spec.strip().partition("-")
    try:
        if first == "":
            length = int(last)
            if length <= 0:
                raise RangeNotSatisfiable(size)
            return max(0, size - length), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size or end < start:
        raise RangeNotSatisfiable(size)
    return start, min(end, size - 1)


class ImageDataService(ImageUseCases):
    def begin_upload(self, ctx: RequestContext, image_id: str, declared_size: int | None
                     ) -> Upload:
        cap = self.p.config.size_cap
        if declared_size is not None and declared_size > cap:
            raise TooLarge(ImageFault.DATA_TOO_LARGE, limit=cap)
        with self.p.uow(write=True) as uow:
            image = self.find_owned(uow, ctx, image_id, "image:image:upload", "upload")
            rules.start_upload(image)
            image.updated_at = self.p.clock.now()
            uow.commit()
        data_key = os.urandom(32)
        wrapped = self.p.keys.wrap(image.owner, data_key)
        blob_id = uuid.uuid4().hex
        writer = self.p.blobs.writer(blob_id, data_key)
        inspection = self.p.inspector.start(image.disk_format or "raw")
        return Upload(image, writer, blob_id, wrapped, declared_size, cap, inspection)

    def finish_upload(self, ctx: RequestContext, upload: Upload) -> Image:
        try:
            verdict = upload.seal()
        except BaseException as exc:
            self.abort_upload(ctx, upload, exc)
            raise
        try:
            with self.p.uow(write=True) as uow:
                image = uow.images.get(upload.image_id)
                if image is None or image.status != ImageStatus.SAVING:
                    # Deleted (or reset) while the bytes streamed: ours are not wanted.
                    raise Conflict(ImageFault.UPLOAD_SUPERSEDED)
                image.size = upload.size
                image.virtual_size = verdict.virtual_size
                image.checksum = upload.md5
                image.os_hash_algo = "sha512"
                image.os_hash_value = upload.sha512
                image.blob_id = upload.blob_id
                image.wrapped_key = upload.wrapped_key
                image.status = ImageStatus.ACTIVE.value
                image.updated_at = self.p.clock.now()
                self.record(uow, ctx, "upload", image, {
                    "size": upload.size, "checksum": image.checksum,
                    "disk_format": image.disk_format, "virtual_size": verdict.virtual_size})
                uow.commit()
                return image
        except BaseException:
            self.p.blobs.delete(upload.blob_id)
            raise

    def abort_upload(self, ctx: RequestContext, upload: Upload,
                     reason: BaseException | None = None) -> None:
        """Discard the data; back to queued after a refusal, killed after a failure."""
        upload.discard()
        refused = isinstance(reason, NuageError)
        with self.p.uow(write=True) as uow:
            image = uow.images.get(upload.image_id)
            if image is None or image.status != ImageStatus.SAVING:
                return
            image.status = (ImageStatus.QUEUED if refused else ImageStatus.KILLED).value
            image.updated_at = self.p.clock.now()
            self.record(uow, ctx, "upload", image,
                        # A refusal is recorded as its fault code and fields (no API's
                        # words); any other failure by its exception's name.
                        {"reason": getattr(reason, "message", None) or type(reason).__name__,
                         "status": image.status}, outcome=Outcome.FAILURE)
            uow.commit()

    def download(self, ctx: RequestContext, image_id: str, range_header: str | None
                 ) -> Download | None:
        """None while the image has no data (Glance answers 204 then)."""
        with self.p.uow() as uow:
            image = self.find_visible(uow, ctx, image_id)
        if image.status == ImageStatus.DEACTIVATED and not policy.may(
                ctx, "image:image:download_deactivated"):
            raise Forbidden(ImageFault.DEACTIVATED, image_id=image.id)
        if not image.has_data or image.blob_id is None or image.wrapped_key is None:
            return None
        size = image.size or 0
        wanted = parse_range(range_header, size) if size else None
        start, end = wanted if wanted is not None else (0, size - 1)
        key = self.p.keys.unwrap(image.owner, image.wrapped_key)
        chunks = (self.p.blobs.read(image.blob_id, key, start, end - start + 1)
                  if size else iter(()))
        return Download(image, chunks, start, end, wanted is not None)
