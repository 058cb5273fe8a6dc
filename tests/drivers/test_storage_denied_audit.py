"""Refused S3 operations are recorded on SQLite and PostgreSQL alike: from read paths in a
transaction of their own beside the open reader, from write paths in the operation's own,
and key by key inside DeleteObjects' single transaction (issue 8)."""

from __future__ import annotations

import uuid

import pytest

from nuage.bootstrap import Cloud
from nuage.domain.context import RequestContext
from nuage.domain.storage_errors import Fault, StorageError
from nuage.ports.repositories import AuditQuery
from nuage.services.storage.incoming import Integrity
from nuage.services.storage.objects import NewObject
from nuage.services.storage.preconditions import Preconditions


def member(project: str) -> RequestContext:
    return RequestContext(request_id=f"req-{project}", user_id="u-" + project,
                          project_id=project, roles=frozenset({"member", "reader"}))


def test_refusals_are_audited(cloud: Cloud) -> None:
    owner, other = member(uuid.uuid4().hex), member(uuid.uuid4().hex)
    s = cloud.storage
    bucket = f"den-{uuid.uuid4().hex[:10]}"
    s.buckets.create(owner, bucket)
    session = s.objects.begin_put(owner, NewObject(bucket, "doc"), Integrity(1))
    session.incoming.write(b"x")
    s.objects.finish_put(owner, session)

    def refused(call: object, *args: object) -> None:
        assert callable(call)
        with pytest.raises(StorageError) as info:
            call(*args)
        assert info.value.fault is Fault.ACCESS_DENIED

    refused(s.objects.get, other, bucket, "doc", None, Preconditions(), None)      # read
    refused(s.objects.begin_put, other, NewObject(bucket, "in"), Integrity(1))      # read
    refused(s.deletion.delete, other, bucket, "doc", None)                          # write
    out = s.deletion.delete_many(other, bucket, [("doc", None), ("doc2", None)])    # batch
    assert all(isinstance(r, StorageError) for r in out)

    with cloud.compute_ports.uow() as uow:
        events = uow.audit.query(AuditQuery(project_id=owner.project_id, limit=100))
    denied = sorted((e.action, e.target_id, e.actor_project_id) for e in events
                    if e.outcome == "denied")
    assert denied == sorted([
        ("storage.GetObject", f"{bucket}/doc", other.project_id),
        ("storage.PutObject", f"{bucket}/in", other.project_id),
        ("storage.DeleteObject", f"{bucket}/doc", other.project_id),
        ("storage.DeleteObject", f"{bucket}/doc", other.project_id),
        ("storage.DeleteObject", f"{bucket}/doc2", other.project_id)])
    assert cloud.audit.verify() is None
