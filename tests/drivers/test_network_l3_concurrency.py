"""Concurrent floating IP writes on real databases: every floating IP gets its own
address, and of several binding one port's address at once exactly one wins, the others
409 FloatingIPPortAlreadyAssociated (never a 500 from the unique key)."""

from __future__ import annotations

import uuid

from nuage.bootstrap import Cloud
from nuage.domain.context import RequestContext
from nuage.domain.errors import Conflict
from nuage.domain.network_errors import NetworkFault
from nuage.services.network.floatingips import NewFloatingIp
from nuage.services.network.networks import NewNetwork
from nuage.services.network.ports import NewPort
from nuage.services.network.routers import GatewayInfo, NewRouter
from nuage.services.network.subnets import NewSubnet
from tests.drivers.test_network_concurrency import THREADS, _member, _race

ADMIN = RequestContext(request_id="req-admin", user_id="u-admin", project_id="p-admin",
                       roles=frozenset({"admin", "member", "reader"}), is_admin_project=True)


def _external(cloud: Cloud) -> str:
    net = cloud.network.networks.create(ADMIN, NewNetwork(
        name=f"ext-{uuid.uuid4().hex[:6]}", external=True)).network
    cloud.network.subnets.create(ADMIN, NewSubnet(network_id=net.id, cidr="203.0.113.0/24"))
    return net.id


def test_concurrent_floating_ips_get_distinct_addresses(cloud: Cloud) -> None:
    ext = _external(cloud)
    ctx = _member(f"p-{uuid.uuid4().hex[:10]}")
    made: list[str] = []
    errors = _race(lambda n: made.append(cloud.network.floatingips.create(
        ctx, NewFloatingIp(floating_network_id=ext)).floating_ip_address))
    assert errors == []
    assert len(made) == THREADS and len(set(made)) == THREADS


def test_one_port_address_binds_one_floating_ip(cloud: Cloud) -> None:
    ext = _external(cloud)
    ctx = _member(f"p-{uuid.uuid4().hex[:10]}")
    router = cloud.network.routers.create(ctx, NewRouter(gateway=GatewayInfo(ext)))
    net = cloud.network.networks.create(ctx, NewNetwork()).network
    subnet = cloud.network.subnets.create(ctx, NewSubnet(network_id=net.id,
                                                         cidr="10.0.0.0/24"))
    cloud.network.routers.add_interface(ctx, router.id, subnet_id=subnet.id)
    port = cloud.network.ports.create(ctx, NewPort(network_id=net.id))
    fips = [cloud.network.floatingips.create(ctx, NewFloatingIp(floating_network_id=ext))
            for _ in range(THREADS)]
    errors = _race(lambda n: cloud.network.floatingips.update(ctx, fips[n].id,
                                                              {"port_id": port.id}))
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, Conflict) and e.fault is NetworkFault.FIXED_IP_ALREADY_ASSOCIATED
               for e in errors)
    with cloud.compute_ports.uow() as uow:
        assert len(uow.floating_ips.find(port_id=port.id)) == 1
