"""SigV4 for S3: botocore-signed requests verify; every tampering is refused by its code."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from nuage.api.s3.sigv4 import (
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
    UNSIGNED_PAYLOAD,
    AuthKind,
    PayloadMode,
    S3AuthError,
    SignedRequest,
    canonical_uri,
    check_payload_sha256,
    is_anonymous,
    parse,
    parse_query,
    verify,
)
from tests.unit.s3.signing import (
    ACCESS_KEY,
    ENDPOINT,
    REGION,
    SECRET,
    presign,
    sign_header,
    utcnow,
)

KEYS = [
    "plain.txt",
    "dir/sub dir/with space.txt",
    "unicodé/日本語/ключ.bin",
    "a+b=c~d.txt",
    "percent%2Fliteral",
    "odd!$&'()*,;:@[]chars",
]


def _url(bucket: str, key: str, *, encode_slash: bool = False) -> str:
    # botocore's S3 serializer quotes keys with safe='/~'; other clients encode '/' too.
    return f"{ENDPOINT}/{bucket}/{quote(key, safe='~' if encode_slash else '/~')}"


def _code(excinfo: pytest.ExceptionInfo[S3AuthError]) -> str:
    return excinfo.value.code


def _replace_header(req: SignedRequest, name: str, value: str) -> SignedRequest:
    headers = [(n, value if n == name else v) for n, v in req.headers]
    return dataclasses.replace(req, headers=headers)


@pytest.mark.parametrize("key", KEYS)
def test_header_auth_with_awkward_keys_verifies(key: str) -> None:
    body = b"hello world"
    req, _ = sign_header("PUT", _url("bucket", key), body=body)
    parsed = parse(req)
    assert parsed.kind is AuthKind.HEADER
    assert (parsed.access_key, parsed.region, parsed.service) == (ACCESS_KEY, REGION, "s3")
    assert parsed.payload_mode is PayloadMode.SHA256
    ctx = verify(parsed, req, SECRET, utcnow(), region=REGION)
    assert ctx.access_key == ACCESS_KEY
    check_payload_sha256(ctx, hashlib.sha256(body).hexdigest())


@pytest.mark.parametrize("key", KEYS)
def test_header_auth_with_encoded_slashes_verifies(key: str) -> None:
    req, _ = sign_header("GET", _url("bucket", key, encode_slash=True))
    verify(parse(req), req, SECRET, utcnow())


def test_query_values_with_reserved_characters_verify() -> None:
    params = {
        "list-type": "2",
        "prefix": "a b+c=d~e/f%2Fg&h",
        "delimiter": "/",
        "start-after": "ключ",
        "encoding-type": "url",
    }
    req, _ = sign_header("GET", f"{ENDPOINT}/bucket", params=params)
    verify(parse(req), req, SECRET, utcnow())


def test_subresource_without_value_verifies() -> None:
    req, _ = sign_header("GET", f"{ENDPOINT}/bucket?acl")
    assert ("acl", "") in req.query
    verify(parse(req), req, SECRET, utcnow())


def test_repeated_and_folded_headers_verify() -> None:
    req, _ = sign_header(
        "PUT",
        _url("bucket", "k"),
        headers={"x-amz-meta-note": "  several   spaces\tand tab  "},
    )
    # The server may see the value re-spaced by a proxy: folding makes it still verify.
    respaced = _replace_header(req, "x-amz-meta-note", "several spaces and  tab")
    verify(parse(respaced), respaced, SECRET, utcnow())


def test_unsigned_payload_verifies() -> None:
    req, _ = sign_header("PUT", _url("bucket", "k"), streaming=UNSIGNED_PAYLOAD, body=b"x")
    parsed = parse(req)
    assert parsed.payload_mode is PayloadMode.UNSIGNED
    verify(parsed, req, SECRET, utcnow())


@pytest.mark.parametrize(
    ("literal", "mode"),
    [
        (STREAMING_SIGNED, PayloadMode.STREAMING_SIGNED),
        (STREAMING_SIGNED_TRAILER, PayloadMode.STREAMING_SIGNED_TRAILER),
        (STREAMING_UNSIGNED_TRAILER, PayloadMode.STREAMING_UNSIGNED_TRAILER),
    ],
)
def test_streaming_modes_parse_and_seed(literal: str, mode: PayloadMode) -> None:
    req, _ = sign_header(
        "PUT",
        _url("bucket", "k"),
        streaming=literal,
        headers={"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "5"},
    )
    parsed = parse(req)
    assert parsed.payload_mode is mode and mode.is_streaming
    ctx = verify(parsed, req, SECRET, utcnow())
    assert ctx.seed_signature == parsed.signature
    assert ctx.scope == f"{parsed.date}/{REGION}/s3/aws4_request"


def test_sha256_body_mismatch_is_refused() -> None:
    req, _ = sign_header("PUT", _url("bucket", "k"), body=b"original")
    ctx = verify(parse(req), req, SECRET, utcnow())
    with pytest.raises(S3AuthError) as excinfo:
        check_payload_sha256(ctx, hashlib.sha256(b"tampered").hexdigest())
    assert _code(excinfo) == "XAmzContentSHA256Mismatch"
    assert excinfo.value.status == 400


@pytest.mark.parametrize(
    "tamper",
    ["method", "path", "query", "header", "signature", "secret", "payload_hash"],
)
def test_tampering_is_signature_mismatch(tamper: str) -> None:
    req, _ = sign_header(
        "PUT",
        _url("bucket", "dir/key one.txt"),
        params={"tagging": ""},
        headers={"x-amz-meta-colour": "blue"},
        body=b"data",
    )
    secret = SECRET
    if tamper == "method":
        req = dataclasses.replace(req, method="POST")
    elif tamper == "path":
        req = dataclasses.replace(req, raw_path=req.raw_path.replace("one", "two"))
    elif tamper == "query":
        req = dataclasses.replace(req, query=[*req.query, ("versionId", "1")])
    elif tamper == "header":
        req = _replace_header(req, "x-amz-meta-colour", "red")
    elif tamper == "signature":
        auth = req.header("authorization") or ""
        req = _replace_header(req, "authorization", auth[:-4] + "0000")
    elif tamper == "secret":
        secret = "not-the-secret"
    elif tamper == "payload_hash":
        req = _replace_header(req, "x-amz-content-sha256", hashlib.sha256(b"x").hexdigest())
    with pytest.raises(S3AuthError) as excinfo:
        verify(parse(req), req, secret, utcnow())
    assert _code(excinfo) == "SignatureDoesNotMatch"
    assert excinfo.value.status == 403
    assert "CanonicalRequest" in excinfo.value.details


@pytest.mark.parametrize("offset", [timedelta(minutes=16), timedelta(minutes=-16)])
def test_clock_skew_is_refused(offset: timedelta) -> None:
    req, _ = sign_header("GET", _url("bucket", "k"))
    with pytest.raises(S3AuthError) as excinfo:
        verify(parse(req), req, SECRET, utcnow() + offset)
    assert _code(excinfo) == "RequestTimeTooSkewed"
    assert excinfo.value.status == 403


def test_small_skew_is_tolerated() -> None:
    req, _ = sign_header("GET", _url("bucket", "k"))
    verify(parse(req), req, SECRET, utcnow() + timedelta(minutes=14))


def test_date_header_instead_of_x_amz_date() -> None:
    req, _ = sign_header("GET", _url("bucket", "k"), headers={"Date": "placeholder"})
    assert req.header("x-amz-date") is None and req.header("date") is not None
    verify(parse(req), req, SECRET, utcnow())


def test_missing_date_is_access_denied() -> None:
    req, _ = sign_header("GET", _url("bucket", "k"))
    req = dataclasses.replace(req, headers=[(n, v) for n, v in req.headers if n != "x-amz-date"])
    with pytest.raises(S3AuthError) as excinfo:
        parse(req)
    assert _code(excinfo) == "AccessDenied"


def test_wrong_region_is_malformed() -> None:
    req, _ = sign_header("GET", _url("bucket", "k"))
    with pytest.raises(S3AuthError) as excinfo:
        verify(parse(req), req, SECRET, utcnow(), region="elsewhere-2")
    assert _code(excinfo) == "AuthorizationHeaderMalformed"


def test_a_region_alias_is_accepted_and_only_an_alias() -> None:
    """Issue 8: clients sign with us-east-1 unless told otherwise."""
    req, _ = sign_header("GET", _url("bucket", "k"))    # signed for REGION
    verify(parse(req), req, SECRET, utcnow(), region="elsewhere-2", aliases=(REGION,))
    with pytest.raises(S3AuthError):
        verify(parse(req), req, SECRET, utcnow(), region="elsewhere-2", aliases=("us-east-1",))


def test_region_alias_and_s3_url_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from nuage.settings import Settings

    for name in ("NUAGE_S3_REGION_ALIASES", "NUAGE_S3_PUBLIC_URL", "NUAGE_REGION",
                 "NUAGE_HOST", "NUAGE_S3_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().s3_regions == ("RegionOne", "us-east-1")
    assert Settings(s3_region_aliases="").s3_regions == ("RegionOne",)
    assert Settings(region="fr-par", s3_region_aliases=" us-east-1, fr-par ,eu-west-3"
                    ).s3_regions == ("fr-par", "us-east-1", "eu-west-3")
    assert Settings(host="0.0.0.0").s3_url == "http://0.0.0.0:8801"
    monkeypatch.setenv("NUAGE_S3_PUBLIC_URL", "https://s3.example.org/")
    assert Settings(host="0.0.0.0").s3_url == "https://s3.example.org"


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        ("AWS AKID:c2lnbmF0dXJl", "InvalidRequest"),
        (
            "AWS4-HMAC-SHA256 Credential=AK/20261129/r/s3/aws4_request",
            "AuthorizationHeaderMalformed",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AK/20261129/r/ec2/aws4_request, SignedHeaders=host, "
            "Signature=00",
            "AuthorizationHeaderMalformed",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AK/2026/r/s3/aws4_request, SignedHeaders=host, "
            "Signature=00",
            "AuthorizationHeaderMalformed",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AK/20261129/r/s3/aws5_request, SignedHeaders=host, "
            "Signature=00",
            "AuthorizationHeaderMalformed",
        ),
        ("AWS4-HMAC-SHA256 garbage", "AuthorizationHeaderMalformed"),
        ("Bearer token", "AuthorizationHeaderMalformed"),
    ],
)
def test_malformed_authorization_header(authorization: str, code: str) -> None:
    req, _ = sign_header("GET", _url("bucket", "k"))
    req = _replace_header(req, "authorization", authorization)
    with pytest.raises(S3AuthError) as excinfo:
        parse(req)
    assert _code(excinfo) == code


def test_credential_date_must_match_request_date() -> None:
    req, _ = sign_header("GET", _url("bucket", "k"))
    auth = req.header("authorization") or ""
    date = (req.header("x-amz-date") or "")[:8]
    req = _replace_header(req, "authorization", auth.replace(f"/{date}/", "/19991231/"))
    with pytest.raises(S3AuthError) as excinfo:
        parse(req)
    assert _code(excinfo) == "AuthorizationHeaderMalformed"


def test_missing_content_sha256_is_invalid_request() -> None:
    req, _ = sign_header("GET", _url("bucket", "k"))
    headers = [(n, v) for n, v in req.headers if n != "x-amz-content-sha256"]
    with pytest.raises(S3AuthError) as excinfo:
        parse(dataclasses.replace(req, headers=headers))
    assert _code(excinfo) == "InvalidRequest"


def test_bad_content_sha256_is_invalid_request() -> None:
    req, _ = sign_header("GET", _url("bucket", "k"))
    req = _replace_header(req, "x-amz-content-sha256", "STREAMING-SOMETHING")
    with pytest.raises(S3AuthError) as excinfo:
        parse(req)
    assert _code(excinfo) == "InvalidRequest"
    assert "x-amz-content-sha256 must be" in excinfo.value.message


def test_unsigned_amz_header_is_access_denied() -> None:
    req, _ = sign_header("GET", _url("bucket", "k"))
    req = dataclasses.replace(req, headers=[*req.headers, ("x-amz-acl", "public-read")])
    with pytest.raises(S3AuthError) as excinfo:
        parse(req)
    assert _code(excinfo) == "AccessDenied"
    assert excinfo.value.details["HeadersNotSigned"] == "x-amz-acl"


def test_both_mechanisms_is_invalid_argument() -> None:
    req, _ = sign_header("GET", _url("bucket", "k"))
    req = dataclasses.replace(req, query=[("X-Amz-Algorithm", "AWS4-HMAC-SHA256")])
    with pytest.raises(S3AuthError) as excinfo:
        parse(req)
    assert _code(excinfo) == "InvalidArgument"


def test_anonymous_detection() -> None:
    anonymous = SignedRequest("GET", "/bucket/k", [], [("host", "h")])
    assert is_anonymous(anonymous)
    with pytest.raises(S3AuthError) as excinfo:
        parse(anonymous)
    assert _code(excinfo) == "AccessDenied"
    req, _ = sign_header("GET", _url("bucket", "k"))
    assert not is_anonymous(req)


# -- presigned URLs ---------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_presigned_get_verifies(key: str) -> None:
    req = presign("GET", _url("bucket", key), expires=600)
    parsed = parse(req)
    assert parsed.kind is AuthKind.PRESIGNED
    assert parsed.payload_mode is PayloadMode.UNSIGNED
    assert parsed.expires == 600
    verify(parsed, req, SECRET, utcnow(), region=REGION)


def test_presigned_with_operation_params_verifies() -> None:
    url = f"{_url('bucket', 'k')}?response-content-disposition={quote('attachment; a=b+c')}"
    req = presign("GET", url)
    verify(parse(req), req, SECRET, utcnow())


def test_presigned_expired_is_access_denied() -> None:
    req = presign("GET", _url("bucket", "k"), expires=60)
    with pytest.raises(S3AuthError) as excinfo:
        verify(parse(req), req, SECRET, utcnow() + timedelta(seconds=120))
    assert _code(excinfo) == "AccessDenied"
    assert excinfo.value.message == "Request has expired"


def test_presigned_not_yet_valid_is_access_denied() -> None:
    req = presign("GET", _url("bucket", "k"))
    with pytest.raises(S3AuthError) as excinfo:
        verify(parse(req), req, SECRET, utcnow() - timedelta(minutes=30))
    assert _code(excinfo) == "AccessDenied"


def test_presigned_within_week_is_accepted_late() -> None:
    req = presign("GET", _url("bucket", "k"), expires=604800)
    verify(parse(req), req, SECRET, utcnow() + timedelta(days=6))


def _with_query(req: SignedRequest, name: str, value: str | None) -> SignedRequest:
    query = [(n, v) for n, v in req.query if n != name]
    if value is not None:
        query.append((name, value))
    return dataclasses.replace(req, query=query)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Amz-Expires", "604801"),
        ("X-Amz-Expires", "-1"),
        ("X-Amz-Expires", "soon"),
        ("X-Amz-Expires", None),
        ("X-Amz-Credential", None),
        ("X-Amz-Signature", None),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA1"),
        ("X-Amz-Date", "2026-11-29"),
        ("X-Amz-Credential", "AK/20261129/r/sqs/aws4_request"),
    ],
)
def test_presigned_bad_parameters(name: str, value: str | None) -> None:
    req = _with_query(presign("GET", _url("bucket", "k")), name, value)
    with pytest.raises(S3AuthError) as excinfo:
        parse(req)
    assert _code(excinfo) == "AuthorizationQueryParametersError"
    assert excinfo.value.status == 400


@pytest.mark.parametrize("tamper", ["method", "path", "query", "signature", "secret"])
def test_presigned_tampering_is_signature_mismatch(tamper: str) -> None:
    req = presign("PUT", _url("bucket", "k ey"))
    secret = SECRET
    if tamper == "method":
        req = dataclasses.replace(req, method="GET")
    elif tamper == "path":
        req = dataclasses.replace(req, raw_path="/bucket/other")
    elif tamper == "query":
        req = dataclasses.replace(req, query=[*req.query, ("partNumber", "1")])
    elif tamper == "signature":
        req = _with_query(req, "X-Amz-Signature", "0" * 64)
    else:
        secret = "wrong"
    with pytest.raises(S3AuthError) as excinfo:
        verify(parse(req), req, secret, utcnow())
    assert _code(excinfo) == "SignatureDoesNotMatch"


# -- canonical forms --------------------------------------------------------------------


def test_canonical_uri_encodes_once_and_keeps_encoded_slash() -> None:
    assert canonical_uri("/b/a%20b+c") == "/b/a%20b%2Bc"
    assert canonical_uri("/b/a%2Fb") == "/b/a%2Fb"
    assert canonical_uri("/b/%7Euser/(x)") == "/b/~user/%28x%29"
    assert canonical_uri("/b//double/./dot/../") == "/b//double/./dot/../"
    assert canonical_uri("") == "/"


def test_parse_query_keeps_blank_values_and_plus_as_space() -> None:
    assert parse_query("acl&prefix=a+b%2Bc&x=") == [("acl", ""), ("prefix", "a b+c"), ("x", "")]


def test_aws_documented_example_get_object() -> None:
    """The 'GET Object' example of the AWS SigV4 header-auth documentation."""
    req = SignedRequest(
        method="GET",
        raw_path="/test.txt",
        query=[],
        headers=[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", hashlib.sha256(b"").hexdigest()),
            ("x-amz-date", "20130524T000000Z"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            ),
        ],
    )
    now = datetime(2013, 5, 24, 0, 5, tzinfo=UTC)
    verify(parse(req), req, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", now)
