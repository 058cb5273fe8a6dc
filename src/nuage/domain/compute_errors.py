"""Compute faults the services raise and Nova names on the wire."""

from __future__ import annotations

from nuage.domain.errors import NuageError


class OverLimit(NuageError):
    """A quota would be exceeded (Nova answers 403 with the quota's name and numbers)."""
