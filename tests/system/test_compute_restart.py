"""Restarting `nuage up` adopts running guests: with two servers running, stop and start
nuage; both stay ACTIVE with the same QEMU processes, and a guest killed from outside while
nuage was down is SHUTOFF afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live import LiveNuage

pytestmark = pytest.mark.slow


class Nova:
    def __init__(self, live: LiveNuage) -> None:
        self.live = live
        self.base = f"{live.base_url}/compute/v2.1"

    def headers(self) -> dict[str, str]:
        return {"X-Auth-Token": self.live.admin_token()}

    def create(self, name: str) -> str:
        images = httpx.get(f"{self.live.base_url}/image/v2/images?name=nuage-guest",
                           headers=self.headers(), timeout=30).json()["images"]
        body = {"server": {"name": name, "imageRef": images[0]["id"], "flavorRef": "1",
                           "networks": "none"}}
        r = httpx.post(f"{self.base}/servers", json=body, headers=self.headers(), timeout=30)
        assert r.status_code == 202, r.text
        return str(r.json()["server"]["id"])

    def show(self, sid: str) -> dict[str, Any]:
        r = httpx.get(f"{self.base}/servers/{sid}", headers=self.headers(), timeout=30)
        assert r.status_code == 200, r.text
        return dict(r.json()["server"])

    def wait(self, sid: str, status: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        shown: dict[str, Any] = {}
        while time.monotonic() < deadline:
            shown = self.show(sid)
            if shown["status"] == status and shown["OS-EXT-STS:task_state"] is None:
                return shown
            assert shown["status"] != "ERROR", shown
            time.sleep(0.5)
        raise AssertionError(f"{sid} not {status}: {shown}")

    def delete(self, sid: str) -> None:
        httpx.delete(f"{self.base}/servers/{sid}", headers=self.headers(), timeout=30)


def qemu_pid(live: LiveNuage, sid: str) -> int:
    return int((live.state_dir / "compute" / "guests" / sid / "qemu.pid").read_text())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveNuage]:
    server = LiveNuage(tmp_path / "nuage")
    server.start(timeout=180)
    try:
        yield server
    finally:
        server.stop()
        guests = tmp_path / "nuage" / "compute" / "guests"
        for pidfile in guests.glob("*/*.pid") if guests.exists() else []:
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.kill(int(pidfile.read_text()), signal.SIGKILL)


def test_restart_adopts_running_guests(live: LiveNuage) -> None:
    nova = Nova(live)
    keep, victim = nova.create("keep"), nova.create("victim")
    nova.wait(keep, "ACTIVE")
    nova.wait(victim, "ACTIVE")
    keep_pid, victim_pid = qemu_pid(live, keep), qemu_pid(live, victim)

    live.stop()
    assert alive(keep_pid) and alive(victim_pid), "guests must outlive nuage"
    os.kill(victim_pid, signal.SIGKILL)
    time.sleep(0.5)
    live.start(timeout=180)

    assert nova.wait(keep, "ACTIVE")["OS-EXT-STS:power_state"] == 1
    assert qemu_pid(live, keep) == keep_pid and alive(keep_pid)
    assert nova.wait(victim, "SHUTOFF")["OS-EXT-STS:power_state"] == 4

    nova.delete(keep)
    nova.delete(victim)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and alive(keep_pid):
        time.sleep(0.5)
    assert not alive(keep_pid)
