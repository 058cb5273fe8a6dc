"""Servers for the in-process compute tests: a registered host (no agent runs, so servers
stay where the test puts them) and an image to boot."""

from __future__ import annotations

from typing import Any

from nuage.ports.hypervisor import HostCapabilities
from tests.api.compute_support import Nova
from tests.api.conftest import AGENT_HOST
from tests.api.test_images import Glance

HOST = AGENT_HOST
KERNEL = "6b1a0e3c-9a8f-4a5e-8c52-1f0a3c2b9d01"
RAMDISK = "0f6e4d2c-7b3a-4c1d-9e8f-2a1b3c4d5e6f"


class Servers:
    def __init__(self, nova: Nova) -> None:
        self.nova = nova
        cloud = nova.api.cloud
        cloud.compute.hosts.register(HostCapabilities(HOST, "tcg", 8, 16384, 200))
        glance = Glance(nova.api)
        # The kernel and ramdisk the image names: a create checks they exist for the
        # booting project.
        for part, fmt in ((KERNEL, "aki"), (RAMDISK, "ari")):
            glance.create(id=part, name=fmt, disk_format=fmt, container_format=fmt,
                          visibility="public")
            glance.upload(part, b"\1" * 1024)
        image = glance.create(name="boot", disk_format="raw", container_format="bare",
                              visibility="public", kernel_id=KERNEL, ramdisk_id=RAMDISK)
        glance.upload(image["id"], b"\0" * 4096)
        self.image_id = str(image["id"])

    def create(self, token: str | None = None, nova: Nova | None = None,
               **fields: Any) -> dict[str, Any]:
        body = {"name": "vm", "imageRef": self.image_id, "flavorRef": "1", **fields}
        r = (nova or self.nova).post("/servers", {"server": body}, token)
        assert r.status_code == 202, r.text
        return dict(r.json()["server"])

    def settle(self, server_id: str, vm_state: str = "active",
               task_state: str | None = None) -> None:
        """What the agent would do: the server reaches `vm_state`."""
        with self.nova.api.cloud.compute_ports.uow(write=True) as uow:
            server = uow.servers.get(server_id)
            assert server is not None
            server.vm_state, server.task_state = vm_state, task_state
            if vm_state == "active" and server.launched_at is None:
                server.launched_at = server.created_at
            uow.commit()

    def active(self, token: str | None = None, nova: Nova | None = None,
               **fields: Any) -> str:
        sid = str(self.create(token, nova, **fields)["id"])
        self.settle(sid)
        return sid
