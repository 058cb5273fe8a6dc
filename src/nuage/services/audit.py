"""Recording and reading the audit trail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from nuage.domain import policy
from nuage.domain.audit import AuditEvent, ChainBreak, Outcome, verify_chain
from nuage.domain.context import RequestContext
from nuage.ports.clock import Clock
from nuage.ports.repositories import AuditQuery, UnitOfWork, UnitOfWorkFactory

MAX_PAGE = 1000


class Auditor:
    """Builds events from the request context; the caller's unit of work stores them,
    so an event commits or rolls back with the change it describes (outbox)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def record(self, uow: UnitOfWork, ctx: RequestContext, action: str, target_type: str,
               target_id: str | None, *, project_id: str | None = None,
               outcome: Outcome = Outcome.SUCCESS, detail: dict[str, Any] | None = None,
               actor_user_id: str | None = None) -> AuditEvent:
        by_provider = (
            policy.is_cloud_admin(ctx) and project_id is not None
            and project_id != ctx.project_id
        )
        event = AuditEvent(
            id=uuid.uuid4().hex,
            at=self._clock.now(),
            action=action,
            outcome=outcome.value,
            target_type=target_type,
            target_id=target_id,
            project_id=project_id,
            actor_user_id=actor_user_id or ctx.user_id,
            actor_project_id=ctx.project_id,
            by_provider=by_provider,
            source_ip=ctx.source_ip,
            request_id=ctx.request_id,
            detail=detail or {},
        )
        uow.audit.append(event)
        return event


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    next_marker: int | None


class AuditService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def list_events(self, ctx: RequestContext, q: AuditQuery) -> EventPage:
        """Cloud readers see every event; anyone else only their own project's."""
        if not policy.may(ctx, "audit:list_all_projects"):
            # Another project's events: refused by the same row (the caller reads none there).
            policy.enforce(ctx, "audit:list_events",
                           policy.Target(project_id=q.project_id or ctx.project_id))
            q = AuditQuery(**{**q.__dict__, "project_id": ctx.project_id})
        limit = max(1, min(q.limit, MAX_PAGE))
        with self._uow() as uow:
            events = uow.audit.query(AuditQuery(**{**q.__dict__, "limit": limit + 1}))
        more = len(events) > limit
        events = events[:limit]
        return EventPage(events, events[-1].seq if more and events else None)

    def verify(self) -> ChainBreak | None:
        """Operator check (no RequestContext: run from the host's command line)."""
        # One snapshot: the head and the events it covers, however busy the writers are.
        with self._uow(snapshot=True) as uow:
            return verify_chain(uow.audit.walk(), uow.audit.head())
