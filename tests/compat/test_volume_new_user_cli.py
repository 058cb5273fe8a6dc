"""Issue 11's new user, with the plain `openstack` CLI after `nuage up`: a 1 GB volume is
attached to a running server, whose guest finds the new disk and writes to it (its
console says what it wrote); detached, attached to a second server, which reads the
same bytes back (its console); a snapshot, a volume cloned from it, extended; a backup
to object storage restored into a new volume whose content is the same (the second
server reads it); everything deleted with the CLI."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.compat.conftest import cli_json, run_cli, unique
from tests.support.live import LiveNuage
from tests.support.live_network import BOOT_TIMEOUT, wait
from tests.support.qemu import needs_qemu

pytestmark = [pytest.mark.compat, pytest.mark.slow, needs_qemu]

# The guest names a virtio disk by its serial: the volume id's first 20 characters.
SERIAL = 20
VOLUME_TIMEOUT = 120.0

# Waits for the disk whose serial is {serial}, makes an ext2 filesystem on it (busybox
# mke2fs; the kernel's ext4 mounts it), writes a file there and reads it back, unmounted
# before the detach.
WRITER = """#!/bin/sh
(
for i in $(seq 1 900); do
  for d in /sys/block/vd*; do
    [ "$(cat $d/serial 2>/dev/null)" = "{serial}" ] || continue
    dev=/dev/${{d##*/}}
    mke2fs -q $dev > /dev/null 2>&1 || echo "NUAGE-MKFS-FAILED $dev"
    mkdir -p /mnt/vol
    mount -t ext4 $dev /mnt/vol || echo "NUAGE-MOUNT-FAILED $dev"
    echo "NUAGE-DATA {marker}" > /mnt/vol/hello.txt
    sync
    echo "NUAGE-WROTE {serial} $(cat /mnt/vol/hello.txt)"
    umount /mnt/vol
    sync
    echo "NUAGE-UNMOUNTED {serial}"
    exit 0
  done
  sleep 1
done
echo NUAGE-WRITE-TIMEOUT
) > /dev/console 2>&1 &
"""

# Mounts every disk that appears (read-only, once per serial: the attached volume, later
# the restored one) and reports the file on it; the root disk has no filesystem to mount.
# Written as it is (no str.format): single braces.
READER = """#!/bin/sh
(
seen=" "
mkdir -p /mnt/vol
for i in $(seq 1 3600); do
  for d in /sys/block/vd*; do
    s=$(cat $d/serial 2>/dev/null)
    [ -n "$s" ] || continue
    case "$seen" in *" $s "*) continue ;; esac
    seen="$seen$s "
    if mount -o ro -t ext4 /dev/${d##*/} /mnt/vol 2>/dev/null; then
      echo "NUAGE-READ $s $(cat /mnt/vol/hello.txt)"
      umount /mnt/vol
      echo "NUAGE-UNMOUNTED $s"
    fi
  done
  sleep 1
done
) > /dev/console 2>&1 &
"""


@pytest.mark.timeout(1800)
def test_a_new_user_attaches_snapshots_and_backs_up_a_volume_with_the_cli(
        live_nuage: LiveNuage, admin_env: dict[str, str], tmp_path: Path) -> None:
    env = admin_env

    def cli(*args: str) -> Any:
        return cli_json(env, *args)

    def status_is(kind: str, ident: str, status: str) -> Callable[[], bool]:
        return lambda: cli(*kind.split(), "show", ident)["status"] == status

    def console(server_id: str) -> str:
        return str(run_cli(env, "console", "log", "show", server_id).stdout)

    marker = secrets.token_hex(8)
    volume = cli("volume", "create", "--size", "1", unique("vol"))
    wait("the volume available", status_is("volume", volume["id"], "available"),
         VOLUME_TIMEOUT)
    assert cli("volume", "show", volume["id"])["size"] == 1

    flavor = min(cli("flavor", "list"), key=lambda f: (f["RAM"], f["Disk"]))["ID"]
    writer_data, reader_data = tmp_path / "writer.sh", tmp_path / "reader.sh"
    writer_data.write_text(WRITER.format(serial=volume["id"][:SERIAL], marker=marker))
    reader_data.write_text(READER)
    servers = [cli("server", "create", "--image", "nuage-guest", "--flavor", flavor,
                   "--user-data", str(data), "--wait", unique(name))["id"]
               for name, data in (("writer", writer_data), ("reader", reader_data))]
    first, second = servers

    # Attached to the first server: the guest finds the disk and writes the marker.
    run_cli(env, "server", "add", "volume", first, volume["id"])
    wait("the volume in-use", status_is("volume", volume["id"], "in-use"), VOLUME_TIMEOUT)
    attachments = cli("volume", "show", volume["id"])["attachments"]
    assert [a["server_id"] for a in attachments] == [first]
    # Unmounted before the detach, as a user would.
    wait("the writer's console", lambda: "NUAGE-UNMOUNTED" in console(first), BOOT_TIMEOUT,
         lambda: console(first))
    assert f"NUAGE-WROTE {volume['id'][:SERIAL]} NUAGE-DATA {marker}" in console(first)

    # Detached, attached to the second: it reads the same bytes.
    run_cli(env, "server", "remove", "volume", first, volume["id"])
    wait("the volume detached", status_is("volume", volume["id"], "available"),
         VOLUME_TIMEOUT)
    run_cli(env, "server", "add", "volume", second, volume["id"])
    read = re.compile(rf"NUAGE-READ {volume['id'][:SERIAL]} NUAGE-DATA {marker}\n"
                      rf"[\s\S]*NUAGE-UNMOUNTED {volume['id'][:SERIAL]}")
    wait("the reader's console", lambda: read.search(console(second)) is not None,
         BOOT_TIMEOUT, lambda: console(second))
    run_cli(env, "server", "remove", "volume", second, volume["id"])
    wait("the volume detached again", status_is("volume", volume["id"], "available"),
         VOLUME_TIMEOUT)

    # A snapshot, a clone of it, extended.
    snapshot = cli("volume", "snapshot", "create", "--volume", volume["id"], unique("snap"))
    wait("the snapshot available", status_is("volume snapshot", snapshot["id"], "available"),
         VOLUME_TIMEOUT)
    clone = cli("volume", "create", "--snapshot", snapshot["id"], "--size", "1",
                unique("clone"))
    wait("the clone available", status_is("volume", clone["id"], "available"),
         VOLUME_TIMEOUT)
    run_cli(env, "volume", "set", "--size", "2", clone["id"])
    wait("the clone extended", lambda: cli("volume", "show", clone["id"])["size"] == 2
         and cli("volume", "show", clone["id"])["status"] == "available", VOLUME_TIMEOUT)

    # A backup, restored into a new volume that the second server reads.
    backup = cli("volume", "backup", "create", "--name", unique("bk"), volume["id"])
    wait("the backup available", status_is("volume backup", backup["id"], "available"),
         VOLUME_TIMEOUT)
    restored_name = unique("restored")
    run_cli(env, "volume", "backup", "restore", backup["id"], restored_name)
    restored = cli("volume", "show", restored_name)
    wait("the restored volume available", status_is("volume", restored["id"], "available"),
         VOLUME_TIMEOUT)
    run_cli(env, "server", "add", "volume", second, restored["id"])
    read_again = re.compile(rf"NUAGE-READ {restored['id'][:SERIAL]} NUAGE-DATA {marker}")
    wait("the restored content", lambda: read_again.search(console(second)) is not None,
         BOOT_TIMEOUT, lambda: console(second))
    # The clone of the snapshot has the file too, on a disk of its new size.
    run_cli(env, "server", "add", "volume", second, clone["id"])
    read_clone = re.compile(rf"NUAGE-READ {clone['id'][:SERIAL]} NUAGE-DATA {marker}")
    wait("the clone's content", lambda: read_clone.search(console(second)) is not None,
         BOOT_TIMEOUT, lambda: console(second))
    assert (f"added serial={clone['id'][:SERIAL]} size={2 * 1024 ** 3}"
            in console(second))
    # The detach earlier showed as a removal only (not as a resize to 0 first).
    assert "resized size=0" not in console(second)

    # Everything goes, with the CLI.
    run_cli(env, "server", "delete", "--wait", first, second)
    wait("the restored volume detached by the delete",
         status_is("volume", restored["id"], "available"), VOLUME_TIMEOUT)
    wait("the clone detached by the delete",
         status_is("volume", clone["id"], "available"), VOLUME_TIMEOUT)
    run_cli(env, "volume", "backup", "delete", backup["id"])
    run_cli(env, "volume", "snapshot", "delete", snapshot["id"])
    wait("the snapshot gone", lambda: snapshot["id"] not in {
        s["ID"] for s in cli("volume", "snapshot", "list")}, VOLUME_TIMEOUT)
    run_cli(env, "volume", "delete", volume["id"], clone["id"], restored["id"])
    mine = {volume["id"], clone["id"], restored["id"]}
    wait("the volumes gone", lambda: not mine & {v["ID"] for v in cli("volume", "list")},
         VOLUME_TIMEOUT)
    wait("the backup gone", lambda: backup["id"] not in {
        b["ID"] for b in cli("volume", "backup", "list")}, VOLUME_TIMEOUT)
