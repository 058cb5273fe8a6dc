"""Storage use cases on real SQLite and a real encrypted blob store in a temp dir."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.bootstrap import Cloud, build
from nuage.domain.context import RequestContext
from nuage.domain.errors import CommonFault, Forbidden
from nuage.domain.storage_errors import StorageError
from nuage.services.storage.incoming import Integrity
from nuage.services.storage.objects import NewObject
from nuage.services.storage.preconditions import Preconditions
from nuage.settings import Settings


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    c = build(Settings(state_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'db'}",
                       fast_password_hashing=True, user_clouds_yaml=False))
    c.seed()
    yield c
    c.engine.dispose()


def member(project: str = "p1") -> RequestContext:
    return RequestContext(request_id="t", user_id="u-" + project, project_id=project,
                          roles=frozenset({"member", "reader"}))


def put(cloud: Cloud, bucket: str, key: str, data: bytes, ctx: RequestContext | None = None
        ) -> None:
    ctx = ctx or member()
    objects = cloud.storage.objects
    session = objects.begin_put(ctx, NewObject(bucket, key), Integrity(len(data)))
    session.incoming.write(data)
    objects.finish_put(ctx, session)


def get(cloud: Cloud, bucket: str, key: str, version_id: str | None = None) -> bytes:
    read = cloud.storage.objects.get(member(), bucket, key, version_id, Preconditions(), None)
    return b"".join(read.chunks)


def brute_force(keys: list[str], prefix: str, delimiter: str | None) -> list[str]:
    """The S3 listing of `keys`, computed the obvious way: entries in byte order."""
    out: list[str] = []
    for key in sorted(keys, key=lambda k: k.encode()):
        if not key.startswith(prefix):
            continue
        if delimiter and delimiter in key[len(prefix):]:
            folded = key[: key.index(delimiter, len(prefix)) + len(delimiter)]
            if folded not in out:
                out.append(folded)
        else:
            out.append(key)
    return out


def test_listing_matches_brute_force_on_every_page_size(cloud: Cloud) -> None:
    rng = random.Random(7)
    cloud.storage.buckets.create(member(), "lst")
    alphabet = ["a", "b", "/", "é", "z", "-"]
    keys = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
                   for _ in range(120)})
    for key in keys:
        put(cloud, "lst", key, b"x")
    listing = cloud.storage.listing
    for prefix, delimiter in [("", None), ("", "/"), ("a", "/"), ("a/", "/"), ("b", "b"),
                              ("é", None), ("zz", "/")]:
        expected = brute_force(keys, prefix, delimiter)
        for page in (1, 3, 1000):
            seen: list[str] = []
            after: str | None = None
            while True:
                result = listing.list_objects(member(), "lst", prefix, delimiter, after, page)
                entries = sorted([o.key for o in result.objects] + result.prefixes,
                                 key=lambda k: k.encode())
                seen += entries
                if not result.truncated:
                    break
                after = result.last
            assert seen == expected, (prefix, delimiter, page)


def test_versioning_keeps_versions_and_delete_markers(cloud: Cloud) -> None:
    ctx = member()
    cloud.storage.buckets.create(ctx, "ver")
    cloud.storage.buckets.set_versioning(ctx, "ver", "Enabled")
    put(cloud, "ver", "k", b"one")
    put(cloud, "ver", "k", b"two")
    versions = cloud.storage.listing.list_versions(ctx, "ver", "", None, None, None, 100)
    assert [v.is_latest for v in versions.objects] == [True, False]
    first = versions.objects[1].version_id
    assert get(cloud, "ver", "k") == b"two"
    assert get(cloud, "ver", "k", first) == b"one"
    done = cloud.storage.deletion.delete(ctx, "ver", "k", None)
    assert done.delete_marker
    with pytest.raises(StorageError) as err:
        get(cloud, "ver", "k")
    assert err.value.fault.value == "NoSuchKey"
    # Deleting the marker brings the last version back.
    cloud.storage.deletion.delete(ctx, "ver", "k", done.version_id)
    assert get(cloud, "ver", "k") == b"two"


def test_overwrite_in_unversioned_bucket_frees_the_old_blob(cloud: Cloud) -> None:
    ctx = member()
    cloud.storage.buckets.create(ctx, "plain")
    put(cloud, "plain", "k", b"old" * 1000)
    put(cloud, "plain", "k", b"new" * 1000)
    assert get(cloud, "plain", "k") == b"new" * 1000
    cloud.storage.maintenance.collect_garbage()
    assert len(list(cloud.storage.objects.p.blobs.ids())) == 1


def test_another_project_is_refused(cloud: Cloud) -> None:
    cloud.storage.buckets.create(member(), "mine")
    put(cloud, "mine", "k", b"secret")
    with pytest.raises(StorageError) as err:
        cloud.storage.objects.get(member("p2"), "mine", "k", None, Preconditions(), None)
    assert err.value.fault.value == "AccessDenied"
    with pytest.raises(StorageError):
        put(cloud, "mine", "k", b"overwrite", member("p2"))
    assert get(cloud, "mine", "k") == b"secret"


def test_recover_removes_orphans_and_partials(cloud: Cloud) -> None:
    ctx = member()
    cloud.storage.buckets.create(ctx, "rec")
    put(cloud, "rec", "kept", b"data")
    blobs = cloud.storage.objects.p.blobs
    orphan = blobs.writer("orphan0000", b"k" * 32)
    orphan.write(b"never referenced")
    orphan.commit()
    partial = blobs.writer("partial000", b"k" * 32)
    partial.write(b"half written")
    partials, orphans = cloud.storage.maintenance.recover()
    assert (partials, orphans) == (1, 1)
    assert get(cloud, "rec", "kept") == b"data"


def test_storage_quotas_are_set_by_cloud_admins_only(cloud: Cloud) -> None:
    operator = RequestContext(request_id="t", user_id="op", system=True,
                              roles=frozenset({"admin", "member", "reader"}))
    with cloud.storage.quotas.p.uow() as uow:
        project = uow.projects.find()[0].id
    with pytest.raises(Forbidden) as refused:
        cloud.storage.quotas.set(member(project), project, max_bytes=10)
    assert refused.value.fault is CommonFault.POLICY_DENIED
    assert refused.value.fields == {"action": "storage:quota:update"}
    cloud.storage.quotas.set(operator, project, max_bytes=10, max_buckets=1)
    quota, usage = cloud.storage.quotas.get(member(project), project)
    assert (quota.max_bytes, quota.max_buckets, usage.buckets) == (10, 1, 0)
    cloud.storage.buckets.create(member(project), "only-one")
    with pytest.raises(StorageError) as err:
        cloud.storage.buckets.create(member(project), "second")
    assert err.value.fault.value == "TooManyBuckets"
    with pytest.raises(StorageError) as err:
        put(cloud, "only-one", "big", b"x" * 11, member(project))
    assert err.value.fault.value == "QuotaExceeded"


def test_catalog_advertises_the_s3_public_url(tmp_path: Path) -> None:
    """Issue 8: behind `--host 0.0.0.0` the catalog advertised http://0.0.0.0:8801."""
    settings = Settings(state_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'db'}",
                        fast_password_hashing=True, user_clouds_yaml=False, host="0.0.0.0",
                        s3_public_url="https://s3.example.org:9000/")
    c = build(settings)
    try:
        c.seed()
        with c.compute_ports.uow() as uow:
            s3 = next(s for s in uow.services.find() if s.type == "s3")
            urls = {e.url for e in uow.endpoints.find(service_id=s3.id)}
        assert urls == {"https://s3.example.org:9000"}
    finally:
        c.engine.dispose()
