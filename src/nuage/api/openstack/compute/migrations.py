"""os-migrations and /servers/{id}/migrations.

nuage has no resize, cold or live migration, so no migration ever exists: an empty list
is the truthful answer. Nova's filters (`host`, `status`, `instance_uuid`,
`migration_type`, `source_compute`, `hidden`, ...) are accepted, as Nova accepts any
query parameter below 2.59. From 2.59 the list pages (`limit`, `marker`: with no
migration, any marker is unknown, 400), takes `changes-since` (and `changes-before` from
2.66, `user_id` and `project_id` from 2.80) and refuses other parameters, as Nova's
schema does.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import timestamp
from nuage.api.openstack.common.http import call, reply
from nuage.api.openstack.compute.deps import caller, int_param
from nuage.domain.errors import NotFound, ValidationError

# GET /servers/{id}/migrations (in-progress live migrations) came with 2.23.
SERVER_MIGRATIONS_VERSION = (2, 23)
PAGING_VERSION = (2, 59)
FILTERS = {"hidden", "host", "instance_uuid", "source_compute", "status", "migration_type",
           "limit", "marker", "changes-since"}


def check_query(request: Request, version: tuple[int, int]) -> None:
    """2.59's strict query schema (with 2.66's changes-before, 2.80's user and project)."""
    if version < PAGING_VERSION:
        return
    allowed = FILTERS | ({"changes-before"} if version >= (2, 66) else set()) | (
        {"user_id", "project_id"} if version >= (2, 80) else set())
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ValidationError(f"Additional properties are not allowed ({unknown} were "
                              "unexpected)")
    int_param(request, "limit")
    q = dict(request.query_params)
    timestamp(q, "changes-since")
    timestamp(q, "changes-before")
    if "marker" in q:
        raise ValidationError(f"Marker {q['marker']} could not be found.")


async def index(request: Request) -> Response:
    d, ctx = await caller(request)
    check_query(request, d.version(request))
    found = await call(d.s.servers.migrations, ctx, "compute:migration:list")
    return reply({"migrations": found})


async def server_migrations(request: Request) -> Response:
    d, ctx = await caller(request)
    if d.version(request) < SERVER_MIGRATIONS_VERSION:
        raise NotFound("resource", request.url.path)
    found = await call(d.s.servers.migrations, ctx, "compute:server:list_migrations",
                       request.path_params["server_id"])
    return reply({"migrations": found})


async def server_migration(request: Request) -> Response:
    d, ctx = await caller(request)
    if d.version(request) < SERVER_MIGRATIONS_VERSION:
        raise NotFound("resource", request.url.path)
    await call(d.s.servers.migrations, ctx, "compute:server:get_migration",
               request.path_params["server_id"])
    # The service knows of no migration (nuage does not migrate): any id is unknown.
    raise NotFound("migration", request.path_params["migration_id"])


ROUTES: list[Route] = [
    Route("/os-migrations", index, methods=["GET"]),
    Route("/servers/{server_id}/migrations", server_migrations, methods=["GET"]),
    Route("/servers/{server_id}/migrations/{migration_id}", server_migration,
          methods=["GET"]),
]
