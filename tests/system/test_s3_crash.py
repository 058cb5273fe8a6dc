"""Crash safety of S3 writes (issue 3): SIGKILL `nuage up` while single PUTs, multipart
uploads, overwrites, copies and deletes are in flight, restart it on the same state, and check
that every key reads back as exactly its last acknowledged content or the content in flight,
that a never-completed key does not exist, and that no orphaned blob or temporary remains."""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.live import LiveNuage

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
BUCKET = "crash"
VERSIONED = "crash-versioned"  # the same writes, where every overwrite keeps a version
ROUNDS = 4
WRITERS = 4


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def client(live: LiveNuage, keys: tuple[str, str]) -> Any:
    # No retries: a retry after the crash would hit the restarted server and blur which
    # write was in flight at the kill.
    return boto3.session.Session().client(
        "s3", endpoint_url=live.s3_url, aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1], region_name="RegionOne",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                      connect_timeout=5, read_timeout=60))


def read(s3: Any, key: str, bucket: str = BUCKET) -> str:
    """sha256 of the key's content, ABSENT if NoSuchKey."""
    try:
        return sha(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchKey", exc.response
        return ABSENT


def put_single(s3: Any, key: str, data: bytes, bucket: str = BUCKET) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=data)


def put_multipart(s3: Any, key: str, data: bytes, bucket: str = BUCKET) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = []
    for number, start in enumerate(range(0, len(data), 5 * MiB), start=1):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number,
                              Body=data[start:start + 5 * MiB])["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                 MultipartUpload={"Parts": parts})


# -- what is on disk against what the database names -------------------------------------


def blob_files(state: Path) -> set[str]:
    root = state / "blobs" / "blobs"
    return {p.name for p in root.glob("*/*") if p.is_file()}


def referenced_blobs(state: Path) -> set[str]:
    db = sqlite3.connect(f"file:{state / 'nuage.db'}?mode=ro", uri=True)
    try:
        found = {row[0] for row in db.execute("SELECT blob_id FROM upload_parts")}
        for (segments,) in db.execute("SELECT segments FROM object_versions"):
            found.update(str(s["blob_id"]) for s in json.loads(segments or "[]"))
        return found
    finally:
        db.close()


def temporaries(state: Path) -> list[str]:
    return sorted(p.name for p in (state / "blobs" / "tmp").iterdir())


def assert_no_orphans(state: Path, timeout: float = 10.0) -> None:
    """Blob files and database references agree once garbage is collected."""
    deadline = time.monotonic() + timeout
    while True:
        files, referenced = blob_files(state), referenced_blobs(state)
        if files == referenced or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert not files - referenced, f"orphaned blobs: {sorted(files - referenced)}"
    assert not referenced - files, f"lost blobs: {sorted(referenced - files)}"
    assert temporaries(state) == []


# -- the writers ---------------------------------------------------------------------------


ABSENT = ""  # the "content" of a key that does not exist


@dataclass
class KeyHistory:
    """One key, written by one thread at a time, so its writes form a sequence."""

    bucket: str = BUCKET
    acked_count: int = 0               # acknowledged writes and deletes (versioned: versions)
    acked: str = ABSENT                # content after the last acknowledged write or delete
    in_flight: str | None = None       # content a request sent but not acknowledged sets
    contents: set[str] = field(default_factory=set)  # everything ever written to it


@dataclass
class Writer:
    """A thread overwriting, copying onto and deleting its own keys, and creating new ones
    (single PUT or multipart), until told to stop."""

    name: str
    s3: Any
    rng: random.Random
    history: dict[str, KeyHistory]
    stop: threading.Event
    bucket: str = BUCKET
    errors: list[tuple[float, str]] = field(default_factory=list)
    serial: int = 0

    def own_keys(self) -> list[str]:
        return [f"{self.name}/k{i}" for i in range(3)]

    def run(self) -> None:
        while not self.stop.is_set():
            self.step()

    def step(self) -> None:
        """One request (or one multipart upload) on a key this writer owns."""
        rng = self.rng
        op = rng.random()
        own = rng.choice(self.own_keys())
        if op < 0.1:
            self.apply(own, ABSENT, lambda: self.s3.delete_object(Bucket=self.bucket, Key=own))
            return
        if op < 0.2:
            source = rng.choice([k for k in self.own_keys() if k != own])
            content = self.history[source].acked
            if content != ABSENT:
                self.apply(own, content, lambda: self.s3.copy_object(
                    Bucket=self.bucket, Key=own,
                    CopySource={"Bucket": self.bucket, "Key": source}))
            return
        if rng.random() < 0.5:
            key = own                                              # an overwrite
        else:
            self.serial += 1
            key = f"{self.name}/new{self.serial}"                  # a fresh key
        if rng.random() < 0.35:
            data = os.urandom(rng.randint(11 * MiB, 16 * MiB))
            self.apply(key, sha(data), lambda: put_multipart(self.s3, key, data, self.bucket))
        else:
            data = os.urandom(rng.randint(1 * MiB, 6 * MiB))
            self.apply(key, sha(data), lambda: put_single(self.s3, key, data, self.bucket))

    def apply(self, key: str, content: str, request: Callable[[], object]) -> None:
        entry = self.history.setdefault(key, KeyHistory(self.bucket))
        entry.contents.add(content)
        entry.in_flight = content
        try:
            request()
        except Exception as exc:
            self.errors.append((time.monotonic(), f"{key}: {exc!r}"))
            return
        entry.acked, entry.in_flight = content, None
        entry.acked_count += 1


@dataclass
class Abandoner:
    """Uploads parts of a multipart upload it never completes: the key must never exist."""

    key: str
    s3: Any
    stop: threading.Event

    def run(self) -> None:
        try:
            upload = self.s3.create_multipart_upload(Bucket=BUCKET, Key=self.key)["UploadId"]
            number = 1
            while not self.stop.is_set():
                self.s3.upload_part(Bucket=BUCKET, Key=self.key, UploadId=upload,
                                    PartNumber=number, Body=os.urandom(5 * MiB))
                number += 1
        except Exception:
            pass  # the kill


def check_versions(s3: Any, key: str, entry: KeyHistory, checked: set[str]) -> None:
    """Every version of a key holds a content written to it; none acknowledged is lost."""
    listed = s3.list_object_versions(Bucket=VERSIONED, Prefix=key)
    versions = [v for v in listed.get("Versions", []) if v["Key"] == key]
    markers = [m for m in listed.get("DeleteMarkers", []) if m["Key"] == key]
    assert len(versions) + len(markers) >= entry.acked_count, f"{key}: a version was lost"
    for v in versions:
        if v["VersionId"] in checked:
            continue
        body = s3.get_object(Bucket=VERSIONED, Key=key, VersionId=v["VersionId"])["Body"]
        assert sha(body.read()) in entry.contents, f"{key}: a version holds unwritten content"
        checked.add(v["VersionId"])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveNuage]:
    live = LiveNuage(tmp_path / "state")
    live.start()
    try:
        yield live
    finally:
        live.stop()


