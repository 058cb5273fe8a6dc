"""The audit trail: events chained by hashes, so that any edit shows.

Each event's hash covers its own fields and the previous event's hash. Changing, removing,
inserting or reordering a stored event breaks the chain at that point; the chain head
(last sequence number and hash) is kept apart, so cutting events off the end shows too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

GENESIS_HASH = "0" * 64


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


@dataclass
class AuditEvent:
    id: str
    at: datetime
    action: str
    outcome: str
    target_type: str
    target_id: str | None = None
    # The project the event concerns: its readers see the event.
    project_id: str | None = None
    actor_user_id: str | None = None
    actor_project_id: str | None = None
    # True when a cloud administrator acted on a project that is not their own:
    # tenants see what the provider's operators did to their resources.
    by_provider: bool = False
    source_ip: str | None = None
    request_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    prev_hash: str = GENESIS_HASH
    hash: str = ""


@dataclass
class AuditChainHead:
    id: int
    seq: int
    hash: str


def _canonical(event: AuditEvent) -> bytes:
    fields = {
        "seq": event.seq,
        "id": event.id,
        "at": event.at.isoformat(),
        "action": event.action,
        "outcome": event.outcome,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "project_id": event.project_id,
        "actor_user_id": event.actor_user_id,
        "actor_project_id": event.actor_project_id,
        "by_provider": event.by_provider,
        "source_ip": event.source_ip,
        "request_id": event.request_id,
        "detail": event.detail,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(event)).hexdigest()


def seal(event: AuditEvent, head: AuditChainHead) -> None:
    """Give the event the next place in the chain and move the head onto it."""
    event.seq = head.seq + 1
    event.prev_hash = head.hash
    event.hash = event_hash(event, head.hash)
    head.seq = event.seq
    head.hash = event.hash


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None
    event_id: str | None
    reason: str

    def __str__(self) -> str:
        where = f"event #{self.seq} ({self.event_id})" if self.seq is not None else "chain head"
        return f"{where}: {self.reason}"


def verify_chain(events: Iterable[AuditEvent], head: AuditChainHead | None) -> ChainBreak | None:
    """Walk the events in sequence order; return the first break, or None if intact."""
    expected_seq = 1
    prev = GENESIS_HASH
    for event in events:
        if event.seq != expected_seq:
            return ChainBreak(
                event.seq, event.id,
                f"sequence number {event.seq} where {expected_seq} was expected "
                "(an event was removed, inserted or reordered)",
            )
        if event.prev_hash != prev:
            return ChainBreak(event.seq, event.id, "does not link to the event before it")
        if event_hash(event, prev) != event.hash:
            return ChainBreak(event.seq, event.id, "content does not match its hash (altered)")
        prev = event.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    head_seq = head.seq if head else 0
    head_hash = head.hash if head else GENESIS_HASH
    if head_seq != last_seq or head_hash != prev:
        return ChainBreak(
            None, None,
            f"the chain head names event #{head_seq} but the trail ends at #{last_seq} "
            "(events were removed from the end, or the head was altered)",
        )
    return None
