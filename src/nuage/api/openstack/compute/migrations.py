"""os-migrations and /servers/{id}/migrations.

nuage has no resize, cold or live migration, so no migration ever exists: an empty list
is the truthful answer. Nova's filters (`host`, `status`, `instance_uuid`,
`migration_type`, `source_compute`, `hidden`, ...) are accepted, as Nova accepts any
query parameter below 2.59; paging (2.59) needs a microversion nuage does not advertise.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.http import call, reply
from nuage.api.openstack.compute.deps import Deps
from nuage.domain.errors import NotFound

# GET /servers/{id}/migrations (in-progress live migrations) came with 2.23.
SERVER_MIGRATIONS_VERSION = (2, 23)


def routes(d: Deps) -> list[Route]:
    async def index(request: Request) -> Response:
        ctx = await d.ctx(request)
        found = await call(d.s.servers.migrations, ctx, "os-migrations:index")
        return reply({"migrations": found})

    async def server_migrations(request: Request) -> Response:
        ctx = await d.ctx(request)
        if d.version(request) < SERVER_MIGRATIONS_VERSION:
            raise NotFound("resource", request.url.path)
        found = await call(d.s.servers.migrations, ctx, "servers:migrations:index",
                           request.path_params["server_id"])
        return reply({"migrations": found})

    async def server_migration(request: Request) -> Response:
        ctx = await d.ctx(request)
        if d.version(request) < SERVER_MIGRATIONS_VERSION:
            raise NotFound("resource", request.url.path)
        await call(d.s.servers.migrations, ctx, "servers:migrations:show",
                   request.path_params["server_id"])
        # The service knows of no migration (nuage does not migrate): any id is unknown.
        raise NotFound("migration", request.path_params["migration_id"])

    return [
        Route("/os-migrations", index, methods=["GET"]),
        Route("/servers/{server_id}/migrations", server_migrations, methods=["GET"]),
        Route("/servers/{server_id}/migrations/{migration_id}", server_migration,
              methods=["GET"]),
    ]
