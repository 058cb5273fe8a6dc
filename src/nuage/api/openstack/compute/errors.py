"""The Nova error table: domain errors -> {"<faultName>": {"code", "message"}}."""

from __future__ import annotations

import json

from starlette.responses import Response

from nuage.domain.compute_errors import OverLimit
from nuage.domain.errors import (
    Conflict,
    Forbidden,
    NotFound,
    NuageError,
    RequestTooLarge,
    Unauthorized,
    ValidationError,
)

# OverLimit lives in the domain (services raise it); it is re-exported here for the facade.
__all__ = ["TABLE", "OverLimit", "nova_fault", "to_response"]

TABLE: list[tuple[type[NuageError], int, str]] = [
    (OverLimit, 403, "forbidden"),
    (ValidationError, 400, "badRequest"),
    (Unauthorized, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "itemNotFound"),
    (Conflict, 409, "conflictingRequest"),
    (RequestTooLarge, 413, "overLimit"),
]


def nova_fault(status: int, name: str, message: str,
               headers: dict[str, str] | None = None) -> Response:
    body = {name: {"code": status, "message": message}}
    return Response(json.dumps(body), status_code=status, headers=headers,
                    media_type="application/json")


def to_response(exc: NuageError, headers: dict[str, str]) -> Response:
    for kind, status, name in TABLE:
        if isinstance(exc, kind):
            return nova_fault(status, name, exc.message, headers)
    return nova_fault(500, "computeFault", "Unexpected API Error.", headers)
