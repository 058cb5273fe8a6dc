"""Incremental decoder for `Content-Encoding: aws-chunked` request bodies.

Three streaming modes exist (x-amz-content-sha256):

- STREAMING-AWS4-HMAC-SHA256-PAYLOAD: `<hex>;chunk-signature=<sig>\\r\\n<data>\\r\\n` ...
  `0;chunk-signature=<sig>\\r\\n\\r\\n`; each signature chains from the previous one,
  starting at the seed signature of the Authorization header.
- STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the same, then trailing headers and an
  `x-amz-trailer-signature` over them after the final 0-size chunk.
- STREAMING-UNSIGNED-PAYLOAD-TRAILER (what current boto3/aws-cli send by default):
  `<hex>\\r\\n<data>\\r\\n` ... `0\\r\\n<trailers>\\r\\n`, the trailer carrying a checksum.

Memory stays bounded: chunk data is passed through as it arrives, only a chunk header
line or the trailer block (both capped) is ever held. The price is that bytes returned by
`feed()` are authenticated only when their chunk ends, and the whole body only when
`finish()` returns: the caller must write to a staging place and commit after `finish()`,
which it needs anyway to stay crash-safe.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence

from nuage.api.s3.sigv4 import (
    EMPTY_SHA256,
    PayloadMode,
    S3AuthError,
    SignedRequest,
    SigningContext,
)
from nuage.domain import checksums

# A signed chunk header is ~90 bytes; anything near this bound is not a client speaking
# aws-chunked, and refusing it keeps a hostile body from growing our buffer.
MAX_CHUNK_HEADER = 4096
# Trailers are a few checksum headers and one signature.
MAX_TRAILER_BLOCK = 16 * 1024

_SIZE = re.compile(rb"[0-9a-fA-F]{1,16}")
_SIGNATURE = re.compile(rb"[0-9a-f]{64}")
_TRAILER_SIGNATURE = "x-amz-trailer-signature"


class _State(enum.Enum):
    HEADER = 1  # reading `<hex>[;ext]\r\n`
    DATA = 2  # passing chunk bytes through
    DATA_END = 3  # expecting the `\r\n` that closes a data chunk
    TRAILER = 4  # after the 0-size chunk: trailing header lines up to an empty line
    DONE = 5


def _malformed(
    message: str = "The chunked encoding of the request body is malformed.",
) -> S3AuthError:
    return S3AuthError("InvalidArgument", message)


def _bad_trailer() -> S3AuthError:
    return S3AuthError(
        "MalformedTrailerError",
        "The request contained trailing data that was not well-formed or did not conform "
        "to our published schema.",
    )


def _incomplete(message: str) -> S3AuthError:
    return S3AuthError("IncompleteBody", message)


def _signature_mismatch() -> S3AuthError:
    return S3AuthError(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
    )


class ChunkedDecoder:
    """Decode (and, for signed modes, authenticate) one aws-chunked body.

    Feed the raw body in pieces of any size; `feed()` returns the decoded payload bytes
    found so far; `finish()` at end of body checks completeness, the decoded length and
    the trailer. Every refusal is an S3AuthError. After `finish()`, `trailers` holds the
    trailing headers and `trailing_checksums` maps algorithm ('CRC32', ...) to the base64
    value the client sent, for the caller to compare with what it computed
    (see `checksums.matches`).
    """

    def __init__(
        self,
        mode: PayloadMode,
        signing: SigningContext | None = None,
        *,
        decoded_length: int | None = None,
        declared_trailers: Sequence[str] = (),
    ) -> None:
        if not mode.is_streaming:
            raise ValueError(f"{mode} is not an aws-chunked mode")
        self._signed = mode in (PayloadMode.STREAMING_SIGNED, PayloadMode.STREAMING_SIGNED_TRAILER)
        if self._signed and signing is None:
            raise ValueError("signed streaming modes need the request's SigningContext")
        self._mode = mode
        self._signing = signing
        self._expects_trailer = mode in (
            PayloadMode.STREAMING_SIGNED_TRAILER,
            PayloadMode.STREAMING_UNSIGNED_TRAILER,
        )
        self._decoded_length = decoded_length
        self._declared = tuple(name.strip().lower() for name in declared_trailers if name.strip())
        self._previous_signature = signing.seed_signature if signing else ""
        self._state = _State.HEADER
        self._buffer = bytearray()  # partial header line, CRLF or trailer block
        self._remaining = 0  # bytes left in the current data chunk
        self._chunk_signature = b""
        self._chunk_hash = hashlib.sha256()
        self._received = 0
        self._trailers: dict[str, str] = {}

    @classmethod
    def for_request(cls, signing: SigningContext, req: SignedRequest) -> ChunkedDecoder:
        """Set up from the verified request's x-amz-decoded-content-length and x-amz-trailer."""
        raw_length = req.header("x-amz-decoded-content-length")
        decoded_length: int | None = None
        if raw_length is not None:
            try:
                decoded_length = int(raw_length.strip())
            except ValueError:
                decoded_length = -1
            if decoded_length < 0:
                raise S3AuthError(
                    "InvalidArgument", "x-amz-decoded-content-length must be a positive integer"
                )
        elif signing.payload_mode is not PayloadMode.STREAMING_UNSIGNED_TRAILER:
            # Signed streams must announce the payload size up front (S3 requires it);
            # botocore may omit it on unsigned trailer streams of unknown length.
            raise S3AuthError(
                "MissingSecurityHeader",
                "Your request was missing a required header: x-amz-decoded-content-length",
            )
        declared = [
            name for value in req.header_values("x-amz-trailer") for name in value.split(",")
        ]
        return cls(
            signing.payload_mode,
            signing,
            decoded_length=decoded_length,
            declared_trailers=declared,
        )

    @property
    def received(self) -> int:
        """Decoded payload bytes seen so far."""
        return self._received

    @property
    def trailers(self) -> Mapping[str, str]:
        return dict(self._trailers)

    @property
    def trailing_checksums(self) -> Mapping[str, str]:
        found: dict[str, str] = {}
        for name, value in self._trailers.items():
            algorithm = checksums.algorithm_for_header(name)
            if algorithm is not None:
                found[algorithm] = value
        return found

    def feed(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        view = memoryview(data)
        pos, end = 0, len(view)
        while pos < end:
            state = self._state
            if state is _State.DATA:
                take = min(self._remaining, end - pos)
                piece = bytes(view[pos : pos + take])
                pos += take
                self._remaining -= take
                self._received += take
                if self._decoded_length is not None and self._received > self._decoded_length:
                    raise _incomplete(
                        "The decoded body is longer than x-amz-decoded-content-length."
                    )
                if self._signed:
                    self._chunk_hash.update(piece)
                out.append(piece)
                if self._remaining == 0:
                    self._state = _State.DATA_END
            elif state is _State.HEADER or state is _State.DATA_END:
                pos = self._read_line(view, pos, end, MAX_CHUNK_HEADER)
            elif state is _State.TRAILER:
                pos = self._read_line(view, pos, end, MAX_TRAILER_BLOCK)
            else:  # DONE
                raise _malformed("Data found after the end of the aws-chunked body.")
        return out

    def finish(self) -> None:
        """End of body: raise unless the stream was complete and consistent."""
        if self._state is _State.TRAILER and not self._buffer:
            # Tolerate a body that stops right after the last trailer line (or, without
            # trailers, after the final chunk) with no closing empty line.
            self._end_trailers()
        if self._state is not _State.DONE:
            raise _incomplete(
                "The request body terminated unexpectedly: the aws-chunked stream is incomplete."
            )
        if self._decoded_length is not None and self._received != self._decoded_length:
            raise _incomplete(
                f"You did not provide the number of bytes specified by the "
                f"x-amz-decoded-content-length HTTP header ({self._decoded_length}); "
                f"received {self._received}."
            )

    # -- internals -----------------------------------------------------------------------

    def _read_line(self, view: memoryview, pos: int, end: int, limit: int) -> int:
        """Accumulate up to a CRLF; handle the complete line; return the new position."""
        # Look no further than the line limit: the rest of `view` is usually chunk data.
        window_end = min(end, pos + limit + 1 - len(self._buffer))
        window = bytes(view[pos:window_end])
        newline = window.find(b"\n")
        if newline < 0:
            self._buffer += window
            if len(self._buffer) > limit:
                raise _malformed("An aws-chunked header or trailer line is too long.")
            return window_end
        self._buffer += window[: newline + 1]
        line = bytes(self._buffer)
        self._buffer.clear()
        if not line.endswith(b"\r\n"):
            if self._state is _State.TRAILER:
                raise _bad_trailer()
            raise _malformed()
        self._handle_line(line[:-2])
        return pos + newline + 1

    def _handle_line(self, line: bytes) -> None:
        if self._state is _State.DATA_END:
            if line:
                raise _malformed("An aws-chunked data chunk is longer than its declared size.")
            self._end_chunk()
            self._state = _State.HEADER
        elif self._state is _State.HEADER:
            self._start_chunk(line)
        else:  # TRAILER
            if line:
                self._add_trailer(line)
            else:
                self._end_trailers()

    def _start_chunk(self, line: bytes) -> None:
        size_part, _, extension = line.partition(b";")
        size_part = size_part.strip()
        if not _SIZE.fullmatch(size_part):
            raise _malformed()
        size = int(size_part, 16)
        if self._signed:
            name, _, signature = extension.partition(b"=")
            if name.strip() != b"chunk-signature" or not _SIGNATURE.fullmatch(signature.strip()):
                raise _malformed("An aws-chunked chunk lacks a valid chunk-signature.")
            self._chunk_signature = signature.strip()
            self._chunk_hash = hashlib.sha256()
        # Unsigned streams may carry chunk extensions; they mean nothing to S3.
        if size == 0:
            self._end_chunk()
            self._state = _State.TRAILER
        else:
            self._remaining = size
            self._state = _State.DATA

    def _end_chunk(self) -> None:
        if not self._signed:
            return
        assert self._signing is not None
        string_to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                self._signing.amz_date,
                self._signing.scope,
                self._previous_signature,
                EMPTY_SHA256,
                self._chunk_hash.hexdigest(),
            ]
        )
        expected = _sign(self._signing.signing_key, string_to_sign)
        if not hmac.compare_digest(expected.encode("ascii"), self._chunk_signature):
            raise _signature_mismatch()
        self._previous_signature = expected

    def _add_trailer(self, line: bytes) -> None:
        if len(self._trailers) >= 16:
            raise _bad_trailer()
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            raise _bad_trailer() from None
        name, sep, value = text.partition(":")
        name = name.strip().lower()
        if not sep or not name or name in self._trailers:
            raise _bad_trailer()
        self._trailers[name] = value.strip()

    def _end_trailers(self) -> None:
        signature = self._trailers.pop(_TRAILER_SIGNATURE, None)
        if not self._expects_trailer:
            if self._trailers or signature is not None:
                raise _bad_trailer()
            self._state = _State.DONE
            return
        names = set(self._trailers)
        if names != set(self._declared):
            raise _bad_trailer()
        for name, value in self._trailers.items():
            algorithm = checksums.algorithm_for_header(name)
            if algorithm is not None and checksums.decode_checksum(algorithm, value) is None:
                raise S3AuthError("InvalidRequest", f"Value for {name} trailing header is invalid.")
        if self._mode is PayloadMode.STREAMING_SIGNED_TRAILER:
            self._check_trailer_signature(signature)
        elif signature is not None:
            raise _bad_trailer()
        self._state = _State.DONE

    def _check_trailer_signature(self, signature: str | None) -> None:
        assert self._signing is not None
        if signature is None:
            raise _bad_trailer()
        canonical = "".join(f"{name}:{self._trailers[name]}\n" for name in sorted(self._trailers))
        string_to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-TRAILER",
                self._signing.amz_date,
                self._signing.scope,
                self._previous_signature,
                hashlib.sha256(canonical.encode("ascii")).hexdigest(),
            ]
        )
        expected = _sign(self._signing.signing_key, string_to_sign)
        if not hmac.compare_digest(expected, signature.lower()):
            raise _signature_mismatch()


def _sign(key: bytes, string_to_sign: str) -> str:
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
