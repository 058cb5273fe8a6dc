"""Database fixtures for the driver suites: SQLite files and one PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.bootstrap import Cloud, build
from nuage.settings import Settings
from tests.drivers.postgres import fresh_database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One fresh database for the whole session, dropped at the end."""
    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'nuage.db'}"


@pytest.fixture
def cloud(tmp_path: Path, database_url: str) -> Iterator[Cloud]:
    """A whole cloud (no listener, no agent) on each database."""
    built = build(Settings.model_validate({
        "state_dir": tmp_path / "state", "database_url": database_url,
        "fast_password_hashing": True, "user_clouds_yaml": False}))
    try:
        yield built
    finally:
        built.engine.dispose()
