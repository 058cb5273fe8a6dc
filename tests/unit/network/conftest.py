"""The network use cases on SQLite :memory:, built by `build_network` with a real clock and
the real auditor, and callers of two projects plus a cloud administrator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from nuage.domain.audit import AuditEvent
from nuage.domain.context import RequestContext
from nuage.domain.network import Subnet
from nuage.drivers.clock import SystemClock
from nuage.drivers.sql.engine import make_engine
from nuage.drivers.sql.migrate import upgrade
from nuage.drivers.sql.uow import SqlUnitOfWorkFactory
from nuage.ports.repositories import AuditQuery
from nuage.services.audit import Auditor
from nuage.services.network.base import NetworkConfig, NetworkPorts, QuotaDefaults
from nuage.services.network.build import NetworkServices, build_network
from nuage.services.network.networks import NetworkInfo, NewNetwork
from nuage.services.network.subnets import NewSubnet

MEMBER = frozenset({"member", "reader"})


def member_of(project: str, user: str | None = None, roles: frozenset[str] = MEMBER
              ) -> RequestContext:
    return RequestContext(request_id=f"req-{project}", user_id=user or f"u-{project}",
                          project_id=project, roles=roles)


@dataclass
class Net:
    s: NetworkServices
    uow: SqlUnitOfWorkFactory
    admin: RequestContext
    alice: RequestContext        # member of project p-a
    bob: RequestContext          # member of project p-b

    def network(self, ctx: RequestContext | None = None, /, **kw: Any) -> NetworkInfo:
        return self.s.networks.create(ctx or self.alice, NewNetwork(**kw))

    def subnet(self, network_id: str, cidr: str = "10.0.0.0/24", /,
               ctx: RequestContext | None = None, **kw: Any) -> Subnet:
        version = 6 if ":" in cidr else 4
        return self.s.subnets.create(ctx or self.alice, NewSubnet(
            network_id=network_id, cidr=cidr, ip_version=version, **kw))

    def events(self, action: str) -> list[AuditEvent]:
        with self.uow() as uow:
            return uow.audit.query(AuditQuery(action=action, limit=1000))


def make_net(config: NetworkConfig | None = None) -> Iterator[Net]:
    engine = make_engine("sqlite://")
    upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    clock = SystemClock()
    services = build_network(NetworkPorts(uow=uow, clock=clock, auditor=Auditor(clock),
                                          config=config or NetworkConfig()))
    admin = RequestContext(request_id="req-admin", user_id="u-admin", project_id="p-admin",
                           roles=frozenset({"admin", "member", "reader"}),
                           is_admin_project=True)
    try:
        yield Net(services, uow, admin, member_of("p-a"), member_of("p-b"))
    finally:
        engine.dispose()


@pytest.fixture
def net() -> Iterator[Net]:
    yield from make_net()


@pytest.fixture
def small() -> Iterator[Net]:
    """Small quotas and a three-id segment range, to reach the limits."""
    yield from make_net(NetworkConfig(segment_min=10, segment_max=12,
                                      quotas=QuotaDefaults(network=4, subnet=2, port=3)))
