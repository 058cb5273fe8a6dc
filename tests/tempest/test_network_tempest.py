"""OpenStack Tempest's network API tests against a live nuage.

Starts its own `nuage up` (no compute agent), fills tests/tempest/tempest-network.conf.in
into a fresh Tempest workspace, runs the tests listed in tests/tempest/network-include.txt
with two workers and asserts that every one of them ran and passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live import LiveNuage

pytest.importorskip("tempest")
pytest.importorskip("subunit")
pytest.importorskip("testtools")

from tests.tempest.runner import TEMPEST_ENV, include_patterns, run_and_check

pytestmark = [pytest.mark.tempest, pytest.mark.slow]

HERE = Path(__file__).parent
INCLUDE = HERE / "network-include.txt"
TEMPLATE = HERE / "tempest-network.conf.in"
RUN_TIMEOUT = 600


@pytest.fixture(scope="module")
def nuage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNuage]:
    server = LiveNuage(tmp_path_factory.mktemp("nuage-tempest-net"),
                       extra_env={**TEMPEST_ENV, "NUAGE_COMPUTE": "false"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def public_network_id(nuage: LiveNuage) -> str:
    """The external network `nuage up` seeds on its first start."""
    r = httpx.get(f"{nuage.base_url}/network/v2.0/networks", params={"name": "public"},
                  headers={"X-Auth-Token": nuage.admin_token()}, timeout=30)
    (net,) = r.json()["networks"]
    return str(net["id"])


def test_network_tempest(nuage: LiveNuage, tmp_path: Path) -> None:
    run_and_check(nuage, tmp_path, TEMPLATE, {"PUBLIC_NETWORK_ID": public_network_id(nuage)},
                  include_patterns(INCLUDE), RUN_TIMEOUT)
