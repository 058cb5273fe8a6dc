"""OpenStack Tempest's compute (Nova v2.1) and image (Glance v2) API tests against a live nuage.

Starts its own `nuage up`, fills tests/tempest/tempest-compute.conf.in into a fresh Tempest
workspace (image_ref = the "nuage-guest" image `nuage up` registers, flavors 1 and 2), runs
the tests listed in tests/tempest/compute-include.txt and image-include.txt with two workers
and asserts that every one of them ran and passed. Some of the server tests boot real QEMU
guests (TCG on hosts without KVM), so the lists favour tests that boot none.
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
INCLUDES = [HERE / "compute-include.txt", HERE / "image-include.txt"]
TEMPLATE = HERE / "tempest-compute.conf.in"
RUN_TIMEOUT = 480


@pytest.fixture(scope="module")
def nuage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNuage]:
    server = LiveNuage(tmp_path_factory.mktemp("nuage-tempest-compute"),
                       extra_env=dict(TEMPEST_ENV))
    server.start()
    try:
        yield server
    finally:
        server.close()


def guest_image_id(nuage: LiveNuage) -> str:
    response = httpx.get(f"{nuage.base_url}/image/v2/images", params={"name": "nuage-guest"},
                         headers={"X-Auth-Token": nuage.admin_token()}, timeout=30)
    response.raise_for_status()
    images = response.json()["images"]
    assert images, "nuage up registered no nuage-guest image"
    return str(images[0]["id"])


def test_compute_and_image_tempest(nuage: LiveNuage, tmp_path: Path) -> None:
    run_and_check(nuage, tmp_path, TEMPLATE, {"IMAGE_REF": guest_image_id(nuage)},
                  include_patterns(*INCLUDES), RUN_TIMEOUT)
