"""The ASGI middleware every listener runs, built in code: request ids, then the access log.

Each listener names its ids its own way (`RequestIds`): the OpenStack front answers
`X-Openstack-Request-Id: req-<uuid>`, the S3 listener `x-amz-request-id` plus the "extended"
host id `x-amz-id-2` that S3 support asks for. The ids are left in the ASGI scope's state
(`request_id`, `host_id`), where handlers read them for the RequestContext and error bodies.
"""

from __future__ import annotations

import base64
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("nuage.access")


@dataclass(frozen=True)
class RequestIds:
    """How one listener names a request: its id's header and maker, and optionally a host
    id's."""

    header: bytes
    new_id: Callable[[], str]
    host_header: bytes | None = None
    new_host_id: Callable[[], str] | None = None


OPENSTACK_IDS = RequestIds(b"x-openstack-request-id", lambda: f"req-{uuid.uuid4()}")
S3_IDS = RequestIds(b"x-amz-request-id", lambda: uuid.uuid4().hex[:16].upper(),
                    b"x-amz-id-2", lambda: base64.b64encode(secrets.token_bytes(24)).decode())


class RequestIdMiddleware:
    """Gives each request its ids, returned in the listener's headers and carried into the
    RequestContext, so audit events and error bodies point back at requests."""

    def __init__(self, app: ASGIApp, ids: RequestIds = OPENSTACK_IDS) -> None:
        self.app = app
        self.ids = ids

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["request_id"] = rid = self.ids.new_id()
        headers = [(self.ids.header, rid.encode())]
        if self.ids.host_header is not None and self.ids.new_host_id is not None:
            state["host_id"] = hid = self.ids.new_host_id()
            headers.append((self.ids.host_header, hid.encode()))

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_ids)


def logged_target(scope: Scope) -> str:
    """The path, and the query's parameter names only: a presigned URL's values are a
    credential (S3), and no listener needs values to trace a request."""
    path: str = scope["path"]
    names = [part.split(b"=", 1)[0].decode("latin-1")
             for part in scope.get("query_string", b"").split(b"&") if part]
    return path + ("?" + "&".join(names) if names else "")


class AccessLogMiddleware:
    """One line per request: client, method and target, status, duration, then the ids."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            client = scope.get("client") or ("-", 0)
            state = scope.get("state", {})
            ids = " ".join(i for i in (state.get("request_id", "-"), state.get("host_id")) if i)
            log.info('%s "%s %s" %s %.1fms %s', client[0], scope["method"],
                     logged_target(scope), status, (time.perf_counter() - start) * 1000, ids)


def listener_middleware(ids: RequestIds) -> list[Middleware]:
    """The stack of every listener, outermost first. Order matters and is explicit: the
    request id exists before anything logs."""
    return [Middleware(RequestIdMiddleware, ids=ids), Middleware(AccessLogMiddleware)]


def wrap(app: ASGIApp, middleware: list[Middleware]) -> ASGIApp:
    """`app` behind `middleware` (outermost first), as Starlette builds its own stack; for a
    listener that is a bare ASGI app rather than a Starlette one."""
    for cls, args, kwargs in reversed(middleware):
        app = cls(app, *args, **kwargs)
    return app
