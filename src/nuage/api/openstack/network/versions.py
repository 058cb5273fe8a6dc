"""Neutron's version discovery: GET / lists v2.0; GET /v2.0 lists its resources."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.http import reply
from nuage.api.openstack.network.deps import deps

RESOURCES = (("network", "networks"), ("subnet", "subnets"), ("port", "ports"),
             ("quota", "quotas"), ("security_group", "security-groups"),
             ("security_group_rule", "security-group-rules"), ("router", "routers"),
             ("floatingip", "floatingips"), ("subnetpool", "subnetpools"),
             ("rbac_policy", "rbac-policies"))


async def versions(request: Request) -> Response:
    d = deps(request)
    return reply({"versions": [{"id": "v2.0", "status": "CURRENT",
                                "links": [{"href": f"{d.v2}/", "rel": "self"}]}]})


async def resources(request: Request) -> Response:
    d = deps(request)
    return reply({"resources": [
        {"name": name, "collection": collection,
         "links": [{"href": f"{d.v2}/{collection}", "rel": "self"}]}
        for name, collection in RESOURCES]})


ROUTES: list[Route] = [
    Route("/", versions, methods=["GET"]),
    Route("/v2.0", resources, methods=["GET"]),
    Route("/v2.0/", resources, methods=["GET"]),
]
