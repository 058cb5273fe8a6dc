"""Concurrent allocations from one subnet pool on real databases, each thread in its own
unit of work: every subnet gets its own prefix (across projects), one pool becomes the
default of a version, and the database itself refuses one prefix twice in a pool.
PostgreSQL's read committed needs the pool's row lock for this; SQLite serialises writers
anyway (both run)."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from nuage.bootstrap import Cloud
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.domain.network import Subnet
from nuage.domain.network_errors import NetworkFault
from nuage.services.network.networks import NewNetwork
from nuage.services.network.subnetpools import NewSubnetPool
from nuage.services.network.subnets import NewSubnet
from tests.drivers.test_network_concurrency import THREADS, _member, _race

ADMIN = RequestContext(request_id="req-admin", user_id="u-admin", project_id="p-admin",
                       roles=frozenset({"admin", "member", "reader"}), is_admin_project=True)


def test_concurrent_subnets_get_distinct_prefixes_of_a_shared_pool(cloud: Cloud) -> None:
    pool = cloud.network.subnetpools.create(ADMIN, NewSubnetPool(
        name="shared", prefixes=("10.44.0.0/16",), default_prefixlen=24, shared=True))
    members = [_member(f"p-{uuid.uuid4().hex[:10]}") for _ in range(THREADS)]
    networks = [cloud.network.networks.create(m, NewNetwork()).network for m in members]
    made: list[Subnet] = []
    errors = _race(lambda n: made.append(cloud.network.subnets.create(members[n], NewSubnet(
        network_id=networks[n].id, subnetpool_id=pool.id, ip_version=None))))
    assert errors == []
    cidrs = [ipaddress.ip_network(s.cidr) for s in made]
    assert len(set(cidrs)) == THREADS
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:])
    assert sorted(str(c) for c in cidrs) == [f"10.44.{i}.0/24" for i in range(THREADS)]


def test_concurrent_defaults_leave_one_default_per_version(cloud: Cloud) -> None:
    errors = _race(lambda n: cloud.network.subnetpools.create(ADMIN, NewSubnetPool(
        name=f"d{n}", prefixes=(f"10.{60 + n}.0.0/16",), is_default=True)))
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, ValidationError)
               and e.fault is NetworkFault.SUBNETPOOL_DEFAULT_EXISTS for e in errors)
    with cloud.compute_ports.uow() as uow:
        assert len(uow.subnetpools.find(ip_version=4, is_default=True)) == 1


def test_the_database_refuses_one_prefix_twice_in_a_pool(cloud: Cloud) -> None:
    """What backs the lock: UNIQUE(subnetpool_id, cidr) on subnets (subnets without a pool
    repeat prefixes freely, on different networks)."""
    now = datetime.now(UTC)

    def subnet(pool_id: str | None, network_id: str) -> Subnet:
        return Subnet(id=str(uuid.uuid4()), project_id="p", network_id=network_id,
                      ip_version=4, cidr="10.45.0.0/24", created_at=now, updated_at=now,
                      subnetpool_id=pool_id)

    with cloud.compute_ports.uow(write=True) as uow:
        uow.subnets.add(subnet(None, "n1"))
        uow.subnets.add(subnet(None, "n2"))
        uow.commit()
    with pytest.raises(IntegrityError), cloud.compute_ports.uow(write=True) as uow:
        uow.subnets.add(subnet("pool-1", "n3"))
        uow.subnets.add(subnet("pool-1", "n4"))
        uow.commit()
