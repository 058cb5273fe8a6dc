"""The compute tour of issue 4 with the real `openstack` CLI, booting real QEMU guests
(TCG here): keypair, server create --wait with user-data, console log, stop, start,
reboot, snapshot, a server booted from the snapshot, delete."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.compat.conftest import cli_json, run_cli, unique
from tests.support.live import LiveNuage

pytestmark = [pytest.mark.compat, pytest.mark.slow]

PUBLIC_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
              " test@nuage")


def wait_status(env: dict[str, str], server: str, status: str, timeout: float = 180
                ) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    shown: dict[str, Any] = {}
    while time.monotonic() < deadline:
        shown = cli_json(env, "server", "show", server)
        if shown["status"] == status and not shown.get("OS-EXT-STS:task_state"):
            return shown
        if shown["status"] == "ERROR":
            raise AssertionError(f"server {server} went to ERROR: {shown.get('fault')}")
        time.sleep(1)
    raise AssertionError(f"server {server} not {status} after {timeout}s: {shown}")


def wait_console(env: dict[str, str], server: str, needle: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    log = ""
    while time.monotonic() < deadline:
        log = run_cli(env, "console", "log", "show", server).stdout
        if needle in log:
            return log
        time.sleep(1)
    raise AssertionError(f"{needle!r} not in the console of {server}:\n{log[-2000:]}")


def test_the_compute_tour(live_nuage: LiveNuage, admin_env: dict[str, str],
                          tmp_path: Path) -> None:
    env = admin_env
    key_file = tmp_path / "id.pub"
    key_file.write_text(PUBLIC_KEY + "\n")
    key = unique("k")
    created_key = cli_json(env, "keypair", "create", "--public-key", str(key_file), key)
    assert created_key["name"] == key and created_key["fingerprint"].count(":") == 15

    script = tmp_path / "script.sh"
    marker = unique("hello-from-user-data")
    script.write_text(f"#!/bin/sh\necho {marker}\n")
    flavors = cli_json(env, "flavor", "list")
    smallest = min(flavors, key=lambda f: (f["RAM"], f["VCPUs"]))["Name"]
    vm1 = unique("vm1")
    server = cli_json(env, "server", "create", "--image", "nuage-guest", "--flavor", smallest,
                      "--key-name", key, "--user-data", str(script), "--wait", vm1)
    assert server["status"] == "ACTIVE"
    log = wait_console(env, vm1, marker)
    assert "nuage-guest: ssh keys installed: 1" in log or "ssh keys installed" in log

    run_cli(env, "server", "stop", vm1)
    wait_status(env, vm1, "SHUTOFF")
    run_cli(env, "server", "start", vm1)
    wait_status(env, vm1, "ACTIVE")
    run_cli(env, "server", "reboot", "--hard", "--wait", vm1)
    wait_status(env, vm1, "ACTIVE")

    snap = unique("snap")
    image = cli_json(env, "server", "image", "create", "--name", snap, "--wait", vm1)
    assert image["status"] == "active" or cli_json(env, "image", "show", snap)[
        "status"] == "active"

    vm2 = unique("vm2")
    cli_json(env, "server", "create", "--image", snap, "--flavor", smallest, "--wait", vm2)
    wait_console(env, vm2, "nuage-guest: ready")

    run_cli(env, "server", "delete", "--wait", vm1, vm2)
    remaining = {s["Name"] for s in cli_json(env, "server", "list")}
    assert vm1 not in remaining and vm2 not in remaining
    # Nothing is left on the host: no QEMU process for these servers.
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert server["id"] not in ps


def test_bad_requests_leave_nothing_behind(live_nuage: LiveNuage,
                                           admin_env: dict[str, str]) -> None:
    env = admin_env
    before = cli_json(env, "server", "list")
    bad = run_cli(env, "server", "create", "--image", "no-such-image", "--flavor", "m1.tiny",
                  unique("bad"), check=False)
    assert bad.returncode != 0
    bad = run_cli(env, "server", "create", "--image", "nuage-guest", "--flavor", "no-such",
                  unique("bad"), check=False)
    assert bad.returncode != 0
    assert cli_json(env, "server", "list") == before
