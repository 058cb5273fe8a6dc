"""Real client-side signing for the S3 auth tests: botocore signs, we translate.

botocore is the reference: whatever it sends, nuage must accept. The aws-chunked signed
encoder below is written from the AWS documentation, independently of nuage's decoder.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from nuage.api.s3.sigv4 import EMPTY_SHA256, SignedRequest, parse_query

ACCESS_KEY = "AKIDEXAMPLE0123456789"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "nuage-1"
ENDPOINT = "http://127.0.0.1:9000"


def credentials(secret: str = SECRET) -> Credentials:
    return Credentials(ACCESS_KEY, secret)


def to_signed_request(request: AWSRequest) -> SignedRequest:
    """What a server receives for a botocore-prepared request."""
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    headers: list[tuple[str, str]] = []
    for name, value in prepared.headers.items():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        headers.append((name.lower(), text))
    if not any(name == "host" for name, _ in headers):
        headers.append(("host", parts.netloc))
    return SignedRequest(
        method=prepared.method,
        raw_path=parts.path or "/",
        query=parse_query(parts.query),
        headers=headers,
    )


class StreamingSigV4Auth(S3SigV4Auth):  # type: ignore[misc]  # botocore ships no types
    """botocore's S3 signer with a fixed x-amz-content-sha256 literal (streaming modes)."""

    def __init__(self, creds: Credentials, literal: str) -> None:
        super().__init__(creds, "s3", REGION)
        self._literal = literal

    def payload(self, request: Any) -> str:
        return self._literal


def sign_header(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    params: dict[str, str] | None = None,
    secret: str = SECRET,
    streaming: str | None = None,
) -> tuple[SignedRequest, AWSRequest]:
    request = AWSRequest(
        method=method, url=url, data=body, headers=headers or {}, params=params or {}
    )
    creds = credentials(secret)
    signer = (
        S3SigV4Auth(creds, "s3", REGION)
        if streaming is None
        else StreamingSigV4Auth(creds, streaming)
    )
    signer.add_auth(request)
    return to_signed_request(request), request


def presign(method: str, url: str, *, expires: int = 3600, secret: str = SECRET) -> SignedRequest:
    request = AWSRequest(method=method, url=url)
    S3SigV4QueryAuth(credentials(secret), "s3", REGION, expires=expires).add_auth(request)
    return to_signed_request(request)


def _hmac_hex(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def encode_signed_chunks(
    signing_key: bytes,
    amz_date: str,
    scope: str,
    seed: str,
    chunks: Sequence[bytes],
    trailers: Iterable[tuple[str, str]] | None = None,
) -> bytes:
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] per the AWS S3 API reference."""
    out = bytearray()
    previous = seed
    for chunk in [*chunks, b""]:
        sts = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                amz_date,
                scope,
                previous,
                EMPTY_SHA256,
                hashlib.sha256(chunk).hexdigest(),
            ]
        )
        previous = _hmac_hex(signing_key, sts)
        out += b"%x;chunk-signature=%s\r\n" % (len(chunk), previous.encode())
        if chunk:
            out += chunk + b"\r\n"
    if trailers is None:
        out += b"\r\n"
        return bytes(out)
    pairs = list(trailers)
    canonical = "".join(f"{name}:{value}\n" for name, value in sorted(pairs))
    sts = "\n".join(
        [
            "AWS4-HMAC-SHA256-TRAILER",
            amz_date,
            scope,
            previous,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    for name, value in pairs:
        out += f"{name}:{value}\r\n".encode()
    out += f"x-amz-trailer-signature:{_hmac_hex(signing_key, sts)}\r\n\r\n".encode()
    return bytes(out)


def utcnow() -> datetime:
    return datetime.now(UTC)
