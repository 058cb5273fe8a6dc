"""What the OpenStack facades' error tables share: the HTTP status of each domain error
category and the JSON response. Each facade's `errors.py` keeps its own envelope, names
and wording (`WORDING`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

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

# Most specific first: a facade puts its own subclasses ahead with `extra`.
CATEGORIES: list[tuple[type[NuageError], int]] = [
    (ValidationError, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RequestTooLarge, 413),
]

# The reason phrases Keystone and Glance put in their error bodies' "title".
TITLES: dict[int, str] = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 413: "Request Entity Too Large",
    415: "Unsupported Media Type", 416: "Requested Range Not Satisfiable",
    500: "Internal Server Error",
}


def status_of(exc: NuageError,
              extra: Sequence[tuple[type[NuageError], int]] = ()) -> int | None:
    """The HTTP status of `exc`'s category; None for an error no table knows (a 500)."""
    for kind, status in (*extra, *CATEGORIES):
        if isinstance(exc, kind):
            return status
    return None


def json_error(body: dict[str, Any], status: int,
               headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status_code=status, headers=headers,
                    media_type="application/json")
