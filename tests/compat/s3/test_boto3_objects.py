"""boto3: objects — put/get/head/delete, DeleteObjects, copy, headers, ranges, conditions,
checksums, SSE-C and bad input."""

from __future__ import annotations

import base64
import datetime
import hashlib
import importlib.util
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import google_crc32c
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient, Config
from botocore.credentials import Credentials

from tests.compat.s3.conftest import S3Tenant, s3_client, s3_error
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat

HAS_CRT = importlib.util.find_spec("awscrt") is not None


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_put_get_head_delete(s3: BaseClient, bucket: str) -> None:
    body = b"hello, nuage"
    put = s3.put_object(Bucket=bucket, Key="dir/hello.txt", Body=body)
    etag = f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ETag"] == etag
    got = s3.get_object(Bucket=bucket, Key="dir/hello.txt")
    assert got["Body"].read() == body
    assert got["ETag"] == etag
    assert got["ContentLength"] == len(body)
    head = s3.head_object(Bucket=bucket, Key="dir/hello.txt")
    assert head["ContentLength"] == len(body) and head["ETag"] == etag
    assert isinstance(head["LastModified"], datetime.datetime)
    s3.delete_object(Bucket=bucket, Key="dir/hello.txt")
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="dir/hello.txt")
    with s3_error("404", 404):
        s3.head_object(Bucket=bucket, Key="dir/hello.txt")
    # Deleting a missing key is not an error in S3.
    assert s3.delete_object(Bucket=bucket, Key="never")["ResponseMetadata"][
        "HTTPStatusCode"] == 204


def test_empty_and_overwrite(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b""
    s3.put_object(Bucket=bucket, Key="empty", Body=b"now full")
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b"now full"


def test_larger_object_streams_back_identical(s3: BaseClient, bucket: str) -> None:
    body = os.urandom(3 * 1024 * 1024 + 17)
    s3.put_object(Bucket=bucket, Key="big", Body=body)
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == body


def test_upload_fileobj_and_download(s3: BaseClient, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(200_000))
    s3.upload_file(str(src), bucket, "file.bin")
    dst = tmp_path / "dst.bin"
    s3.download_file(bucket, "file.bin", str(dst))
    assert dst.read_bytes() == src.read_bytes()


def test_metadata_and_standard_headers_round_trip(s3: BaseClient, bucket: str) -> None:
    expires = datetime.datetime(2031, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    s3.put_object(
        Bucket=bucket, Key="meta", Body=b"{}", ContentType="application/json",
        ContentEncoding="identity", ContentDisposition='attachment; filename="m.json"',
        ContentLanguage="fr-FR", CacheControl="max-age=60", Expires=expires,
        Metadata={"colour": "bleu", "Mixed-Case": "Value with spaces"})
    for response in (s3.get_object(Bucket=bucket, Key="meta"),
                     s3.head_object(Bucket=bucket, Key="meta")):
        assert response["ContentType"] == "application/json"
        assert response["ContentEncoding"] == "identity"
        assert response["ContentDisposition"] == 'attachment; filename="m.json"'
        assert response["ContentLanguage"] == "fr-FR"
        assert response["CacheControl"] == "max-age=60"
        assert response["Expires"] == expires
        assert response["Metadata"] == {"colour": "bleu", "mixed-case": "Value with spaces"}


def test_response_header_overrides(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="o", ResponseContentType="image/png",
                        ResponseContentDisposition="inline", ResponseCacheControl="no-cache")
    assert got["ContentType"] == "image/png"
    assert got["ContentDisposition"] == "inline"
    assert got["CacheControl"] == "no-cache"


def test_delete_objects(s3: BaseClient, bucket: str) -> None:
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"d/{i}", Body=b"x")
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": f"d/{i}"} for i in range(5)] + [{"Key": "missing"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == [*(f"d/{i}" for i in range(5)),
                                                        "missing"]
    assert not out.get("Errors")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3.put_object(Bucket=bucket, Key="q", Body=b"x")
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "q"}], "Quiet": True})
    assert not quiet.get("Deleted")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_copy_object_metadata_directives(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy me", ContentType="text/plain",
                  Metadata={"a": "1"})
    out = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert out["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"copy me").hexdigest()}"'
    dst = s3.get_object(Bucket=bucket, Key="dst")
    assert dst["Body"].read() == b"copy me"
    assert dst["Metadata"] == {"a": "1"} and dst["ContentType"] == "text/plain"
    s3.copy_object(Bucket=bucket, Key="dst2", CopySource=f"{bucket}/src",
                   MetadataDirective="REPLACE", Metadata={"b": "2"},
                   ContentType="application/x-test")
    dst2 = s3.head_object(Bucket=bucket, Key="dst2")
    assert dst2["Metadata"] == {"b": "2"} and dst2["ContentType"] == "application/x-test"
    # Copy onto itself is only allowed when something changes.
    with s3_error("InvalidRequest", 400):
        s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"})
    s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"c": "3"})
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"c": "3"}
    with s3_error("NoSuchKey", 404):
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "nope"})
    with s3_error("NoSuchBucket", 404):
        s3.copy_object(Bucket=bucket, Key="x",
                       CopySource={"Bucket": "no-such-bucket-zz9", "Key": "nope"})


