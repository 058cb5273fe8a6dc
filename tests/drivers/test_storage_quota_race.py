"""Storage quotas hold under real concurrency: N writers racing for k places leave k.

Runs on a SQLite file and on PostgreSQL (skipped when the server is down). On PostgreSQL
the usage sum is read under read committed, so without the per-project usage lock every
writer of a burst sees the same usage and all of them commit.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from nuage.bootstrap import Cloud
from nuage.domain.context import RequestContext
from nuage.domain.storage_errors import Fault, StorageError
from nuage.services.storage.incoming import Integrity
from nuage.services.storage.multipart import CompletedPart
from nuage.services.storage.objects import NewObject

ADMIN_ROLES = frozenset({"admin", "member", "reader"})
WRITERS = 8


def _project(cloud: Cloud) -> tuple[RequestContext, RequestContext]:
    """(cloud admin, member of a fresh project): the PostgreSQL database is shared."""
    seeded = cloud.seed()
    admin = RequestContext(request_id="req-admin", user_id=seeded.admin_user_id,
                           user_domain_id="default", system=True, roles=ADMIN_ROLES)
    project = cloud.identity.projects.create(admin, f"quota-{uuid.uuid4().hex[:10]}",
                                             "default")
    member = RequestContext(request_id="req-member", user_id="u-" + project.id,
                            project_id=project.id, roles=frozenset({"member", "reader"}))
    return admin, member


def _race(jobs: list[Callable[[threading.Barrier], None]]) -> tuple[int, list[BaseException]]:
    """Run the jobs in threads released together: (successes, unexpected errors)."""
    barrier = threading.Barrier(len(jobs))
    done: list[int] = []
    errors: list[BaseException] = []

    def run(job: Callable[[threading.Barrier], None]) -> None:
        try:
            job(barrier)
            done.append(1)
        except StorageError as exc:
            if exc.fault not in (Fault.QUOTA_EXCEEDED, Fault.TOO_MANY_BUCKETS):
                errors.append(exc)
        except BaseException as exc:  # collected and re-raised by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return len(done), errors


def _put_job(cloud: Cloud, ctx: RequestContext, bucket: str, key: str, data: bytes
             ) -> Callable[[threading.Barrier], None]:
    def job(barrier: threading.Barrier) -> None:
        objects = cloud.storage.objects
        # The start-of-upload check passes for everyone (nothing is stored yet); the race
        # is between the transactions that record the objects.
        session = objects.begin_put(ctx, NewObject(bucket, key), Integrity(len(data)))
        session.incoming.write(data)
        barrier.wait()
        objects.finish_put(ctx, session)
    return job


def test_concurrent_puts_never_pass_the_object_limit(cloud: Cloud) -> None:
    admin, member = _project(cloud)
    assert member.project_id is not None
    cloud.storage.quotas.set(admin, member.project_id, max_objects=3)
    cloud.storage.buckets.create(member, "objs-" + member.project_id[:12])
    bucket = "objs-" + member.project_id[:12]
    jobs = [_put_job(cloud, member, bucket, f"k{n}", b"x") for n in range(WRITERS)]
    stored, errors = _race(jobs)
    assert not errors, errors
    usage = cloud.storage.quotas.get(admin, member.project_id)[1]
    assert (stored, usage.objects) == (3, 3)


def test_concurrent_puts_never_pass_the_byte_limit(cloud: Cloud) -> None:
    admin, member = _project(cloud)
    assert member.project_id is not None
    cloud.storage.quotas.set(admin, member.project_id, max_bytes=2500)
    bucket = "bytes-" + member.project_id[:12]
    cloud.storage.buckets.create(member, bucket)
    jobs = [_put_job(cloud, member, bucket, f"k{n}", b"y" * 1000) for n in range(WRITERS)]
    stored, errors = _race(jobs)
    assert not errors, errors
    usage = cloud.storage.quotas.get(admin, member.project_id)[1]
    assert (stored, usage.bytes) == (2, 2000)


def test_concurrent_multipart_completes_never_pass_the_object_limit(cloud: Cloud) -> None:
    admin, member = _project(cloud)
    assert member.project_id is not None
    cloud.storage.quotas.set(admin, member.project_id, max_objects=2)
    bucket = "mpu-" + member.project_id[:12]
    cloud.storage.buckets.create(member, bucket)
    mpu = cloud.storage.multipart
    jobs: list[Callable[[threading.Barrier], None]] = []
    for n in range(WRITERS):
        upload = mpu.create(member, NewObject(bucket, f"m{n}"), None)
        part = mpu.begin_part(member, bucket, f"m{n}", upload.upload_id, 1, Integrity(3), None)
        part.incoming.write(b"abc")
        etag = mpu.finish_part(member, part).etag

        def job(barrier: threading.Barrier, key: str = f"m{n}", upload_id: str =
                upload.upload_id, etag: str = etag) -> None:
            barrier.wait()
            mpu.complete(member, bucket, key, upload_id, [CompletedPart(1, etag, {})])
        jobs.append(job)
    stored, errors = _race(jobs)
    assert not errors, errors
    usage = cloud.storage.quotas.get(admin, member.project_id)[1]
    assert (stored, usage.objects) == (2, 2)


def test_concurrent_bucket_creations_never_pass_the_bucket_limit(cloud: Cloud) -> None:
    admin, member = _project(cloud)
    assert member.project_id is not None
    cloud.storage.quotas.set(admin, member.project_id, max_buckets=2)

    project_id = member.project_id

    def job(n: int) -> Callable[[threading.Barrier], None]:
        def create(barrier: threading.Barrier) -> None:
            barrier.wait()
            cloud.storage.buckets.create(member, f"b{n}-{project_id[:12]}")
        return create

    stored, errors = _race([job(n) for n in range(WRITERS)])
    assert not errors, errors
    usage = cloud.storage.quotas.get(admin, member.project_id)[1]
    assert (stored, usage.buckets) == (2, 2)
