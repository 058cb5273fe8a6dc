"""/os-keypairs: create (import, or generate below 2.92), list, show, delete.

2.1: create 200, delete 202. 2.2: `type` (ssh or x509) in and out, create 201, delete 204.
2.10: administrators name another user with `user_id` (body on create, query otherwise).
2.35: the list pages (`limit`, `marker`, `keypairs_links`). 2.92: `public_key` is required
(no more generated pairs) and names may hold '@' and '.'.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.body import json_object, member
from nuage.api.openstack.common.http import call, empty, reply
from nuage.api.openstack.compute.deps import caller, deps, int_param
from nuage.domain.compute import Keypair
from nuage.domain.errors import ValidationError

CREATE_KEYS = {"name", "public_key"}
TYPE_VERSION = (2, 2)
USER_ID_VERSION = (2, 10)
PAGING_VERSION = (2, 35)
IMPORT_ONLY_VERSION = (2, 92)


def _time(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def _typed(k: Keypair, body: dict[str, Any], version: tuple[int, int]) -> dict[str, Any]:
    return {**body, "type": k.type} if version >= TYPE_VERSION else body


def render_created(k: Keypair, version: tuple[int, int] = (2, 1)) -> dict[str, Any]:
    return _typed(k, {"name": k.name, "public_key": k.public_key,
                      "fingerprint": k.fingerprint, "user_id": k.user_id}, version)


def render_brief(k: Keypair, version: tuple[int, int] = (2, 1)) -> dict[str, Any]:
    return _typed(k, {"name": k.name, "public_key": k.public_key,
                      "fingerprint": k.fingerprint}, version)


def render(k: Keypair, version: tuple[int, int] = (2, 1)) -> dict[str, Any]:
    return {**render_created(k, version), "id": int(k.id or 0), "deleted": False,
            "created_at": _time(k.created_at), "updated_at": None, "deleted_at": None}


def _string_field(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"Invalid input for field '{key}': a string is expected.")
    return value


def user_id(request: Request) -> str | None:
    """?user_id= (2.10); ignored below, as Nova's schema ignores unknown parameters."""
    d = deps(request)
    if d.version(request) < USER_ID_VERSION:
        return None
    return request.query_params.get("user_id")


async def create(request: Request) -> Response:
    d = deps(request)
    s = d.s.keypairs
    ctx = await d.ctx(request)
    version = d.version(request)
    body = member(await json_object(request), "keypair")
    allowed = CREATE_KEYS | ({"type"} if version >= TYPE_VERSION else set()) | (
        {"user_id"} if version >= USER_ID_VERSION else set())
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationError(f"Additional properties are not allowed ({unknown} were "
                              "unexpected).")
    name = body.get("name")
    if not isinstance(name, str):
        raise ValidationError("'name' is a required property.")
    public_key = _string_field(body, "public_key")
    if public_key is None and version >= IMPORT_ONLY_VERSION:
        raise ValidationError("Invalid input for field/attribute keypair. 'public_key' is "
                              "a required property")
    key_type = _string_field(body, "type") or "ssh"
    keypair = await call(s.create, ctx, name, public_key, key_type,
                         _string_field(body, "user_id"), version >= IMPORT_ONLY_VERSION)
    shown = render_created(keypair, version)
    headers = None
    if keypair.private_key is not None:
        # Generated here: the one time the private key is shown (it is not stored), and
        # no cache on the way may keep a copy.
        shown["private_key"] = keypair.private_key
        headers = {"Cache-Control": "no-store"}
    return reply({"keypair": shown}, status=201 if version >= TYPE_VERSION else 200,
                 headers=headers)


async def listing(request: Request) -> Response:
    d, ctx = await caller(request)
    version = d.version(request)
    marker = limit = None
    if version >= PAGING_VERSION:
        marker = request.query_params.get("marker")
        limit = int_param(request, "limit")
    found = await call(d.s.keypairs.find, ctx, user_id(request), marker, limit)
    body: dict[str, Any] = {"keypairs": [{"keypair": render_brief(k, version)}
                                         for k in found]}
    if limit and len(found) == limit:
        body["keypairs_links"] = d.next_link(request, "os-keypairs", found[-1].name, limit)
    return reply(body)


async def show(request: Request) -> Response:
    d, ctx = await caller(request)
    keypair = await call(d.s.keypairs.get, ctx, request.path_params["name"], user_id(request))
    return reply({"keypair": render(keypair, d.version(request))})


async def delete(request: Request) -> Response:
    d, ctx = await caller(request)
    await call(d.s.keypairs.delete, ctx, request.path_params["name"], user_id(request))
    return empty(204 if d.version(request) >= TYPE_VERSION else 202)


ROUTES: list[Route] = [
    Route("/os-keypairs", listing, methods=["GET"]),
    Route("/os-keypairs", create, methods=["POST"]),
    Route("/os-keypairs/{name}", show, methods=["GET"]),
    Route("/os-keypairs/{name}", delete, methods=["DELETE"]),
]
