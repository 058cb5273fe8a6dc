"""The server a guest is, for the metadata service: only of the project of the port the
request came through, never a deleted one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from nuage.domain.compute import Server
from nuage.drivers.sql.engine import make_engine
from nuage.drivers.sql.migrate import upgrade
from nuage.drivers.sql.uow import SqlUnitOfWorkFactory
from nuage.services.compute.metadata import InstanceLookup

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def uow() -> Iterator[SqlUnitOfWorkFactory]:
    engine = make_engine("sqlite://")
    upgrade(engine)
    try:
        yield SqlUnitOfWorkFactory(engine)
    finally:
        engine.dispose()


def _server(uow: SqlUnitOfWorkFactory, sid: str, project: str, number: int, **kw: object
            ) -> None:
    with uow(write=True) as w:
        w.servers.add(Server(id=sid, name=f"vm-{sid}", project_id=project, user_id="u",
                             image_id="img", flavor_id="1", flavor={"name": "m1.tiny"},
                             vm_state="active", created_at=NOW, updated_at=NOW,
                             hostname=f"vm-{sid}", number=number, **kw))  # type: ignore[arg-type]
        w.commit()


def test_own_project_only_and_not_deleted(uow: SqlUnitOfWorkFactory) -> None:
    _server(uow, "s1", "p1", 7, user_data="aGk=", metadata={"k": "v"})
    _server(uow, "s2", "p1", 8, deleted=True)
    lookup = InstanceLookup(uow)
    facts = lookup.instance("s1", "p1")
    assert facts is not None
    assert (facts.id, facts.project_id, facts.hostname, facts.flavor_name, facts.number) == (
        "s1", "p1", "vm-s1", "m1.tiny", 7)
    assert facts.user_data == "aGk=" and facts.metadata == {"k": "v"}
    assert facts.availability_zone == "nova"
    assert lookup.instance("s1", "p2") is None       # a port of p2 naming p1's server
    assert lookup.instance("s2", "p1") is None       # deleted
    assert lookup.instance("nope", "p1") is None
