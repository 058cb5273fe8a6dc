"""X-Auth-Token -> RequestContext, the same for every OpenStack facade."""

from __future__ import annotations

from starlette.requests import Request

from nuage.api.openstack.common.http import call, client_ip, request_id
from nuage.api.openstack.identity.errors import WORDING as KEYSTONE_WORDING
from nuage.domain.context import RequestContext
from nuage.domain.errors import Unauthorized
from nuage.services.identity.tokens import TokenService


async def token_context(tokens: TokenService, request: Request) -> RequestContext:
    """The caller's context from X-Auth-Token; Unauthorized (401) without a valid token.

    A validation known exact from memory is answered on the event loop; anything else goes
    to the thread pool (it reads the database).
    """
    token = request.headers.get("x-auth-token")
    if not token:
        raise Unauthorized("The request you have made requires authentication.")
    known = tokens.cached(token)
    if known is not None:
        return tokens.to_context(known, request_id(request), client_ip(request))
    try:
        return await call(tokens.context_for, token, request_id(request), client_ip(request))
    except Unauthorized as exc:
        # Why a token is not valid is Keystone's to say, whichever facade was called:
        # Nova's and Glance's tables word their own faults, not identity's.
        raise Unauthorized(exc.worded(KEYSTONE_WORDING)) from exc
