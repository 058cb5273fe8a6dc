"""/os-keypairs: import, list, show, delete (Nova 2.1 shapes: create 200, delete 202)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object, member
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.compute.deps import Deps
from nuage.domain.compute import Keypair
from nuage.domain.errors import ValidationError

CREATE_KEYS = {"name", "public_key"}


def _time(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def render_created(k: Keypair) -> dict[str, Any]:
    return {"name": k.name, "public_key": k.public_key, "fingerprint": k.fingerprint,
            "user_id": k.user_id}


def render_brief(k: Keypair) -> dict[str, Any]:
    return {"name": k.name, "public_key": k.public_key, "fingerprint": k.fingerprint}


def render(k: Keypair) -> dict[str, Any]:
    return {**render_created(k), "id": int(k.id or 0), "deleted": False,
            "created_at": _time(k.created_at), "updated_at": None, "deleted_at": None}


def routes(d: Deps) -> list[Route]:
    s = d.s.keypairs

    async def create(request: Request) -> Response:
        ctx = await d.ctx(request)
        body = member(await json_object(request), "keypair")
        unknown = sorted(set(body) - CREATE_KEYS)
        if unknown:
            raise ValidationError(f"Additional properties are not allowed ({unknown} were "
                                  "unexpected).")
        name = body.get("name")
        if not isinstance(name, str):
            raise ValidationError("'name' is a required property.")
        public_key = body.get("public_key")
        if public_key is not None and not isinstance(public_key, str):
            raise ValidationError("Invalid input for field 'public_key': a string is expected.")
        keypair = await call(s.create, ctx, name, public_key)
        return reply({"keypair": render_created(keypair)})

    async def listing(request: Request) -> Response:
        ctx = await d.ctx(request)
        found = await call(s.find, ctx)
        return reply({"keypairs": [{"keypair": render_brief(k)} for k in found]})

    async def show(request: Request) -> Response:
        ctx = await d.ctx(request)
        keypair = await call(s.get, ctx, request.path_params["name"])
        return reply({"keypair": render(keypair)})

    async def delete(request: Request) -> Response:
        ctx = await d.ctx(request)
        await call(s.delete, ctx, request.path_params["name"])
        return empty(202)

    return [
        Route("/os-keypairs", listing, methods=["GET"]),
        Route("/os-keypairs", create, methods=["POST"]),
        Route("/os-keypairs/{name}", show, methods=["GET"]),
        Route("/os-keypairs/{name}", delete, methods=["DELETE"]),
    ]
