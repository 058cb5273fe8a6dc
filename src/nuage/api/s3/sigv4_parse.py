"""AWS Signature Version 4 for S3, first half: what a request claims about its signature.

`parse()` reads the Authorization header or the presigned query and checks their syntax
(credential scope, signed headers, request time, payload mode); it needs no secret and
verifies nothing. `sigv4.verify()` then checks the claim against the secret. The request
and claim types and `S3AuthError`, shared by both halves and by the aws-chunked decoder,
live here; `sigv4` re-exports them, so callers keep one entry point.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# A presigned URL lives at most 7 days (S3's documented limit).
MAX_PRESIGNED_EXPIRES = 604800

AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_DATE8 = re.compile(r"[0-9]{8}")

_STATUS: Mapping[str, int] = {
    "AccessDenied": 403,
    "SignatureDoesNotMatch": 403,
    "InvalidAccessKeyId": 403,
    "RequestTimeTooSkewed": 403,
    "AuthorizationHeaderMalformed": 400,
    "AuthorizationQueryParametersError": 400,
    "InvalidArgument": 400,
    "MissingSecurityHeader": 400,
    "InvalidRequest": 400,
    "IncompleteBody": 400,
    "MalformedTrailerError": 400,
    "XAmzContentSHA256Mismatch": 400,
    "BadDigest": 400,
    "InvalidDigest": 400,
}


class S3AuthError(Exception):
    """An authentication or body-framing refusal, named by its S3 error code.

    `details` carries the extra elements S3 puts in the error document (StringToSign,
    CanonicalRequest, RequestTime, ...): they are what lets a client author debug a
    signature mismatch, and contain nothing secret.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int | None = None,
        details: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else _STATUS.get(code, 400)
        self.details: Mapping[str, str] = dict(details or {})


class PayloadMode(enum.Enum):
    """How the body is authenticated, from x-amz-content-sha256 (or presigning)."""

    SHA256 = "sha256"  # the header holds the body's hex sha256: the caller checks it
    UNSIGNED = "unsigned"  # UNSIGNED-PAYLOAD, also every presigned URL by default
    STREAMING_SIGNED = "streaming-signed"  # aws-chunked, each chunk signed
    STREAMING_SIGNED_TRAILER = "streaming-signed-trailer"  # ... plus a signed trailer
    STREAMING_UNSIGNED_TRAILER = "streaming-unsigned-trailer"  # aws-chunked, trailer checksum

    @property
    def is_streaming(self) -> bool:
        return self in _STREAMING_MODES


_STREAMING_MODES = frozenset(
    {
        PayloadMode.STREAMING_SIGNED,
        PayloadMode.STREAMING_SIGNED_TRAILER,
        PayloadMode.STREAMING_UNSIGNED_TRAILER,
    }
)
_LITERAL_MODES: Mapping[str, PayloadMode] = {
    UNSIGNED_PAYLOAD: PayloadMode.UNSIGNED,
    STREAMING_SIGNED: PayloadMode.STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER: PayloadMode.STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER: PayloadMode.STREAMING_UNSIGNED_TRAILER,
}


class AuthKind(enum.Enum):
    HEADER = "header"
    PRESIGNED = "presigned"


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The parts of an HTTP request that SigV4 covers, as the server received them.

    raw_path: the path exactly as on the request line, still percent-encoded, no query.
    query: decoded (name, value) pairs in arrival order; `parse_query()` decodes a raw
        query string the way signers expect ('+' is a space).
    headers: (lowercase name, value) pairs, repeated names kept; bytes from the wire are
        decoded as latin-1 (what ASGI servers hand over) and re-encoded likewise here.
    """

    method: str
    raw_path: str
    query: Sequence[tuple[str, str]]
    headers: Sequence[tuple[str, str]]

    def header(self, name: str) -> str | None:
        """The first value of a header, or None."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    def query_value(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class ParsedAuth:
    """What a request claims about its signature; nothing here is verified yet."""

    kind: AuthKind
    access_key: str
    date: str  # YYYYMMDD of the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    payload_hash: str  # the literal that goes last in the canonical request
    payload_mode: PayloadMode
    amz_date: str  # request time as YYYYMMDDTHHMMSSZ, as used in the string to sign
    request_time: datetime  # the same, timezone-aware UTC
    expires: int | None = None  # presigned only: X-Amz-Expires seconds

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """Decode a raw query string into the pairs `SignedRequest.query` wants.

    Blank values are kept (`?acl` is the pair ("acl", "")), as S3 subresources need them.
    """
    return parse_qsl(raw_query, keep_blank_values=True)


