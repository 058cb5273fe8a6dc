"""Server diagnostics (GET /servers/{id}/diagnostics), read from the guest by its host's
agent at once: there is no task state for it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from nuage.domain import policy
from nuage.domain.compute import Server, VmState
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict
from nuage.services.compute.servers import ServerUseCases

# Where a guest runs and can be read (Nova's libvirt driver reads a running or paused one).
READABLE_STATES = frozenset({VmState.ACTIVE.value, VmState.PAUSED.value})


class DiagnosticsService(ServerUseCases):
    def diagnostics(self, ctx: RequestContext, server_id: str, standard: bool = False
                    ) -> dict[str, Any]:
        """Nova's legacy (before 2.48) flat diagnostics, or (`standard`, 2.48) its
        standard ones. 404 for an unknown server, then 403 for anyone but administrators
        (Nova's policy), 409 when the guest is not running."""
        with self.p.uow() as uow:
            server = self.server(uow, ctx, server_id)
        policy.enforce(ctx, "compute:server:diagnostics",
                       policy.Target(project_id=server.project_id))
        if server.host is None:
            raise Conflict(ComputeFault.DIAGNOSTICS_SERVER_NOT_READY, server_id=server.id)
        if server.vm_state not in READABLE_STATES:
            raise Conflict(ComputeFault.DIAGNOSTICS_SERVER_STATE, server_id=server.id,
                           vm_state=server.vm_state)
        try:
            legacy = self.p.agents.diagnostics(server.host, server.id)
        except LookupError as exc:
            raise Conflict(ComputeFault.DIAGNOSTICS_SERVER_NOT_RUNNING,
                           server_id=server.id) from exc
        if not standard:
            return legacy
        return standard_diagnostics(server, legacy, self.p.clock.now())


# Disk and NIC counters of the legacy dict, by their suffix.
_DISK_KEYS = {"read": "read_bytes", "read_req": "read_requests", "write": "write_bytes",
              "write_req": "write_requests", "errors": "errors_count"}
_NIC_KEYS = {"rx": "rx_octets", "rx_packets": "rx_packets", "rx_errors": "rx_errors",
             "rx_drop": "rx_drop", "tx": "tx_octets", "tx_packets": "tx_packets",
             "tx_errors": "tx_errors", "tx_drop": "tx_drop"}


def standard_diagnostics(server: Server, legacy: dict[str, Any], now: datetime
                         ) -> dict[str, Any]:
    """2.48's standard diagnostics from the driver's flat dict (what Nova's libvirt driver
    fills in; what it cannot tell is null)."""
    cpus = sorted(int(k[3:-5]) for k in legacy if re.fullmatch(r"cpu\d+_time", k))
    disks = sorted({k.rsplit("_", 1)[0] for k in legacy if re.fullmatch(r"[vsh]d[a-z]+_read", k)})
    nics = sorted({k[:-3] for k in legacy if k.endswith("_rx") and not k.startswith("vd")})
    launched = server.launched_at
    uptime = None
    if launched is not None:
        if launched.tzinfo is None:
            launched = launched.replace(tzinfo=UTC)
        uptime = int((now - launched).total_seconds())
    actual = legacy.get("memory-actual")
    return {
        "state": "paused" if server.vm_state == VmState.PAUSED.value else "running",
        "driver": "libvirt", "hypervisor": "qemu", "hypervisor_os": "linux",
        "uptime": uptime, "config_drive": True,
        "num_cpus": len(cpus), "num_disks": len(disks), "num_nics": len(nics),
        "memory_details": {"maximum": int(server.flavor.get("ram", 0)),
                           "used": int(actual) // 1024 if isinstance(actual, int) else None},
        "cpu_details": [{"id": n, "time": legacy.get(f"cpu{n}_time"), "utilisation": None}
                        for n in cpus],
        "disk_details": [{wire: legacy.get(f"{disk}_{key}") for key, wire in _DISK_KEYS.items()}
                         for disk in disks],
        "nic_details": [{"mac_address": None, "rx_rate": None, "tx_rate": None,
                         **{wire: legacy.get(f"{nic}_{key}") for key, wire in _NIC_KEYS.items()}}
                        for nic in nics],
    }
