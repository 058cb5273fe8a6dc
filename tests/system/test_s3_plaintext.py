"""No plaintext on disk (issue 3): write known content through S3 (a patterned megabyte, small
objects, multipart parts, a copy, an SSE-C object), then read every file under the state
directory (blobs, database, WAL, logs, everything) and in the server's TMPDIR, and find no
32-byte run of any object's bytes and no trace of the SSE-C customer key. The database
legitimately holds metadata (keys, user metadata, ETags); only object data and customer keys
must never appear."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.support.live import LiveNuage

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
BUCKET = "plain"
RUN = 32      # the shortest run of object bytes that counts as a leak
BLOCK = 16    # files are indexed by aligned blocks of this size (any RUN-byte run holds one)
METADATA = "user metadata is kept in the database, in the clear, by design"


def patterned(size: int) -> bytes:
    """A recognisable megabyte: a numbered marker line, over and over."""
    out = bytearray()
    n = 0
    while len(out) < size:
        out += b"NUAGE-PLAINTEXT-MARKER-%08d|" % n
        n += 1
    return bytes(out[:size])


def state_files(state: Path) -> list[Path]:
    return sorted(p for p in state.rglob("*") if p.is_file())


def common_run(a: bytes, i: int, b: bytes, j: int) -> int:
    """Length of the longest common run of a and b through a[i] and b[j] (aligned)."""
    left = 0
    while i - left > 0 and j - left > 0 and a[i - left - 1] == b[j - left - 1]:
        left += 1
    right = 0
    while i + right < len(a) and j + right < len(b) and a[i + right] == b[j + right]:
        right += 1
    return left + right


def find_runs(needles: dict[str, bytes], files: dict[str, bytes]) -> list[str]:
    """Every needle that shares a run of at least RUN bytes with a file.

    Each file is cut into aligned BLOCK-byte blocks; every BLOCK-byte window of a needle is
    looked up, and a hit is extended both ways to measure the shared run. A shared run of
    RUN >= 2*BLOCK-1 bytes always covers a whole aligned block, so nothing is missed; low-
    entropy blocks (zeros in database pages) only cost a short extension check.
    """
    names = list(files)
    blocks: dict[bytes, list[tuple[int, int]]] = {}
    for index, name in enumerate(names):
        data = files[name]
        for pos in range(0, len(data) - BLOCK + 1, BLOCK):
            where = blocks.setdefault(data[pos:pos + BLOCK], [])
            if len(where) < 64:
                where.append((index, pos))
    found = []
    for label, needle in needles.items():
        get = blocks.get
        for i in range(len(needle) - BLOCK + 1):
            hits = get(needle[i:i + BLOCK])
            if not hits:
                continue
            leak = next(((index, pos) for index, pos in hits
                         if common_run(needle, i, files[names[index]], pos) >= RUN), None)
            if leak is not None:
                found.append(f"{label} (from byte {i}) in {names[leak[0]]} at {leak[1]}")
                break
    return found


def scan(live: LiveNuage, needles: dict[str, bytes], secrets: dict[str, bytes]) -> None:
    state = live.state_dir
    files = {str(p.relative_to(state)): p.read_bytes() for p in state_files(state)}
    # Whatever the server spooled to its temporary directory counts as on disk too.
    tmp = Path(live.extra_env["TMPDIR"])
    files.update({str(p): p.read_bytes() for p in state_files(tmp)})
    assert any(name.startswith("blobs/blobs/") for name in files)
    # A positive control: user metadata is stored in the database by design, so the scan
    # must find it there (it reads what the server wrote, WAL included).
    assert find_runs({"metadata": METADATA.encode()}, files)
    assert find_runs(needles, files) == []
    for label, secret in secrets.items():
        holders = [name for name, data in files.items() if secret in data]
        assert not holders, f"{label} found in {holders}"


def test_the_scanner_finds_a_run() -> None:
    needle = os.urandom(4096)
    for offset in (0, 1, 7, 15, 2000):
        planted = {"f": os.urandom(333 + offset) + needle[offset:offset + RUN] + bytes(500)}
        assert find_runs({"n": needle}, planted), offset
    assert find_runs({"n": needle}, {"f": os.urandom(333) + needle[5:5 + RUN - 1]}) == []
    assert find_runs({"n": needle}, {"f": bytes(100_000)}) == []


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveNuage]:
    (tmp_path / "tmp").mkdir()
    live = LiveNuage(tmp_path / "state", extra_env={"TMPDIR": str(tmp_path / "tmp")})
    live.start()
    try:
        yield live
    finally:
        live.stop()


def client(live: LiveNuage) -> Any:
    access, secret = live.ec2_credentials()
    return boto3.session.Session().client(
        "s3", endpoint_url=live.s3_url, aws_access_key_id=access,
        aws_secret_access_key=secret, region_name="RegionOne",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def test_no_object_bytes_or_customer_key_on_disk(server: LiveNuage) -> None:
    s3 = client(server)
    s3.create_bucket(Bucket=BUCKET)
    needles: dict[str, bytes] = {"pattern": patterned(MiB)}
    s3.put_object(Bucket=BUCKET, Key="pattern", Body=needles["pattern"],
                  Metadata={"owner": "plaintext-test", "note": METADATA})
    for size in (40, 100, 1000, 70_000):
        key = f"small-{size}"
        needles[key] = b"small object %d: " % size + os.urandom(size)
        s3.put_object(Bucket=BUCKET, Key=key, Body=needles[key], ContentType="text/plain")

    # Multipart: a full uploaded part, then a copied range of the patterned object.
    needles["part-1"] = os.urandom(5 * MiB)
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="multi",
                                        Metadata={"kind": "multipart"})["UploadId"]
    first = s3.upload_part(Bucket=BUCKET, Key="multi", UploadId=upload, PartNumber=1,
                           Body=needles["part-1"])
    copied = s3.upload_part_copy(Bucket=BUCKET, Key="multi", UploadId=upload, PartNumber=2,
                                 CopySource={"Bucket": BUCKET, "Key": "pattern"},
                                 CopySourceRange="bytes=1000-600999")
    s3.complete_multipart_upload(Bucket=BUCKET, Key="multi", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": first["ETag"]},
                  {"PartNumber": 2, "ETag": copied["CopyPartResult"]["ETag"]}]})
    # Parts of an upload still in progress are on disk too.
    pending = s3.create_multipart_upload(Bucket=BUCKET, Key="pending")["UploadId"]
    needles["pending-part"] = os.urandom(300_000)
    s3.upload_part(Bucket=BUCKET, Key="pending", UploadId=pending, PartNumber=1,
                   Body=needles["pending-part"])
    s3.copy_object(Bucket=BUCKET, Key="pattern-copy",
                   CopySource={"Bucket": BUCKET, "Key": "pattern"})

    customer_key = os.urandom(32)
    needles["sse-c"] = b"encrypted with the customer's key " + os.urandom(200_000)
    sse = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": customer_key}
    s3.put_object(Bucket=BUCKET, Key="sse-c", Body=needles["sse-c"], **sse)
    assert s3.get_object(Bucket=BUCKET, Key="sse-c", **sse)["Body"].read() == needles["sse-c"]

    # Everything reads back, so what we look for really was stored.
    assert s3.get_object(Bucket=BUCKET, Key="multi")["Body"].read() == (
        needles["part-1"] + needles["pattern"][1000:601000])
    assert s3.get_object(Bucket=BUCKET, Key="pattern-copy")["Body"].read() == needles["pattern"]

    secrets = {
        "SSE-C key": customer_key,
        "SSE-C key (base64)": base64.b64encode(customer_key),
        "SSE-C key (hex)": customer_key.hex().encode(),
    }
    scan(server, needles, secrets)     # live: the WAL holds the recent writes
    server.stop()
    scan(server, needles, secrets)     # stopped: checkpointed into the database