def test_copy_across_buckets_and_conditions(s3: BaseClient, bucket: str) -> None:
    other = bucket + "-2"
    s3.create_bucket(Bucket=other)
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"data")["ETag"]
    src = {"Bucket": bucket, "Key": "src"}
    s3.copy_object(Bucket=other, Key="c1", CopySource=src, CopySourceIfMatch=etag)
    assert s3.get_object(Bucket=other, Key="c1")["Body"].read() == b"data"
    with s3_error("PreconditionFailed", 412):
        s3.copy_object(Bucket=other, Key="c2", CopySource=src, CopySourceIfMatch='"beef"')
    with s3_error("PreconditionFailed", 412):
        s3.copy_object(Bucket=other, Key="c2", CopySource=src, CopySourceIfNoneMatch=etag)
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    with s3_error("PreconditionFailed", 412):
        s3.copy_object(Bucket=other, Key="c2", CopySource=src,
                       CopySourceIfUnmodifiedSince=past)
    with s3_error("PreconditionFailed", 412):
        s3.copy_object(Bucket=other, Key="c2", CopySource=src,
                       CopySourceIfModifiedSince=future)
    s3.copy_object(Bucket=other, Key="c3", CopySource=src, CopySourceIfModifiedSince=past,
                   CopySourceIfUnmodifiedSince=future)
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=other, Key="c2")


