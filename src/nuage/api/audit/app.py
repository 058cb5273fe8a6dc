"""GET /audit/v1/events: the tamper-evident trail, readable by the tenants it concerns.

Authenticated by the same Keystone tokens; errors use the Keystone envelope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.auth import token_context
from nuage.api.openstack.common.body import iso, timestamp
from nuage.api.openstack.common.http import call, reply
from nuage.api.openstack.identity.errors import keystone_error, to_response
from nuage.domain.audit import AuditEvent
from nuage.domain.errors import NuageError, ValidationError
from nuage.ports.repositories import AuditQuery
from nuage.services.audit import AuditService
from nuage.services.identity.tokens import TokenService


def render_event(e: AuditEvent) -> dict[str, Any]:
    return {
        "seq": e.seq, "id": e.id, "at": iso(e.at), "action": e.action, "outcome": e.outcome,
        "target": {"type": e.target_type, "id": e.target_id}, "project_id": e.project_id,
        "actor": {"user_id": e.actor_user_id, "project_id": e.actor_project_id},
        "by_provider": e.by_provider, "source_ip": e.source_ip, "request_id": e.request_id,
        "detail": e.detail, "prev_hash": e.prev_hash, "hash": e.hash,
    }


def _time(request: Request, key: str) -> datetime | None:
    return timestamp(dict(request.query_params), key)


def audit_app(service: AuditService, tokens: TokenService, base_url: str,
              identity_url: str) -> Starlette:
    async def events(request: Request) -> Response:
        ctx = await token_context(tokens, request)
        q = request.query_params
        try:
            limit = int(q.get("limit", "100"))
            marker = int(q["marker"]) if "marker" in q else None
        except ValueError as exc:
            raise ValidationError("limit and marker must be integers.") from exc
        query = AuditQuery(project_id=q.get("project_id"), action=q.get("action"),
                           target_type=q.get("target_type"), target_id=q.get("target_id"),
                           since=_time(request, "since"), until=_time(request, "until"),
                           after_seq=marker, limit=limit)
        page = await call(service.list_events, ctx, query)
        nxt = None
        if page.next_marker is not None:
            params = dict(q)
            params["marker"] = str(page.next_marker)
            params.setdefault("limit", str(limit))
            nxt = f"{base_url}/v1/events?" + "&".join(f"{k}={v}" for k, v in params.items())
        return reply({"events": [render_event(e) for e in page.events],
                      "links": {"self": str(request.url), "next": nxt}})

    async def version(request: Request) -> Response:
        return reply({"version": {"id": "v1", "status": "CURRENT",
                                  "links": [{"rel": "self", "href": f"{base_url}/v1/"}]}})

    async def on_domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NuageError)
        return to_response(request, exc, identity_url)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return keystone_error(exc.status_code, "Error", str(exc.detail))

    handler: Callable[[Request], Awaitable[Response]] = events
    return Starlette(
        routes=[Route("/", version, methods=["GET"]), Route("/v1", version, methods=["GET"]),
                Route("/v1/events", handler, methods=["GET"])],
        exception_handlers={NuageError: on_domain_error, HTTPException: on_http_error},
    )
