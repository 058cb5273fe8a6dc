"""OpenStack Tempest's volume (Cinder v3) API tests against a live nuage.

Starts its own `nuage up` (no compute agent: the tests that attach volumes to servers skip
themselves, `nova = false`; the volume agent runs and makes, snapshots, clones and backs up
real qcow2+LUKS volumes), fills tests/tempest/tempest-volume.conf.in into a fresh Tempest
workspace (image_ref = a small raw image uploaded first, for volumes made from an
image), runs the tests listed in tests/tempest/volume-include.txt with two workers and
asserts that every one of them ran and passed.
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
INCLUDE = HERE / "volume-include.txt"
TEMPLATE = HERE / "tempest-volume.conf.in"
RUN_TIMEOUT = 900


@pytest.fixture(scope="module")
def nuage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNuage]:
    server = LiveNuage(tmp_path_factory.mktemp("nuage-tempest-volume"),
                       extra_env={**TEMPEST_ENV, "NUAGE_COMPUTE": "false"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def upload_image(nuage: LiveNuage) -> str:
    """A public 1 MiB raw image, for the volumes Tempest makes from an image (a nuage
    without compute registers no guest image)."""
    headers = {"X-Auth-Token": nuage.admin_token()}
    response = httpx.post(f"{nuage.base_url}/image/v2/images", headers=headers, timeout=30,
                          json={"name": "tempest-volume-image", "disk_format": "raw",
                                "container_format": "bare", "visibility": "public"})
    response.raise_for_status()
    image_id = str(response.json()["id"])
    response = httpx.put(f"{nuage.base_url}/image/v2/images/{image_id}/file", timeout=60,
                         headers={**headers, "Content-Type": "application/octet-stream"},
                         content=bytes(1 << 20))
    response.raise_for_status()
    return image_id


def max_microversion(nuage: LiveNuage) -> str:
    """The `version` nuage's block storage advertises (Tempest tests up to it)."""
    response = httpx.get(f"{nuage.base_url}/volume/v3/", timeout=30)
    response.raise_for_status()
    (version,) = response.json()["versions"]
    return str(version["version"])


@pytest.mark.timeout(RUN_TIMEOUT + 300)
def test_volume_tempest(nuage: LiveNuage, tmp_path: Path) -> None:
    values = {"IMAGE_REF": upload_image(nuage),
              "VOLUME_MAX_MICROVERSION": max_microversion(nuage)}
    run_and_check(nuage, tmp_path, TEMPLATE, values, include_patterns(INCLUDE), RUN_TIMEOUT)
