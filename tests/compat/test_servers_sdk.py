"""Servers through openstacksdk (as Terraform- and Ansible-style tooling drives them),
booting a real guest: create with user-data and a keypair, wait, console, metadata,
actions, instance actions, quota refusal, and delete. The SDK negotiates the highest
microversion both sides have (2.26 for servers, 2.10 for key pairs), so this also drives
description, tags, lock and trigger_crash_dump as the SDK sends them."""

from __future__ import annotations

import base64
import time
from typing import Any

import openstack.connection
import openstack.exceptions
import pytest

from tests.compat.conftest import image_v2, unique

pytestmark = [pytest.mark.compat, pytest.mark.slow]

PUBLIC_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
              " sdk@nuage")


def console(conn: openstack.connection.Connection, server: Any, needle: str,
            timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        out = conn.compute.get_server_console_output(server)["output"]
        if needle in out:
            return str(out)
        time.sleep(1)
    raise AssertionError(f"{needle!r} not in console:\n{out[-2000:]}")


def test_server_lifecycle_with_the_sdk(admin_conn: openstack.connection.Connection) -> None:
    conn = admin_conn
    image = image_v2(conn).find_image("nuage-guest")
    flavor = conn.compute.find_flavor("m1.tiny")
    assert image is not None and flavor is not None
    key = conn.compute.create_keypair(name=unique("sdk"), public_key=PUBLIC_KEY)
    marker = unique("sdk-user-data")
    user_data = base64.b64encode(f"#!/bin/sh\necho {marker}\n".encode()).decode()
    server = conn.compute.create_server(
        name=unique("sdk-vm"), image_id=image.id, flavor_id=flavor.id, key_name=key.name,
        user_data=user_data, metadata={"owner": "sdk"}, networks="none",
        description="made by the sdk")
    try:
        server = conn.compute.wait_for_server(server, status="ACTIVE", wait=180)
        assert server.power_state == 1 and server.metadata == {"owner": "sdk"}
        console(conn, server, marker)

        conn.compute.set_server_metadata(server, tier="gold")
        assert conn.compute.get_server_metadata(server).metadata["tier"] == "gold"

        # 2.19 and 2.26, as the SDK speaks them.
        assert server.description == "made by the sdk" and server.tags == []
        conn.compute.add_tag_to_server(server, "blue")
        server.set_tags(conn.compute, ["red", "green"])
        conn.compute.remove_tag_from_server(server, "red")
        assert conn.compute.get_server(server).tags == ["green"]
        assert [s.id for s in conn.compute.servers(tags="green")] == [server.id]
        assert [s.id for s in conn.compute.servers(not_tags="green", name=server.name)] == []
        conn.compute.update_server(server, description="changed")
        assert conn.compute.get_server(server).description == "changed"
        conn.compute.lock_server(server)
        assert conn.compute.get_server(server).is_locked is True
        conn.compute.unlock_server(server)
        assert conn.compute.get_server(server).is_locked is False

        conn.compute.stop_server(server)
        conn.compute.wait_for_server(server, status="SHUTOFF", wait=120)
        conn.compute.start_server(server)
        conn.compute.wait_for_server(server, status="ACTIVE", wait=120)
        conn.compute.pause_server(server)
        conn.compute.wait_for_server(server, status="PAUSED", wait=60)
        with pytest.raises(openstack.exceptions.ConflictException):
            conn.compute.stop_server(server)   # not allowed while paused
        conn.compute.unpause_server(server)
        conn.compute.wait_for_server(server, status="ACTIVE", wait=60)

        # 2.17: an NMI reaches the running guest, whose kernel says so on the console.
        conn.compute.trigger_server_crash_dump(server)
        console(conn, server, "NMI")

        actions = [a.action for a in conn.compute.server_actions(server)]
        for expected in ("create", "stop", "start", "pause", "unpause", "lock", "unlock",
                         "trigger_crash_dump"):
            assert expected in actions
        found = [s.id for s in conn.compute.servers(name=server.name)]
        assert found == [server.id]
    finally:
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=120)
        conn.compute.delete_keypair(key)
    with pytest.raises(openstack.exceptions.ResourceNotFound):
        conn.compute.get_server(server.id)


def test_unknown_flavor_and_image_are_bad_requests(
        admin_conn: openstack.connection.Connection) -> None:
    conn = admin_conn
    image = image_v2(conn).find_image("nuage-guest")
    assert image is not None
    before = {s.id for s in conn.compute.servers()}
    with pytest.raises(openstack.exceptions.BadRequestException):
        conn.compute.create_server(name="x", image_id=image.id, flavor_id="no-such",
                                   networks="none")
    with pytest.raises(openstack.exceptions.BadRequestException):
        conn.compute.create_server(name="x", image_id="00000000-0000-0000-0000-000000000000",
                                   flavor_id="1", networks="none")
    assert {s.id for s in conn.compute.servers()} == before
