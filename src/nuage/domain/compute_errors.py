"""Compute faults the services raise and Nova names on the wire."""

from __future__ import annotations

from nuage.domain.errors import NotFound, NuageError


class OverLimit(NuageError):
    """A quota would be exceeded (Nova answers 403 with the quota's name and numbers)."""


class TagNotFound(NotFound):
    """A server does not have the tag asked about (404, in Nova's words)."""

    def __init__(self, message: str, server_id: str, tag: str) -> None:
        super().__init__("tag", tag)
        self.message = message
        self.args = (message,)
        self.server_id = server_id
