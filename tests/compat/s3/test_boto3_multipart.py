"""boto3: multipart uploads — create, parts, copy parts, complete, abort, list."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.client import BaseClient

from tests.compat.s3.conftest import s3_error

pytestmark = pytest.mark.compat

MIB = 1024 * 1024


def multipart_etag(parts: list[bytes]) -> str:
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def test_multipart_round_trip(s3: BaseClient, bucket: str) -> None:
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail"]
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", ContentType="text/x-mp",
                                    Metadata={"m": "1"})
    uid = up["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=i + 1,
                            Body=body)["ETag"] for i, body in enumerate(parts)]
    assert etags[0] == f'"{hashlib.md5(parts[0]).hexdigest()}"'
    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=uid)
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed["Parts"]] == [
        (i + 1, len(b), e) for i, (b, e) in enumerate(zip(parts, etags, strict=True))]
    page = s3.list_parts(Bucket=bucket, Key="mp", UploadId=uid, MaxParts=2)
    assert page["IsTruncated"] and page["NextPartNumberMarker"] == 2
    rest = s3.list_parts(Bucket=bucket, Key="mp", UploadId=uid, PartNumberMarker=2)
    assert [p["PartNumber"] for p in rest["Parts"]] == [3]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("mp", uid)]
    # Not visible until completed.
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="mp")
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={"Parts": [
            {"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]})
    assert done["ETag"] == multipart_etag(parts)
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["ETag"] == multipart_etag(parts)
    assert got["ContentType"] == "text/x-mp" and got["Metadata"] == {"m": "1"}
    assert got["Body"].read() == b"".join(parts)
    # partNumber reads a part back.
    p2 = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)
    assert p2["PartsCount"] == 3 and p2["Body"].read() == parts[1]
    assert s3.head_object(Bucket=bucket, Key="mp", PartNumber=3)["ContentLength"] == 4
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    with s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="mp", UploadId=uid)


def test_upload_file_uses_multipart(s3: BaseClient, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(12 * MIB + 5))
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB,
                            max_concurrency=4)
    s3.upload_file(str(src), bucket, "big.bin", Config=config)
    assert s3.head_object(Bucket=bucket, Key="big.bin")["ETag"].endswith('-3"')
    dst = tmp_path / "back.bin"
    s3.download_file(bucket, "big.bin", str(dst), Config=config)
    assert dst.read_bytes() == src.read_bytes()


def test_upload_part_copy_with_range(s3: BaseClient, bucket: str) -> None:
    source = os.urandom(6 * MIB)
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    first = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "src"},
                                CopySourceRange=f"bytes=0-{5 * MIB - 1}")
    second = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=2,
                                 CopySource={"Bucket": bucket, "Key": "src"},
                                 CopySourceRange=f"bytes={5 * MIB}-{6 * MIB - 1}")
    assert first["CopyPartResult"]["ETag"] == f'"{hashlib.md5(source[:5 * MIB]).hexdigest()}"'
    # S3: "Range specified is not valid for source object of size ..." (400).
    with s3_error("InvalidArgument", 400):
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=3,
                            CopySource={"Bucket": bucket, "Key": "src"},
                            CopySourceRange=f"bytes={7 * MIB}-{8 * MIB}")
    with s3_error("PreconditionFailed", 412):
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=3,
                            CopySource={"Bucket": bucket, "Key": "src"},
                            CopySourceIfMatch='"nope"')
    s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]},
                  {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source


def test_abort(s3: BaseClient, bucket: str) -> None:
    uid = s3.create_multipart_upload(Bucket=bucket, Key="ab")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="ab", UploadId=uid, PartNumber=1, Body=b"x")
    # An upload in progress keeps the bucket from being deleted.
    with s3_error("BucketNotEmpty", 409):
        s3.delete_bucket(Bucket=bucket)
    s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=uid)
    with s3_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="ab", UploadId=uid, PartNumber=2, Body=b"x")
    with s3_error("NoSuchUpload", 404):
        s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=uid)
    with s3_error("NoSuchUpload", 404):
        s3.complete_multipart_upload(Bucket=bucket, Key="ab", UploadId=uid,
                                     MultipartUpload={"Parts": [{"PartNumber": 1,
                                                                 "ETag": '"x"'}]})
    s3.delete_bucket(Bucket=bucket)


def test_complete_errors(s3: BaseClient, bucket: str) -> None:
    uid = s3.create_multipart_upload(Bucket=bucket, Key="e")["UploadId"]
    small = [s3.upload_part(Bucket=bucket, Key="e", UploadId=uid, PartNumber=n,
                            Body=b"small")["ETag"] for n in (1, 2)]
    with s3_error("EntityTooSmall", 400):
        s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": n, "ETag": e} for n, e in zip((1, 2), small,
                                                                    strict=True)]})
    with s3_error("InvalidPart", 400):
        s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}]})
    with s3_error("InvalidPart", 400):
        s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 7, "ETag": small[0]}]})
    with s3_error("InvalidPartOrder", 400):
        s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 2, "ETag": small[1]}, {"PartNumber": 1,
                                                            "ETag": small[0]}]})
    with s3_error("MalformedXML", 400):
        s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId=uid,
                                     MultipartUpload={"Parts": []})
    # The upload survives the failed completions; a single small part is fine.
    done = s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": small[0]}]})
    assert done["ETag"] == multipart_etag([b"small"])
    with s3_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="e", UploadId="no-such-upload", PartNumber=1,
                       Body=b"x")


@pytest.mark.parametrize("number", [0, 10001])
def test_part_number_out_of_range(s3: BaseClient, bucket: str, number: int) -> None:
    uid = s3.create_multipart_upload(Bucket=bucket, Key="n")["UploadId"]
    with s3_error("InvalidArgument", 400):
        s3.upload_part(Bucket=bucket, Key="n", UploadId=uid, PartNumber=number, Body=b"x")


@pytest.mark.parametrize("algorithm", ["CRC32", "SHA1", "SHA256"])
def test_multipart_checksums(s3: BaseClient, bucket: str, algorithm: str) -> None:
    parts = [os.urandom(5 * MIB), b"end"]
    uid = s3.create_multipart_upload(Bucket=bucket, Key="c",
                                     ChecksumAlgorithm=algorithm)["UploadId"]
    field = f"Checksum{algorithm}"
    done_parts = []
    for n, body in enumerate(parts, 1):
        out = s3.upload_part(Bucket=bucket, Key="c", UploadId=uid, PartNumber=n, Body=body,
                             ChecksumAlgorithm=algorithm)
        assert out[field]
        done_parts.append({"PartNumber": n, "ETag": out["ETag"], field: out[field]})
    listed = s3.list_parts(Bucket=bucket, Key="c", UploadId=uid)
    assert [p[field] for p in listed["Parts"]] == [p[field] for p in done_parts]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="c", UploadId=uid,
                                        MultipartUpload={"Parts": done_parts})
    # A composite checksum: the checksum of the parts' checksums, "-N".
    assert done[field].endswith("-2")
    got = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"".join(parts)
    assert got.get(field) in (None, done[field])
    if algorithm == "SHA256":
        digest = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()
        assert done[field] == base64.b64encode(digest).decode() + "-2"


def test_wrong_part_checksum(s3: BaseClient, bucket: str) -> None:
    uid = s3.create_multipart_upload(Bucket=bucket, Key="w",
                                     ChecksumAlgorithm="SHA256")["UploadId"]
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with s3_error("BadDigest", 400):
        s3.upload_part(Bucket=bucket, Key="w", UploadId=uid, PartNumber=1, Body=b"data",
                       ChecksumSHA256=wrong)
    assert not s3.list_parts(Bucket=bucket, Key="w", UploadId=uid).get("Parts")