def is_anonymous(req: SignedRequest) -> bool:
    """True when the request carries no signature at all (policy/ACL decides then)."""
    return (
        req.header("authorization") is None
        and req.query_value("X-Amz-Algorithm") is None
        and req.query_value("X-Amz-Credential") is None
        and req.query_value("AWSAccessKeyId") is None
    )


def parse(req: SignedRequest) -> ParsedAuth:
    """Read the claimed credentials from the Authorization header or the presigned query.

    Checks syntax only; call `verify()` once the secret of `access_key` is known (and raise
    InvalidAccessKeyId yourself when it is unknown). Raises S3AuthError.
    """
    authorization = req.header("authorization")
    presigned = req.query_value("X-Amz-Algorithm") is not None or (
        req.query_value("X-Amz-Credential") is not None
    )
    if authorization is not None and presigned:
        raise S3AuthError(
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified",
        )
    if authorization is not None:
        return _parse_header(req, authorization)
    if presigned:
        return _parse_presigned(req)
    if req.query_value("AWSAccessKeyId") is not None:
        raise _unsupported_mechanism()
    raise S3AuthError("AccessDenied", "Access Denied")


# -- internals ---------------------------------------------------------------------------


def _unsupported_mechanism() -> S3AuthError:
    return S3AuthError(
        "InvalidRequest",
        "The authorization mechanism you have provided is not supported. "
        "Please use AWS4-HMAC-SHA256.",
    )


def _parse_header(req: SignedRequest, authorization: str) -> ParsedAuth:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        if algorithm in ("AWS", "AWS4-ECDSA-P256-SHA256"):
            raise _unsupported_mechanism()
        raise S3AuthError(
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; the authorization header requires "
            "three components: Credential, SignedHeaders, and Signature.",
        )
    components: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise S3AuthError(
                "AuthorizationHeaderMalformed",
                f"The authorization header is malformed; the authorization component "
                f'"{part.strip()}" is malformed.',
            )
        components[name.strip()] = value.strip()
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if n not in components]
    if missing:
        raise S3AuthError(
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; the authorization header requires "
            "three components: Credential, SignedHeaders, and Signature.",
        )
    access_key, date, region, service = _parse_credential(
        components["Credential"], "AuthorizationHeaderMalformed"
    )
    signed_headers = _parse_signed_headers(
        components["SignedHeaders"], "AuthorizationHeaderMalformed"
    )
    amz_date, request_time = _header_request_time(req)
    if amz_date[:8] != date:
        raise S3AuthError(
            "AuthorizationHeaderMalformed",
            f'The authorization header is malformed; Invalid credential date "{date}". '
            'This date is not the same as X-Amz-Date: "' + amz_date[:8] + '".',
        )
    content_sha = req.header("x-amz-content-sha256")
    if content_sha is None:
        raise S3AuthError(
            "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
        )
    payload_hash, mode = _payload_mode(content_sha.strip())
    _require_signed(req, signed_headers, header_auth=True)
    return ParsedAuth(
        kind=AuthKind.HEADER,
        access_key=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=signed_headers,
        signature=components["Signature"],
        payload_hash=payload_hash,
        payload_mode=mode,
        amz_date=amz_date,
        request_time=request_time,
    )


