"""Volumes against a live nuage, for the system tests: Cinder and Nova calls, guests that
write to their volumes, and what the host really has (the guests' QEMU devices over QMP,
the files in the volumes directory, the qemu-img/qemu-nbd processes, the database rows)."""

from __future__ import annotations

import base64
import contextlib
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx

from nuage.drivers.qemu import qmp
from tests.support.live import LiveNuage
from tests.support.live_network import BOOT_TIMEOUT, Api, wait

SETTLE = 300.0    # generous: two cores shared with other helpers' TCG guests
CINDER_STABLE = {"available", "in-use", "error", "error_deleting", "error_extending",
                 "error_restoring"}


class Cloud(Api):
    """The admin's API with Cinder's calls (microversion 3.0 unless told)."""

    def __init__(self, live: LiveNuage) -> None:
        super().__init__(live)
        self.project = self.project_id

    def cinder(self, method: str, path: str, body: dict[str, Any] | None = None,
               expect: int = 200, version: str | None = None) -> dict[str, Any]:
        headers = {"OpenStack-API-Version": f"volume {version}"} if version else None
        return self.call(method, f"volume/v3/{self.project}/{path}", body, expect, headers)

    def raw(self, method: str, path: str, body: dict[str, Any] | None = None,
            version: str | None = None) -> httpx.Response:
        """A call whose failure the test looks at: the response as it came."""
        headers = {"X-Auth-Token": self.live.admin_token()}
        if version:
            headers["OpenStack-API-Version"] = f"volume {version}"
        return httpx.request(method, f"{self.live.base_url}/{path}", json=body,
                             headers=headers, timeout=60)

    # -- volumes, snapshots, backups ---------------------------------------------------
    def volume(self, volume_id: str) -> dict[str, Any]:
        return dict(self.cinder("GET", f"volumes/{volume_id}")["volume"])

    def create_volume(self, name: str, size: int = 1, **extra: Any) -> str:
        body = {"volume": {"name": name, "size": size, **extra}}
        return str(self.cinder("POST", "volumes", body, 202)["volume"]["id"])

    def wait_volume(self, volume_id: str, *statuses: str,
                    timeout: float = SETTLE) -> dict[str, Any]:
        wait(f"volume {volume_id} {statuses}",
             lambda: self.volume(volume_id)["status"] in (*statuses, "error"), timeout,
             lambda: str(self.volume(volume_id)))
        shown = self.volume(volume_id)
        assert shown["status"] in statuses, shown
        return shown

    def snapshot(self, snapshot_id: str) -> dict[str, Any]:
        return dict(self.cinder("GET", f"snapshots/{snapshot_id}")["snapshot"])

    def create_snapshot(self, volume_id: str, force: bool = False) -> str:
        body = {"snapshot": {"volume_id": volume_id, "force": force}}
        return str(self.cinder("POST", "snapshots", body, 202)["snapshot"]["id"])

    def wait_snapshot(self, snapshot_id: str, timeout: float = SETTLE) -> dict[str, Any]:
        wait(f"snapshot {snapshot_id} available",
             lambda: self.snapshot(snapshot_id)["status"] in ("available", "error"), timeout,
             lambda: str(self.snapshot(snapshot_id)))
        shown = self.snapshot(snapshot_id)
        assert shown["status"] == "available", shown
        return shown

    def backup(self, backup_id: str) -> dict[str, Any]:
        return dict(self.cinder("GET", f"backups/{backup_id}")["backup"])

    def create_backup(self, volume_id: str, force: bool = False) -> str:
        body = {"backup": {"volume_id": volume_id, "force": force}}
        return str(self.cinder("POST", "backups", body, 202)["backup"]["id"])

    def wait_backup(self, backup_id: str, timeout: float = SETTLE) -> dict[str, Any]:
        wait(f"backup {backup_id} available",
             lambda: self.backup(backup_id)["status"] in ("available", "error"), timeout,
             lambda: str(self.backup(backup_id)))
        shown = self.backup(backup_id)
        assert shown["status"] == "available", shown
        return shown

    # -- servers -----------------------------------------------------------------------
    def boot_guest(self, name: str, user_data: str | None = None) -> str:
        """A server of the default image without a network; its id, once ACTIVE."""
        (image,) = self.call("GET", "image/v2/images?name=nuage-guest")["images"]
        server: dict[str, Any] = {"name": name, "imageRef": image["id"], "flavorRef": "1",
                                  "networks": "none"}
        if user_data is not None:
            server["user_data"] = base64.b64encode(user_data.encode()).decode()
        sid = str(self.nova("POST", "servers", {"server": server}, 202)["server"]["id"])
        self.wait_active(sid, BOOT_TIMEOUT)
        return sid

    def attach(self, server_id: str, volume_id: str) -> dict[str, Any]:
        body = {"volumeAttachment": {"volumeId": volume_id}}
        return dict(self.nova("POST", f"servers/{server_id}/os-volume_attachments",
                              body)["volumeAttachment"])

    def detach(self, server_id: str, volume_id: str) -> None:
        self.nova("DELETE", f"servers/{server_id}/os-volume_attachments/{volume_id}",
                  expect=202)

    def wait_console(self, server_id: str, text: str, timeout: float = SETTLE) -> str:
        wait(f"{text!r} on {server_id}'s console", lambda: text in self.console(server_id),
             timeout, lambda: self.console(server_id)[-3000:])
        return self.console(server_id)


# -- what the host really has -------------------------------------------------------------


def guest_volumes(live: LiveNuage, server_id: str) -> set[str]:
    """The volume ids plugged into the running guest, as its QEMU has them (QMP)."""
    socket = live.guests_dir / server_id / "qmp.sock"
    children = qmp.execute(socket, "qom-list", {"path": "/machine/peripheral"}, timeout=30)
    return {c["name"].removeprefix("vol-") for c in children
            if c["name"].startswith("vol-")}


def volume_files(live: LiveNuage) -> dict[str, int]:
    """The files in the volumes directory, with their sizes."""
    root = live.state_dir / "volumes"
    return {p.name: p.stat().st_size for p in sorted(root.iterdir())} if root.exists() else {}


def query(live: LiveNuage, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(f"file:{live.state_dir / 'nuage.db'}?mode=ro", uri=True, timeout=30)
    try:
        return list(db.execute(sql, args))
    finally:
        db.close()


def attachment_rows(live: LiveNuage) -> set[tuple[str, str, str]]:
    """(volume, server, status) of every attachment row."""
    return {(str(v), str(s), str(st)) for v, s, st in query(
        live, "SELECT volume_id, server_id, status FROM volume_attachments")}


def host_processes(live: LiveNuage, *names: str) -> list[str]:
    """The command lines of this cloud's processes of those names (qemu-img, qemu-nbd)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            text = b" ".join(argv).decode(errors="replace")
            if any(Path(argv[0].decode(errors="replace")).name == n for n in names) \
                    and str(live.state_dir) in text:
                found.append(f"{proc.name}: {text}")
    return found


def all_cmdlines(environ: bool = False) -> dict[int, bytes]:
    """Every process's command line (and, if asked, its environment after a NUL)."""
    out: dict[int, bytes] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                out[int(proc.name)] = (proc / "cmdline").read_bytes()
                if environ:
                    out[int(proc.name)] += b"\0" + (proc / "environ").read_bytes()
    return out


def wait_gone(what: str, probe: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while probe() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not probe(), f"{what}: {probe()}"
