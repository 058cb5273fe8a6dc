"""The metadata service served as `nuage up` serves it: uvicorn on a unix socket (0600),
in a thread, and an httpx client speaking over that socket, as the proxies do."""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from nuage.api.metadata.listener import bind_unix, close_unix
from nuage.bootstrap import Cloud
from tests.api.compute_servers import Servers
from tests.api.conftest import Api
from tests.api.network_support import Neutron


@contextmanager
def serving(cloud: Cloud, path: Path | None = None) -> Iterator[Path]:
    """The cloud's metadata app on a unix socket (a short path: sun_path holds 108 bytes,
    a pytest tmp_path can be longer); yields the socket's path."""
    with tempfile.TemporaryDirectory(prefix="md-", dir="/tmp") as short:
        where = path or Path(short) / "metadata.sock"
        sock = bind_unix(where)
        server = uvicorn.Server(uvicorn.Config(cloud.metadata_app(), log_level="warning",
                                               access_log=False))
        thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])),
                                  daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not server.started:
                assert time.monotonic() < deadline and thread.is_alive(), "did not start"
                time.sleep(0.01)
            yield where
        finally:
            server.should_exit = True
            thread.join(10)
            close_unix(sock, where)


def client(path: Path) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(uds=str(path)),
                        base_url="http://169.254.169.254", timeout=10)


def as_guest(http: httpx.Client, path: str, address: str, *, network_id: str | None = None,
             router_id: str | None = None) -> httpx.Response:
    """A request as a proxy forwards it: through a network or a router, from `address`."""
    headers = {"X-Forwarded-For": address}
    if network_id:
        headers["X-Nuage-Network-Id"] = network_id
    if router_id:
        headers["X-Nuage-Router-Id"] = router_id
    return http.get(path, headers=headers)


class Tenant:
    """A project with a member, a network 10.0.0.0/24 and a server with a port on it."""

    def __init__(self, api: Api, servers: Servers, name: str, address: str = "10.0.0.5",
                 **server: Any) -> None:
        self.project_id, self.token = servers.nova.member()
        self.neutron = Neutron(api, self.token)
        # The server first: made while its project has no network, it gets no NIC of its
        # own (Nova's "auto"), only the port made below with a chosen address.
        self.server_id = servers.active(self.token, name=name, **server)
        self.network = self.neutron.network(name=f"net-{name}")
        self.subnet = self.neutron.subnet(self.network["id"], "10.0.0.0/24",
                                          dns_nameservers=["10.0.0.53"])
        self.port = self.neutron.make("port", network_id=self.network["id"],
                                      device_id=self.server_id, device_owner="compute:nova",
                                      fixed_ips=[{"subnet_id": self.subnet["id"],
                                                  "ip_address": address}])
        self.address = address

    def get(self, http: httpx.Client, path: str) -> httpx.Response:
        return as_guest(http, path, self.address, network_id=self.network["id"])
