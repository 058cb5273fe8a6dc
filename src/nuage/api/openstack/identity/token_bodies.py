"""Token validation answered from memory: rendered bodies and a lane ahead of the router.

`TokenService.cached` hands back the very `ValidatedToken` object it cached for as long as
that validation is exact (no identity change, no key rotation, not expired). A body
rendered from that object is therefore exact exactly as long as the service keeps returning
it: an entry is reused only when the object is the same one (`is`), never by equality.

Validation is what every other service calls most, so `ValidationLane` answers
`GET /v3/auth/tokens` before routing when both tokens are validated in memory and the
caller may validate. Anything else (a miss, a refusal, HEAD, other query strings) goes
through the router and the handler in `auth.py`, which report errors the Keystone way.
"""

from __future__ import annotations

import json
from collections import OrderedDict

from starlette.types import ASGIApp, Receive, Scope, Send

from nuage.api.openstack.identity.render import Renderer
from nuage.domain.errors import Forbidden
from nuage.domain.tokens import ValidatedToken
from nuage.services.identity.tokens import TokenService


class TokenBodies:
    """Runs on the event loop only (no lock): handlers call it between awaits."""

    def __init__(self, render: Renderer, capacity: int = 1_000) -> None:
        self._render = render
        self._capacity = capacity
        self._entries: OrderedDict[tuple[str, bool], tuple[ValidatedToken, bytes]] = (
            OrderedDict())

    def body(self, subject: str, nocatalog: bool, info: ValidatedToken) -> bytes:
        key = (subject, nocatalog)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is info:
            self._entries.move_to_end(key)
            return entry[1]
        out = self._render.token(info)
        if nocatalog:
            out.pop("catalog", None)
        body = json.dumps({"token": out}, separators=(",", ":")).encode()
        self._entries[key] = (info, body)
        self._entries.move_to_end(key)
        if len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
        return body


class ValidationLane:
    """`GET /v3/auth/tokens[?nocatalog]` from memory, ahead of the identity router."""

    PATH = "/v3/auth/tokens"
    QUERIES = {b"": False, b"nocatalog": True}

    def __init__(self, app: ASGIApp, tokens: TokenService, bodies: TokenBodies) -> None:
        self.app = app
        self._tokens = tokens
        self._bodies = bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Mounted: Starlette keeps the full path and puts the mount's prefix in root_path.
        answer = self._from_memory(scope) if (
            scope["type"] == "http" and scope["method"] == "GET"
            and scope["path"] == scope.get("root_path", "") + self.PATH) else None
        if answer is None:
            await self.app(scope, receive, send)
            return
        subject, body = answer
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
            (b"x-subject-token", subject)]})
        await send({"type": "http.response.body", "body": body})

    def _from_memory(self, scope: Scope) -> tuple[bytes, bytes] | None:
        nocatalog = self.QUERIES.get(scope["query_string"])
        if nocatalog is None:
            return None
        auth = subject = None
        for name, value in scope["headers"]:
            if name == b"x-auth-token":
                auth = value
            elif name == b"x-subject-token":
                subject = value
        if not auth or not subject:
            return None
        caller = self._tokens.cached(auth.decode("latin-1"))
        subject_str = subject.decode("latin-1")
        info = self._tokens.cached(subject_str, with_catalog=not nocatalog)
        if caller is None or info is None:
            return None
        client = scope.get("client")
        ctx = self._tokens.to_context(caller, scope.get("state", {}).get("request_id", ""),
                                      client[0] if client else None)
        try:
            self._tokens.check_may_validate(ctx, info)
        except Forbidden:
            return None
        return subject, self._bodies.body(subject_str, nocatalog, info)
