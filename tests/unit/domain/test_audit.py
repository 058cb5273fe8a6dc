"""The hash chain: sealing, verifying, and naming the first event that breaks it."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nuage.domain.audit import (
    GENESIS_HASH,
    AuditChainHead,
    AuditEvent,
    event_hash,
    seal,
    verify_chain,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _event(n: int) -> AuditEvent:
    return AuditEvent(id=f"ev{n}", at=T0 + timedelta(seconds=n), action="identity.project.create",
                      outcome="success", target_type="project", target_id=f"p{n}",
                      project_id=f"p{n}", actor_user_id="u1", source_ip="10.0.0.1",
                      request_id=f"req-{n}", detail={"n": n})


def _chain(count: int = 5) -> tuple[list[AuditEvent], AuditChainHead]:
    head = AuditChainHead(id=1, seq=0, hash=GENESIS_HASH)
    events = []
    for n in range(1, count + 1):
        event = _event(n)
        seal(event, head)
        events.append(event)
    return events, head


def test_seal_numbers_and_links_events() -> None:
    events, head = _chain(3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert (head.seq, head.hash) == (3, events[2].hash)
    assert len({e.hash for e in events}) == 3


def test_an_intact_chain_verifies() -> None:
    events, head = _chain()
    assert verify_chain(events, head) is None


def test_an_empty_trail_verifies_with_or_without_a_head() -> None:
    assert verify_chain([], None) is None
    assert verify_chain([], AuditChainHead(id=1, seq=0, hash=GENESIS_HASH)) is None


def test_the_hash_covers_every_field() -> None:
    event = _event(1)
    base = event_hash(event, GENESIS_HASH)
    changes: dict[str, Any] = {
        "id": "other", "at": T0 + timedelta(microseconds=1), "action": "x", "outcome": "failure",
        "target_type": "user", "target_id": "p9", "project_id": None, "actor_user_id": "u2",
        "actor_project_id": "p1", "by_provider": True, "source_ip": "10.0.0.2",
        "request_id": "req-x", "detail": {"n": 2}, "seq": 7,
    }
    for name, value in changes.items():
        assert event_hash(dataclasses.replace(event, **{name: value}), GENESIS_HASH) != base, name
    assert event_hash(event, "1" * 64) != base


@pytest.mark.parametrize("field", ["action", "outcome", "project_id", "actor_user_id",
                                   "target_id", "source_ip", "detail", "by_provider"])
def test_an_altered_event_is_named(field: str) -> None:
    events, head = _chain()
    value = {"detail": {"n": 99}, "by_provider": True}.get(field, "forged")
    setattr(events[2], field, value)
    problem = verify_chain(events, head)
    assert problem is not None
    assert (problem.seq, problem.event_id) == (3, "ev3")
    assert "altered" in problem.reason
    assert "event #3 (ev3)" in str(problem)


def test_an_altered_event_with_a_recomputed_hash_breaks_the_next_link() -> None:
    events, head = _chain()
    events[1].action = "identity.user.delete"
    events[1].hash = event_hash(events[1], events[1].prev_hash)
    problem = verify_chain(events, head)
    assert problem is not None
    assert (problem.seq, problem.event_id) == (3, "ev3")
    assert "link" in problem.reason


def test_a_removed_event_is_noticed_at_the_next_one() -> None:
    events, head = _chain()
    del events[1]
    problem = verify_chain(events, head)
    assert problem is not None
    assert (problem.seq, problem.event_id) == (3, "ev3")
    assert "2 was expected" in problem.reason


def test_an_inserted_event_is_named() -> None:
    events, head = _chain()
    forged = copy.copy(events[1])
    forged.id, forged.action = "forged", "identity.user.delete"
    forged.hash = event_hash(forged, forged.prev_hash)
    events.insert(2, forged)
    problem = verify_chain(events, head)
    assert problem is not None
    # The forgery copies seq 2, so the first bad event is the one standing in seq 3's place.
    assert (problem.seq, problem.event_id) == (2, "forged")


def test_an_inserted_event_renumbering_the_rest_is_named() -> None:
    events, head = _chain()
    forged = _event(99)
    forged.id = "forged"
    forged.seq, forged.prev_hash = 3, events[1].hash
    forged.hash = event_hash(forged, forged.prev_hash)
    for later in events[2:]:
        later.seq += 1
    events.insert(2, forged)
    problem = verify_chain(events, head)
    assert problem is not None
    # The forgery links properly; the event after it no longer does.
    assert (problem.seq, problem.event_id) == (4, "ev3")


def test_reordered_events_are_named() -> None:
    events, head = _chain()
    events[1], events[2] = events[2], events[1]
    problem = verify_chain(events, head)
    assert problem is not None
    assert (problem.seq, problem.event_id) == (3, "ev3")


def test_swapped_sequence_numbers_are_named() -> None:
    events, head = _chain()
    events[1].seq, events[2].seq = 3, 2
    events[1], events[2] = events[2], events[1]
    problem = verify_chain(events, head)
    assert problem is not None
    assert (problem.seq, problem.event_id) == (2, "ev3")


def test_a_truncated_trail_is_noticed_through_the_head() -> None:
    events, head = _chain()
    problem = verify_chain(events[:3], head)
    assert problem is not None
    assert problem.seq is None and problem.event_id is None
    assert "#5" in problem.reason and "#3" in problem.reason
    assert str(problem).startswith("chain head")


def test_a_trail_with_no_head_but_events_is_broken() -> None:
    events, _ = _chain(2)
    problem = verify_chain(events, None)
    assert problem is not None and problem.seq is None


def test_an_altered_head_hash_is_noticed() -> None:
    events, head = _chain()
    head.hash = "f" * 64
    assert verify_chain(events, head) is not None
