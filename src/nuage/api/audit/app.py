"""GET /audit/v1/events: the tamper-evident trail, readable by the tenants it concerns.

Authenticated by the same Keystone tokens; errors use the Keystone envelope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuage.api.openstack.common.auth import token_context
from nuage.api.openstack.common.body import iso, timestamp
from nuage.api.openstack.common.deps import app_deps, install
from nuage.api.openstack.common.http import call, reply
from nuage.api.openstack.identity.errors import keystone_error, to_response
from nuage.domain.audit import AuditEvent
from nuage.domain.errors import NuageError, ValidationError
from nuage.ports.repositories import AuditQuery
from nuage.services.audit import AuditService
from nuage.services.identity.tokens import TokenService


@dataclass(frozen=True)
class Deps:
    service: AuditService
    tokens: TokenService
    # The audit API's own URL, e.g. http://127.0.0.1:8800/audit
    url: str
    identity_url: str


def deps(request: Request) -> Deps:
    """The audit API's dependencies, as `audit_app` installed them."""
    return app_deps(request, Deps)


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


def audit_query(request: Request) -> AuditQuery:
    """The filters and page of `GET /v1/events` (`?project_id=...&since=...&marker=<seq>`)."""
    q = request.query_params
    try:
        limit = int(q.get("limit", "100"))
        marker = int(q["marker"]) if "marker" in q else None
    except ValueError as exc:
        raise ValidationError("limit and marker must be integers.") from exc
    return AuditQuery(project_id=q.get("project_id"), action=q.get("action"),
                      target_type=q.get("target_type"), target_id=q.get("target_id"),
                      since=_time(request, "since"), until=_time(request, "until"),
                      after_seq=marker, limit=limit)


async def events(request: Request) -> Response:
    d = deps(request)
    ctx = await token_context(d.tokens, request)
    q = request.query_params
    query = audit_query(request)
    page = await call(d.service.list_events, ctx, query)
    nxt = None
    if page.next_marker is not None:
        params = dict(q)
        params["marker"] = str(page.next_marker)
        params.setdefault("limit", str(query.limit))
        nxt = f"{d.url}/v1/events?" + "&".join(f"{k}={v}" for k, v in params.items())
    return reply({"events": [render_event(e) for e in page.events],
                  "links": {"self": str(request.url), "next": nxt}})


async def version(request: Request) -> Response:
    return reply({"version": {"id": "v1", "status": "CURRENT",
                              "links": [{"rel": "self", "href": f"{deps(request).url}/v1/"}]}})


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NuageError)
    return to_response(request, exc, deps(request).identity_url)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return keystone_error(exc.status_code, "Error", str(exc.detail))


ROUTES: list[Route] = [
    Route("/", version, methods=["GET"]),
    Route("/v1", version, methods=["GET"]),
    Route("/v1/events", events, methods=["GET"]),
]


def audit_app(service: AuditService, tokens: TokenService, base_url: str,
              identity_url: str) -> Starlette:
    app = Starlette(routes=ROUTES, exception_handlers={NuageError: on_domain_error,
                                                       HTTPException: on_http_error})
    install(app, Deps(service=service, tokens=tokens, url=base_url, identity_url=identity_url))
    return app
