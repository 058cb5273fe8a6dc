"""The Nova error table: domain errors -> {"<faultName>": {"code", "message"}}."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from nuage.api.openstack.image.errors import IMAGE_WORDING
from nuage.domain.compute_errors import OverLimit
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

# OverLimit lives in the domain (services raise it); it is re-exported here for the facade.
__all__ = ["TABLE", "WORDING", "OverLimit", "nova_fault", "to_response"]

TABLE: list[tuple[type[NuageError], int, str]] = [
    (OverLimit, 403, "forbidden"),
    (ValidationError, 400, "badRequest"),
    (Unauthorized, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "itemNotFound"),
    (Conflict, 409, "conflictingRequest"),
    (RequestTooLarge, 413, "overLimit"),
]


# A refusal by a policy row, in Nova's words where they differ from the default
# "Policy doesn't allow <action> to be performed." (action -> sentence).
POLICY_WORDS: dict[str, str] = {
    # --- servers and their actions ---
    # --- flavors, keypairs, quotas, aggregates, hosts, usage ---
}


def _policy_denied(f: Mapping[str, Any]) -> str:
    action = f["action"]
    return POLICY_WORDS.get(action, f"Policy doesn't allow {action} to be performed.")


# Each fault in Nova's words.
WORDING: dict[FaultCode, Wording] = {
    CommonFault.NOT_FOUND: "Could not find {kind}: {ident}.",
    CommonFault.POLICY_DENIED: _policy_denied,
    # --- servers and their actions ---
    # --- flavors, keypairs, quotas, aggregates, hosts, usage ---
    CommonFault.AUTHENTICATION_REQUIRED: "The request you have made requires authentication.",
}
# Nova's /images proxy and createImage pass the image service's faults on in Glance's words.
WORDING.update(IMAGE_WORDING)


def nova_fault(status: int, name: str, message: str,
               headers: dict[str, str] | None = None) -> Response:
    body = {name: {"code": status, "message": message}}
    return Response(json.dumps(body), status_code=status, headers=headers,
                    media_type="application/json")


def to_response(exc: NuageError, headers: dict[str, str]) -> Response:
    for kind, status, name in TABLE:
        if isinstance(exc, kind):
            return nova_fault(status, name, exc.worded(WORDING), headers)
    return nova_fault(500, "computeFault", "Unexpected API Error.", headers)
