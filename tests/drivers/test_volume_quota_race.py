"""Volume quotas hold under real concurrency: N creates racing for k places leave k.

Runs on a SQLite file and on PostgreSQL (skipped when the server is down). Without the
per-project lock (`uow.volume.lock_project_quota`) every writer of a burst on PostgreSQL
counts the same usage and all of them commit.
"""

from __future__ import annotations

import threading
import uuid

from nuage.bootstrap import Cloud
from nuage.domain.context import RequestContext
from nuage.domain.volume_errors import OverLimit
from nuage.services.volume.base import ListQuery
from nuage.services.volume.volumes import NewVolume

WRITERS = 6


def test_concurrent_creates_never_pass_the_volume_limit(cloud: Cloud) -> None:
    assert cloud.volume is not None
    s = cloud.volume
    seeded = cloud.seed()
    admin = RequestContext(request_id="req-admin", user_id=seeded.admin_user_id,
                           user_domain_id="default", system=True,
                           roles=frozenset({"admin", "member", "reader"}))
    project = f"p-{uuid.uuid4().hex[:10]}"
    member = RequestContext(request_id="req-m", user_id="u-m", project_id=project,
                            roles=frozenset({"member", "reader"}))
    s.quotas.update(admin, project, {"volumes": 2})
    barrier = threading.Barrier(WRITERS)
    made: list[str] = []
    errors: list[BaseException] = []

    def create() -> None:
        barrier.wait()
        try:
            made.append(s.volumes.create(member, NewVolume(size=1)).volume.id)
        except OverLimit:
            pass
        except BaseException as exc:  # re-raised by the test
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(made) == 2
    assert len(s.volumes.list_volumes(member, ListQuery()).items) == 2