def test_ranged_get(s3: BaseClient, bucket: str) -> None:
    body = bytes(range(256)) * 4  # 1024 bytes
    s3.put_object(Bucket=bucket, Key="r", Body=body)

    def rng(spec: str) -> tuple[bytes, str, int]:
        got = s3.get_object(Bucket=bucket, Key="r", Range=spec)
        return (got["Body"].read(), got["ContentRange"],
                got["ResponseMetadata"]["HTTPStatusCode"])

    assert rng("bytes=10-19") == (body[10:20], "bytes 10-19/1024", 206)
    assert rng("bytes=1000-") == (body[1000:], "bytes 1000-1023/1024", 206)
    assert rng("bytes=-24") == (body[-24:], "bytes 1000-1023/1024", 206)
    assert rng("bytes=1000-5000") == (body[1000:], "bytes 1000-1023/1024", 206)
    head = s3.head_object(Bucket=bucket, Key="r", Range="bytes=0-9")
    assert head["ContentLength"] == 10 and head["ContentRange"] == "bytes 0-9/1024"
    with s3_error("InvalidRange", 416):
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=1024-")
    with s3_error("InvalidRange", 416):
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=5000-6000")
    # A syntactically invalid range is ignored: the whole object, 200.
    whole = s3.get_object(Bucket=bucket, Key="r", Range="bytes=abc")
    assert whole["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert whole["Body"].read() == body


def test_ranged_get_across_encryption_chunks(s3: BaseClient, bucket: str) -> None:
    body = os.urandom(2 * 1024 * 1024 + 333)
    s3.put_object(Bucket=bucket, Key="big", Body=body)
    for start, end in ((0, 0), (65535, 65537), (1048570, 1048600), (len(body) - 5,
                                                                     len(body) - 1)):
        got = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={start}-{end}")
        assert got["Body"].read() == body[start:end + 1]


def test_conditional_get_and_head(s3: BaseClient, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"conditional")["ETag"]
    last = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    before = last - datetime.timedelta(hours=1)
    after = last + datetime.timedelta(hours=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"conditional"
    with s3_error("PreconditionFailed", 412):
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0123"')
    with s3_error("412", 412):
        s3.head_object(Bucket=bucket, Key="c", IfMatch='"0123"')
    with s3_error("304", 304):
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    with s3_error("304", 304):
        s3.head_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    with s3_error("304", 304):
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=after)
    s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=before)
    with s3_error("PreconditionFailed", 412):
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=before)
    s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=after)
    # If-Match true + If-Unmodified-Since false: 200 (RFC 7232 precedence, as S3 does).
    s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=before)
    # If-None-Match false + If-Modified-Since true: 304.
    with s3_error("304", 304):
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag, IfModifiedSince=before)


def test_conditional_put(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    with s3_error("PreconditionFailed", 412):
        s3.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"
    etag = s3.head_object(Bucket=bucket, Key="once")["ETag"]
    with s3_error("PreconditionFailed", 412):
        s3.put_object(Bucket=bucket, Key="once", Body=b"third", IfMatch='"ffff"')
    s3.put_object(Bucket=bucket, Key="once", Body=b"fourth", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"fourth"
    with s3_error("NoSuchKey", 404):
        s3.put_object(Bucket=bucket, Key="absent", Body=b"x", IfMatch=etag)


def test_content_md5(s3: BaseClient, bucket: str) -> None:
    body = b"digest me"
    s3.put_object(Bucket=bucket, Key="m", Body=body, ContentMD5=md5_b64(body))
    with s3_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="bad", Body=body, ContentMD5=md5_b64(b"other"))
    with s3_error("InvalidDigest", 400):
        s3.put_object(Bucket=bucket, Key="bad", Body=body, ContentMD5="not-base64!")
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="bad")


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256"])
def test_checksum_algorithms(s3: BaseClient, bucket: str, algorithm: str) -> None:
    body = os.urandom(70_000)
    field = f"Checksum{algorithm}"
    if algorithm == "CRC32C" and not HAS_CRT:
        # botocore computes CRC32C only with awscrt: send the value ourselves.
        crc = google_crc32c.value(body)
        value = base64.b64encode(int(crc).to_bytes(4, "big")).decode()
        put = s3.put_object(Bucket=bucket, Key=algorithm, Body=body, ChecksumCRC32C=value)
        assert put[field] == value
    else:
        put = s3.put_object(Bucket=bucket, Key=algorithm, Body=body,
                            ChecksumAlgorithm=algorithm)
    assert put[field]
    got = s3.get_object(Bucket=bucket, Key=algorithm, ChecksumMode="ENABLED")
    assert got[field] == put[field]
    assert got["Body"].read() == body  # botocore validates the checksum while reading
    head = s3.head_object(Bucket=bucket, Key=algorithm, ChecksumMode="ENABLED")
    assert head[field] == put[field]


def test_wrong_checksum_is_refused(s3: BaseClient, bucket: str) -> None:
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with s3_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="w", Body=b"data", ChecksumSHA256=wrong)
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="w")


