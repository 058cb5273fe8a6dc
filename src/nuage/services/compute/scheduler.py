"""Placement: filter hosts that fit, weigh them, claim atomically.

The claim runs inside the caller's write transaction: on SQLite the write lock taken at
BEGIN IMMEDIATE serialises claims; on PostgreSQL `uow.compute.lock_hosts()` locks the host
rows `FOR UPDATE` before allocations are summed. Either way two concurrent creates cannot
both take the last slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from nuage.domain.compute import Allocation, ComputeHost
from nuage.ports.repositories import UnitOfWork

# A host without a heartbeat for this long is down (os-services says so too).
HOST_TIMEOUT = timedelta(seconds=60)


@dataclass(frozen=True)
class Request:
    server_id: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    availability_zone: str | None = None


@dataclass(frozen=True)
class Free:
    vcpus: float
    memory_mb: float
    disk_gb: float


def free_on(host: ComputeHost, used: list[Allocation]) -> Free:
    return Free(
        vcpus=host.vcpus * host.cpu_allocation_ratio - sum(a.vcpus for a in used),
        memory_mb=host.memory_mb * host.ram_allocation_ratio - sum(a.memory_mb for a in used),
        disk_gb=host.disk_gb * host.disk_allocation_ratio - sum(a.disk_gb for a in used))


def claim(uow: UnitOfWork, req: Request, now: datetime) -> str | None:
    """Claim resources for the server on the best host; the host name, or None if none fits."""
    uow.compute.lock_hosts()
    # A host forced down (os-services, 2.11) is down whatever its heartbeat says.
    hosts = [h for h in uow.compute_hosts.find(enabled=True, forced_down=False)
             if h.last_seen is not None and now - h.last_seen <= HOST_TIMEOUT
             and (req.availability_zone is None or h.availability_zone == req.availability_zone)]
    best: tuple[float, str] | None = None
    for host in hosts:
        free = free_on(host, uow.allocations.find(hostname=host.hostname))
        if free.vcpus < req.vcpus or free.memory_mb < req.memory_mb or free.disk_gb < req.disk_gb:
            continue
        # Weigh by free RAM (spread), as Nova's default RAMWeigher does.
        if best is None or free.memory_mb > best[0]:
            best = (free.memory_mb, host.hostname)
    if best is None:
        return None
    uow.allocations.add(Allocation(req.server_id, best[1], req.vcpus, req.memory_mb,
                                   req.disk_gb))
    return best[1]


def claim_all(uow: UnitOfWork, reqs: list[Request], now: datetime) -> list[str] | None:
    """Claim for every server of one create request, or for none: the host of each, or
    None (and no claim left) when they do not all fit. Nova's scheduler does the same: it
    needs a host for every instance of a request, and otherwise drops the claims it made
    and fails the whole request with NoValidHost."""
    hosts: list[str] = []
    for req in reqs:
        host = claim(uow, req, now)
        if host is None:
            for done in reqs[:len(hosts)]:
                release(uow, done.server_id)
            return None
        hosts.append(host)
    return hosts


def release(uow: UnitOfWork, server_id: str) -> None:
    uow.allocations.delete_where(server_id=server_id)
