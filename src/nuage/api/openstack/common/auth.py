"""X-Auth-Token -> RequestContext, the same for every OpenStack facade."""

from __future__ import annotations

from starlette.requests import Request

from nuage.api.openstack.common.http import call, client_ip, request_id
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
    return await call(tokens.context_for, token, request_id(request), client_ip(request))
