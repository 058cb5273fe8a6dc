"""Neutron v2.0 through openstacksdk against a live nuage: the proxy's create/find/list
(with its pagination over `networks_links`), update, delete and its exceptions."""

from __future__ import annotations

from typing import Any

import openstack.exceptions
import pytest

from tests.compat.conftest import Tenant, connect, unique
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def test_sdk_network_lifecycle(live_nuage: LiveNuage, tenant_factory: Any) -> None:
    t: Tenant = tenant_factory("sdknet")
    conn = connect(live_nuage, t.username, t.password, t.project_name)
    try:
        net = conn.network.create_network(name=unique("sdk"))
        assert net.project_id == t.project_id and net.mtu == 1450
        found = conn.network.find_network(net.name)
        assert found is not None and found.id == net.id
        subnet = conn.network.create_subnet(network_id=net.id, cidr="10.7.0.0/24",
                                            ip_version=4, name=unique("sub"))
        v6 = conn.network.create_subnet(network_id=net.id, cidr="2001:db8:7::/64",
                                        ip_version=6, ipv6_ra_mode="dhcpv6-stateless",
                                        ipv6_address_mode="dhcpv6-stateless")
        assert (v6.ipv6_ra_mode, v6.ipv6_address_mode) == ("dhcpv6-stateless",
                                                           "dhcpv6-stateless")
        ports = [conn.network.create_port(network_id=net.id, name=f"p{i}") for i in range(5)]
        assert {p.fixed_ips[0]["ip_address"] for p in ports} == {
            f"10.7.0.{i}" for i in range(2, 7)}
        # The proxy follows ports_links page by page.
        paged = list(conn.network.ports(network_id=net.id, limit=2))
        assert sorted(p.id for p in paged) == sorted(p.id for p in ports)
        updated = conn.network.update_port(ports[0], name="renamed", device_id="vm-1")
        assert (updated.name, updated.device_id) == ("renamed", "vm-1")
        assert [p.id for p in conn.network.ports(device_id="vm-1")] == [ports[0].id]
        with pytest.raises(openstack.exceptions.ConflictException):
            conn.network.delete_network(net)
        with pytest.raises(openstack.exceptions.BadRequestException):
            conn.network.create_subnet(network_id=net.id, cidr="10.7.0.0/25", ip_version=4)
        for p in ports:
            conn.network.delete_port(p)
        conn.network.delete_subnet(subnet)
        conn.network.delete_network(net)
        with pytest.raises(openstack.exceptions.NotFoundException):
            conn.network.get_network(net.id)
        quota = conn.network.get_quota(t.project_id)
        assert (quota.networks, quota.subnets, quota.ports) == (100, 100, 500)
    finally:
        conn.close()
