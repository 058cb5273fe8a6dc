"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.live import LiveNuage


@pytest.fixture(scope="session")
def live_nuage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNuage]:
    """One `nuage up` on SQLite shared by the compat tests (they make their own projects)."""
    server = LiveNuage(tmp_path_factory.mktemp("nuage-live"))
    server.start()
    try:
        yield server
    finally:
        server.close()
