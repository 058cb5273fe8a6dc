"""The Keystone error table: domain errors -> {"error": {"code", "title", "message"}}."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from nuage.api.openstack.common.body import iso
from nuage.domain.errors import (
    AuthReceiptRequired,
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

TABLE: list[tuple[type[NuageError], int, str]] = [
    (ValidationError, 400, "Bad Request"),
    (Unauthorized, 401, "Unauthorized"),
    (Forbidden, 403, "Forbidden"),
    (NotFound, 404, "Not Found"),
    (Conflict, 409, "Conflict"),
    (RequestTooLarge, 413, "Request Entity Too Large"),
]


# Each fault in Keystone's words (the audit API and the CLI speak them too).
WORDING: dict[FaultCode, Wording] = {
    CommonFault.NOT_FOUND: "Could not find {kind}: {ident}.",
    CommonFault.POLICY_DENIED: "You are not authorized to perform the requested action: "
                               "{action}.",
    CommonFault.AUTHENTICATION_REQUIRED: "The request you have made requires authentication.",
}


def keystone_error(status: int, title: str, message: str,
                   headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": status, "title": title, "message": message}}
    return Response(json.dumps(body), status_code=status, headers=headers,
                    media_type="application/json")


def to_response(request: Request, exc: NuageError, identity_url: str) -> Response:
    if isinstance(exc, AuthReceiptRequired):
        # keystoneauth parses expires_at as an ISO 8601 string (MissingAuthMethods).
        expires = iso(datetime.fromtimestamp(exc.expires_at, UTC))
        body = {
            "receipt": {"methods": exc.methods, "user": {"id": exc.user_id},
                        "expires_at": expires},
            "required_auth_methods": exc.required,
            "error": {"code": 401, "title": "Unauthorized",
                      "message": exc.worded(WORDING)},
        }
        return Response(json.dumps(body), status_code=401, media_type="application/json",
                        headers={"Openstack-Auth-Receipt": exc.receipt,
                                 "WWW-Authenticate": f'Keystone uri="{identity_url}"'})
    for kind, status, title in TABLE:
        if isinstance(exc, kind):
            headers = ({"WWW-Authenticate": f'Keystone uri="{identity_url}"'}
                       if status == 401 else None)
            return keystone_error(status, title, exc.worded(WORDING), headers)
    return keystone_error(500, "Internal Server Error", "An unexpected error occurred.")
