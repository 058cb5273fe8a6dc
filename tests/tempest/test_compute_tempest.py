"""OpenStack Tempest's compute (Nova v2.1) and image (Glance v2) API tests against a live nuage.

Starts its own `nuage up`, fills tests/tempest/tempest-compute.conf.in into a fresh Tempest
workspace (image_ref = the "nuage-guest" image `nuage up` registers, flavors 1 and 2), runs
the tests listed in tests/tempest/compute-include.txt and image-include.txt with two workers
and asserts that every one of them ran and passed. Some of the server tests boot real QEMU
guests (TCG on hosts without KVM), so the lists favour tests that boot none.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live import LiveNuage

pytest.importorskip("tempest")
pytest.importorskip("subunit")

from tests.tempest.test_identity_tempest import results

pytestmark = [pytest.mark.tempest, pytest.mark.slow]

HERE = Path(__file__).parent
INCLUDES = [HERE / "compute-include.txt", HERE / "image-include.txt"]
TEMPLATE = HERE / "tempest-compute.conf.in"
TEMPEST = str(Path(sys.executable).parent / "tempest")
RUN_TIMEOUT = 480


@pytest.fixture(scope="module")
def nuage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNuage]:
    # Tempest's dynamic admin is an admin of a project it makes itself (see the identity run).
    server = LiveNuage(tmp_path_factory.mktemp("nuage-tempest-compute"),
                       extra_env={"NUAGE_ANY_PROJECT_ADMIN_IS_CLOUD_ADMIN": "true"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def include_patterns() -> list[str]:
    out = []
    for path in INCLUDES:
        lines = (line.strip() for line in path.read_text().splitlines())
        out += [line for line in lines if line and not line.startswith("#")]
    return out


def guest_image_id(nuage: LiveNuage) -> str:
    response = httpx.get(f"{nuage.base_url}/image/v2/images", params={"name": "nuage-guest"},
                         headers={"X-Auth-Token": nuage.admin_token()}, timeout=30)
    response.raise_for_status()
    images = response.json()["images"]
    assert images, "nuage up registered no nuage-guest image"
    return str(images[0]["id"])


def test_compute_and_image_tempest(nuage: LiveNuage, tmp_path: Path) -> None:
    workspace = tmp_path / "tempest-ws"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "TEMPEST_"))}
    init = subprocess.run([TEMPEST, "init", "--workspace-path", str(tmp_path / "workspace.yaml"),
                           str(workspace)], env=env, capture_output=True, timeout=60)
    assert init.returncode == 0, init.stderr.decode()[-2000:]
    conf = (TEMPLATE.read_text()
            .replace("@WORKSPACE@", str(workspace))
            .replace("@IDENTITY_URL@", nuage.identity_url)
            .replace("@ADMIN_PASSWORD@", nuage.admin_password)
            .replace("@IMAGE_REF@", guest_image_id(nuage)))
    (workspace / "etc" / "tempest.conf").write_text(conf)
    include = tmp_path / "include.txt"
    include.write_text("\n".join(include_patterns()) + "\n")

    run = subprocess.run(
        [TEMPEST, "run", "--include-list", str(include), "--concurrency", "2", "--subunit"],
        cwd=workspace, env=env, capture_output=True, timeout=RUN_TIMEOUT)
    got = results(run.stdout)
    log = workspace / "logs" / "tempest.log"
    where = f"(tempest log: {log}; nuage log: {nuage.log_file})"

    bad = {t: s for t, s in got.items() if s != "success"}
    assert not bad, f"tempest tests did not pass {where}: {bad}\n{run.stderr.decode()[-3000:]}"
    patterns = include_patterns()
    missing = [p for p in patterns if not any(re.search(p, t) for t in got)]
    assert not missing, f"listed tests that did not run {where}: {missing}"
    assert run.returncode == 0, f"tempest run exited {run.returncode} {where}"
    assert len(got) >= len(patterns)
