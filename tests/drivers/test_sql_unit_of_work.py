"""The SQL unit of work serves exactly what the UnitOfWork protocol declares, on SQLite and
PostgreSQL: the protocol is the one list of repositories, the SQL side derives from it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, get_type_hints

import pytest
from sqlalchemy import Engine

from nuage.drivers.sql.engine import make_engine
from nuage.drivers.sql.mapping import MAPPINGS
from nuage.drivers.sql.migrate import upgrade
from nuage.drivers.sql.uow import SqlRepository, SqlUnitOfWorkFactory, repository_builders
from nuage.ports.repositories import Repository, UnitOfWork


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def test_every_declared_repository_reads_its_own_table(engine: Engine) -> None:
    declared = get_type_hints(UnitOfWork)
    tables = dict(MAPPINGS)
    with SqlUnitOfWorkFactory(engine)() as uow:
        for name in declared:
            repository = getattr(uow, name)
            if isinstance(repository, SqlRepository):
                # A real query on the entity's table: mapped and migrated.
                assert isinstance(repository.find(), list), name
                assert repository._cls in tables, name
        assert uow.servers.find(id="none") == []
        assert uow.compute is uow.compute                   # built once per unit of work
    assert len(declared) == 59


def test_a_second_use_gets_repositories_on_its_own_session(engine: Engine) -> None:
    uow = SqlUnitOfWorkFactory(engine)(write=True)
    with uow:
        first = uow.domains
        assert uow.domains is first
    with pytest.raises(AttributeError):
        _ = uow.domains                                     # none outside a unit of work
    with uow:
        assert uow.domains is not first
        assert uow.domains.find(id="absent") == []
    with pytest.raises(AttributeError):
        _ = uow.not_declared                                # type: ignore[attr-defined]


@dataclass
class _Unmapped:
    id: str


class _Declaration(Protocol):
    things: Repository[_Unmapped]


class _Unserved(Protocol):
    numbers: int


def test_a_declared_repository_sql_cannot_serve_fails_at_import() -> None:
    with pytest.raises(TypeError, match="_Unmapped is mapped to no table"):
        repository_builders(_Declaration)
    with pytest.raises(TypeError, match="no SQL implementation"):
        repository_builders(_Unserved)
