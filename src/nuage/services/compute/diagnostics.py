"""Server diagnostics (GET /servers/{id}/diagnostics), read from the guest by its host's
agent at once: there is no task state for it."""

from __future__ import annotations

from typing import Any

from nuage.domain import policy
from nuage.domain.compute import VmState
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict, Forbidden
from nuage.services.compute.servers import ServerUseCases

# Where a guest runs and can be read (Nova's libvirt driver reads a running or paused one).
READABLE_STATES = frozenset({VmState.ACTIVE.value, VmState.PAUSED.value})


class DiagnosticsService(ServerUseCases):
    def diagnostics(self, ctx: RequestContext, server_id: str) -> dict[str, Any]:
        """Nova's legacy (before 2.48) flat diagnostics. 404 for an unknown server, then 403
        for anyone but administrators (Nova's policy), 409 when the guest is not running."""
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id)
        if not policy.is_cloud_admin(ctx):
            raise Forbidden("Policy doesn't allow os_compute_api:os-server-diagnostics to be "
                            "performed.")
        if server.host is None:
            raise Conflict(f"Instance {server.id} is not ready yet.")
        if server.vm_state not in READABLE_STATES:
            raise Conflict(f"Cannot 'get_diagnostics' instance {server.id} while it is in "
                           f"vm_state {server.vm_state}")
        try:
            return self.p.agents.diagnostics(server.host, server.id)
        except LookupError as exc:
            raise Conflict(f"Instance {server.id} is not running.") from exc
