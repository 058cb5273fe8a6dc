"""Volume operations end to end through a live `nuage up` and the real `openstack` CLI:
`openstack image create --volume` (os-volume_upload_image: the volume agent reads the
volume in place and streams it into the image) and a server booted from that image.

One live nuage for the module, one small guest at a time (the machine is shared)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.compat.conftest import cli_json, run_cli
from tests.support.live import LiveNuage
from tests.support.live_network import BOOT_TIMEOUT, wait
from tests.system.test_compute_restart import Nova

pytestmark = pytest.mark.slow

# Under load (TCG guests of other tests), a 1 GiB copy and upload take a while.
VOLUME_TIMEOUT = 300.0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNuage]:
    server = LiveNuage(tmp_path_factory.mktemp("volextra") / "nuage")
    server.start(timeout=180)
    try:
        yield server
    finally:
        server.kill_guests()
        server.stop()


def _volume(env: dict[str, str], ref: str) -> dict[str, Any]:
    return dict(cli_json(env, "volume", "show", ref))


def _wait_volume(env: dict[str, str], ref: str, status: str) -> dict[str, Any]:
    shown: dict[str, Any] = {}

    def done() -> bool:
        nonlocal shown
        shown = _volume(env, ref)
        assert shown["status"] not in ("error", "error_extending"), shown
        return bool(shown["status"] == status)
    wait(f"volume {ref} {status}", done, VOLUME_TIMEOUT, lambda: str(shown), every=2)
    return shown


def _console(nova: Nova, sid: str) -> str:
    r = httpx.post(f"{nova.base}/servers/{sid}/action", headers=nova.headers(), timeout=30,
                   json={"os-getConsoleOutput": {}})
    return str(r.json().get("output", "")) if r.status_code == 200 else ""


@pytest.mark.timeout(1500)
def test_image_create_from_a_volume_boots_a_server(live: LiveNuage) -> None:
    env = live.client_env()
    made = cli_json(env, "volume", "create", "--image", "nuage-guest", "--size", "1", "src")
    _wait_volume(env, made["id"], "available")

    up = cli_json(env, "image", "create", "--volume", made["id"], "from-volume")
    assert up["image_name"] == "from-volume" and up["disk_format"] == "raw"
    assert up["volume_type"] == "__DEFAULT__"
    image_id = up["image_id"]
    _wait_volume(env, made["id"], "available")
    image = cli_json(env, "image", "show", image_id)
    assert image["status"] == "active", image
    assert image["size"] == 1 << 30
    # How the source image boots (its kernel, initrd) came with the volume's image metadata.
    assert "kernel_id" in image["properties"]

    # Nothing decrypted was left on the host beside the volume files.
    volumes = live.state_dir / "volumes"
    assert sorted(p.name for p in volumes.iterdir()) == [f"{made['id']}.qcow2"]

    nova = Nova(live)
    r = httpx.post(f"{nova.base}/servers", headers=nova.headers(), timeout=30, json={
        "server": {"name": "from-volume-vm", "imageRef": image_id, "flavorRef": "1",
                   "networks": "none"}})
    assert r.status_code == 202, r.text
    sid = str(r.json()["server"]["id"])
    try:
        nova.wait(sid, "ACTIVE", timeout=BOOT_TIMEOUT)
        wait("the guest booted from the uploaded image",
             lambda: "nuage-guest: ready" in _console(nova, sid), BOOT_TIMEOUT,
             lambda: _console(nova, sid)[-2000:], every=3)
    finally:
        nova.delete(sid)
    with contextlib.suppress(AssertionError):
        run_cli(env, "image", "delete", image_id)


def _wait_cli(env: dict[str, str], what: str, args: list[str], status: str | None
              ) -> None:
    """Until `openstack <args> -f json` shows `status` (None: until it is gone)."""
    last: list[str] = [""]

    def done() -> bool:
        result = run_cli(env, *args, "-f", "json", check=False)
        if result.returncode != 0:
            last[0] = result.stderr
            return status is None
        shown = result.json()
        last[0] = str(shown)
        assert shown.get("status") not in ("error", "error_deleting"), shown
        return status is not None and shown.get("status") == status
    wait(what, done, VOLUME_TIMEOUT, lambda: last[0], every=2)


@pytest.mark.timeout(1800)
def test_backup_and_snapshots_of_an_attached_volume(live: LiveNuage) -> None:
    env = live.client_env()
    nova = Nova(live)
    sid = nova.create("holder")
    try:
        nova.wait(sid, "ACTIVE", timeout=BOOT_TIMEOUT)
        made = cli_json(env, "volume", "create", "--size", "1", "attached-data")
        _wait_volume(env, made["id"], "available")
        run_cli(env, "server", "add", "volume", sid, made["id"])
        _wait_volume(env, made["id"], "in-use")

        # Without --force: Cinder's 400.
        refused = run_cli(env, "volume", "backup", "create", made["id"], check=False)
        assert refused.returncode != 0
        backup = cli_json(env, "volume", "backup", "create", "--force", made["id"])
        _wait_cli(env, "backup available", ["volume", "backup", "show", backup["id"]],
                  "available")
        # Its temporary snapshot (taken and deleted through the guest's QEMU) goes.
        wait("the backup's snapshot deleted",
             lambda: cli_json(env, "volume", "snapshot", "list") == [], VOLUME_TIMEOUT,
             lambda: str(cli_json(env, "volume", "snapshot", "list")), every=2)
        assert _volume(env, made["id"])["status"] == "in-use"

        # A snapshot of the attached volume, taken and deleted while the guest runs.
        snap = cli_json(env, "volume", "snapshot", "create", "--force", "--volume",
                        made["id"], "live-snap")
        _wait_cli(env, "snapshot available", ["volume", "snapshot", "show", snap["id"]],
                  "available")
        run_cli(env, "volume", "snapshot", "delete", snap["id"])
        _wait_cli(env, "snapshot deleted", ["volume", "snapshot", "show", snap["id"]], None)

        # Uploaded to an image while attached (--force): read from a snapshot too.
        up = cli_json(env, "image", "create", "--volume", made["id"], "--force",
                      "from-attached")
        _wait_cli(env, "image active", ["image", "show", up["image_id"]], "active")
        _wait_volume(env, made["id"], "in-use")
        wait("the upload's snapshot deleted",
             lambda: cli_json(env, "volume", "snapshot", "list") == [], VOLUME_TIMEOUT,
             lambda: str(cli_json(env, "volume", "snapshot", "list")), every=2)
        assert nova.show(sid)["status"] == "ACTIVE"
    finally:
        nova.delete(sid)
