"""Running Tempest against a live nuage, shared by the identity and compute runs: a fresh
workspace, a tempest.conf filled from a template, the listed tests with two workers, and
the checks that every listed test ran and passed (read from Tempest's subunit stream)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import subunit
import testtools

from tests.support.live import LiveNuage

TEMPEST = str(Path(sys.executable).parent / "tempest")
# Tempest's dynamic admin is an admin of a project it makes itself, so the nuage it tests
# counts an admin of any project as a cloud admin, as Keystone does without an admin
# project configured.
TEMPEST_ENV = {"NUAGE_ANY_PROJECT_ADMIN_IS_CLOUD_ADMIN": "true"}


def include_patterns(*paths: Path) -> list[str]:
    out: list[str] = []
    for path in paths:
        lines = (line.strip() for line in path.read_text().splitlines())
        out += [line for line in lines if line and not line.startswith("#")]
    return out


def results(stream: bytes) -> dict[str, str]:
    """test id -> final status, from a subunit v2 stream."""
    out: dict[str, str] = {}

    class Collect(testtools.StreamResult):
        def status(self, test_id: str | None = None, test_status: str | None = None,
                   *_: Any, **__: Any) -> None:
            if test_id and test_status and test_status not in ("inprogress", "exists"):
                out[test_id] = test_status

    subunit.ByteStreamToStreamResult(io.BytesIO(stream),
                                     non_subunit_name="stdout").run(Collect())
    return out


def run_and_check(nuage: LiveNuage, tmp_path: Path, template: Path,
                  values: dict[str, str], patterns: list[str], timeout: float) -> None:
    """Run the tests matching `patterns`; assert each ran and every test run passed."""
    workspace = tmp_path / "tempest-ws"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "TEMPEST_"))}
    # A private workspace registry: `tempest init` refuses a name ~/.tempest already holds.
    init = subprocess.run([TEMPEST, "init", "--workspace-path", str(tmp_path / "workspace.yaml"),
                           str(workspace)], env=env, capture_output=True, timeout=60)
    assert init.returncode == 0, init.stderr.decode()[-2000:]
    conf = template.read_text().replace("@WORKSPACE@", str(workspace))
    for name, value in {"IDENTITY_URL": nuage.identity_url,
                        "ADMIN_PASSWORD": nuage.admin_password, **values}.items():
        conf = conf.replace(f"@{name}@", value)
    (workspace / "etc" / "tempest.conf").write_text(conf)
    include = tmp_path / "include.txt"
    include.write_text("\n".join(patterns) + "\n")

    run = subprocess.run(
        [TEMPEST, "run", "--include-list", str(include), "--concurrency", "2", "--subunit"],
        cwd=workspace, env=env, capture_output=True, timeout=timeout)
    got = results(run.stdout)
    log = workspace / "logs" / "tempest.log"
    where = f"(tempest log: {log}; nuage log: {nuage.log_file})"

    bad = {t: s for t, s in got.items() if s != "success"}
    assert not bad, f"tempest tests did not pass {where}: {bad}\n{run.stderr.decode()[-3000:]}"
    missing = [p for p in patterns if not any(re.search(p, t) for t in got)]
    assert not missing, f"listed tests that did not run {where}: {missing}"
    assert run.returncode == 0, f"tempest run exited {run.returncode} {where}"
    assert len(got) >= len(patterns)
