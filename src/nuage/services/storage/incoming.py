"""Bytes on their way in: hashed, counted, encrypted into a blob, checked at the end."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from dataclasses import dataclass, field

from nuage.domain import checksums
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.ports.blobs import BlobInfo, BlobStore, BlobWriter, KeyStore


@dataclass(frozen=True)
class SseC:
    """A customer-provided key (SSE-C). Kept in memory for one request, never stored."""

    key: bytes
    key_md5: str  # base64, as the client sends it


@dataclass(frozen=True)
class Integrity:
    """What the client says the body is: checked against what actually arrived."""

    content_length: int | None = None
    content_md5: str | None = None           # base64
    checksums: dict[str, str] = field(default_factory=dict)   # algorithm -> base64
    # Algorithms whose value arrives after the body (aws-chunked trailers).
    trailing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Received:
    blob: BlobInfo
    md5_hex: str
    checksums: dict[str, str]


def check_sse_c(sse_c: SseC | None) -> None:
    if sse_c is None:
        return
    if len(sse_c.key) != 32:
        raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.SSE_C_KEY_INVALID,
                           extra={"ArgumentName": "x-amz-server-side-encryption"})
    if base64.b64encode(hashlib.md5(sse_c.key).digest()).decode() != sse_c.key_md5:
        raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.SSE_C_KEY_MD5_MISMATCH)


def new_data_key(keys: KeyStore, project_id: str, sse_c: SseC | None) -> tuple[bytes, str]:
    """A fresh data key and its wrapped form (under the project's or the customer's key)."""
    data_key = os.urandom(32)
    if sse_c is not None:
        return data_key, keys.wrap_with(sse_c.key, data_key)
    return data_key, keys.wrap(project_id, data_key)


def open_data_key(keys: KeyStore, project_id: str, wrapped: str, stored_md5: str | None,
                  sse_c: SseC | None) -> bytes:
    if stored_md5 is not None:
        if sse_c is None:
            raise StorageError(Fault.INVALID_REQUEST, StorageReason.SSE_C_KEY_REQUIRED)
        if sse_c.key_md5 != stored_md5:
            raise StorageError(Fault.ACCESS_DENIED, StorageReason.SSE_C_KEY_WRONG)
        try:
            return keys.unwrap_with(sse_c.key, wrapped)
        except ValueError as exc:
            raise StorageError(Fault.ACCESS_DENIED, StorageReason.ACCESS_DENIED) from exc
    if sse_c is not None:
        raise StorageError(Fault.INVALID_REQUEST, StorageReason.SSE_C_NOT_APPLICABLE)
    return keys.unwrap(project_id, wrapped)


class Incoming:
    def __init__(self, blobs: BlobStore, data_key: bytes, integrity: Integrity,
                 limit: int) -> None:
        self.blob_id = uuid.uuid4().hex
        self._writer: BlobWriter = blobs.writer(self.blob_id, data_key)
        self._integrity = integrity
        self._limit = limit
        self._md5 = hashlib.md5()
        wanted = set(integrity.checksums) | set(integrity.trailing)
        self._sums = {alg: checksums.new_hasher(alg) for alg in wanted}
        self.size = 0
        self._done = False

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self._limit:
            raise StorageError(Fault.ENTITY_TOO_LARGE, StorageReason.OBJECT_TOO_LARGE,
                               limit=self._limit)
        self._md5.update(data)
        for summer in self._sums.values():
            summer.update(data)
        self._writer.write(data)

    def finish(self, trailers: dict[str, str] | None = None) -> Received:
        """Check everything the client declared, then make the blob durable; on any
        failure (a refused check, a crash), the partial blob is removed."""
        try:
            return self._finish(trailers)
        except BaseException:
            self.abort()
            raise

    def _finish(self, trailers: dict[str, str] | None) -> Received:
        integrity = self._integrity
        if integrity.content_length is not None and self.size != integrity.content_length:
            raise StorageError(Fault.INCOMPLETE_BODY, StorageReason.BODY_INCOMPLETE,
                               declared=integrity.content_length, received=self.size)
        md5 = self._md5.digest()
        if integrity.content_md5 is not None and base64.b64encode(md5).decode() != (
                integrity.content_md5):
            raise StorageError(Fault.BAD_DIGEST, StorageReason.MD5_MISMATCH)
        declared = dict(integrity.checksums)
        for alg in integrity.trailing:
            value = (trailers or {}).get(alg)
            if value is None:
                raise StorageError(Fault.INVALID_REQUEST, StorageReason.CHECKSUM_TRAILER_MISSING,
                                   algorithm=alg)
            declared[alg] = value
        computed = {alg: checksums.b64digest(s) for alg, s in self._sums.items()}
        for alg, value in declared.items():
            if computed[alg] != value:
                raise StorageError(Fault.BAD_DIGEST, StorageReason.CHECKSUM_MISMATCH,
                                   algorithm=alg)
        blob = self._writer.commit()
        self._done = True
        return Received(blob, md5.hex(), computed)

    def abort(self) -> None:
        if not self._done:
            self._writer.abort()
            self._done = True
