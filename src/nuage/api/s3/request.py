"""One S3 request, parsed: addressing, authentication, body decoding."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from nuage.api.openstack.common.http import call
from nuage.api.s3 import sigv4
from nuage.api.s3.chunked import ChunkedDecoder
from nuage.domain.context import RequestContext
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.services.identity.s3_keys import S3KeyService
from nuage.services.storage.incoming import Integrity, SseC

MAX_SMALL_BODY = 2 << 20
BATCH = 1 << 20


@dataclass
class S3Request:
    http: Request
    ctx: RequestContext
    request_id: str
    bucket: str | None
    key: str | None
    query: dict[str, str]
    signed: sigv4.SignedRequest
    signing: sigv4.SigningContext | None
    trailers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.http.headers.get(name)

    @property
    def resource(self) -> str:
        if self.bucket is None:
            return "/"
        return f"/{self.bucket}" + (f"/{self.key}" if self.key is not None else "")

    def integrity(self) -> Integrity:
        """What the client declares about the body, for the service to check."""
        declared: dict[str, str] = {}
        for name, alg in (("x-amz-checksum-crc32", "CRC32"), ("x-amz-checksum-crc32c", "CRC32C"),
                          ("x-amz-checksum-sha1", "SHA1"), ("x-amz-checksum-sha256", "SHA256"),
                          ("x-amz-checksum-crc64nvme", "CRC64NVME")):
            value = self.header(name)
            if value is not None:
                declared[alg] = value
        trailing: tuple[str, ...] = ()
        trailer = self.header("x-amz-trailer")
        if trailer:
            trailing = tuple(t.strip().removeprefix("x-amz-checksum-").upper()
                             for t in trailer.split(",") if t.strip())
        length = self.declared_length()
        md5 = self.header("content-md5")
        if md5 is not None:
            try:
                if len(base64.b64decode(md5, validate=True)) != 16:
                    raise ValueError
            except ValueError as exc:
                raise StorageError(Fault.INVALID_DIGEST, StorageReason.MD5_INVALID) from exc
        return Integrity(content_length=length, content_md5=md5, checksums=declared,
                         trailing=trailing)

    def declared_length(self) -> int | None:
        raw = self.header("x-amz-decoded-content-length")
        if raw is None and not self.streaming:
            raw = self.header("content-length")
        try:
            return int(raw) if raw is not None else None
        except ValueError as exc:
            raise StorageError(Fault.INVALID_ARGUMENT,
                               StorageReason.CONTENT_LENGTH_INVALID) from exc

    @property
    def streaming(self) -> bool:
        return self.signing is not None and self.signing.payload_mode.is_streaming

    async def body(self) -> AsyncIterator[bytes]:
        """The decoded request body in pieces of about 1 MiB, signatures checked.

        For aws-chunked bodies each chunk's signature is checked as it arrives; the caller
        stages the data and commits only after the iteration ends (the last checks run at
        the end: the payload hash, the final chunk, the trailers).
        """
        decoder: ChunkedDecoder | None = None
        if self.signing is not None and self.streaming:
            decoder = ChunkedDecoder.for_request(self.signing, self.signed)
        elif self.header("content-encoding") == "aws-chunked" or (
                self.header("x-amz-content-sha256") or "").startswith("STREAMING-"):
            decoder = ChunkedDecoder(sigv4.PayloadMode.STREAMING_UNSIGNED_TRAILER,
                                     declared_trailers=_trailers(self.header("x-amz-trailer")))
        sha = None
        if self.signing is not None and self.signing.payload_mode is sigv4.PayloadMode.SHA256:
            sha = hashlib.sha256()
        pending: list[bytes] = []
        size = 0
        async for raw in self.http.stream():
            pieces = decoder.feed(raw) if decoder is not None else [raw]
            for piece in pieces:
                if sha is not None:
                    sha.update(piece)
                pending.append(piece)
                size += len(piece)
            if size >= BATCH:
                yield b"".join(pending)
                pending, size = [], 0
        if decoder is not None:
            decoder.finish()
            self.trailers = dict(decoder.trailing_checksums)
        if sha is not None and self.signing is not None:
            sigv4.check_payload_sha256(self.signing, sha.hexdigest())
        if pending:
            yield b"".join(pending)

    async def small_body(self) -> bytes:
        """A whole small body (XML documents, policies), size-limited: refused on its
        declared length before any byte is read, and again as bytes arrive (a chunked body
        declares none)."""
        def too_big() -> StorageError:
            return StorageError(Fault.MAX_MESSAGE_LENGTH_EXCEEDED,
                                StorageReason.REQUEST_TOO_BIG)

        declared = self.declared_length()
        if declared is not None and declared > MAX_SMALL_BODY:
            raise too_big()
        parts: list[bytes] = []
        total = 0
        async for piece in self.body():
            total += len(piece)
            if total > MAX_SMALL_BODY:
                raise too_big()
            parts.append(piece)
        return b"".join(parts)

    def sse_c(self, prefix: str = "x-amz-server-side-encryption-customer-") -> SseC | None:
        algorithm = self.header(prefix + "algorithm")
        key = self.header(prefix + "key")
        md5 = self.header(prefix + "key-md5")
        if algorithm is None and key is None and md5 is None:
            return None
        if algorithm != "AES256":
            raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.SSE_C_ALGORITHM_INVALID,
                               extra={"ArgumentName": prefix + "algorithm"})
        if key is None or md5 is None:
            raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.SSE_C_KEY_INCOMPLETE)
        try:
            raw = base64.b64decode(key, validate=True)
        except ValueError as exc:
            raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.SSE_C_KEY_INVALID) from exc
        return SseC(raw, md5)


def _trailers(header: str | None) -> list[str]:
    return [t.strip() for t in (header or "").split(",") if t.strip()]


def signed_request(http: Request) -> sigv4.SignedRequest:
    scope: Any = http.scope
    raw_path = scope.get("raw_path") or scope["path"].encode()
    return sigv4.SignedRequest(
        method=scope["method"], raw_path=raw_path.decode("latin-1").split("?", 1)[0],
        query=sigv4.parse_query(scope.get("query_string", b"").decode("latin-1")),
        headers=[(k.decode("latin-1").lower(), v.decode("latin-1"))
                 for k, v in scope["headers"]])


async def authenticate(http: Request, signed: sigv4.SignedRequest, keys: S3KeyService,
                       region: str, request_id: str, aliases: tuple[str, ...] = ()
                       ) -> tuple[RequestContext, sigv4.SigningContext | None]:
    source_ip = http.client.host if http.client else None
    secure = http.url.scheme == "https"
    if sigv4.is_anonymous(signed):
        return RequestContext(request_id=request_id, source_ip=source_ip,
                              secure_transport=secure), None
    parsed = sigv4.parse(signed)
    identity = keys.signing_identity_cached(parsed.access_key)
    if identity is None:
        identity = await call(keys.signing_identity, parsed.access_key)
    if identity is None:
        raise sigv4.S3AuthError("InvalidAccessKeyId", "The AWS Access Key Id you provided "
                                "does not exist in our records.",
                                details={"AWSAccessKeyId": parsed.access_key})
    signing = sigv4.verify(parsed, signed, identity.secret, datetime.now(UTC), region=region,
                           aliases=aliases)
    return identity.context(request_id, source_ip, secure), signing
