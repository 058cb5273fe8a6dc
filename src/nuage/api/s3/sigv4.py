"""AWS Signature Version 4 for S3: parse and verify header and presigned-URL authentication.

Pure and framework-free: the HTTP adapter builds a `SignedRequest` from what it received,
calls `parse()` (syntax, no secret needed), looks the access key up, then calls `verify()`
with the secret. `verify()` returns the `SigningContext` that `chunked.ChunkedDecoder` needs
to check the per-chunk signatures of a streaming upload.

Every refusal is one `S3AuthError` carrying the S3 error code, so the S3 error table maps it
to `<Error><Code>` without knowing where it came from.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, quote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# S3 refuses header-signed requests more than 15 minutes away from its clock.
MAX_SKEW = timedelta(minutes=15)
# A presigned URL lives at most 7 days (S3's documented limit).
MAX_PRESIGNED_EXPIRES = 604800

_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_DATE8 = re.compile(r"[0-9]{8}")
# SigV4 "Trimall": runs of spaces collapse to one. Only ASCII space and tab are folded:
# values arrive latin-1 decoded, and str.split() would also split on U+00A0/U+0085, which
# are continuation bytes of UTF-8 text in such a string.
_WS_RUN = re.compile(r"[ \t]+")

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


def verify(
    parsed: ParsedAuth,
    req: SignedRequest,
    secret: str,
    now: datetime,
    *,
    region: str | None = None,
) -> SigningContext:
    """Check time validity and the signature; return the material for chunk signatures.

    `now` must be timezone-aware. When `region` is given, a credential scoped to another
    region is refused as S3 refuses it. Raises S3AuthError.
    """
    if region is not None and parsed.region != region:
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
    return when.strftime(_AMZ_DATE_FORMAT), when


def _parse_amz_date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, _AMZ_DATE_FORMAT).replace(tzinfo=UTC)
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


def _check_time(parsed: ParsedAuth, now: datetime) -> None:
    server_time = now.astimezone(UTC).strftime(_AMZ_DATE_FORMAT)
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
