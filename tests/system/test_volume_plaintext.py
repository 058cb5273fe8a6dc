"""No plaintext on disk (issue 11): a real guest writes a known pattern (a random 16-byte
marker, repeated over 4 MiB) to its attached volume; the volume is snapshotted (forced,
through QEMU), cloned from that snapshot, backed up (forced) and the backup restored into a
new volume, whose content the guest reads back. Then no file under the state directory
(volumes, backup blobs, database, logs, the guests' files) nor in the server's TMPDIR holds
the marker, and no file and no process's command line or environment holds any volume or
backup key (raw, base64, hex)."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.drivers.kms_local.keystore import LocalKeyStore
from tests.support.live import LiveNuage
from tests.support.live_volumes import Cloud, all_cmdlines, query

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
PATTERN_SIZE = 4 * MiB


def guest_script(marker: bytes) -> str:
    """User-data that writes the marker, repeated, over the first 4 MiB of vdb and prints
    the md5 of what vdb then holds; then does the same read of vdc when it comes. The marker
    is in the script only as printf's octal escapes: neither the script (kept in the
    database and on the config drive) nor the console holds its bytes."""
    octal = "".join(f"\\{b:03o}" for b in marker)
    doublings = (PATTERN_SIZE // len(marker)).bit_length() - 1
    return f"""#!/bin/sh
printf '{octal}' > /tmp/p
i=0
while [ $i -lt {doublings} ]; do cat /tmp/p /tmp/p > /tmp/q; mv /tmp/q /tmp/p; i=$((i+1)); done
while [ ! -b /dev/vdb ]; do sleep 1; done
dd if=/tmp/p of=/dev/vdb bs=1M conv=fsync 2>/dev/null
rm /tmp/p
echo "nuage-test: vdb $(dd if=/dev/vdb bs=1M count=4 2>/dev/null | md5sum)" > /dev/console
while [ ! -b /dev/vdc ]; do sleep 1; done
echo "nuage-test: vdc $(dd if=/dev/vdc bs=1M count=4 2>/dev/null | md5sum)" > /dev/console
"""


class CmdlineWatch:
    """Every process's command line and environment seen while the operations run
    (qemu-img and qemu-nbd live only for a call: a look at the end would miss them)."""

    def __init__(self) -> None:
        self.seen: set[bytes] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            self.seen.update(all_cmdlines(environ=True).values())
            self.stop.wait(0.05)

    def __enter__(self) -> CmdlineWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.seen.update(all_cmdlines(environ=True).values())


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNuage]:
    root = tmp_path_factory.mktemp("volume-plaintext")
    (root / "tmp").mkdir()
    server = LiveNuage(root / "state", extra_env={"TMPDIR": str(root / "tmp")})
    server.start(timeout=240)
    try:
        yield server
    finally:
        server.close()


def files_under(*roots: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for root in roots for p in sorted(root.rglob("*"))
            if p.is_file()}


def keys(live: LiveNuage, project: str) -> dict[str, bytes]:
    """Every volume's and backup's key, unwrapped as the volume service does."""
    store = LocalKeyStore(live.state_dir / "master.key")
    found = {}
    for table in ("volumes", "volume_backups"):
        for ident, wrapped in query(live, f"SELECT id, wrapped_key FROM {table}"):
            found[f"{table} {ident}"] = store.unwrap(project, wrapped)
    return found


def test_no_volume_plaintext_or_key_on_disk(live: LiveNuage) -> None:
    cloud = Cloud(live)
    marker = os.urandom(16)
    expected = hashlib.md5(marker * (PATTERN_SIZE // 16)).hexdigest()

    with CmdlineWatch() as watch:
        server = cloud.boot_guest("writer", guest_script(marker))
        volume = cloud.create_volume("data")
        cloud.wait_volume(volume, "available")
        cloud.attach(server, volume)
        cloud.wait_volume(volume, "in-use")
        console = cloud.wait_console(server, "nuage-test: vdb ")
        assert f"nuage-test: vdb {expected}" in console, "the guest did not write the pattern"

        snapshot = cloud.create_snapshot(volume, force=True)
        cloud.wait_snapshot(snapshot)
        clone = cloud.create_volume("clone", snapshot_id=snapshot)
        backup = cloud.create_backup(volume, force=True)
        cloud.wait_volume(clone, "available")
        cloud.wait_backup(backup)
        restored = cloud.create_volume("restored")
        cloud.wait_volume(restored, "available")
        cloud.cinder("POST", f"backups/{backup}/restore", {"restore": {"volume_id": restored}},
                     202)
        cloud.wait_volume(restored, "available")
        # The restored volume holds the pattern again: what we look for really is stored.
        cloud.attach(server, restored)
        console = cloud.wait_console(server, "nuage-test: vdc ")
        assert f"nuage-test: vdc {expected}" in console, "the restore lost the pattern"

    files = files_under(live.state_dir, Path(live.extra_env["TMPDIR"]))
    assert any("/volumes/" in name for name in files)
    assert any("/blobs/" in name for name in files), sorted(files)
    leaks = [name for name, data in files.items() if marker in data]
    assert not leaks, f"the guest's plaintext is in {leaks}"

    secrets: dict[str, bytes] = {}
    for label, key in keys(live, cloud.project).items():
        secrets[label] = key
        secrets[f"{label} (base64)"] = base64.b64encode(key)
        secrets[f"{label} (urlsafe base64)"] = base64.urlsafe_b64encode(key)
        secrets[f"{label} (hex)"] = key.hex().encode()
    assert len(secrets) == 4 * 4     # three volumes and a backup, four forms each
    for label, secret in secrets.items():
        holders = [name for name, data in files.items() if secret in data]
        assert not holders, f"{label} in {holders}"
        shown = [line for line in watch.seen if secret in line]
        assert not shown, f"{label} on a command line or in an environment: {shown}"
    # The watch did see the tools at work.
    assert any(b"qemu-img" in line for line in watch.seen)
