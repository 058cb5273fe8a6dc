"""/v3[/{project_id}]/types: list and show for everyone, the default type, and the
administrator's create, update, delete and extra_specs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.block_storage import render
from nuage.api.openstack.block_storage.deps import caller
from nuage.api.openstack.block_storage.requests import (
    body_member,
    bool_field,
    metadata_field,
    text_field,
)
from nuage.api.openstack.common.body import json_object
from nuage.api.openstack.common.http import call, empty, reply
from nuage.domain.errors import NotFound, ValidationError
from nuage.services.volume.types import NewVolumeType


def _id(request: Request) -> str:
    return str(request.path_params["type_id"])


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    types = await call(d.s.types.list_types, ctx)
    return reply({"volume_types": [render.volume_type(t) for t in types]})


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    vtype = await call(d.s.types.get, ctx, _id(request))
    return reply({"volume_type": render.volume_type(vtype)})


async def default(request: Request) -> Response:
    d, ctx = await caller(request)
    vtype = await call(d.s.types.get_default, ctx)
    return reply({"volume_type": render.volume_type(vtype)})


async def create(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await body_member(request, "volume_type")
    name = text_field(v, "name")
    if name is None:
        raise ValidationError("Invalid input for field/attribute name. Value: None. 'name' "
                              "is a required property")
    vtype = await call(d.s.types.create, ctx, NewVolumeType(
        name=name, description=text_field(v, "description") or "",
        is_public=bool_field(v, "os-volume-type-access:is_public",
                             bool_field(v, "is_public", True)),
        extra_specs=metadata_field(v, "extra_specs") or {}))
    return reply({"volume_type": render.volume_type(vtype)})


async def update(request: Request) -> Response:
    d, ctx = await caller(request)
    v = await body_member(request, "volume_type")
    vtype = await call(d.s.types.update, ctx, _id(request), name=text_field(v, "name"),
                       description=text_field(v, "description"),
                       is_public=bool_field(v, "is_public") if "is_public" in v else None)
    return reply({"volume_type": render.volume_type(vtype, access=False)})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.types.delete, ctx, _id(request))
    return empty(202)


async def extra_specs(request: Request) -> Response:
    d, ctx = await caller(request)
    vtype = await call(d.s.types.get, ctx, _id(request))
    return reply({"extra_specs": dict(vtype.extra_specs)})


async def extra_specs_set(request: Request) -> Response:
    d, ctx = await caller(request)
    specs = metadata_field(await json_object(request), "extra_specs")
    if specs is None:
        raise ValidationError("Malformed request body: extra_specs is expected.")
    await call(d.s.types.set_extra_specs, ctx, _id(request), specs)
    # Cinder answers with the specs given, not all the type's (Tempest compares them).
    return reply({"extra_specs": specs})


async def extra_spec_show(request: Request) -> Response:
    d, ctx = await caller(request)
    vtype = await call(d.s.types.get, ctx, _id(request))
    key = str(request.path_params["key"])
    if key not in vtype.extra_specs:
        raise NotFound("extra_spec", key)
    return reply({key: vtype.extra_specs[key]})


async def extra_spec_set(request: Request) -> Response:
    d, ctx = await caller(request)
    body = await json_object(request)
    key = str(request.path_params["key"])
    if list(body) != [key] or not isinstance(body[key], str):
        raise ValidationError("Request body and URI mismatch")
    await call(d.s.types.set_extra_specs, ctx, _id(request), {key: body[key]})
    return reply({key: body[key]})


async def extra_spec_delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.types.delete_extra_spec, ctx, _id(request), str(request.path_params["key"]))
    return empty(202)


ROUTES: list[Route] = [
    Route("/types", listing, methods=["GET"]),
    Route("/types", create, methods=["POST"]),
    Route("/types/default", default, methods=["GET"]),
    Route("/types/{type_id}", show, methods=["GET"]),
    Route("/types/{type_id}", update, methods=["PUT"]),
    Route("/types/{type_id}", delete, methods=["DELETE"]),
    Route("/types/{type_id}/extra_specs", extra_specs, methods=["GET"]),
    Route("/types/{type_id}/extra_specs", extra_specs_set, methods=["POST"]),
    Route("/types/{type_id}/extra_specs/{key}", extra_spec_show, methods=["GET"]),
    Route("/types/{type_id}/extra_specs/{key}", extra_spec_set, methods=["PUT"]),
    Route("/types/{type_id}/extra_specs/{key}", extra_spec_delete, methods=["DELETE"]),
]