def _parse_presigned(req: SignedRequest) -> ParsedAuth:
    names = (
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Expires",
    )
    values = {name: req.query_value(name) for name in names}
    if any(value is None for value in values.values()):
        raise S3AuthError(
            "AuthorizationQueryParametersError",
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
            "and X-Amz-Expires parameters.",
        )
    got = {name: value or "" for name, value in values.items()}
    if got["X-Amz-Algorithm"] != ALGORITHM:
        raise S3AuthError(
            "AuthorizationQueryParametersError",
            'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
        )
    access_key, date, region, service = _parse_credential(
        got["X-Amz-Credential"], "AuthorizationQueryParametersError"
    )
    signed_headers = _parse_signed_headers(
        got["X-Amz-SignedHeaders"], "AuthorizationQueryParametersError"
    )
    amz_date = got["X-Amz-Date"]
    request_time = _parse_amz_date(amz_date)
    if request_time is None:
        raise S3AuthError(
            "AuthorizationQueryParametersError",
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        )
    if amz_date[:8] != date:
        raise S3AuthError(
            "AuthorizationQueryParametersError",
            f'Invalid credential date "{date}". This date is not the same as X-Amz-Date: '
            f'"{amz_date[:8]}".',
        )
    try:
        expires = int(got["X-Amz-Expires"])
    except ValueError:
        raise S3AuthError(
            "AuthorizationQueryParametersError", "X-Amz-Expires should be a number"
        ) from None
    if expires < 0:
        raise S3AuthError("AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative")
    if expires > MAX_PRESIGNED_EXPIRES:
        raise S3AuthError(
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        )
    # Presigning cannot know the body; botocore still signs an explicit header if sent.
    content_sha = req.header("x-amz-content-sha256")
    if content_sha is None:
        payload_hash, mode = UNSIGNED_PAYLOAD, PayloadMode.UNSIGNED
    else:
        payload_hash, mode = _payload_mode(content_sha.strip())
    _require_signed(req, signed_headers, header_auth=False)
    return ParsedAuth(
        kind=AuthKind.PRESIGNED,
        access_key=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=signed_headers,
        signature=got["X-Amz-Signature"],
        payload_hash=payload_hash,
        payload_mode=mode,
        amz_date=amz_date,
        request_time=request_time,
        expires=expires,
    )


def _parse_credential(value: str, code: str) -> tuple[str, str, str, str]:
    # rsplit: the four scope parts never hold '/', whatever the access key looks like.
    parts = value.rsplit("/", 4)
    if len(parts) != 5 or not parts[0]:
        raise S3AuthError(
            code,
            f"The authorization header is malformed; the Credential is mal-formed; expecting "
            f'"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request". ("{value}")',
        )
    access_key, date, region, service, terminator = parts
    if not _DATE8.fullmatch(date):
        raise S3AuthError(
            code, f'The authorization header is malformed; Invalid credential date "{date}".'
        )
    if not region:
        raise S3AuthError(code, "The authorization header is malformed; the region is empty.")
    if service != SERVICE:
        raise S3AuthError(
            code,
            "The authorization header is malformed; Credential should be scoped to correct "
            f"service: '{SERVICE}'.",
        )
    if terminator != TERMINATOR:
        raise S3AuthError(
            code,
            "The authorization header is malformed; Credential should be scoped with a valid "
            f'terminator: "{TERMINATOR}", not "{terminator}".',
        )
    return access_key, date, region, service


def _parse_signed_headers(value: str, code: str) -> tuple[str, ...]:
    names = tuple(name.strip().lower() for name in value.split(";"))
    if not value or any(not name for name in names):
        raise S3AuthError(code, "The authorization header is malformed; SignedHeaders is empty.")
    return names


def _require_signed(req: SignedRequest, signed: tuple[str, ...], *, header_auth: bool) -> None:
    """S3 demands that Host, and for header auth every x-amz-* header, be signed."""
    signed_set = set(signed)
    unsigned = [] if "host" in signed_set else ["host"]
    if header_auth:
        unsigned += sorted(
            {name for name, _ in req.headers if name.startswith("x-amz-")} - signed_set
        )
    if unsigned:
        raise S3AuthError(
            "AccessDenied",
            "There were headers present in the request which were not signed",
            details={"HeadersNotSigned": ", ".join(unsigned)},
        )


def _header_request_time(req: SignedRequest) -> tuple[str, datetime]:
    amz = req.header("x-amz-date")
    # x-amz-date wins; the Date header is the fallback SigV4 allows.
    when = _parse_amz_date(amz.strip()) if amz else _parse_http_date(req.header("date"))
    if when is None:
        raise S3AuthError(
            "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"
        )
    return when.strftime(AMZ_DATE_FORMAT), when


def _parse_amz_date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _parse_http_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _payload_mode(value: str) -> tuple[str, PayloadMode]:
    mode = _LITERAL_MODES.get(value)
    if mode is not None:
        return value, mode
    if _HEX64.fullmatch(value):
        return value, PayloadMode.SHA256
    raise S3AuthError(
        "InvalidRequest",
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER "
        "or a valid sha256 value.",
    )
