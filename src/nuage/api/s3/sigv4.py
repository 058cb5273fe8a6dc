"""AWS Signature Version 4 for S3: parse and verify header and presigned-URL authentication.

Pure and framework-free: the HTTP adapter builds a `SignedRequest` from what it received,
calls `parse()` (syntax, no secret needed), looks the access key up, then calls `verify()`
with the secret. `verify()` returns the `SigningContext` that `chunked.ChunkedDecoder` needs
to check the per-chunk signatures of a streaming upload.

Every refusal is one `S3AuthError` carrying the S3 error code, so the S3 error table maps it
to `<Error><Code>` without knowing where it came from.

This module verifies (canonical request, signing key, time window); reading the claim is
`sigv4_parse`, whose names are re-exported here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote_to_bytes

from nuage.api.s3.sigv4_parse import (
    ALGORITHM,
    AMZ_DATE_FORMAT,
    EMPTY_SHA256,
    MAX_PRESIGNED_EXPIRES,
    SERVICE,
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
    TERMINATOR,
    UNSIGNED_PAYLOAD,
    AuthKind,
    ParsedAuth,
    PayloadMode,
    S3AuthError,
    SignedRequest,
    is_anonymous,
    parse,
    parse_query,
)

# The parsing half is re-exported: callers import everything SigV4 from here.
__all__ = [
    "ALGORITHM",
    "EMPTY_SHA256",
    "MAX_PRESIGNED_EXPIRES",
    "MAX_SKEW",
    "SERVICE",
    "STREAMING_SIGNED",
    "STREAMING_SIGNED_TRAILER",
    "STREAMING_UNSIGNED_TRAILER",
    "TERMINATOR",
    "UNSIGNED_PAYLOAD",
    "AuthKind",
    "ParsedAuth",
    "PayloadMode",
    "S3AuthError",
    "SignedRequest",
    "SigningContext",
    "canonical_query_string",
    "canonical_request",
    "canonical_uri",
    "check_payload_sha256",
    "derive_signing_key",
    "is_anonymous",
    "parse",
    "parse_query",
    "verify",
]

# S3 refuses header-signed requests more than 15 minutes away from its clock.
MAX_SKEW = timedelta(minutes=15)
# SigV4 "Trimall": runs of spaces collapse to one. Only ASCII space and tab are folded:
# values arrive latin-1 decoded, and str.split() would also split on U+00A0/U+0085, which
# are continuation bytes of UTF-8 text in such a string.
_WS_RUN = re.compile(r"[ \t]+")


@dataclass(frozen=True, slots=True)
class SigningContext:
    """A verified request's signing material, for chunk and trailer signatures."""

    access_key: str
    signing_key: bytes = field(repr=False)
    amz_date: str
    scope: str
    seed_signature: str
    payload_mode: PayloadMode
    payload_hash: str


def verify(
    parsed: ParsedAuth,
    req: SignedRequest,
    secret: str,
    now: datetime,
    *,
    region: str | None = None,
    aliases: tuple[str, ...] = (),
) -> SigningContext:
    """Check time validity and the signature; return the material for chunk signatures.

    `now` must be timezone-aware. When `region` is given, a credential scoped to another
    region is refused as S3 refuses it, unless it is one of `aliases` (names clients use
    by default for the one region there is). Raises S3AuthError.
    """
    if region is not None and parsed.region != region and parsed.region not in aliases:
        err_code = (
            "AuthorizationHeaderMalformed"
            if parsed.kind is AuthKind.HEADER
            else "AuthorizationQueryParametersError"
        )
        raise S3AuthError(
            err_code,
            f"The authorization header is malformed; the region '{parsed.region}' is wrong; "
            f"expecting '{region}'",
            details={"Region": region},
        )
    _check_time(parsed, now)

    signing_key = derive_signing_key(secret, parsed.date, parsed.region, parsed.service)
    string_to_sign = ""
    canonical = ""
    # Clients disagree on how to percent-encode a path (RFC 3986 strictly, or as typed);
    # the AWS form is tried first, the path as received second, so both kinds verify.
    for canonical_uri in _canonical_uri_candidates(req.raw_path):
        canonical = canonical_request(req, parsed, canonical_uri)
        string_to_sign = _string_to_sign(parsed.amz_date, parsed.scope, canonical)
        expected = _hmac_hex(signing_key, string_to_sign)
        if hmac.compare_digest(expected, parsed.signature.lower()):
            return SigningContext(
                access_key=parsed.access_key,
                signing_key=signing_key,
                amz_date=parsed.amz_date,
                scope=parsed.scope,
                seed_signature=expected,
                payload_mode=parsed.payload_mode,
                payload_hash=parsed.payload_hash,
            )
    raise S3AuthError(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        details={
            "AWSAccessKeyId": parsed.access_key,
            "StringToSign": string_to_sign,
            "SignatureProvided": parsed.signature,
            "CanonicalRequest": canonical,
        },
    )


