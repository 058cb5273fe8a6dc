"""Multipart uploads: parts are encrypted blobs of their own; completing an upload links
them, in order, as the segments of one object — no byte is copied."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, replace

from nuage.domain import checksums
from nuage.domain.context import RequestContext
from nuage.domain.storage import (
    MAX_PART_NUMBER,
    MIN_PART_SIZE,
    GarbageBlob,
    MultipartUpload,
    ObjectVersion,
    Part,
    multipart_etag,
)
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.ports.repositories import UnitOfWork
from nuage.services.storage.base import StorageUseCases
from nuage.services.storage.copying import CopySource, read_source
from nuage.services.storage.incoming import (
    Incoming,
    Integrity,
    SseC,
    new_data_key,
    open_data_key,
)
from nuage.services.storage.objects import (
    NewObject,
    ObjectService,
    Retention,
    check_new_object,
    segments_reader,
)
from nuage.services.storage.preconditions import Preconditions

MAX_PART_SIZE = 5 * 1024**3


@dataclass
class PartSession:
    upload: MultipartUpload
    part_number: int
    incoming: Incoming


@dataclass(frozen=True)
class CompletedPart:
    number: int
    etag: str
    checksums: dict[str, str]


def no_such_upload(upload_id: str) -> StorageError:
    return StorageError(Fault.NO_SUCH_UPLOAD, StorageReason.UPLOAD_MISSING,
                        extra={"UploadId": upload_id}, upload_id=upload_id)


class MultipartService(StorageUseCases):
    def _upload(self, uow: UnitOfWork, bucket: str, key: str, upload_id: str
                ) -> MultipartUpload:
        upload = uow.uploads.get(upload_id)
        if upload is None or upload.bucket != bucket or upload.key != key:
            raise no_such_upload(upload_id)
        return upload

    def create(self, ctx: RequestContext, new: NewObject, checksum_algorithm: str | None
               ) -> MultipartUpload:
        check_new_object(new)
        if checksum_algorithm and checksum_algorithm.upper() not in checksums.DIGEST_SIZES:
            raise StorageError(Fault.INVALID_REQUEST, StorageReason.UPLOAD_CHECKSUM_UNSUPPORTED,
                               algorithm=checksum_algorithm)
        with self.p.uow(write=True) as uow:
            bucket = self.bucket(uow, new.bucket)
            self.authorize(uow, ctx, bucket, "s3:PutObject", new.key, writable=True)
            if (new.retention or new.legal_hold) and not bucket.object_lock:
                raise StorageError(Fault.INVALID_REQUEST, StorageReason.LOCK_NOT_CONFIGURED,
                                   bucket=bucket.name)
            _, wrapped = new_data_key(self.p.keys, bucket.project_id, new.sse_c)
            upload = MultipartUpload(
                upload_id=uuid.uuid4().hex + uuid.uuid4().hex, bucket=bucket.name, key=new.key,
                project_id=bucket.project_id, initiated_at=self.p.clock.now(),
                wrapped_key=wrapped, owner_user_id=ctx.user_id, content_type=new.content_type,
                headers=dict(new.headers), metadata=dict(new.metadata),
                sse_c_key_md5=new.sse_c.key_md5 if new.sse_c else None,
                checksum_algorithm=checksum_algorithm.upper() if checksum_algorithm else None,
                tags=dict(new.tags),
                retention_mode=new.retention.mode if new.retention else None,
                retain_until=new.retention.until if new.retention else None,
                legal_hold=new.legal_hold)
            uow.uploads.add(upload)
            self.record(uow, ctx, "storage.multipart.create", bucket, new.key,
                        detail={"upload_id": upload.upload_id})
            uow.commit()
            return upload

    def begin_part(self, ctx: RequestContext, bucket_name: str, key: str, upload_id: str,
                   part_number: int, integrity: Integrity, sse_c: SseC | None
                   ) -> PartSession:
        if not 1 <= part_number <= MAX_PART_NUMBER:
            raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.PART_NUMBER_INVALID,
                               extra={"ArgumentName": "partNumber",
                                      "ArgumentValue": str(part_number)},
                               part_number=part_number)
        with self.p.uow() as uow:
            bucket = self.bucket(uow, bucket_name)
            self.authorize(uow, ctx, bucket, "s3:PutObject", key)
            upload = self._upload(uow, bucket_name, key, upload_id)
        data_key = open_data_key(self.p.keys, upload.project_id, upload.wrapped_key,
                                 upload.sse_c_key_md5, sse_c)
        return PartSession(upload, part_number,
                           Incoming(self.p.blobs, data_key, integrity, MAX_PART_SIZE))

    def finish_part(self, ctx: RequestContext, session: PartSession,
                    trailers: dict[str, str] | None = None) -> Part:
        received = session.incoming.finish(trailers)
        try:
            with self.p.uow(write=True) as uow:
                upload = self._upload(uow, session.upload.bucket, session.upload.key,
                                      session.upload.upload_id)
                old = uow.parts.get((upload.upload_id, session.part_number))
                if old is not None:
                    self._discard_blob(uow, old.blob_id)
                    uow.parts.delete(old)
                part = Part(upload_id=upload.upload_id, part_number=session.part_number,
                            blob_id=received.blob.blob_id, size=received.blob.size,
                            etag=received.md5_hex, created_at=self.p.clock.now(),
                            checksums=received.checksums)
                uow.parts.add(part)
                uow.commit()
                return part
        except BaseException:
            self.p.blobs.delete(received.blob.blob_id)
            raise

    def copy_part(self, ctx: RequestContext, bucket_name: str, key: str, upload_id: str,
                  part_number: int, src: CopySource, sse_c: SseC | None) -> Part:
        source, source_key, _ = read_source(ObjectService(self.p), ctx, src)
        start, end = 0, source.size - 1
        if src.byte_range is not None:
            start, end = src.byte_range
            if start > end or end >= source.size:
                raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.COPY_RANGE_INVALID,
                                   extra={"ArgumentName": "x-amz-copy-source-range"},
                                   first=start, last=end, size=source.size)
        session = self.begin_part(ctx, bucket_name, key, upload_id, part_number,
                                  Integrity(content_length=end - start + 1), sse_c)
        try:
            if end >= start:
                for piece in segments_reader(self.p.blobs, source, source_key, start, end):
                    session.incoming.write(piece)
        except BaseException:
            session.incoming.abort()
            raise
        return self.finish_part(ctx, session)

    def _discard_blob(self, uow: UnitOfWork, blob_id: str) -> None:
        if uow.garbage.get(blob_id) is None:
            uow.garbage.add(GarbageBlob(blob_id, self.p.clock.now()))

    def complete(self, ctx: RequestContext, bucket_name: str, key: str, upload_id: str,
                 wanted: list[CompletedPart], conditions: Preconditions | None = None
                 ) -> ObjectVersion:
        if not wanted:
            raise StorageError(Fault.MALFORMED_XML, StorageReason.XML_MALFORMED)
        numbers = [p.number for p in wanted]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise StorageError(Fault.INVALID_PART_ORDER, StorageReason.PART_ORDER_INVALID,
                               extra={"UploadId": upload_id}, upload_id=upload_id)
        with self.p.uow() as uow:
            bucket = self.bucket(uow, bucket_name)
            self.authorize(uow, ctx, bucket, "s3:PutObject", key)
            upload = self._upload(uow, bucket_name, key, upload_id)
            stored = {p.part_number: p for p in uow.parts.find(upload_id=upload_id)}
        chosen: list[Part] = []
        for i, want in enumerate(wanted):
            part = stored.get(want.number)
            if part is None or part.etag != want.etag.strip('"'):
                raise StorageError(Fault.INVALID_PART, StorageReason.PART_MISSING,
                                   extra={"UploadId": upload_id,
                                          "PartNumber": str(want.number)},
                                   upload_id=upload_id, part_number=want.number)
            for alg, value in want.checksums.items():
                if part.checksums.get(alg) not in (None, value):
                    raise StorageError(Fault.INVALID_PART, StorageReason.PART_CHECKSUM_MISMATCH,
                                       algorithm=alg, part_number=want.number)
            if i < len(wanted) - 1 and part.size < MIN_PART_SIZE:
                raise StorageError(Fault.ENTITY_TOO_SMALL, StorageReason.PART_TOO_SMALL,
                                   extra={"ProposedSize": str(part.size),
                                          "MinSizeAllowed": str(MIN_PART_SIZE),
                                          "PartNumber": str(want.number),
                                          "ETag": part.etag})
            chosen.append(part)
        composite: dict[str, str] = {}
        algorithm = upload.checksum_algorithm
        if algorithm and all(algorithm in c.checksums for c in chosen):
            # S3's composite checksum: the checksum of the parts' checksums, "-N".
            summer = checksums.new_hasher(algorithm)
            for c in chosen:
                summer.update(base64.b64decode(c.checksums[algorithm]))
            composite[algorithm] = f"{checksums.b64digest(summer)}-{len(chosen)}"
        unused = [c.blob_id for n, c in stored.items() if n not in set(numbers)]
        new = NewObject(bucket=bucket_name, key=key, content_type=upload.content_type,
                        headers=dict(upload.headers), metadata=dict(upload.metadata),
                        tags=dict(upload.tags), legal_hold=upload.legal_hold,
                        conditions=conditions or Preconditions())
        if upload.retention_mode and upload.retain_until:
            new = replace(new, retention=Retention(upload.retention_mode, upload.retain_until))
        if upload.sse_c_key_md5:
            # Only the key's digest is recorded; the key itself came with each part.
            new = replace(new, sse_c=SseC(b"", upload.sse_c_key_md5))
        return ObjectService(self.p)._store(
            ctx, new, upload.wrapped_key, None,
            [{"blob_id": p.blob_id, "size": p.size} for p in chosen],
            etag=multipart_etag([p.etag for p in chosen]), size=sum(p.size for p in chosen),
            parts=[p.size for p in chosen], checksums=composite, upload_id=upload_id,
            garbage=unused)

    def abort(self, ctx: RequestContext, bucket_name: str, key: str, upload_id: str) -> None:
        with self.p.uow(write=True) as uow:
            bucket = self.bucket(uow, bucket_name)
            self.authorize(uow, ctx, bucket, "s3:AbortMultipartUpload", key, writable=True)
            upload = self._upload(uow, bucket_name, key, upload_id)
            for part in uow.parts.find(upload_id=upload_id):
                self._discard_blob(uow, part.blob_id)
                uow.parts.delete(part)
            uow.uploads.delete(upload)
            self.record(uow, ctx, "storage.multipart.abort", bucket, key,
                        detail={"upload_id": upload_id})
            uow.commit()

    def parts(self, ctx: RequestContext, bucket_name: str, key: str, upload_id: str,
              marker: int, max_parts: int) -> tuple[MultipartUpload, list[Part], bool]:
        with self.p.uow() as uow:
            bucket = self.bucket(uow, bucket_name)
            self.authorize(uow, ctx, bucket, "s3:ListMultipartUploadParts", key)
            upload = self._upload(uow, bucket_name, key, upload_id)
            found = sorted((p for p in uow.parts.find(upload_id=upload_id)
                            if p.part_number > marker), key=lambda p: p.part_number)
        max_parts = max(0, min(max_parts, 1000))
        return upload, found[:max_parts], len(found) > max_parts

    def uploads(self, ctx: RequestContext, bucket_name: str, prefix: str,
                key_marker: str | None, upload_id_marker: str | None, max_uploads: int
                ) -> tuple[list[MultipartUpload], bool]:
        with self.p.uow() as uow:
            bucket = self.bucket(uow, bucket_name)
            self.authorize(uow, ctx, bucket, "s3:ListBucketMultipartUploads")
            found = [u for u in uow.uploads.find(bucket=bucket_name) if u.key.startswith(prefix)]
        found.sort(key=lambda u: (u.key.encode(), u.initiated_at, u.upload_id))
        if key_marker is not None:
            found = [u for u in found if u.key > key_marker or (
                u.key == key_marker and upload_id_marker is not None
                and u.upload_id > upload_id_marker)]
        max_uploads = max(0, min(max_uploads, 1000))
        return found[:max_uploads], len(found) > max_uploads
