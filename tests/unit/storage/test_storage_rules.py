"""Pure storage rules: bucket names, keys, object lock, multipart ETags, CORS, conditions."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from nuage.domain import cors
from nuage.domain.storage import (
    ObjectVersion,
    locked,
    multipart_etag,
    valid_bucket_name,
    valid_key,
)
from nuage.domain.storage_errors import StorageError
from nuage.services.storage.maintenance import noncurrent_since
from nuage.services.storage.preconditions import Preconditions, check_read, check_write

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", ["abc", "my-bucket", "a.b.c", "0bucket9", "a" * 63])
def test_valid_bucket_names(name: str) -> None:
    assert valid_bucket_name(name)


@pytest.mark.parametrize("name", ["ab", "a" * 64, "Caps", "under_score", "-start", "end-",
                                  "a..b", "a.-b", "192.168.1.1", "xn--abc", "b-s3alias", ""])
def test_invalid_bucket_names(name: str) -> None:
    assert not valid_bucket_name(name)


def test_key_length_counts_utf8_bytes() -> None:
    assert valid_key("é" * 512)
    assert not valid_key("é" * 513)
    assert not valid_key("")


def version(**kw: object) -> ObjectVersion:
    base: dict[str, object] = dict(id="1", bucket="b", key="k", version_id="v", is_latest=True,
                                   created_at=NOW, etag="abc")
    base.update(kw)
    return ObjectVersion(**base)  # type: ignore[arg-type]


def test_object_lock_rules() -> None:
    later = NOW + timedelta(days=1)
    assert locked(version(), NOW, False) is None
    assert locked(version(legal_hold=True), NOW, True) == "legal hold"
    gov = version(retention_mode="GOVERNANCE", retain_until=later)
    assert locked(gov, NOW, False) == "governance retention"
    assert locked(gov, NOW, True) is None
    comp = version(retention_mode="COMPLIANCE", retain_until=later)
    assert locked(comp, NOW, True) == "compliance retention"
    assert locked(comp, later + timedelta(seconds=1), False) is None


def test_multipart_etag_is_md5_of_part_md5s() -> None:
    parts = [hashlib.md5(b"a").hexdigest(), hashlib.md5(b"b").hexdigest()]
    expected = hashlib.md5(bytes.fromhex(parts[0]) + bytes.fromhex(parts[1])).hexdigest()
    assert multipart_etag(parts) == f"{expected}-2"


def test_cors_matching() -> None:
    rules = [{"AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["GET", "PUT"],
              "AllowedHeaders": ["x-amz-*", "content-type"], "ExposeHeaders": ["ETag"],
              "MaxAgeSeconds": 60}]
    answer = cors.match(rules, "https://app.example.com", "PUT", ["Content-Type"])
    assert answer is not None and answer.allow_origin == "https://app.example.com"
    assert answer.max_age == 60 and answer.expose_headers == ["ETag"]
    assert cors.match(rules, "https://evil.test", "GET", []) is None
    assert cors.match(rules, "https://app.example.com", "DELETE", []) is None
    assert cors.match(rules, "https://app.example.com", "GET", ["authorization"]) is None


def fault(exc: pytest.ExceptionInfo[StorageError]) -> str:
    return exc.value.fault.value


def test_read_conditions() -> None:
    v = version()
    check_read(Preconditions(if_match='"abc"'), v)
    with pytest.raises(StorageError) as err:
        check_read(Preconditions(if_match='"zzz"'), v)
    assert fault(err) == "PreconditionFailed"
    with pytest.raises(StorageError) as err:
        check_read(Preconditions(if_none_match='"abc"'), v)
    assert fault(err) == "NotModified"
    with pytest.raises(StorageError) as err:
        check_read(Preconditions(if_none_match='"abc"'), v, copy_source=True)
    assert fault(err) == "PreconditionFailed"
    with pytest.raises(StorageError) as err:
        check_read(Preconditions(if_modified_since=NOW + timedelta(hours=1)), v)
    assert fault(err) == "NotModified"
    with pytest.raises(StorageError) as err:
        check_read(Preconditions(if_unmodified_since=NOW - timedelta(hours=1)), v)
    assert fault(err) == "PreconditionFailed"
    # A true If-Match makes S3 ignore a false If-Unmodified-Since beside it.
    check_read(Preconditions(if_match="abc", if_unmodified_since=NOW - timedelta(hours=1)), v)


def test_write_conditions() -> None:
    check_write(Preconditions(if_none_match="*"), None)
    check_write(Preconditions(if_none_match="*"), version(delete_marker=True))
    with pytest.raises(StorageError) as err:
        check_write(Preconditions(if_none_match="*"), version())
    assert fault(err) == "PreconditionFailed"
    with pytest.raises(StorageError) as err:
        check_write(Preconditions(if_match='"abc"'), None)
    assert fault(err) == "NoSuchKey"
    check_write(Preconditions(if_match='"abc"'), version())


def test_a_version_is_noncurrent_from_its_successors_creation() -> None:
    old = version(id="a1", key="a", version_id="1", is_latest=False,
                  created_at=NOW - timedelta(days=30))
    mid = version(id="a2", key="a", version_id="2", is_latest=False,
                  created_at=NOW - timedelta(minutes=1))
    new = version(id="a3", key="a", version_id="3", is_latest=True, created_at=NOW)
    other = version(id="b1", key="b", version_id="1", is_latest=True,
                    created_at=NOW - timedelta(days=60))
    # By key, newest first: the order the object index lists versions in.
    found = noncurrent_since([new, mid, old, other])
    assert [(v.id, since) for v, since in found] == [
        ("a2", NOW), ("a1", NOW - timedelta(minutes=1))]
