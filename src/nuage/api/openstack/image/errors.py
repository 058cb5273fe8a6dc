"""The Glance error table: domain errors -> status codes.

Glance itself answers errors with an HTML page; clients only read the status and some
`message` (openstacksdk strips tags or reads JSON). nuage answers JSON
`{"code", "title", "message"}`, which the SDK, the CLI and Tempest all accept (§4.3).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from nuage.domain.errors import (
    CommonFault,
    Conflict,
    FaultCode,
    Forbidden,
    NotFound,
    NuageError,
    RequestTooLarge,
    Unauthorized,
    ValidationError,
    Wording,
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


def _not_found(f: Mapping[str, Any]) -> str:
    if f["kind"] == "image":
        return f"No image found with ID {f['ident']}"
    return f"Could not find {f['kind']}: {f['ident']}."


# Each fault in Glance's words.
WORDING: dict[FaultCode, Wording] = {
    CommonFault.NOT_FOUND: _not_found,
    CommonFault.POLICY_DENIED: "You are not authorized to perform the requested action: "
                               "{action}.",
    CommonFault.AUTHENTICATION_REQUIRED: "The request you have made requires authentication.",
}


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
            return glance_error(status, title, exc.worded(WORDING), headers)
    return glance_error(500, "Internal Server Error", "An unexpected error occurred.")