def check_payload_sha256(parsed: ParsedAuth | SigningContext, computed_hex: str) -> None:
    """In SHA256 mode, compare the body's computed digest with the signed one."""
    if parsed.payload_mode is not PayloadMode.SHA256:
        return
    if not hmac.compare_digest(parsed.payload_hash.lower(), computed_hex.lower()):
        raise S3AuthError(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            details={
                "ClientComputedContentSHA256": parsed.payload_hash,
                "S3ComputedContentSHA256": computed_hex,
            },
        )


def derive_signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    k_date = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    return _hmac(k_service, TERMINATOR)


def canonical_request(req: SignedRequest, parsed: ParsedAuth, canonical_uri: str) -> str:
    """The SigV4 canonical request, as the string that is hashed (UTF-8) when signing."""
    skip_signature = parsed.kind is AuthKind.PRESIGNED
    query = canonical_query_string(req.query, skip_signature=skip_signature)
    headers = "".join(
        f"{name}:{_canonical_header_value(req.header_values(name))}\n"
        for name in parsed.signed_headers
    )
    return "\n".join(
        [
            req.method.upper(),
            canonical_uri,
            query,
            headers,
            ";".join(parsed.signed_headers),
            parsed.payload_hash,
        ]
    )


def canonical_query_string(
    pairs: Sequence[tuple[str, str]], *, skip_signature: bool = False
) -> str:
    """Encode each name and value (RFC 3986 unreserved kept), sort by name then value."""
    encoded = sorted(
        (_uri_encode(name), _uri_encode(value))
        for name, value in pairs
        if not (skip_signature and name == "X-Amz-Signature")
    )
    return "&".join(f"{name}={value}" for name, value in encoded)


def canonical_uri(raw_path: str) -> str:
    """S3's canonical URI: each segment decoded once and re-encoded once, '/' kept.

    S3 neither normalizes dot segments nor collapses slashes (unlike other services), and
    encodes only once. Decoding segment by segment keeps an encoded slash (%2F) inside a
    key distinct from a path separator.
    """
    if not raw_path:
        return "/"
    return "/".join(quote(unquote_to_bytes(segment), safe="") for segment in raw_path.split("/"))


# -- internals ---------------------------------------------------------------------------


def _canonical_uri_candidates(raw_path: str) -> list[str]:
    first = canonical_uri(raw_path)
    return [first] if first == raw_path or not raw_path else [first, raw_path]


def _canonical_header_value(values: list[str]) -> str:
    return ",".join(_WS_RUN.sub(" ", value).strip(" \t") for value in values)


def _string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    digest = hashlib.sha256(_wire_bytes(canonical)).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


def _wire_bytes(text: str) -> bytes:
    # Header values hold latin-1-decoded wire bytes; re-encoding them as latin-1 gives the
    # exact bytes the client signed (it hashed its UTF-8 text, which is those bytes). Text
    # that cannot be latin-1 already came decoded as Unicode, so it goes back as UTF-8.
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def _hmac_hex(key: bytes, msg: str) -> str:
    return hmac.new(key, _wire_bytes(msg), hashlib.sha256).hexdigest()


def _uri_encode(text: str) -> str:
    # quote() always keeps A-Z a-z 0-9 _ . - ~, exactly AWS's unreserved set.
    return quote(text, safe="")


def _check_time(parsed: ParsedAuth, now: datetime) -> None:
    server_time = now.astimezone(UTC).strftime(AMZ_DATE_FORMAT)
    if parsed.kind is AuthKind.HEADER:
        if abs(now - parsed.request_time) > MAX_SKEW:
            raise S3AuthError(
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                details={
                    "RequestTime": parsed.amz_date,
                    "ServerTime": server_time,
                    "MaxAllowedSkewMilliseconds": str(int(MAX_SKEW.total_seconds() * 1000)),
                },
            )
        return
    # A presigned URL signed a little in the future (client clock ahead) is still honoured
    # within the skew window, as S3 does; beyond it, it is not valid yet.
    if parsed.request_time - now > MAX_SKEW:
        raise S3AuthError("AccessDenied", "Request is not valid yet")
    expires = parsed.expires or 0
    if now > parsed.request_time + timedelta(seconds=expires):
        raise S3AuthError(
            "AccessDenied",
            "Request has expired",
            details={
                "X-Amz-Expires": str(expires),
                "Expires": (parsed.request_time + timedelta(seconds=expires)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
                "ServerTime": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