def test_object_tagging(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="a=1&b=two")
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "two")]
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 2
    s3.put_object_tagging(Bucket=bucket, Key="t",
                          Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [
        {"Key": "only", "Value": "one"}]
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    with s3_error("InvalidTag", 400):
        s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [
            {"Key": f"k{i}", "Value": "v"} for i in range(11)]})
    with s3_error("NoSuchKey", 404):
        s3.get_object_tagging(Bucket=bucket, Key="missing")


def test_sse_c(s3: BaseClient, bucket: str, live_nuage: LiveNuage) -> None:
    key = os.urandom(32)
    other = os.urandom(32)
    secret = b"SSE-C plaintext marker " + os.urandom(8).hex().encode()
    s3.put_object(Bucket=bucket, Key="secret", Body=secret, SSECustomerAlgorithm="AES256",
                  SSECustomerKey=key)  # boto3 adds the key's MD5 and base64-encodes it
    got = s3.get_object(Bucket=bucket, Key="secret", SSECustomerAlgorithm="AES256",
                        SSECustomerKey=key)
    assert got["Body"].read() == secret
    assert got["SSECustomerAlgorithm"] == "AES256"
    head = s3.head_object(Bucket=bucket, Key="secret", SSECustomerAlgorithm="AES256",
                          SSECustomerKey=key)
    assert head["ContentLength"] == len(secret)
    with s3_error("InvalidRequest", 400):
        s3.get_object(Bucket=bucket, Key="secret")
    with s3_error("400", 400):
        s3.head_object(Bucket=bucket, Key="secret")
    with s3_error("AccessDenied", 403):
        s3.get_object(Bucket=bucket, Key="secret", SSECustomerAlgorithm="AES256",
                      SSECustomerKey=other)
    # Copying needs the source key; the copy may be re-encrypted with another key.
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "secret"},
                   CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key,
                   SSECustomerAlgorithm="AES256", SSECustomerKey=other)
    assert s3.get_object(Bucket=bucket, Key="copy", SSECustomerAlgorithm="AES256",
                         SSECustomerKey=other)["Body"].read() == secret
    # Neither the key (raw, base64 or hex) nor the plaintext is anywhere in the state dir.
    needles = [key, base64.b64encode(key), key.hex().encode(), secret,
               base64.b64encode(other)]
    for path in live_nuage.state_dir.rglob("*"):
        if path.is_file() and path.stat().st_size < 64 * 1024 * 1024:
            data = path.read_bytes()
            for needle in needles:
                assert needle not in data, f"{needle!r} found in {path}"


def test_overlong_key(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"x")
    with s3_error("KeyTooLongError", 400):
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")


def test_metadata_too_large(s3: BaseClient, bucket: str) -> None:
    with s3_error("MetadataTooLarge", 400):
        s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata={"big": "v" * 2100})


def test_no_such_bucket_for_objects(s3: BaseClient) -> None:
    with s3_error("NoSuchBucket", 404):
        s3.put_object(Bucket="no-such-bucket-zz9", Key="k", Body=b"x")
    with s3_error("NoSuchBucket", 404):
        s3.get_object(Bucket="no-such-bucket-zz9", Key="k")


@contextmanager
def raw_body(s3: BaseClient, operation: str, body: bytes) -> Iterator[None]:
    """Make the next `operation` call send `body` instead of the XML botocore builds."""
    def swap(request: Any, **kwargs: Any) -> None:
        request.data = body
        request.headers["Content-MD5"] = md5_b64(body)
        for name in ("x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm"):
            if name in request.headers:
                del request.headers[name]

    s3.meta.events.register_first(f"before-sign.s3.{operation}", swap)
    try:
        yield
    finally:
        s3.meta.events.unregister(f"before-sign.s3.{operation}", swap)


