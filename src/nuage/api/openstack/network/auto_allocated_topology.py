"""/v2.0/auto-allocated-topology/{project_id}: Neutron's auto-allocated-topology extension.

GET answers the project's topology (its network id), made on first use; GET with
?fields=dry-run only checks that one can be made; DELETE tears it down (204).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.network.deps import caller
from nuage.api.openstack.network.requests import fields

DRY_RUN = "dry-run"


def _body(network_id: str, project_id: str, **extra: str) -> dict[str, dict[str, str]]:
    return {"auto_allocated_topology": {"id": network_id, "tenant_id": project_id,
                                        "project_id": project_id, **extra}}


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    asked = request.path_params["project_id"]
    wanted = fields(request)
    if DRY_RUN in wanted:
        project = await call(d.s.auto_allocation.check, ctx, asked)
        # Neutron's answer ("id": "dry-run=pass", which the openstack CLI looks for), and
        # the flag itself.
        return reply(_body("dry-run=pass", project, **{DRY_RUN: "pass"}))
    d.s.auto_allocation.reject_fields(wanted)
    topology = await call(d.s.auto_allocation.get, ctx, asked)
    return reply(_body(topology.network_id, topology.project_id))


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.auto_allocation.delete, ctx, request.path_params["project_id"])
    return empty()


ROUTES: list[Route] = [
    Route("/v2.0/auto-allocated-topology/{project_id}", show, methods=["GET"]),
    Route("/v2.0/auto-allocated-topology/{project_id}", delete, methods=["DELETE"]),
]
