"""OpenStack Tempest's identity API tests against a live nuage.

Starts its own `nuage up`, fills tests/tempest/tempest.conf.in into a fresh Tempest
workspace, runs the tests listed in tests/tempest/identity-include.txt with two workers and
asserts that every one of them ran and passed (read from Tempest's subunit stream).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live import LiveNuage

pytest.importorskip("tempest")
subunit = pytest.importorskip("subunit")
testtools = pytest.importorskip("testtools")

pytestmark = [pytest.mark.tempest, pytest.mark.slow]

HERE = Path(__file__).parent
INCLUDE = HERE / "identity-include.txt"
TEMPLATE = HERE / "tempest.conf.in"
TEMPEST = str(Path(sys.executable).parent / "tempest")
RUN_TIMEOUT = 240


@pytest.fixture(scope="module")
def nuage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNuage]:
    # Tempest's dynamic admin is an admin of a project it makes itself, so this nuage
    # counts an admin of any project as a cloud admin, as Keystone does without an
    # admin project configured.
    server = LiveNuage(tmp_path_factory.mktemp("nuage-tempest"),
                       extra_env={"NUAGE_ANY_PROJECT_ADMIN_IS_CLOUD_ADMIN": "true"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def include_patterns() -> list[str]:
    lines = (line.strip() for line in INCLUDE.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def results(stream: bytes) -> dict[str, str]:
    """test id -> final status, from a subunit v2 stream."""
    out: dict[str, str] = {}

    class Collect(testtools.StreamResult):
        def status(self, test_id: str | None = None, test_status: str | None = None,
                   **_: object) -> None:
            if test_id and test_status and test_status not in ("inprogress", "exists"):
                out[test_id] = test_status

    subunit.ByteStreamToStreamResult(io.BytesIO(stream),
                                     non_subunit_name="stdout").run(Collect())
    return out


def test_identity_tempest(nuage: LiveNuage, tmp_path: Path) -> None:
    workspace = tmp_path / "tempest-ws"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "TEMPEST_"))}
    # A private workspace registry: `tempest init` refuses a name ~/.tempest already holds.
    init = subprocess.run([TEMPEST, "init", "--workspace-path", str(tmp_path / "workspace.yaml"),
                           str(workspace)], env=env, capture_output=True, timeout=60)
    assert init.returncode == 0, init.stderr.decode()[-2000:]
    conf = (TEMPLATE.read_text()
            .replace("@WORKSPACE@", str(workspace))
            .replace("@IDENTITY_URL@", nuage.identity_url)
            .replace("@ADMIN_PASSWORD@", nuage.admin_password))
    (workspace / "etc" / "tempest.conf").write_text(conf)

    run = subprocess.run(
        [TEMPEST, "run", "--include-list", str(INCLUDE), "--concurrency", "2", "--subunit"],
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
