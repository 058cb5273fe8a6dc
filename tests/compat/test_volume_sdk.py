"""Cinder v3 through openstacksdk against a live nuage with its volume agent and a real
guest: the block-storage proxy (create, get, list, extend, snapshots, deletes) and the
cloud layer as Ansible- and Terraform-style tools call it (create/attach/detach with
waits, snapshot, backup, limits, boot from volume), each with the SDK's own defaults
(no microversion forced)."""

from __future__ import annotations

import json
import time
from typing import Any

import openstack.connection
import pytest

from tests.compat.conftest import image_v2, unique
from tests.support.qemu import needs_qemu

pytestmark = [pytest.mark.compat, pytest.mark.slow, needs_qemu]

# Generous: the host's two cores are shared with TCG guests.
TIMEOUT = 300
SERIAL = 20   # a guest sees a volume's id's first 20 characters as the disk's serial


def console_shows(conn: openstack.connection.Connection, server: Any, needle: str,
                  timeout: float = TIMEOUT) -> str:
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        out = str(conn.compute.get_server_console_output(server)["output"])
        if needle in out:
            return out
        time.sleep(2)
    raise AssertionError(f"{needle!r} not in the console:\n{out[-3000:]}")


def volume_of(conn: openstack.connection.Connection, volume_id: str) -> Any:
    """The cloud layer's volume, which must exist."""
    volume = conn.get_volume(volume_id)
    assert volume is not None, volume_id
    return volume


def wait_volume(conn: openstack.connection.Connection, volume_id: str, status: str) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while (volume := volume_of(conn, volume_id)).status != status:
        assert time.monotonic() < deadline, volume
        time.sleep(2)
    return volume


@pytest.mark.timeout(1200)
def test_block_storage_proxy(admin_conn: openstack.connection.Connection) -> None:
    bs = admin_conn.block_storage
    name = unique("sdk-vol")
    volume = bs.create_volume(size=1, name=name)
    volume = bs.wait_for_status(volume, "available", failures=["error"], wait=TIMEOUT)
    assert bs.get_volume(volume.id).size == 1
    assert volume.id in {v.id for v in bs.volumes(details=True)}
    assert volume.id in {v.id for v in bs.volumes(name=name)}

    bs.extend_volume(volume.id, 2)
    deadline = time.monotonic() + TIMEOUT
    while bs.get_volume(volume.id).size != 2 or bs.get_volume(volume.id).status != "available":
        assert time.monotonic() < deadline, bs.get_volume(volume.id)
        time.sleep(2)

    snapshot = bs.create_snapshot(volume_id=volume.id, name=unique("sdk-snap"))
    snapshot = bs.wait_for_status(snapshot, "available", failures=["error"], wait=TIMEOUT)
    assert snapshot.volume_id == volume.id and snapshot.size == 2
    assert snapshot.id in {s.id for s in bs.snapshots(details=True)}

    bs.delete_snapshot(snapshot.id)
    bs.wait_for_delete(snapshot, wait=TIMEOUT)
    bs.delete_volume(volume.id)
    bs.wait_for_delete(volume, wait=TIMEOUT)


@pytest.mark.timeout(1800)
def test_cloud_layer_attach_snapshot_backup(admin_conn: openstack.connection.Connection,
                                            volume_server: Any) -> None:
    conn = admin_conn
    volume = conn.create_volume(1, wait=True, timeout=TIMEOUT, name=unique("cloud-vol"))
    assert volume.status == "available"
    assert volume.id in {v.id for v in conn.list_volumes()}
    limits = conn.get_volume_limits()
    assert limits.absolute.max_total_volumes >= 1

    attachment = conn.attach_volume(volume_server, volume, wait=True, timeout=TIMEOUT)
    assert attachment.volume_id == volume.id
    attached = volume_of(conn, volume.id)
    assert attached.status == "in-use"
    assert [a["server_id"] for a in attached.attachments] == [volume_server.id]
    console_shows(conn, volume_server, f"serial={volume.id[:SERIAL]}")

    conn.detach_volume(volume_server, volume, wait=True, timeout=TIMEOUT)
    assert volume_of(conn, volume.id).status == "available"

    snapshot = conn.create_volume_snapshot(volume.id, wait=True, timeout=TIMEOUT,
                                           name=unique("cloud-snap"))
    assert snapshot.status == "available"
    backup = conn.create_volume_backup(volume.id, wait=True, timeout=TIMEOUT,
                                       name=unique("cloud-bk"))
    assert backup.status == "available"
    assert backup.id in {b.id for b in conn.list_volume_backups()}

    assert conn.delete_volume_backup(backup.id, wait=True, timeout=TIMEOUT)
    assert conn.delete_volume_snapshot(snapshot.id, wait=True, timeout=TIMEOUT)
    assert conn.delete_volume(volume.id, wait=True, timeout=TIMEOUT)
    assert conn.get_volume(volume.id) is None


