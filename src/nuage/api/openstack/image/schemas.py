"""Version discovery and the JSON schemas Glance publishes (minimal, valid draft-04)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.http import reply
from nuage.api.openstack.image.deps import deps
from nuage.domain.image import CONTAINER_FORMATS, DISK_FORMATS, MEMBER_STATUSES

# v2.0 .. v2.17; the newest is CURRENT, the rest SUPPORTED (what keystoneauth accepts).
NEWEST_MINOR = 17


def versions(url: str) -> list[dict[str, Any]]:
    href = f"{url}/v2/"
    return [{"id": f"v2.{minor}",
             "status": "CURRENT" if minor == NEWEST_MINOR else "SUPPORTED",
             "links": [{"rel": "self", "href": href}]}
            for minor in range(NEWEST_MINOR, -1, -1)]


def _nullable(kind: str, **more: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **more}


IMAGE_SCHEMA: dict[str, Any] = {
    "name": "image",
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "additionalProperties": {"type": "string"},
    "properties": {
        "id": {"type": "string", "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F])"
               "{4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$", "readOnly": True},
        "name": _nullable("string", maxLength=255),
        "status": {"type": "string", "readOnly": True,
                   "enum": ["queued", "saving", "active", "killed", "deleted",
                            "pending_delete", "deactivated", "uploading", "importing"]},
        "visibility": {"type": "string", "enum": ["community", "public", "private", "shared"]},
        "protected": {"type": "boolean"},
        "os_hidden": {"type": "boolean"},
        "checksum": _nullable("string", maxLength=32, readOnly=True),
        "os_hash_algo": _nullable("string", maxLength=64, readOnly=True),
        "os_hash_value": _nullable("string", maxLength=128, readOnly=True),
        "owner": _nullable("string", maxLength=255),
        "size": _nullable("integer", readOnly=True),
        "virtual_size": _nullable("integer", readOnly=True),
        "container_format": {"type": ["null", "string"],
                             "enum": [None, *CONTAINER_FORMATS]},
        "disk_format": {"type": ["null", "string"], "enum": [None, *DISK_FORMATS]},
        "created_at": {"type": "string", "readOnly": True},
        "updated_at": {"type": "string", "readOnly": True},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 255}},
        "min_ram": {"type": "integer"},
        "min_disk": {"type": "integer"},
        "self": {"type": "string", "readOnly": True},
        "file": {"type": "string", "readOnly": True},
        "schema": {"type": "string", "readOnly": True},
    },
    "links": [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"},
              {"rel": "describedby", "href": "{schema}"}],
}

IMAGES_SCHEMA: dict[str, Any] = {
    "name": "images",
    "$schema": "http://json-schema.org/draft-04/schema#",
    "properties": {
        "images": {"type": "array", "items": IMAGE_SCHEMA},
        "schema": {"type": "string"},
        "first": {"type": "string"},
        "next": {"type": "string"},
    },
    "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
              {"rel": "describedby", "href": "{schema}"}],
}

MEMBER_SCHEMA: dict[str, Any] = {
    "name": "member",
    "$schema": "http://json-schema.org/draft-04/schema#",
    "properties": {
        "image_id": {"type": "string"},
        "member_id": {"type": "string"},
        "status": {"type": "string", "enum": list(MEMBER_STATUSES)},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "schema": {"type": "string", "readOnly": True},
    },
}

MEMBERS_SCHEMA: dict[str, Any] = {
    "name": "members",
    "$schema": "http://json-schema.org/draft-04/schema#",
    "properties": {"members": {"type": "array", "items": MEMBER_SCHEMA},
                   "schema": {"type": "string"}},
    "links": [{"rel": "describedby", "href": "{schema}"}],
}

IMPORT_INFO: dict[str, Any] = {
    "import-methods": {"description": "Import methods available.", "type": "array",
                       "value": []},
}


async def root(request: Request) -> Response:
    # Tempest asserts 300 on the unversioned root (§1.1).
    return reply({"versions": versions(deps(request).url)}, status=300)


async def listed(request: Request) -> Response:
    return reply({"versions": versions(deps(request).url)})


async def image_schema(request: Request) -> Response:
    return reply(IMAGE_SCHEMA)


async def images_schema(request: Request) -> Response:
    return reply(IMAGES_SCHEMA)


async def member_schema(request: Request) -> Response:
    return reply(MEMBER_SCHEMA)


async def members_schema(request: Request) -> Response:
    return reply(MEMBERS_SCHEMA)


async def import_info(request: Request) -> Response:
    return reply(IMPORT_INFO)


ROUTES: list[Route] = [
    Route("/", root, methods=["GET"]),
    Route("/versions", listed, methods=["GET"]),
    Route("/v2", listed, methods=["GET"]),
    Route("/v2/", listed, methods=["GET"]),
    Route("/v2/schemas/image", image_schema, methods=["GET"]),
    Route("/v2/schemas/images", images_schema, methods=["GET"]),
    Route("/v2/schemas/member", member_schema, methods=["GET"]),
    Route("/v2/schemas/members", members_schema, methods=["GET"]),
    # Glance always answers this discovery call; nuage offers no import method (yet),
    # so clients and Tempest see interoperable import as unavailable rather than a 404.
    Route("/v2/info/import", import_info, methods=["GET"]),
]
