"""Servers through openstacksdk (as Terraform- and Ansible-style tooling drives them),
booting a real guest: create with user-data and a keypair, wait, console, metadata,
actions, instance actions, quota refusal, and delete."""

from __future__ import annotations

import base64
import time
from typing import Any

import openstack.connection
import openstack.exceptions
import pytest

from tests.compat.conftest import unique

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
    image = conn.image.find_image("nuage-guest")
    flavor = conn.compute.find_flavor("m1.tiny")
    assert image is not None and flavor is not None
    key = conn.compute.create_keypair(name=unique("sdk"), public_key=PUBLIC_KEY)
    marker = unique("sdk-user-data")
    user_data = base64.b64encode(f"#!/bin/sh\necho {marker}\n".encode()).decode()
    server = conn.compute.create_server(
        name=unique("sdk-vm"), image_id=image.id, flavor_id=flavor.id, key_name=key.name,
        user_data=user_data, metadata={"owner": "sdk"}, networks="none")
    try:
        server = conn.compute.wait_for_server(server, status="ACTIVE", wait=180)
        assert server.power_state == 1 and server.metadata == {"owner": "sdk"}
        console(conn, server, marker)

        conn.compute.set_server_metadata(server, tier="gold")
        assert conn.compute.get_server_metadata(server).metadata["tier"] == "gold"

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

        actions = [a.action for a in conn.compute.server_actions(server)]
        for expected in ("create", "stop", "start", "pause", "unpause"):
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
    image = conn.image.find_image("nuage-guest")
    assert image is not None
    before = {s.id for s in conn.compute.servers()}
    with pytest.raises(openstack.exceptions.BadRequestException):
        conn.compute.create_server(name="x", image_id=image.id, flavor_id="no-such",
                                   networks="none")
    with pytest.raises(openstack.exceptions.BadRequestException):
        conn.compute.create_server(name="x", image_id="00000000-0000-0000-0000-000000000000",
                                   flavor_id="1", networks="none")
    assert {s.id for s in conn.compute.servers()} == before
