"""The metadata service's listener: a Starlette app `nuage up` serves on the unix socket
`state_dir / "metadata.sock"` (mode 0600, never a TCP port), which the datapath's metadata
proxies forward guests' requests to (drivers/linux_net/metadata_proxy.py).

Who asks is in two headers the proxy sets and never takes from the guest:
`X-Nuage-Network-Id` (the DHCP namespace's proxy) or `X-Nuage-Router-Id` (a router's),
and `X-Forwarded-For`, the guest's address. The services decide which server that is
(network: the port holding the address; compute: its server, of the port's project); this
adapter only translates paths into the trees of tree.py. Nothing found is a 404 that
says nothing about anyone.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.metadata.tree import (
    EC2_VERSIONS,
    OPENSTACK_VERSIONS,
    Answer,
    Guest,
    ec2,
    listing,
    openstack,
)
from nuage.api.middleware import OPENSTACK_IDS, listener_middleware
from nuage.services.compute.metadata import InstanceLookup
from nuage.services.network.metadata import GuestNetworking, MetadataLookup

log = logging.getLogger(__name__)

NETWORK_HEADER = "X-Nuage-Network-Id"
ROUTER_HEADER = "X-Nuage-Router-Id"
ADDRESS_HEADER = "X-Forwarded-For"


class Lookups:
    """The two areas' services the adapter asks, in this order."""

    def __init__(self, network: MetadataLookup, instances: InstanceLookup) -> None:
        self.network = network
        self.instances = instances

    def guest(self, network_id: str | None, router_id: str | None, address: str
              ) -> Guest | None:
        found: GuestNetworking | None
        if network_id:
            found = self.network.by_network(network_id, address)
        elif router_id:
            found = self.network.by_router(router_id, address)
        else:
            found = None
        if found is None:
            return None
        server = self.instances.instance(found.server_id, found.project_id)
        return None if server is None else Guest(server, found)


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status_code=status, media_type="text/plain; charset=utf-8")


def _answer(answer: Answer | None) -> Response:
    if answer is None:
        return _plain(404, "404 Not Found")
    return Response(answer.body, media_type=answer.media_type)


async def serve(request: Request) -> Response:
    lookups: Lookups = request.app.state.lookups
    parts = [p for p in request.url.path.split("/") if p]
    if not parts:
        return _answer(listing([*EC2_VERSIONS, "latest"]))
    if parts == ["openstack"]:
        return _answer(listing([*OPENSTACK_VERSIONS, "latest"]))
    network_id = request.headers.get(NETWORK_HEADER)
    router_id = request.headers.get(ROUTER_HEADER)
    address = request.headers.get(ADDRESS_HEADER, "")
    # The proxy sends exactly one of the two and one address: anything else did not come
    # through it (or the socket is misused): refuse without looking anything up.
    if bool(network_id) == bool(router_id) or not address or "," in address:
        return _plain(400, "400 Bad Request: the request did not come through a "
                           "metadata proxy")
    guest = await run_in_threadpool(lookups.guest, network_id, router_id, address)
    if guest is None:
        log.info("metadata: no server at %s via %s %s", address,
                 "network" if network_id else "router", network_id or router_id)
        return _plain(404, "404 Not Found")
    if parts[0] == "openstack":
        return _answer(openstack(guest, parts[1:]))
    return _answer(ec2(guest, parts))


async def on_crash(request: Request, exc: Exception) -> Response:
    log.exception("metadata: unexpected error on %s %s", request.method, request.url.path)
    return _plain(500, "500 Internal Server Error")


def metadata_app(network: MetadataLookup, instances: InstanceLookup) -> Starlette:
    app = Starlette(routes=[Route("/{path:path}", serve, methods=["GET", "HEAD"])],
                    exception_handlers={Exception: on_crash},
                    middleware=listener_middleware(OPENSTACK_IDS))
    app.state.lookups = Lookups(network, instances)
    return app
