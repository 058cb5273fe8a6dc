"""Concurrent network writes on real databases, each thread in its own unit of work: every
network gets its own segment id, every port its own address and MAC, no quota is passed.
PostgreSQL's read committed needs the services' row and advisory locks for this; SQLite
serialises writers anyway (both run)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from nuage.bootstrap import Cloud
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict
from nuage.domain.network import NetworkQuota
from nuage.domain.network_errors import NetworkFault
from nuage.services.network.networks import NewNetwork
from nuage.services.network.ports import NewPort
from nuage.services.network.subnets import NewSubnet

THREADS = 8


def _member(project: str) -> RequestContext:
    return RequestContext(request_id=f"req-{uuid.uuid4()}", user_id=f"u-{project}",
                          project_id=project, roles=frozenset({"member", "reader"}))


def _race(work: Callable[[int], object], threads: int = THREADS) -> list[BaseException]:
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as exc:  # collected for the test to judge
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert not any(w.is_alive() for w in workers)
    return errors


def test_concurrent_networks_get_distinct_segments(cloud: Cloud) -> None:
    ctx = _member(f"p-{uuid.uuid4().hex[:10]}")
    made: list[int | None] = []
    errors = _race(lambda n: made.append(
        cloud.network.networks.create(ctx, NewNetwork(name=f"n{n}")).network.segmentation_id))
    assert errors == []
    assert len(made) == THREADS and len(set(made)) == THREADS


def test_concurrent_ports_get_distinct_addresses_and_macs(cloud: Cloud) -> None:
    ctx = _member(f"p-{uuid.uuid4().hex[:10]}")
    net = cloud.network.networks.create(ctx, NewNetwork()).network
    cloud.network.subnets.create(ctx, NewSubnet(network_id=net.id, cidr="10.0.0.0/24"))
    ports = []
    errors = _race(lambda n: ports.append(
        cloud.network.ports.create(ctx, NewPort(network_id=net.id))))
    assert errors == []
    addresses = {p.fixed_ips[0]["ip_address"] for p in ports}
    assert len(addresses) == THREADS and len({p.mac_address for p in ports}) == THREADS
    with cloud.compute_ports.uow() as uow:
        assert len(uow.ip_allocations.find(network_id=net.id)) == THREADS


def test_concurrent_creates_never_pass_the_quota(cloud: Cloud) -> None:
    project = f"p-{uuid.uuid4().hex[:10]}"
    with cloud.compute_ports.uow(write=True) as uow:
        uow.network_quotas.add(NetworkQuota(project, network=3, subnet=10, port=10))
        uow.commit()
    ctx = _member(project)
    errors = _race(lambda n: cloud.network.networks.create(ctx, NewNetwork(name=f"q{n}")))
    assert len(errors) == THREADS - 3
    assert all(isinstance(e, Conflict) and e.fault is NetworkFault.OVER_QUOTA for e in errors)
    with cloud.compute_ports.uow() as uow:
        assert len(uow.networks.find(project_id=project)) == 3
