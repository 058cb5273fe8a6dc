"""The host's plaintext image cache through a live `nuage up`: an image deleted in Glance
keeps its cached copy while a server uses it, and loses it once that server is deleted;
the images still in Glance and used by nobody stay (they are not idle for a day yet)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live import LiveNuage
from tests.system.test_compute_restart import Nova

pytestmark = pytest.mark.slow


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveNuage]:
    server = LiveNuage(tmp_path / "nuage")
    server.start(timeout=180)
    try:
        yield server
    finally:
        server.stop()


def _wait(done: object, timeout: float = 30.0) -> None:
    assert callable(done)
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_deleted_images_copy_goes_with_the_last_server_using_it(live: LiveNuage) -> None:
    nova = Nova(live)
    glance = f"{live.base_url}/image/v2/images"
    headers = nova.headers()
    default = httpx.get(f"{glance}?name=nuage-guest", headers=headers,
                        timeout=30).json()["images"][0]
    # A copy of the default image under another id, booting the same kernel and initrd.
    data = httpx.get(f"{glance}/{default['id']}/file", headers=headers, timeout=60).content
    created = httpx.post(glance, headers=headers, timeout=30, json={
        "name": "doomed", "disk_format": "qcow2", "container_format": "bare",
        "kernel_id": default["kernel_id"], "ramdisk_id": default["ramdisk_id"],
        "os_command_line": default.get("os_command_line", "")})
    assert created.status_code == 201, created.text
    image_id = created.json()["id"]
    r = httpx.put(f"{glance}/{image_id}/file", content=data, timeout=60,
                  headers={**headers, "Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text

    body = {"server": {"name": "doomed-vm", "imageRef": image_id, "flavorRef": "1",
                       "networks": "none"}}
    r = httpx.post(f"{nova.base}/servers", json=body, headers=headers, timeout=30)
    assert r.status_code == 202, r.text
    sid = str(r.json()["server"]["id"])
    nova.wait(sid, "ACTIVE")
    cache = live.state_dir / "image-cache"
    copy = cache / image_id
    assert copy.is_file() and copy.stat().st_mode & 0o777 == 0o600
    assert cache.stat().st_mode & 0o777 == 0o700

    assert httpx.delete(f"{glance}/{image_id}", headers=headers,
                        timeout=30).status_code == 204
    time.sleep(2.5)                                 # two agent passes: in use, it stays
    assert copy.is_file()
    assert nova.show(sid)["status"] == "ACTIVE"

    nova.delete(sid)
    _wait(lambda: not copy.exists())
    # The kernel and initrd, still in Glance, stay cached for the next boot.
    assert (cache / default["kernel_id"]).is_file()
    assert (cache / default["ramdisk_id"]).is_file()