@pytest.mark.timeout(1800)
def test_cloud_layer_boots_from_volume(admin_conn: openstack.connection.Connection) -> None:
    conn = admin_conn
    flavor = min(conn.compute.flavors(), key=lambda f: (f.ram, f.vcpus))
    image = image_v2(conn).find_image("nuage-guest", ignore_missing=False)
    # create_server(wait=True) deletes a server that becomes ACTIVE without an address,
    # and the shared live cloud runs no datapath, so no NIC: the SDK's block device
    # mapping is what is under test, the wait is compute's.
    server = conn.create_server(unique("bfv"), image=image, flavor=flavor,
                                boot_from_volume=True, volume_size=1, wait=False)
    try:
        server = conn.compute.wait_for_server(server, status="ACTIVE", wait=900)
        console_shows(conn, server, "nuage-guest: ready", 900)
        attached = conn.compute.volume_attachments(server)
        root = [a.volume_id for a in attached]
        assert len(root) == 1
        volume = volume_of(conn, root[0])
        assert volume.status == "in-use" and volume.is_bootable
        assert volume.size == 1
    finally:
        conn.delete_server(server.id, wait=True, timeout=TIMEOUT)
    # The SDK's default keeps the root volume (delete_on_termination false): it is freed.
    wait_volume(conn, root[0], "available")
    assert conn.delete_volume(root[0], wait=True, timeout=TIMEOUT)


@pytest.mark.timeout(1800)
def test_snapshot_of_a_volume_backed_server_boots_new_volumes(
        admin_conn: openstack.connection.Connection) -> None:
    """createImage of a volume-backed server (Nova's snapshot_volume_backed): the root
    volume's snapshot is taken through the guest's QEMU, the image has no data and names
    it; a server created from that image gets a new volume made from the snapshot. One
    guest at a time: the second server is deleted once its volume is made."""
    conn = admin_conn
    flavor = min(conn.compute.flavors(), key=lambda f: (f.ram, f.vcpus))
    image = image_v2(conn).find_image("nuage-guest", ignore_missing=False)
    server = conn.create_server(unique("bfv-snap"), image=image, flavor=flavor,
                                boot_from_volume=True, volume_size=1, wait=False)
    made: list[str] = []
    try:
        server = conn.compute.wait_for_server(server, status="ACTIVE", wait=900)
        [root] = [a.volume_id for a in conn.compute.volume_attachments(server)]
        snap_image = conn.compute.create_server_image(server, unique("bfv-image"))
        shown = image_v2(conn).get_image(snap_image.id)
        assert (shown.status, shown.size) == ("active", 0)
        props = shown.properties
        [mapping] = json.loads(props["block_device_mapping"])
        assert (mapping["source_type"], mapping["boot_index"]) == ("snapshot", 0)
        assert str(props["bdm_v2"]) == "True" and props["root_device_name"] == "/dev/vda"
        deadline = time.monotonic() + TIMEOUT
        while (snap := conn.block_storage.get_snapshot(mapping["snapshot_id"])
               ).status != "available":
            assert snap.status == "creating" and time.monotonic() < deadline, snap
            time.sleep(2)
        assert snap.volume_id == root
    finally:
        conn.delete_server(server.id, wait=True, timeout=TIMEOUT)
    wait_volume(conn, root, "available")
    second = conn.compute.create_server(name=unique("from-snap"), image_id=snap_image.id,
                                        flavor_id=flavor.id, networks="none")
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (made := [a.volume_id for a in conn.compute.volume_attachments(second)]):
            assert time.monotonic() < deadline
            time.sleep(2)
        [new] = made
        volume = volume_of(conn, new)
        assert volume.snapshot_id == snap.id
        while (volume := volume_of(conn, new)).status == "creating":
            assert time.monotonic() < deadline, volume
            time.sleep(2)
        assert volume.status in ("attaching", "in-use"), volume
    finally:
        conn.compute.delete_server(second, ignore_missing=True)
        conn.compute.wait_for_delete(second, wait=600)
    image_v2(conn).delete_image(snap_image.id)
    for volume_id in made:
        wait_volume(conn, volume_id, "available")
        assert conn.delete_volume(volume_id, wait=True, timeout=TIMEOUT)
    # A volume with snapshots is not deleted (Cinder's 400): the snapshot first.
    assert conn.delete_volume_snapshot(snap.id, wait=True, timeout=TIMEOUT)
    assert conn.delete_volume(root, wait=True, timeout=TIMEOUT)
