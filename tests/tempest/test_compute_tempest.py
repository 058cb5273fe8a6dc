"""OpenStack Tempest's compute (Nova v2.1) and image (Glance v2) API tests against a live nuage.

Starts its own `nuage up` with its network datapath on (under a prefix of its own, removed
after: Tempest's servers boot on networks, and a port nobody plugs fails the build), fills
tests/tempest/tempest-compute.conf.in into a fresh Tempest workspace (image_ref = the
"nuage-guest" image `nuage up` registers, flavors 1 and 2, public_network_id = the seeded
"public" network: dynamic credentials make a network, subnet and router per test project,
as devstack's jobs do), and runs two lists with two workers, asserting that every test
listed ran and passed:

- compute-include.txt and image-include.txt: the tests Tempest also runs without Neutron
  (a few boot guests), a few minutes;
- compute-neutron-include.txt: the server tests Tempest runs only with Neutron, most of
  which boot real QEMU guests (TCG on hosts without KVM): the slow part (deselect it with
  `-k "not on_networks"` when time is short);
- compute-volume-include.txt, with `cinder = true`: volume attachments, boot from volume,
  and the volume tests that boot servers (deselect with `-k "not volumes"`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live import LiveNuage
from tests.support.live_network import live_network
from tests.support.netns import needs_root_net

pytest.importorskip("tempest")
pytest.importorskip("subunit")
pytest.importorskip("testtools")

from tests.tempest.runner import TEMPEST_ENV, include_patterns, run_and_check

pytestmark = [pytest.mark.tempest, pytest.mark.slow, needs_root_net]

HERE = Path(__file__).parent
INCLUDES = [HERE / "compute-include.txt", HERE / "image-include.txt"]
NEUTRON_INCLUDE = HERE / "compute-neutron-include.txt"
VOLUME_INCLUDE = HERE / "compute-volume-include.txt"
TEMPLATE = HERE / "tempest-compute.conf.in"
RUN_TIMEOUT = 600
# A hundred server tests, most booting guests on their networks: minutes, not seconds.
NEUTRON_RUN_TIMEOUT = 1500
# A few servers each with a volume attached, or booted from one.
VOLUME_RUN_TIMEOUT = 900


@pytest.fixture(scope="module")
def nuage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNuage]:
    # The datapath on (under its own prefix): servers on networks need their ports plugged.
    with live_network(tmp_path_factory.mktemp("nuage-tempest-compute"),
                      extra_env=dict(TEMPEST_ENV)) as node:
        yield node


def guest_image_id(nuage: LiveNuage) -> str:
    response = httpx.get(f"{nuage.base_url}/image/v2/images", params={"name": "nuage-guest"},
                         headers={"X-Auth-Token": nuage.admin_token()}, timeout=30)
    response.raise_for_status()
    images = response.json()["images"]
    assert images, "nuage up registered no nuage-guest image"
    return str(images[0]["id"])


def public_network_id(nuage: LiveNuage) -> str:
    """The external network `nuage up` seeds on its first start."""
    response = httpx.get(f"{nuage.base_url}/network/v2.0/networks", params={"name": "public"},
                         headers={"X-Auth-Token": nuage.admin_token()}, timeout=30)
    response.raise_for_status()
    (network,) = response.json()["networks"]
    return str(network["id"])


def values(nuage: LiveNuage, cinder: bool = False) -> dict[str, str]:
    return {"IMAGE_REF": guest_image_id(nuage), "PUBLIC_NETWORK_ID": public_network_id(nuage),
            "CINDER": "true" if cinder else "false"}


@pytest.mark.timeout(RUN_TIMEOUT + 300)
def test_compute_and_image_tempest(nuage: LiveNuage, tmp_path: Path) -> None:
    run_and_check(nuage, tmp_path, TEMPLATE, values(nuage), include_patterns(*INCLUDES),
                  RUN_TIMEOUT)


@pytest.mark.timeout(NEUTRON_RUN_TIMEOUT + 300)
def test_compute_servers_on_networks_tempest(nuage: LiveNuage, tmp_path: Path) -> None:
    run_and_check(nuage, tmp_path, TEMPLATE, values(nuage), include_patterns(NEUTRON_INCLUDE),
                  NEUTRON_RUN_TIMEOUT)


@pytest.mark.timeout(VOLUME_RUN_TIMEOUT + 300)
def test_compute_volumes_tempest(nuage: LiveNuage, tmp_path: Path) -> None:
    run_and_check(nuage, tmp_path, TEMPLATE, values(nuage, cinder=True),
                  include_patterns(VOLUME_INCLUDE), VOLUME_RUN_TIMEOUT)
