"""Crash safety of volumes (issue 11): SIGKILL the process group of `nuage up` (its guests
are separate and survive, as in compute's restart test) right after an attach, a detach, a
snapshot (the agent's and a forced one through QEMU), a backup and a clone were asked, and
while the agent's qemu-nbd or qemu-img child runs; restart on the same state and check that
every volume settles where the guest really is (in-use with its attachment row and the
guest's QEMU device, or available with neither), that what was asked finished, and that no
qemu-img/qemu-nbd process, `.part` file or NBD socket directory is left."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.live import LiveNuage
from tests.support.live_network import wait
from tests.support.live_volumes import (
    SETTLE,
    Cloud,
    attachment_rows,
    guest_volumes,
    host_processes,
    volume_files,
)

pytestmark = pytest.mark.slow

TOOLS = ("qemu-img", "qemu-nbd")


@dataclass
class World:
    live: LiveNuage
    cloud: Cloud
    server: str
    tmp: Path

    def crash(self) -> None:
        """SIGKILL `nuage up` and all it runs in its group, then start it again."""
        self.live.kill()
        self.live.start(timeout=240)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("volume-crash")
    (root / "tmp").mkdir()
    live = LiveNuage(root / "state", extra_env={"TMPDIR": str(root / "tmp")})
    live.start(timeout=240)
    try:
        cloud = Cloud(live)
        cloud.cinder("PUT", f"os-quota-sets/{cloud.project}", {"quota_set": {
            "volumes": 50, "gigabytes": 100, "snapshots": 50, "backups": 50}})
        yield World(live, cloud, cloud.boot_guest("crash"), root / "tmp")
    finally:
        live.close()


def wait_for_tool(live: LiveNuage, tool: str, word: str, timeout: float = 120) -> None:
    """Until this cloud runs `tool` with `word` on its command line (the agent is at
    work on it: `qemu-img info` runs on every pass, so the word tells which call)."""
    wait(f"a {tool} {word} of this cloud",
         lambda: any(f" {word} " in p for p in host_processes(live, tool)), timeout,
         every=0.01)


def settled(w: World) -> dict[str, str]:
    """Wait until no volume, snapshot or backup has work pending; the volumes' statuses."""
    moving = ("creating", "attaching", "detaching", "deleting", "extending", "reserved",
              "restoring", "backing-up", "restoring-backup", "downloading")

    def pending() -> list[str]:
        busy = [f"volume {v['id']} {v['status']}"
                for v in w.cloud.cinder("GET", "volumes/detail")["volumes"]
                if v["status"] in moving]
        busy += [f"snapshot {s['id']} {s['status']}"
                 for s in w.cloud.cinder("GET", "snapshots")["snapshots"]
                 if s["status"] in moving]
        busy += [f"backup {b['id']} {b['status']}"
                 for b in w.cloud.cinder("GET", "backups/detail")["backups"]
                 if b["status"] in moving]
        return busy

    wait("every volume settled", lambda: not pending(), SETTLE, lambda: str(pending()))
    return {v["id"]: v["status"] for v in w.cloud.cinder("GET", "volumes/detail")["volumes"]}


def assert_consistent(w: World) -> dict[str, str]:
    statuses = settled(w)
    assert set(statuses.values()) <= {"available", "in-use"}, statuses
    rows = attachment_rows(w.live)
    plugged = guest_volumes(w.live, w.server)
    for volume_id, status in statuses.items():
        attached_rows = {(s, st) for v, s, st in rows if v == volume_id}
        if status == "in-use":
            assert attached_rows == {(w.server, "attached")}, (volume_id, rows)
            assert volume_id in plugged, (volume_id, plugged)
        else:
            assert attached_rows == set(), (volume_id, rows)
            assert volume_id not in plugged, (volume_id, plugged)
    assert plugged <= set(statuses), f"the guest has disks of no volume: {plugged}"
    # The host: one whole file per volume, nothing else; no tool left running; no NBD
    # socket directory.
    files = volume_files(w.live)
    assert sorted(files) == sorted(f"{v}.qcow2" for v in statuses), files
    wait("no qemu-img or qemu-nbd left", lambda: not host_processes(w.live, *TOOLS), 60,
         lambda: str(host_processes(w.live, *TOOLS)))
    assert [p.name for p in w.tmp.iterdir() if p.name.startswith("nuage-nbd-")] == []
    return statuses


def snapshots_in_file(w: World, volume_id: str) -> set[str]:
    """The internal snapshots the volume's qcow2 holds (metadata: no key needed)."""
    out = subprocess.run(
        ["qemu-img", "info", "-U", "--output=json", "-f", "qcow2",
         str(w.live.state_dir / "volumes" / f"{volume_id}.qcow2")],
        capture_output=True, text=True, check=True, timeout=60).stdout
    return {str(s["name"]) for s in json.loads(out).get("snapshots", [])}


