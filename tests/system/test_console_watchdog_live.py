"""The console watchdog through a real `nuage up`, real QEMU (TCG) and the Nova API: a
server whose image prints nothing goes to ERROR with a tenant-facing fault within the
deadline, while a server that boots (nuage-guest) stays ACTIVE past it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live import LiveNuage

pytestmark = pytest.mark.slow
DEADLINE = 4


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveNuage]:
    server = LiveNuage(tmp_path / "nuage", extra_env={"NUAGE_CONSOLE_DEADLINE": str(DEADLINE),
                                                      "NUAGE_ACCELERATOR": "tcg"})
    server.start(timeout=180)
    try:
        yield server
    finally:
        server.stop()


def _silent_image(live: LiveNuage, headers: dict[str, str], tmp_path: Path) -> str:
    disk = bytearray(1 << 20)
    disk[:4] = bytes([0xFA, 0xF4, 0xEB, 0xFD])          # cli; hlt; jmp $-1
    disk[510:512] = b"\x55\xaa"
    r = httpx.post(f"{live.base_url}/image/v2/images", headers=headers, timeout=30,
                   json={"name": "silent", "disk_format": "raw", "container_format": "bare"})
    assert r.status_code == 201, r.text
    image_id = str(r.json()["id"])
    r = httpx.put(f"{live.base_url}/image/v2/images/{image_id}/file", content=bytes(disk),
                  headers={**headers, "Content-Type": "application/octet-stream"}, timeout=60)
    assert r.status_code == 204, r.text
    return image_id


def test_a_silent_server_goes_to_error_and_a_booting_one_stays_active(
        live: LiveNuage, tmp_path: Path) -> None:
    # The banner tells a new user what guests run under, and why.
    # (Printed once both listeners serve: a moment after the API answers.)
    started = time.monotonic()
    while "compute: guests run under" not in live.log_file.read_text():
        assert time.monotonic() - started < 10, live.log_file.read_text()[-2000:]
        time.sleep(0.05)
    assert "compute: guests run under TCG (set by configuration)" in live.log_file.read_text()
    headers = {"X-Auth-Token": live.admin_token()}
    nova = f"{live.base_url}/compute/v2.1"
    guest = httpx.get(f"{live.base_url}/image/v2/images?name=nuage-guest", headers=headers,
                      timeout=30).json()["images"][0]["id"]
    ids: dict[str, str] = {}
    for name, image in (("silent", _silent_image(live, headers, tmp_path)), ("boots", guest)):
        r = httpx.post(f"{nova}/servers", headers=headers, timeout=30, json={"server": {
            "name": name, "imageRef": image, "flavorRef": "1", "networks": "none"}})
        assert r.status_code == 202, r.text
        ids[name] = str(r.json()["server"]["id"])

    def show(name: str) -> dict[str, Any]:
        r = httpx.get(f"{nova}/servers/{ids[name]}", headers=headers, timeout=30)
        return dict(r.json()["server"])

    started = time.monotonic()
    while show("silent")["status"] != "ERROR":
        assert time.monotonic() - started < DEADLINE + 60, show("silent")
        time.sleep(0.5)
    silent = show("silent")
    assert silent["fault"]["message"].startswith(
        f"The server wrote nothing to its serial console within {DEADLINE} s")
    assert silent["OS-EXT-STS:power_state"] == 4
    time.sleep(max(0.0, DEADLINE + 2 - (time.monotonic() - started)))
    boots = show("boots")
    assert boots["status"] == "ACTIVE" and "fault" not in boots, boots
    r = httpx.post(f"{nova}/servers/{ids['boots']}/action", headers=headers, timeout=30,
                   json={"os-getConsoleOutput": {}})
    assert "Linux version" in r.json()["output"]
    for sid in ids.values():
        httpx.delete(f"{nova}/servers/{sid}", headers=headers, timeout=30)
