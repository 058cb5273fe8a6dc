"""/v3/regions, /v3/services, /v3/endpoints."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import boolean, extra, json_object, member, string
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.identity.deps import caller
from nuage.api.openstack.identity.requests import (
    ENDPOINT_KEYS,
    REGION_KEYS,
    SERVICE_KEYS,
    catalog_changes,
    filters,
)


async def _create_region(request: Request, region_id: str | None) -> Response:
    """POST /v3/regions (the id in the body, or made up) and PUT /v3/regions/{id}."""
    d, ctx = await caller(request)
    body = member(await json_object(request), "region")
    region = await call(d.s.catalog.create_region, ctx,
                        region_id if region_id is not None else string(body, "id"),
                        string(body, "description", nullable=True, max_len=65535) or "",
                        string(body, "parent_region_id", nullable=True),
                        string(body, "country", nullable=True), extra(body, REGION_KEYS))
    return reply({"region": d.render.region(region)}, status=201)


async def create_region(request: Request) -> Response:
    return await _create_region(request, None)


async def put_region(request: Request) -> Response:
    return await _create_region(request, request.path_params["region_id"])


async def list_regions(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    found = await call(d.s.catalog.list_regions, ctx,
                       request.query_params.get("parent_region_id"))
    return reply(r.collection("regions", [r.region(x) for x in found], "regions"))


async def get_region(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    region = await call(d.s.catalog.get_region, ctx, request.path_params["region_id"])
    return reply({"region": r.region(region)})


async def update_region(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "region")
    changes = catalog_changes(body, ("description", "parent_region_id", "country"), REGION_KEYS)
    if changes.get("description") is None and "description" in changes:
        changes["description"] = ""
    region = await call(d.s.catalog.update_region, ctx, request.path_params["region_id"],
                        changes)
    return reply({"region": r.region(region)})


async def delete_region(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.catalog.delete_region, ctx, request.path_params["region_id"])
    return empty()


async def create_service(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "service")
    service = await call(
        d.s.catalog.create_service, ctx,
        string(body, "type", required=True, min_len=1) or "",
        string(body, "name", nullable=True) or "",
        string(body, "description", nullable=True, max_len=65535) or "",
        boolean(body, "enabled", True) is not False, extra(body, SERVICE_KEYS))
    return reply({"service": r.service(service)}, status=201)


async def list_services(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    found = await call(d.s.catalog.list_services, ctx, request.query_params.get("type"),
                       request.query_params.get("name"))
    return reply(r.collection("services", [r.service(x) for x in found], "services"))


async def get_service(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    service = await call(d.s.catalog.get_service, ctx, request.path_params["service_id"])
    return reply({"service": r.service(service)})


async def update_service(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "service")
    changes = catalog_changes(body, ("type", "name", "description"), SERVICE_KEYS)
    changes = {k: ("" if v is None and k != "extra" else v) for k, v in changes.items()}
    service = await call(d.s.catalog.update_service, ctx, request.path_params["service_id"],
                         changes)
    return reply({"service": r.service(service)})


async def delete_service(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.catalog.delete_service, ctx, request.path_params["service_id"])
    return empty()


async def create_endpoint(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "endpoint")
    region = string(body, "region_id", nullable=True)
    # Keystone creates a missing region named by the legacy `region` (v2 habit).
    legacy = region is None and string(body, "region", nullable=True) is not None
    region = region or string(body, "region", nullable=True)
    endpoint = await call(
        d.s.catalog.create_endpoint, ctx,
        string(body, "service_id", required=True) or "",
        string(body, "interface", required=True) or "",
        string(body, "url", required=True, min_len=1, max_len=2048) or "",
        region, boolean(body, "enabled", True) is not False, extra(body, ENDPOINT_KEYS),
        create_region=legacy)
    return reply({"endpoint": r.endpoint(endpoint)}, status=201)


async def list_endpoints(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    f = filters(request, "service_id", "interface", "region_id")
    found = await call(d.s.catalog.list_endpoints, ctx, f)
    return reply(r.collection("endpoints", [r.endpoint(x) for x in found], "endpoints"))


async def get_endpoint(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    endpoint = await call(d.s.catalog.get_endpoint, ctx, request.path_params["endpoint_id"])
    return reply({"endpoint": r.endpoint(endpoint)})


async def update_endpoint(request: Request) -> Response:
    d, ctx = await caller(request)
    r = d.render
    body = member(await json_object(request), "endpoint")
    changes = catalog_changes(body, ("service_id", "interface", "url", "region_id"), ENDPOINT_KEYS)
    legacy = "region" in body and "region_id" not in body
    if legacy:
        changes["region_id"] = string(body, "region", nullable=True)
    endpoint = await call(d.s.catalog.update_endpoint, ctx,
                          request.path_params["endpoint_id"], changes, legacy)
    return reply({"endpoint": r.endpoint(endpoint)})


async def delete_endpoint(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.catalog.delete_endpoint, ctx, request.path_params["endpoint_id"])
    return empty()


ROUTES: list[Route] = [
    Route("/v3/regions", create_region, methods=["POST"]),
    Route("/v3/regions", list_regions, methods=["GET"]),
    Route("/v3/regions/{region_id}", get_region, methods=["GET"]),
    Route("/v3/regions/{region_id}", put_region, methods=["PUT"]),
    Route("/v3/regions/{region_id}", update_region, methods=["PATCH"]),
    Route("/v3/regions/{region_id}", delete_region, methods=["DELETE"]),
    Route("/v3/services", create_service, methods=["POST"]),
    Route("/v3/services", list_services, methods=["GET"]),
    Route("/v3/services/{service_id}", get_service, methods=["GET"]),
    Route("/v3/services/{service_id}", update_service, methods=["PATCH"]),
    Route("/v3/services/{service_id}", delete_service, methods=["DELETE"]),
    Route("/v3/endpoints", create_endpoint, methods=["POST"]),
    Route("/v3/endpoints", list_endpoints, methods=["GET"]),
    Route("/v3/endpoints/{endpoint_id}", get_endpoint, methods=["GET"]),
    Route("/v3/endpoints/{endpoint_id}", update_endpoint, methods=["PATCH"]),
    Route("/v3/endpoints/{endpoint_id}", delete_endpoint, methods=["DELETE"]),
]
