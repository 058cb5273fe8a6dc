"""The Glance error table: domain errors -> status codes.

Glance itself answers errors with an HTML page; clients only read the status and some
`message` (openstacksdk strips tags or reads JSON). nuage answers JSON
`{"code", "title", "message"}`, which the SDK, the CLI and Tempest all accept (§4.3).
"""

from __future__ import annotations

import json

from starlette.responses import Response

from nuage.domain.errors import (
    Conflict,
    Forbidden,
    NotFound,
    NuageError,
    RequestTooLarge,
    Unauthorized,
    ValidationError,
)
from nuage.domain.image import TooLarge
from nuage.services.image.data import RangeNotSatisfiable

TABLE: list[tuple[type[NuageError], int, str]] = [
    (ValidationError, 400, "Bad Request"),
    (Unauthorized, 401, "Unauthorized"),
    (Forbidden, 403, "Forbidden"),
    (NotFound, 404, "Not Found"),
    (Conflict, 409, "Conflict"),
    (TooLarge, 413, "Request Entity Too Large"),
    (RequestTooLarge, 413, "Request Entity Too Large"),
    (RangeNotSatisfiable, 416, "Requested Range Not Satisfiable"),
]


def glance_error(status: int, title: str, message: str,
                 headers: dict[str, str] | None = None) -> Response:
    body = {"code": status, "title": title, "message": message}
    return Response(json.dumps(body), status_code=status, headers=headers,
                    media_type="application/json")


def to_response(exc: NuageError, identity_url: str) -> Response:
    for kind, status, title in TABLE:
        if isinstance(exc, kind):
            headers: dict[str, str] | None = None
            if status == 401:
                headers = {"WWW-Authenticate": f'Keystone uri="{identity_url}"'}
            if isinstance(exc, RangeNotSatisfiable):
                headers = {"Content-Range": f"bytes */{exc.size}"}
            message = (f"No image found with ID {exc.ident}" if isinstance(exc, NotFound)
                       and exc.kind == "image" else exc.message)
            return glance_error(status, title, message, headers)
    return glance_error(500, "Internal Server Error", "An unexpected error occurred.")