def test_malformed_xml(s3: BaseClient, bucket: str) -> None:
    with raw_body(s3, "DeleteObjects", b"<Delete><Object><Key>unterminated"), \
            s3_error("MalformedXML", 400):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}]})
    with raw_body(s3, "PutBucketVersioning", b"not xml at all"), s3_error("MalformedXML", 400):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    with raw_body(s3, "PutBucketVersioning",
                  b"<VersioningConfiguration><Status>Sometimes</Status>"
                  b"</VersioningConfiguration>"), s3_error("MalformedXML", 400):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    with raw_body(s3, "PutBucketTagging", b"<Tagging><TagSet><Tag><Key>a</Key>"), \
            s3_error("MalformedXML", 400):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": []})
    with raw_body(s3, "PutBucketCors", b"<CORSConfiguration><CORSRule>"), \
            s3_error("MalformedXML", 400):
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": []})
    with raw_body(s3, "CompleteMultipartUpload", b"<<<"), s3_error("MalformedXML", 400):
        upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
        s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload,
                                     MultipartUpload={"Parts": []})
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


@pytest.mark.parametrize("options", [
    {"request_checksum_calculation": "when_required"},           # plain signed SHA-256 body
    {"request_checksum_calculation": "when_supported"},          # + x-amz-checksum-crc32
    {"s3": {"addressing_style": "path", "payload_signing_enabled": False}},
], ids=["signed-payload", "checksum-header", "unsigned-payload"])
def test_body_encodings(tenant_a: S3Tenant, bucket: str, options: dict[str, Any]) -> None:
    """Every way boto3 may frame a PUT body gives the same object back."""
    client = s3_client(tenant_a.url, tenant_a.member.access, tenant_a.member.secret,
                       **{k: v for k, v in options.items() if k != "s3"})
    if "s3" in options:
        client = boto3.session.Session().client(
            "s3", endpoint_url=tenant_a.url, aws_access_key_id=tenant_a.member.access,
            aws_secret_access_key=tenant_a.member.secret, region_name="RegionOne",
            config=Config(signature_version="s3v4", s3=options["s3"]))
    body = os.urandom(300_000)
    client.put_object(Bucket=bucket, Key="enc", Body=body)
    assert client.get_object(Bucket=bucket, Key="enc")["Body"].read() == body
    uid = client.create_multipart_upload(Bucket=bucket, Key="enc-mp")["UploadId"]
    etag = client.upload_part(Bucket=bucket, Key="enc-mp", UploadId=uid, PartNumber=1,
                              Body=body)["ETag"]
    client.complete_multipart_upload(Bucket=bucket, Key="enc-mp", UploadId=uid,
                                     MultipartUpload={"Parts": [{"PartNumber": 1,
                                                                 "ETag": etag}]})
    assert client.get_object(Bucket=bucket, Key="enc-mp")["Body"].read() == body


def test_aws_chunked_unsigned_trailer(tenant_a: S3Tenant, bucket: str) -> None:
    """What boto3 and aws-cli send over HTTPS by default, framed by hand (over plain HTTP
    botocore puts the checksum in a header instead)."""
    data = os.urandom(100_000)
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()

    def chunked(checksum: str) -> bytes:
        pieces = [data[:65536], data[65536:]]
        out = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
        return out + f"0\r\nx-amz-checksum-crc32:{checksum}\r\n\r\n".encode()

    def put(key: str, body: bytes) -> httpx.Response:
        url = f"{tenant_a.url}/{bucket}/{key}"
        request = AWSRequest(method="PUT", url=url, data=body, headers={
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "Content-Encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32",
            "x-amz-decoded-content-length": str(len(data))})
        SigV4Auth(Credentials(tenant_a.member.access, tenant_a.member.secret), "s3",
                  "RegionOne").add_auth(request)
        return httpx.put(url, headers=dict(request.headers.items()), content=body, timeout=30)

    response = put("chunked", chunked(crc))
    assert response.status_code == 200, response.text
    assert response.headers["x-amz-checksum-crc32"] == crc
    s3 = tenant_a.client()
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == data
    wrong = base64.b64encode(b"\0\0\0\0").decode()
    response = put("bad-trailer", chunked(wrong))
    assert response.status_code == 400 and b"<Code>BadDigest</Code>" in response.content
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="bad-trailer")
