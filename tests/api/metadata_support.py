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

import httpx
import uvicorn

from nuage.api.metadata.listener import bind_unix, close_unix
from nuage.bootstrap import Cloud


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
