"""OpenStack Tempest's identity API tests against a live nuage.

Starts its own `nuage up`, fills tests/tempest/tempest.conf.in into a fresh Tempest
workspace, runs the tests listed in tests/tempest/identity-include.txt with two workers and
asserts that every one of them ran and passed (read from Tempest's subunit stream).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live import LiveNuage

pytest.importorskip("tempest")
pytest.importorskip("subunit")
pytest.importorskip("testtools")

from tests.tempest.runner import TEMPEST_ENV, include_patterns, run_and_check

pytestmark = [pytest.mark.tempest, pytest.mark.slow]

HERE = Path(__file__).parent
INCLUDE = HERE / "identity-include.txt"
TEMPLATE = HERE / "tempest.conf.in"
RUN_TIMEOUT = 240


@pytest.fixture(scope="module")
def nuage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNuage]:
    server = LiveNuage(tmp_path_factory.mktemp("nuage-tempest"), extra_env=dict(TEMPEST_ENV))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_identity_tempest(nuage: LiveNuage, tmp_path: Path) -> None:
    run_and_check(nuage, tmp_path, TEMPLATE, {}, include_patterns(INCLUDE), RUN_TIMEOUT)