def test_kill_during_uploads_and_overwrites(server: LiveNuage) -> None:
    keys = server.ec2_credentials()
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    history: dict[str, KeyHistory] = {}
    s3 = client(server, keys)
    s3.create_bucket(Bucket=BUCKET)
    s3.create_bucket(Bucket=VERSIONED)
    s3.put_bucket_versioning(Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"})
    # Writers w0.. write in the plain bucket, the last one in the versioned bucket.
    buckets = {f"w{w}": BUCKET if w < WRITERS - 1 else VERSIONED for w in range(WRITERS)}
    # Every writer's own keys exist before the first crash (half of them multipart).
    for name, bucket in buckets.items():
        for i in range(3):
            key = f"{name}/k{i}"
            data = os.urandom(rng.randint(1 * MiB, 3 * MiB) if i % 2 else 11 * MiB)
            (put_single if i % 2 else put_multipart)(s3, key, data, bucket)
            history[key] = KeyHistory(bucket, 1, sha(data), contents={sha(data)})
    checked_versions: set[str] = set()
    abandoned: list[str] = []
    partials = in_flight = 0
    for round_ in range(ROUNDS):
        stop = threading.Event()
        writers = [Writer(name, client(server, keys), random.Random(rng.random()), history,
                          stop, bucket) for name, bucket in buckets.items()]
        abandoner = Abandoner(f"abandoned/{round_}", client(server, keys), stop)
        abandoned.append(abandoner.key)
        runs = [*(w.run for w in writers), abandoner.run]
        threads = [threading.Thread(target=run) for run in runs]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 2.5))
        stop.set()
        killed_at = time.monotonic()
        server.kill()
        for t in threads:
            t.join(60)
            assert not t.is_alive(), "a client thread hung after the kill"
        # A failure before the kill is a server error, not a crash effect.
        early = [e for w in writers for at, e in w.errors if at < killed_at]
        assert not early, early
        partials += len(temporaries(server.state_dir))
        in_flight += sum(1 for e in history.values() if e.in_flight is not None)

        server.start()
        s3 = client(server, keys)
        for key, entry in history.items():
            got = read(s3, key, entry.bucket)
            assert got in entry.contents | {ABSENT}, f"{key}: content never written"
            assert got in {entry.acked, entry.in_flight}, (
                f"{key}: neither the last acknowledged nor the in-flight content "
                f"(round {round_}, absent: {got == ABSENT})")
            # What survived is now the old content for the next round.
            entry.acked, entry.in_flight = got, None
            if entry.bucket == VERSIONED:
                check_versions(s3, key, entry, checked_versions)
        for key in abandoned:
            assert read(s3, key) == ABSENT, f"{key}: an upload never completed is visible"
        assert_no_orphans(server.state_dir)
    # The kills did land mid-transfer (else this test proves nothing).
    assert partials and in_flight, (partials, in_flight)
    # The server still takes writes on the recovered state.
    put_single(s3, "after", b"still fine")
    assert read(s3, "after") == sha(b"still fine")


