"""/flavors, /flavors/detail, os-flavor-access and os-extra_specs.

2.55: `description` (shown everywhere, set at create and by PUT /flavors/{id}). 2.61:
`extra_specs` in the detailed views. 2.75: no swap is 0, not "".
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object, member, query_bool
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.compute.deps import Deps, caller, deps, int_field, int_param
from nuage.domain.compute import Flavor, FlavorAccess
from nuage.domain.errors import NotFound, ValidationError
from nuage.services.compute.flavors import FlavorQuery, NewFlavor

CREATE_KEYS = {"name", "ram", "vcpus", "disk", "id", "swap", "rxtx_factor",
               "OS-FLV-EXT-DATA:ephemeral", "os-flavor-access:is_public"}


def render(d: Deps, request: Request, f: Flavor) -> dict[str, Any]:
    version = d.version(request)
    extra: dict[str, Any] = {}
    if version >= (2, 55):
        extra["description"] = f.description
    if version >= (2, 61):
        # Nova's os-flavor-extra-specs:index is for every reader of a project.
        extra["extra_specs"] = dict(f.extra_specs)
    return {
        "id": f.id, "name": f.name, "ram": f.ram_mb, "vcpus": f.vcpus, "disk": f.disk_gb,
        # Nova's quirk below 2.75: no swap is "" rather than 0.
        "swap": f.swap_mb if version >= (2, 75) else (f.swap_mb or ""),
        "OS-FLV-EXT-DATA:ephemeral": f.ephemeral_gb,
        "OS-FLV-DISABLED:disabled": f.disabled,
        "os-flavor-access:is_public": f.is_public,
        "rxtx_factor": f.rxtx_factor,
        "links": d.links(request, "flavors", f.id),
        **extra,
    }


def render_brief(d: Deps, request: Request, f: Flavor) -> dict[str, Any]:
    brief: dict[str, Any] = {"id": f.id, "name": f.name,
                             "links": d.links(request, "flavors", f.id)}
    if d.version(request) >= (2, 55):
        brief["description"] = f.description
    return brief


def _flavor_description(body: dict[str, Any]) -> str | None:
    value = body.get("description")
    if value is not None and not isinstance(value, str):
        raise ValidationError("Invalid input for field 'description': a string or null is "
                              "required.")
    return value


def render_access(rows: list[FlavorAccess]) -> dict[str, Any]:
    return {"flavor_access": [{"flavor_id": a.flavor_id, "tenant_id": a.project_id}
                              for a in rows]}


# oslo's strict bool_from_string, which Nova's `is_public` query uses.
TRUE_STRINGS = {"1", "t", "true", "on", "y", "yes"}
FALSE_STRINGS = {"0", "f", "false", "off", "n", "no"}


def _is_public(raw: str | None) -> bool | None:
    """Nova's `is_public` query: absent means public, "None" means all."""
    if raw is None:
        return True
    lowered = raw.strip().lower()
    if lowered == "none":
        return None
    if lowered in TRUE_STRINGS:
        return True
    if lowered in FALSE_STRINGS:
        return False
    raise ValidationError(f"Invalid is_public filter [{raw}]")


def _new_flavor(body: dict[str, Any], version: tuple[int, int] = (2, 1)) -> NewFlavor:
    unknown = sorted(set(body) - CREATE_KEYS - ({"description"} if version >= (2, 55)
                                                 else set()))
    if unknown:
        listed = ", ".join(map(repr, unknown))
        raise ValidationError(f"Additional properties are not allowed ({listed} were "
                              "unexpected).")
    name = body.get("name")
    if not isinstance(name, str):
        raise ValidationError("Invalid input for field 'name': a string is required.")
    raw_id = body.get("id")
    if (raw_id is not None and not isinstance(raw_id, str | int)) or isinstance(raw_id, bool):
        raise ValidationError(f"Invalid input for field 'id': {raw_id!r}.")
    rxtx = body.get("rxtx_factor", 1.0)
    if isinstance(rxtx, str):
        try:
            rxtx = float(rxtx)
        except ValueError as exc:
            raise ValidationError(f"Invalid input for field 'rxtx_factor': {rxtx!r}.") from exc
    if isinstance(rxtx, bool) or not isinstance(rxtx, int | float):
        raise ValidationError(f"Invalid input for field 'rxtx_factor': {rxtx!r}.")
    is_public = body.get("os-flavor-access:is_public", True)
    if isinstance(is_public, str):
        is_public = query_bool(is_public)
    if not isinstance(is_public, bool):
        raise ValidationError("Invalid input for field 'os-flavor-access:is_public': a "
                              "boolean is required.")
    return NewFlavor(
        name=name, id=None if raw_id is None else str(raw_id),
        ram_mb=int_field(body, "ram", required=True) or 0,
        vcpus=int_field(body, "vcpus", required=True) or 0,
        disk_gb=int_field(body, "disk", required=True) or 0,
        ephemeral_gb=int_field(body, "OS-FLV-EXT-DATA:ephemeral", default=0) or 0,
        swap_mb=int_field(body, "swap", default=0) or 0,
        rxtx_factor=float(rxtx), is_public=is_public, description=_flavor_description(body))


