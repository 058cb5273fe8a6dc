"""Compute faults the services raise and Nova names on the wire."""

from __future__ import annotations

from nuage.domain.errors import FaultCode, NotFound, NuageError


class ComputeFault(FaultCode):
    """What went wrong in compute use cases."""

    # --- servers and their actions ---
    # --- flavors, keypairs, quotas, aggregates, hosts, usage ---


class OverLimit(NuageError):
    """A quota would be exceeded (Nova answers 403 with the quota's name and numbers)."""


class TagNotFound(NotFound):
    """A server does not have the tag asked about (404, in Nova's words)."""

    def __init__(self, message: str, server_id: str, tag: str) -> None:
        NuageError.__init__(self, message)  # TRANSITION: the compute area words it
        self.kind = "tag"
        self.ident = tag
        self.server_id = server_id
