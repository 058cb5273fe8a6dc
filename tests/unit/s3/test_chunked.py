"""aws-chunked bodies: what botocore really sends, the AWS documented example, tampering."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import random
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum, Sha256Checksum

from nuage.api.s3.chunked import ChunkedDecoder
from nuage.api.s3.sigv4 import (
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
    PayloadMode,
    S3AuthError,
    SignedRequest,
    SigningContext,
    parse,
    parse_query,
    verify,
)
from nuage.domain import checksums
from tests.unit.s3.signing import (
    ACCESS_KEY,
    ENDPOINT,
    REGION,
    SECRET,
    encode_signed_chunks,
    sign_header,
    utcnow,
)


def _decode(decoder: ChunkedDecoder, body: bytes, *, split: int | None = None) -> bytes:
    """Feed `body` in random-sized pieces (or fixed `split`), then finish."""
    rng = random.Random(len(body))
    out = bytearray()
    pos = 0
    while pos < len(body):
        step = split or rng.randint(1, 300)
        for piece in decoder.feed(body[pos : pos + step]):
            out += piece
        pos += step
    decoder.finish()
    return bytes(out)


# -- botocore end to end: the request aws-cli and boto3 send by default -----------------


class _EmptyRaw:
    def stream(self, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        yield b""

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        return b""


def _boto_put(
    body: bytes, key: str = "dir/a b+c=ключ", **params: Any
) -> tuple[SignedRequest, bytes]:
    """Run a real botocore PutObject over https and capture what it would put on the wire."""
    client = botocore.session.get_session().create_client(
        "s3",
        region_name=REGION,
        endpoint_url="https://s3.nuage.test",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    captured: dict[str, Any] = {}

    def before_send(request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse:
        raw = request.body
        captured["body"] = raw.read() if hasattr(raw, "read") else (raw or b"")
        captured["request"] = request
        return AWSResponse(request.url, 200, {}, _EmptyRaw())

    client.meta.events.register("before-send.s3.PutObject", before_send)
    client.put_object(Bucket="bucket", Key=key, Body=io.BytesIO(body), **params)
    prepared: AWSPreparedRequest = captured["request"]
    path, _, query = prepared.url.removeprefix("https://s3.nuage.test").partition("?")
    headers = [
        (name.lower(), value.decode("latin-1") if isinstance(value, bytes) else value)
        for name, value in prepared.headers.items()
    ]
    headers.append(("host", "s3.nuage.test"))
    req = SignedRequest(prepared.method, path, parse_query(query), headers)
    return req, bytes(captured["body"])


@pytest.mark.parametrize("algorithm", [None, "CRC32", "SHA1", "SHA256"])
@pytest.mark.parametrize("size", [0, 1, 5000, 1024 * 1024 + 17])
def test_botocore_put_object_unsigned_trailer(algorithm: str | None, size: int) -> None:
    data = random.Random(size).randbytes(size)
    params = {"ChecksumAlgorithm": algorithm} if algorithm else {}
    req, body = _boto_put(data, **params)
    parsed = parse(req)
    assert parsed.payload_mode is PayloadMode.STREAMING_UNSIGNED_TRAILER
    ctx = verify(parsed, req, SECRET, utcnow(), region=REGION)
    decoder = ChunkedDecoder.for_request(ctx, req)
    assert _decode(decoder, body) == data
    [(name, value)] = decoder.trailing_checksums.items()
    assert name == (algorithm or "CRC32")  # botocore's default is CRC32
    hasher = checksums.new_hasher(name)
    hasher.update(data)
    assert checksums.matches(hasher, value)


def test_botocore_trailer_tampered_data_fails_checksum_not_framing() -> None:
    data = b"x" * 3000
    req, body = _boto_put(data)
    ctx = verify(parse(req), req, SECRET, utcnow())
    tampered = body.replace(b"xxxx", b"xxxy", 1)
    decoder = ChunkedDecoder.for_request(ctx, req)
    received = _decode(decoder, tampered)
    hasher = checksums.new_hasher("CRC32")
    hasher.update(received)
    assert not checksums.matches(hasher, decoder.trailing_checksums["CRC32"])


def test_aws_chunked_wrapper_bodies_decode() -> None:
    data = bytes(range(256)) * 100
    wrapper = AwsChunkedWrapper(
        io.BytesIO(data),
        checksum_cls=Sha256Checksum,
        checksum_name="x-amz-checksum-sha256",
        chunk_size=1000,
    )
    decoder = ChunkedDecoder(
        PayloadMode.STREAMING_UNSIGNED_TRAILER,
        decoded_length=len(data),
        declared_trailers=["x-amz-checksum-sha256"],
    )
    assert _decode(decoder, wrapper.read(), split=7) == data
    hasher = checksums.new_hasher("SHA256")
    hasher.update(data)
    assert checksums.matches(hasher, decoder.trailing_checksums["SHA256"])


# -- signed chunks ----------------------------------------------------------------------


def _signed_context(
    literal: str, decoded: int, trailer: str | None = None
) -> tuple[SignedRequest, SigningContext]:
    headers = {"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": str(decoded)}
    if trailer:
        headers["X-Amz-Trailer"] = trailer
    req, _ = sign_header("PUT", f"{ENDPOINT}/bucket/obj", streaming=literal, headers=headers)
    return req, verify(parse(req), req, SECRET, utcnow())


def _signed_body(ctx: SigningContext, chunks: list[bytes], trailers: Any = None) -> bytes:
    return encode_signed_chunks(
        ctx.signing_key, ctx.amz_date, ctx.scope, ctx.seed_signature, chunks, trailers
    )


def test_signed_chunks_decode() -> None:
    chunks = [b"a" * 8192, b"b" * 8192, b"tail"]
    req, ctx = _signed_context(STREAMING_SIGNED, sum(map(len, chunks)))
    decoder = ChunkedDecoder.for_request(ctx, req)
    assert _decode(decoder, _signed_body(ctx, chunks)) == b"".join(chunks)


def test_signed_chunk_tampered_data_is_signature_mismatch() -> None:
    chunks = [b"a" * 8192, b"b" * 100]
    req, ctx = _signed_context(STREAMING_SIGNED, 8292)
    body = _signed_body(ctx, chunks).replace(b"bbb", b"bbc", 1)
    with pytest.raises(S3AuthError) as excinfo:
        _decode(ChunkedDecoder.for_request(ctx, req), body)
    assert excinfo.value.code == "SignatureDoesNotMatch"


def test_signed_chunks_reordered_is_signature_mismatch() -> None:
    req, ctx = _signed_context(STREAMING_SIGNED, 8)
    first = _signed_body(ctx, [b"1234", b"5678"])
    # A chunk replayed from another position breaks the signature chain.
    parts = first.split(b"\r\n")
    swapped = b"\r\n".join([parts[2], parts[3], parts[0], parts[1], *parts[4:]])
    with pytest.raises(S3AuthError) as excinfo:
        _decode(ChunkedDecoder.for_request(ctx, req), swapped)
    assert excinfo.value.code == "SignatureDoesNotMatch"


def test_signed_chunks_with_wrong_seed_is_signature_mismatch() -> None:
    req, ctx = _signed_context(STREAMING_SIGNED, 4)
    other = dataclasses.replace(ctx, seed_signature="0" * 64)
    with pytest.raises(S3AuthError) as excinfo:
        _decode(ChunkedDecoder.for_request(ctx, req), _signed_body(other, [b"data"]))
    assert excinfo.value.code == "SignatureDoesNotMatch"


def test_signed_chunk_without_signature_is_refused() -> None:
    req, ctx = _signed_context(STREAMING_SIGNED, 4)
    with pytest.raises(S3AuthError) as excinfo:
        _decode(ChunkedDecoder.for_request(ctx, req), b"4\r\ndata\r\n0\r\n\r\n")
    assert excinfo.value.code == "InvalidArgument"


def test_signed_trailer_decodes_and_verifies() -> None:
    data = b"trailer payload" * 1000
    crc = checksums.new_hasher("CRC32C")
    crc.update(data)
    trailers = [("x-amz-checksum-crc32c", checksums.b64digest(crc))]
    req, ctx = _signed_context(STREAMING_SIGNED_TRAILER, len(data), "x-amz-checksum-crc32c")
    decoder = ChunkedDecoder.for_request(ctx, req)
    assert _decode(decoder, _signed_body(ctx, [data[:8192], data[8192:]], trailers)) == data
    assert checksums.matches(crc, decoder.trailing_checksums["CRC32C"])


def test_signed_trailer_tampered_is_signature_mismatch() -> None:
    data = b"z" * 100
    crc = checksums.new_hasher("CRC32")
    crc.update(data)
    value = checksums.b64digest(crc)
    req, ctx = _signed_context(STREAMING_SIGNED_TRAILER, 100, "x-amz-checksum-crc32")
    body = _signed_body(ctx, [data], [("x-amz-checksum-crc32", value)])
    body = body.replace(value.encode(), b"AAAAAA==")
    with pytest.raises(S3AuthError) as excinfo:
        _decode(ChunkedDecoder.for_request(ctx, req), body)
    assert excinfo.value.code == "SignatureDoesNotMatch"


def test_signed_trailer_missing_signature_is_malformed_trailer() -> None:
    req, ctx = _signed_context(STREAMING_SIGNED_TRAILER, 1, "x-amz-checksum-crc32")
    body = _signed_body(ctx, [b"x"], [("x-amz-checksum-crc32", "AAAAAA==")])
    body = body[: body.index(b"x-amz-trailer-signature")] + b"\r\n"
    with pytest.raises(S3AuthError) as excinfo:
        _decode(ChunkedDecoder.for_request(ctx, req), body)
    assert excinfo.value.code == "MalformedTrailerError"


def test_aws_documented_streaming_example() -> None:
    """The chunked-upload example of the AWS S3 API reference (seed and chunk signatures)."""
    req = SignedRequest(
        method="PUT",
        raw_path="/examplebucket/chunkObject.txt",
        query=[],
        headers=[
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", STREAMING_SIGNED),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("content-length", "66824"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                "aws4_request,SignedHeaders=content-encoding;content-length;host;"
                "x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;"
                "x-amz-storage-class,Signature="
                "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
            ),
        ],
    )
    from datetime import UTC, datetime

    now = datetime(2013, 5, 24, 0, 1, tzinfo=UTC)
    ctx = verify(parse(req), req, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", now)
    body = (
        b"10000;chunk-signature="
        b"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"
        + b"a"
        * 65536
        + b"\r\n400;chunk-signature="
        b"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n"
        + b"a"
        * 1024
        + b"\r\n0;chunk-signature="
        b"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"
    )
    assert len(body) == 66824
    decoder = ChunkedDecoder.for_request(ctx, req)
    assert _decode(decoder, body) == b"a" * 66560


# -- framing, lengths, trailers ---------------------------------------------------------


def _unsigned(declared: int | None = None, trailer: str = "x-amz-checksum-crc32") -> ChunkedDecoder:
    return ChunkedDecoder(
        PayloadMode.STREAMING_UNSIGNED_TRAILER,
        decoded_length=declared,
        declared_trailers=[trailer] if trailer else [],
    )


GOOD_TRAILER = b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"


def test_truncated_body_is_incomplete() -> None:
    for cut in (1, 5, 12, len(GOOD_TRAILER) + 8):
        body = (b"5\r\nhello\r\n" + GOOD_TRAILER)[:-cut]
        with pytest.raises(S3AuthError) as excinfo:
            _decode(_unsigned(5), body)
        assert excinfo.value.code in ("IncompleteBody", "MalformedTrailerError"), cut


def test_decoded_length_mismatch_is_incomplete_body() -> None:
    with pytest.raises(S3AuthError) as excinfo:
        _decode(_unsigned(6), b"5\r\nhello\r\n" + GOOD_TRAILER)
    assert excinfo.value.code == "IncompleteBody"
    with pytest.raises(S3AuthError) as excinfo:
        _decode(_unsigned(4), b"5\r\nhello\r\n" + GOOD_TRAILER)
    assert excinfo.value.code == "IncompleteBody"


def test_chunk_longer_than_declared_size_is_refused() -> None:
    with pytest.raises(S3AuthError) as excinfo:
        _decode(_unsigned(), b"3\r\nhello\r\n" + GOOD_TRAILER)
    assert excinfo.value.code == "InvalidArgument"


@pytest.mark.parametrize("header", [b"zz\r\n", b"\r\n", b"-1\r\n", b"1" * 17 + b"\r\n"])
def test_bad_chunk_size_is_invalid_argument(header: bytes) -> None:
    with pytest.raises(S3AuthError) as excinfo:
        _decode(_unsigned(), header + b"hello\r\n")
    assert excinfo.value.code == "InvalidArgument"


def test_overlong_header_line_is_refused_without_buffering() -> None:
    decoder = _unsigned()
    with pytest.raises(S3AuthError) as excinfo:
        for _ in range(10):
            decoder.feed(b"5;" + b"x" * 1000)
    assert excinfo.value.code == "InvalidArgument"


def test_data_after_end_is_refused() -> None:
    with pytest.raises(S3AuthError) as excinfo:
        _decode(_unsigned(), b"5\r\nhello\r\n" + GOOD_TRAILER + b"extra")
    assert excinfo.value.code == "InvalidArgument"


@pytest.mark.parametrize(
    "trailer",
    [
        b"0\r\n\r\n",  # declared trailer missing
        b"0\r\nx-amz-checksum-sha1:AAAAAA==\r\n\r\n",  # another one than declared
        b"0\r\nno colon here\r\n\r\n",
        b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
        b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:" + b"0" * 64 + b"\r\n\r\n",
    ],
)
def test_malformed_trailers(trailer: bytes) -> None:
    with pytest.raises(S3AuthError) as excinfo:
        _decode(_unsigned(), b"5\r\nhello\r\n" + trailer)
    assert excinfo.value.code == "MalformedTrailerError"


def test_invalid_checksum_value_is_invalid_request() -> None:
    with pytest.raises(S3AuthError) as excinfo:
        _decode(_unsigned(), b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:not-base64!\r\n\r\n")
    assert excinfo.value.code == "InvalidRequest"


def test_missing_final_empty_line_is_tolerated() -> None:
    decoder = _unsigned(5)
    assert _decode(decoder, b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n") == b"hello"


def test_byte_at_a_time_feed_and_bounded_buffer() -> None:
    data = random.Random(7).randbytes(20000)
    wrapper = AwsChunkedWrapper(
        io.BytesIO(data),
        checksum_cls=Crc32Checksum,
        checksum_name="x-amz-checksum-crc32",
        chunk_size=4096,
    )
    body = wrapper.read()
    decoder = _unsigned(len(data))
    out = bytearray()
    for i in range(len(body)):
        for piece in decoder.feed(body[i : i + 1]):
            out += piece
        assert len(decoder._buffer) <= 64  # never holds chunk data, only a header line
    decoder.finish()
    assert bytes(out) == data


def test_signed_mode_needs_decoded_length() -> None:
    req, ctx = _signed_context(STREAMING_SIGNED, 4)
    headers = [(n, v) for n, v in req.headers if n != "x-amz-decoded-content-length"]
    with pytest.raises(S3AuthError) as excinfo:
        ChunkedDecoder.for_request(ctx, dataclasses.replace(req, headers=headers))
    assert excinfo.value.code == "MissingSecurityHeader"


def test_non_streaming_mode_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        ChunkedDecoder(PayloadMode.UNSIGNED)
    with pytest.raises(ValueError):
        ChunkedDecoder(PayloadMode.STREAMING_SIGNED)


def test_unsigned_trailer_literal_constant() -> None:
    assert STREAMING_UNSIGNED_TRAILER == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert hashlib.sha256(b"").hexdigest().startswith("e3b0c442")