def new_volume(w: World, name: str) -> str:
    volume = w.cloud.create_volume(name)
    w.cloud.wait_volume(volume, "available")
    return volume


def test_crash_right_after_an_attach(world: World) -> None:
    volume = new_volume(world, "attach-now")
    world.cloud.attach(world.server, volume)
    world.crash()
    statuses = assert_consistent(world)
    # The attach was acknowledged: it is finished, not undone.
    assert statuses[volume] == "in-use"


def test_crash_right_after_a_detach(world: World) -> None:
    volume = new_volume(world, "detach-now")
    world.cloud.attach(world.server, volume)
    world.cloud.wait_volume(volume, "in-use")
    world.cloud.detach(world.server, volume)
    world.crash()
    assert assert_consistent(world)[volume] == "available"


def test_crash_right_after_a_snapshot(world: World) -> None:
    volume = new_volume(world, "snapshot-now")
    snapshot = world.cloud.create_snapshot(volume)
    world.crash()
    assert_consistent(world)
    assert world.cloud.snapshot(snapshot)["status"] == "available"
    assert snapshot in snapshots_in_file(world, volume)


def test_crash_right_after_a_forced_snapshot(world: World) -> None:
    volume = new_volume(world, "forced-snapshot-now")
    world.cloud.attach(world.server, volume)
    world.cloud.wait_volume(volume, "in-use")
    snapshot = world.cloud.create_snapshot(volume, force=True)
    world.crash()
    assert assert_consistent(world)[volume] == "in-use"
    assert world.cloud.snapshot(snapshot)["status"] == "available"
    assert snapshot in snapshots_in_file(world, volume)


def test_crash_while_a_backup_reads(world: World) -> None:
    volume = new_volume(world, "backup-now")
    backup = world.cloud.create_backup(volume)
    wait_for_tool(world.live, "qemu-nbd", "--read-only")
    world.crash()
    assert_consistent(world)
    assert world.cloud.backup(backup)["status"] == "available"


def test_crash_right_after_a_backup_of_an_attached_volume(world: World) -> None:
    volume = new_volume(world, "backup-attached")
    world.cloud.attach(world.server, volume)
    world.cloud.wait_volume(volume, "in-use")
    backup = world.cloud.create_backup(volume, force=True)
    world.crash()
    assert assert_consistent(world)[volume] == "in-use"
    assert world.cloud.backup(backup)["status"] == "available"


def test_crash_while_a_clone_is_copied(world: World) -> None:
    source = new_volume(world, "source")
    clone = world.cloud.create_volume("clone", source_volid=source)
    wait_for_tool(world.live, "qemu-img", "convert")
    world.crash()
    statuses = assert_consistent(world)
    assert statuses[clone] == statuses[source] == "available"


def test_crash_while_attaching_and_detaching_at_once(world: World) -> None:
    """Two operations on the guest in flight together: one attach, one detach."""
    staying = new_volume(world, "coming")
    going = new_volume(world, "going")
    world.cloud.attach(world.server, going)
    world.cloud.wait_volume(going, "in-use")
    world.cloud.attach(world.server, staying)
    world.cloud.detach(world.server, going)
    time.sleep(0.3)
    world.crash()
    statuses = assert_consistent(world)
    assert (statuses[staying], statuses[going]) == ("in-use", "available")


def test_crash_while_a_volume_is_created(world: World) -> None:
    """qemu-img create spends seconds on LUKS's PBKDF2 benchmark: a `.part` is on disk."""
    volume = world.cloud.create_volume("created-now")
    wait_for_tool(world.live, "qemu-img", "create")
    world.crash()
    assert assert_consistent(world)[volume] == "available"


def test_crash_while_a_forced_backup_reads_an_attached_volume(world: World) -> None:
    volume = new_volume(world, "backup-attached-reading")
    world.cloud.attach(world.server, volume)
    world.cloud.wait_volume(volume, "in-use")
    backup = world.cloud.create_backup(volume, force=True)
    wait_for_tool(world.live, "qemu-nbd", "--read-only")
    world.crash()
    assert assert_consistent(world)[volume] == "in-use"
    assert world.cloud.backup(backup)["status"] == "available"


def test_crash_while_a_restore_writes(world: World) -> None:
    volume = new_volume(world, "restore-source")
    backup = world.cloud.create_backup(volume)
    world.cloud.wait_backup(backup)
    target = world.cloud.cinder("POST", f"backups/{backup}/restore", {"restore": {}},
                                202)["restore"]["volume_id"]
    wait_for_tool(world.live, "qemu-nbd", "--socket")
    world.crash()
    assert assert_consistent(world)[target] == "available"
    assert world.cloud.backup(backup)["status"] == "available"