async def listing(request: Request, detail: bool) -> Response:
    d, ctx = await caller(request)
    q = request.query_params
    query = FlavorQuery(
        is_public=_is_public(q.get("is_public")), min_disk=int_param(request, "minDisk"),
        min_ram=int_param(request, "minRam"), sort_key=q.get("sort_key") or "flavorid",
        sort_dir=(q.get("sort_dir") or "asc").lower(), marker=q.get("marker"),
        limit=int_param(request, "limit"))
    found = await call(d.s.flavors.find, ctx, query)
    draw = render if detail else render_brief
    body: dict[str, Any] = {"flavors": [draw(d, request, f) for f in found]}
    if query.limit is not None and found and len(found) == query.limit:
        body["flavors_links"] = d.next_link(
            request, "flavors/detail" if detail else "flavors", found[-1].id, query.limit)
    return reply(body)


async def list_flavors(request: Request) -> Response:
    return await listing(request, detail=False)


async def list_detail(request: Request) -> Response:
    return await listing(request, detail=True)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    flavor = await call(d.s.flavors.get, ctx, request.path_params["flavor_id"])
    return reply({"flavor": render(d, request, flavor)})


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    new = _new_flavor(member(await json_object(request), "flavor"), d.version(request))
    flavor = await call(d.s.flavors.create, ctx, new)
    return reply({"flavor": render(d, request, flavor)})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    if d.version(request) < (2, 55):
        # Nova has no flavor update below 2.55 (its versioned method is then a 404).
        raise NotFound("resource", request.url.path)
    body = member(await json_object(request), "flavor")
    if set(body) != {"description"}:
        raise ValidationError("Invalid input for field 'flavor': 'description' is the "
                              "only property, and it is required.")
    flavor = await call(d.s.flavors.update_description, ctx, request.path_params["flavor_id"],
                        _flavor_description(body))
    return reply({"flavor": render(d, request, flavor)})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.flavors.delete, ctx, request.path_params["flavor_id"])
    return empty(202)


async def list_access(request: Request) -> Response:
    d, ctx = await caller(request)
    rows = await call(d.s.flavors.access, ctx, request.path_params["flavor_id"])
    return reply(render_access(rows))


async def action(request: Request) -> Response:
    d = deps(request)
    s = d.s.flavors
    ctx = await d.ctx(request)
    body = await json_object(request)
    flavor_id = request.path_params["flavor_id"]
    for key, fn in (("addTenantAccess", s.add_access),
                    ("removeTenantAccess", s.remove_access)):
        if key in body:
            tenant = member(body, key).get("tenant")
            if not isinstance(tenant, str) or not tenant:
                raise ValidationError(f"Invalid input for field '{key}.tenant': a project "
                                      "id is required.")
            return reply(render_access(await call(fn, ctx, flavor_id, tenant)))
    raise ValidationError("The flavor action must be addTenantAccess or "
                          "removeTenantAccess.")


async def get_specs(request: Request) -> Response:
    d, ctx = await caller(request)
    specs = await call(d.s.flavors.extra_specs, ctx, request.path_params["flavor_id"])
    return reply({"extra_specs": specs})


async def set_specs(request: Request) -> Response:
    d, ctx = await caller(request)
    specs = member(await json_object(request), "extra_specs")
    done = await call(d.s.flavors.set_extra_specs, ctx, request.path_params["flavor_id"], specs)
    return reply({"extra_specs": done})


async def get_spec(request: Request) -> Response:
    d, ctx = await caller(request)
    key = request.path_params["key"]
    value = await call(d.s.flavors.extra_spec, ctx, request.path_params["flavor_id"], key)
    return reply({key: value})


async def put_spec(request: Request) -> Response:
    d, ctx = await caller(request)
    key = request.path_params["key"]
    body = await json_object(request)
    if list(body) != [key]:
        raise ValidationError("The request body must hold exactly the key of the URI.")
    done = await call(d.s.flavors.set_extra_specs, ctx, request.path_params["flavor_id"], body)
    return reply(done)


async def delete_spec(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.flavors.delete_extra_spec, ctx, request.path_params["flavor_id"],
               request.path_params["key"])
    return empty(200)


ROUTES: list[Route] = [
    Route("/flavors", list_flavors, methods=["GET"]),
    Route("/flavors", create, methods=["POST"]),
    Route("/flavors/detail", list_detail, methods=["GET"]),
    Route("/flavors/{flavor_id}", show, methods=["GET"]),
    Route("/flavors/{flavor_id}", delete, methods=["DELETE"]),
    Route("/flavors/{flavor_id}", update, methods=["PUT"]),
    Route("/flavors/{flavor_id}/os-flavor-access", list_access, methods=["GET"]),
    Route("/flavors/{flavor_id}/action", action, methods=["POST"]),
    Route("/flavors/{flavor_id}/os-extra_specs", get_specs, methods=["GET"]),
    Route("/flavors/{flavor_id}/os-extra_specs", set_specs, methods=["POST"]),
    Route("/flavors/{flavor_id}/os-extra_specs/{key}", get_spec, methods=["GET"]),
    Route("/flavors/{flavor_id}/os-extra_specs/{key}", put_spec, methods=["PUT"]),
    Route("/flavors/{flavor_id}/os-extra_specs/{key}", delete_spec, methods=["DELETE"]),
]