def test_plain_restart_keeps_every_object(server: LiveNuage) -> None:
    keys = server.ec2_credentials()
    s3 = client(server, keys)
    s3.create_bucket(Bucket=BUCKET)
    contents = {"empty": b"", "small": b"hello, restart", "single": os.urandom(5 * MiB + 3),
                "multi": os.urandom(12 * MiB)}
    for key, data in contents.items():
        (put_multipart if key == "multi" else put_single)(s3, key, data)
    s3.put_object(Bucket=BUCKET, Key="meta", Body=b"m", ContentType="text/x-test",
                  Metadata={"colour": "blue"})
    pending = s3.create_multipart_upload(Bucket=BUCKET, Key="pending")["UploadId"]
    first = os.urandom(5 * MiB)
    etag1 = s3.upload_part(Bucket=BUCKET, Key="pending", UploadId=pending, PartNumber=1,
                           Body=first)["ETag"]

    server.stop()
    server.start()
    s3 = client(server, keys)
    for key, data in contents.items():
        assert read(s3, key) == sha(data), key
    head = s3.head_object(Bucket=BUCKET, Key="meta")
    assert head["ContentType"] == "text/x-test" and head["Metadata"] == {"colour": "blue"}
    # An upload in progress survives the restart and completes afterwards.
    etag2 = s3.upload_part(Bucket=BUCKET, Key="pending", UploadId=pending, PartNumber=2,
                           Body=b"tail")["ETag"]
    s3.complete_multipart_upload(Bucket=BUCKET, Key="pending", UploadId=pending,
                                 MultipartUpload={"Parts": [
                                     {"PartNumber": 1, "ETag": etag1},
                                     {"PartNumber": 2, "ETag": etag2}]})
    assert read(s3, "pending") == sha(first + b"tail")
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert listed == {*contents, "meta", "pending"}
    assert_no_orphans(server.state_dir)
