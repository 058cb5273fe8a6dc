"""Nova's usage arithmetic: hours within a window, and which servers a window holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nuage.domain.compute import Server
from nuage.domain.errors import ValidationError
from nuage.services.compute.usage import active_in, hours_for, parse_time

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _server(launched: float | None, terminated: float | None = None) -> Server:
    def at(h: float | None) -> datetime | None:
        return None if h is None else T0 + timedelta(hours=h)
    return Server(id="s", name="s", project_id="p", user_id="u", image_id="i", flavor_id="1",
                  flavor={"vcpus": 1}, vm_state="active", created_at=T0, updated_at=T0,
                  launched_at=at(launched), terminated_at=at(terminated))


@pytest.mark.parametrize(("launched", "terminated", "hours", "active"), [
    (None, None, 0.0, False),      # never booted: not charged
    (1, None, 9.0, True),          # runs to the end of the window
    (-5, None, 10.0, True),        # clipped to the start
    (2, 4, 2.0, True),
    (-5, -1, 0.0, False),          # ended before the window
    (12, None, 0.0, False),        # launched after it
    (-1, 15, 10.0, True),
])
def test_hours_for(launched: float | None, terminated: float | None, hours: float,
                   active: bool) -> None:
    server = _server(launched, terminated)
    start, stop = T0, T0 + timedelta(hours=10)
    assert hours_for(server, start, stop) == pytest.approx(hours)
    assert active_in(server, start, stop) is active


def test_parse_time() -> None:
    now = datetime.now(UTC)
    assert parse_time(None, now) == now
    assert parse_time("2026-01-01T00:00:00", now) == T0
    assert parse_time("2026-01-01T00:00:00.5", now) == T0 + timedelta(microseconds=500000)
    assert parse_time("2026-01-01 00:00:00.000000", now) == T0
    with pytest.raises(ValidationError):
        parse_time("2026-01-01", now)
