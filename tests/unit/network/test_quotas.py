"""Network quotas: Neutron's defaults, enforced per project, set by admins."""

from __future__ import annotations

import pytest

from nuage.domain.errors import Conflict, Forbidden, ValidationError
from nuage.domain.network_errors import NetworkFault
from nuage.services.network.ports import NewPort
from tests.unit.network.conftest import Net


def test_neutron_defaults(net: Net) -> None:
    assert net.s.quotas.show(net.alice, "p-a") == {
        "network": 100, "subnet": 100, "port": 500, "security_group": 10,
        "security_group_rule": 100, "router": 10, "floatingip": 50, "subnetpool": -1}
    with pytest.raises(Forbidden):
        net.s.quotas.show(net.alice, "p-b")


def test_each_quota_is_enforced_per_project(small: Net) -> None:
    made = [small.network().network for _ in range(2)]
    small.subnet(made[0].id, "10.0.0.0/24")
    small.subnet(made[1].id, "10.0.0.0/24")
    with pytest.raises(Conflict) as subnets:
        small.subnet(made[0].id, "10.1.0.0/24")
    assert (subnets.value.fault, subnets.value.fields) == (NetworkFault.OVER_QUOTA,
                                                           {"resources": ["subnet"]})
    for _ in range(3):
        small.s.ports.create(small.alice, NewPort(network_id=made[0].id))
    with pytest.raises(Conflict) as ports:
        small.s.ports.create(small.alice, NewPort(network_id=made[0].id))
    assert ports.value.fields == {"resources": ["port"]}
    small.network()                                 # 3 of the 3 segment ids; quota is 4
    # Another project has its own count.
    assert small.s.quotas.details(small.bob, "p-b")["network"] == {
        "limit": 4, "used": 0, "reserved": 0}


def test_admins_set_and_reset_quotas(net: Net) -> None:
    with pytest.raises(Forbidden):
        net.s.quotas.update(net.alice, "p-a", {"network": 1000})
    assert net.s.quotas.update(net.admin, "p-a", {"network": 1}) == {
        "network": 1, "subnet": 100, "port": 500, "security_group": 10,
        "security_group_rule": 100, "router": 10, "floatingip": 50, "subnetpool": -1}
    net.network()
    with pytest.raises(Conflict) as exc:
        net.network()
    assert exc.value.fields == {"resources": ["network"]}
    assert [p for p, _ in net.s.quotas.list_quotas(net.admin)] == ["p-a"]
    net.s.quotas.reset(net.admin, "p-a")
    assert net.s.quotas.show(net.alice, "p-a")["network"] == 100
    with pytest.raises(ValidationError) as bad:
        net.s.quotas.update(net.admin, "p-a", {"volumes": 5})
    assert bad.value.fault is NetworkFault.QUOTA_UNKNOWN


def test_check_limit_refuses_a_limit_below_usage(net: Net) -> None:
    net.network()
    net.network()
    with pytest.raises(Conflict) as exc:
        net.s.quotas.update(net.admin, "p-a", {"network": 1, "port": 0}, check_limit=True)
    assert (exc.value.fault, exc.value.fields) == (NetworkFault.QUOTA_BELOW_USAGE,
                                                   {"resources": ["network"]})
    # Without it (Neutron's default), a lower limit only stops new creates.
    assert net.s.quotas.update(net.admin, "p-a", {"network": 1})["network"] == 1
