"""Fixtures for the service tests: a seeded cloud on in-memory SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.services.world import World, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path, lockout_failure_attempts=3, lockout_duration=600)
