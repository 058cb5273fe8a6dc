"""Subnet pools: Neutron's prefix rules, best-fit allocation across projects, the default
pool, shared and private pools, per-project quotas, deletion while subnets use a pool."""

from __future__ import annotations

from typing import Any

import pytest

from nuage.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from nuage.domain.network_errors import NetworkFault
from nuage.domain.network_pools import SubnetPool
from nuage.services.network.listing import ListQuery
from nuage.services.network.networks import NewNetwork
from nuage.services.network.subnetpools import NewSubnetPool
from nuage.services.network.subnets import NewSubnet
from tests.unit.network.conftest import Net


def _pool(net: Net, *prefixes: str, ctx: Any = None, **kw: Any) -> SubnetPool:
    return net.s.subnetpools.create(ctx or net.alice, NewSubnetPool(
        name=kw.pop("name", "pool"), prefixes=prefixes or ("10.10.0.0/16",), **kw))


def _from_pool(net: Net, pool_id: str, ctx: Any = None, **kw: Any) -> str:
    ctx = ctx or net.alice
    network = net.s.networks.create(ctx, NewNetwork()).network
    return net.s.subnets.create(ctx, NewSubnet(network_id=network.id, ip_version=None,
                                               subnetpool_id=pool_id, **kw)).cidr


def test_create_compacts_prefixes_derives_version_and_defaults_lengths(net: Net) -> None:
    pool = _pool(net, "10.1.0.0/24", "10.1.1.0/24", "10.1.0.128/25")
    assert (pool.ip_version, pool.prefixes) == (4, ["10.1.0.0/23"])
    assert (pool.min_prefixlen, pool.default_prefixlen, pool.max_prefixlen) == (8, 8, 32)
    v6 = _pool(net, "2001:db8::/48")
    assert (v6.ip_version, v6.min_prefixlen, v6.max_prefixlen) == (6, 64, 128)
    assert [e.target_id for e in net.events("network.subnetpool.create")] == [pool.id, v6.id]


@pytest.mark.parametrize(("prefixes", "kw", "fault"), [
    ((), {}, NetworkFault.SUBNETPOOL_PREFIXES_EMPTY),
    (("nonsense",), {}, NetworkFault.SUBNETPOOL_PREFIX_INVALID),
    (("10.0.0.0/8", "2001:db8::/32"), {}, NetworkFault.SUBNETPOOL_PREFIX_VERSION_MISMATCH),
    (("10.0.0.0/8",), {"min_prefixlen": 24, "max_prefixlen": 20},
     NetworkFault.SUBNETPOOL_BOUNDS_INVALID),
    (("10.0.0.0/8",), {"max_prefixlen": 33}, NetworkFault.SUBNETPOOL_BOUNDS_INVALID),
    (("10.0.0.0/8",), {"min_prefixlen": 16, "default_prefixlen": 12},
     NetworkFault.SUBNETPOOL_BOUNDS_INVALID),
    (("10.0.0.0/8",), {"min_prefixlen": -1}, NetworkFault.SUBNETPOOL_MIN_PREFIX_UNSUPPORTED),
    (("10.0.0.0/8",), {"default_quota": -5}, NetworkFault.QUOTA_INVALID),
])
def test_bad_pools_are_refused(net: Net, prefixes: tuple[str, ...], kw: dict[str, Any],
                               fault: NetworkFault) -> None:
    with pytest.raises(ValidationError) as exc:
        net.s.subnetpools.create(net.alice, NewSubnetPool(name="p", prefixes=prefixes, **kw))
    assert exc.value.fault is fault


def test_allocation_is_best_fit_first_free_and_pool_wide(net: Net) -> None:
    pool = _pool(net, "10.10.0.0/16", shared=False, default_prefixlen=24, ctx=net.admin)
    assert _from_pool(net, pool.id, ctx=net.admin) == "10.10.0.0/24"
    assert _from_pool(net, pool.id, ctx=net.admin, prefixlen=26) == "10.10.1.0/26"
    # The /26 went into the smallest free block that held it; the next /24 starts after.
    assert _from_pool(net, pool.id, ctx=net.admin, prefixlen=26) == "10.10.1.64/26"
    assert _from_pool(net, pool.id, ctx=net.admin) == "10.10.2.0/24"
    assert _from_pool(net, pool.id, ctx=net.admin, cidr="10.10.200.0/24") == "10.10.200.0/24"
    with pytest.raises(ValidationError) as exc:
        _from_pool(net, pool.id, ctx=net.admin, cidr="10.10.200.128/25")
    assert exc.value.fault is NetworkFault.SUBNETPOOL_CIDR_UNAVAILABLE
    with pytest.raises(ValidationError) as exc:
        _from_pool(net, pool.id, ctx=net.admin, cidr="10.11.0.0/24")
    assert exc.value.fault is NetworkFault.SUBNETPOOL_CIDR_UNAVAILABLE


def test_lengths_outside_the_pool_bounds_and_exhaustion(net: Net) -> None:
    pool = _pool(net, "10.20.0.0/23", min_prefixlen=23, default_prefixlen=24,
                 max_prefixlen=28)
    for prefixlen, fault in ((29, NetworkFault.SUBNETPOOL_PREFIXLEN_TOO_LONG),
                             (22, NetworkFault.SUBNETPOOL_PREFIXLEN_TOO_SHORT)):
        with pytest.raises(ValidationError) as exc:
            _from_pool(net, pool.id, prefixlen=prefixlen)
        assert exc.value.fault is fault
    assert _from_pool(net, pool.id) == "10.20.0.0/24"
    assert _from_pool(net, pool.id) == "10.20.1.0/24"
    with pytest.raises(Conflict) as conflict:
        _from_pool(net, pool.id)
    assert conflict.value.fault is NetworkFault.SUBNETPOOL_EXHAUSTED


def test_shared_pools_serve_every_project_private_ones_are_404(net: Net) -> None:
    private = _pool(net, "10.30.0.0/16", default_prefixlen=24)
    with pytest.raises(NotFound):
        net.s.subnetpools.get(net.bob, private.id)
    with pytest.raises(NotFound):
        _from_pool(net, private.id, ctx=net.bob)
    with pytest.raises(Forbidden):
        _pool(net, "10.40.0.0/16", shared=True)
    shared = _pool(net, "10.40.0.0/16", shared=True, default_prefixlen=24, ctx=net.admin)
    assert _from_pool(net, shared.id, ctx=net.alice) == "10.40.0.0/24"
    assert _from_pool(net, shared.id, ctx=net.bob) == "10.40.1.0/24"
    seen = net.s.subnetpools.list_pools(net.bob, ListQuery()).items
    assert [p.id for p in seen] == [shared.id]
    # Only its owner (or an admin) changes or deletes a shared pool.
    with pytest.raises(Forbidden):
        net.s.subnetpools.update(net.bob, shared.id, {"name": "mine"})


def test_one_default_per_version_and_use_default_subnetpool(net: Net) -> None:
    network = net.network().network
    with pytest.raises(ValidationError) as exc:
        net.s.subnets.create(net.alice, NewSubnet.from_default_pool(network.id))
    assert exc.value.fault is NetworkFault.NO_DEFAULT_SUBNETPOOL
    with pytest.raises(Forbidden):
        _pool(net, "10.50.0.0/16", is_default=True)
    default = _pool(net, "10.50.0.0/16", is_default=True, shared=True, default_prefixlen=26,
                    ctx=net.admin)
    with pytest.raises(ValidationError) as exc:
        _pool(net, "10.60.0.0/16", is_default=True, ctx=net.admin)
    assert exc.value.fault is NetworkFault.SUBNETPOOL_DEFAULT_EXISTS
    _pool(net, "2001:db8::/48", is_default=True, ctx=net.admin)      # another version
    subnet = net.s.subnets.create(net.alice, NewSubnet.from_default_pool(network.id))
    assert (subnet.cidr, subnet.subnetpool_id, subnet.gateway_ip) == (
        "10.50.0.0/26", default.id, "10.50.0.1")
    with pytest.raises(ValidationError) as exc:
        net.s.subnets.create(net.alice, NewSubnet(network_id=network.id,
                                                  subnetpool_id=default.id,
                                                  use_default_subnetpool=True))
    assert exc.value.fault is NetworkFault.SUBNET_POOL_REQUEST_INVALID


def test_subnet_request_rules(net: Net) -> None:
    pool = _pool(net, "10.70.0.0/16", default_prefixlen=24)
    network = net.network().network
    for kw in ({"cidr": "10.70.0.0/24", "prefixlen": 24},
               {"allocation_pools": [{"start": "10.70.0.5", "end": "10.70.0.9"}]},
               {"ip_version": 6}):
        with pytest.raises(ValidationError) as exc:
            net.s.subnets.create(net.alice, NewSubnet(network_id=network.id,
                                                      subnetpool_id=pool.id, **kw))
        assert exc.value.fault is NetworkFault.SUBNET_POOL_REQUEST_INVALID or (
            exc.value.fault is NetworkFault.SUBNETPOOL_VERSION_MISMATCH)
    with pytest.raises(ValidationError):
        net.s.subnets.create(net.alice, NewSubnet(network_id=network.id))
    net.subnet(network.id, "192.168.0.0/24")
    # One network's IPv4 subnets come from one pool (or none).
    with pytest.raises(ValidationError) as exc:
        net.s.subnets.create(net.alice, NewSubnet(network_id=network.id,
                                                  subnetpool_id=pool.id))
    assert exc.value.fault is NetworkFault.NETWORK_SUBNETPOOL_AFFINITY


def test_per_project_quota_counts_addresses(net: Net) -> None:
    pool = _pool(net, "10.80.0.0/16", shared=True, default_prefixlen=26, default_quota=128,
                 ctx=net.admin)
    _from_pool(net, pool.id)
    _from_pool(net, pool.id)
    with pytest.raises(Conflict) as exc:
        _from_pool(net, pool.id)
    assert exc.value.fault is NetworkFault.SUBNETPOOL_QUOTA_EXCEEDED
    assert _from_pool(net, pool.id, ctx=net.bob) == "10.80.0.128/26"


def test_update_grows_never_shrinks_and_delete_waits_for_subnets(net: Net) -> None:
    pool = _pool(net, "10.90.0.0/24", min_prefixlen=24, default_prefixlen=24)
    with pytest.raises(ValidationError) as exc:
        net.s.subnetpools.update(net.alice, pool.id, {"prefixes": ["10.91.0.0/24"]})
    assert exc.value.fault is NetworkFault.SUBNETPOOL_PREFIXES_SHRINK
    with pytest.raises(ValidationError) as exc:
        net.s.subnetpools.update(net.alice, pool.id, {"default_prefixlen": 20})
    assert exc.value.fault is NetworkFault.SUBNETPOOL_BOUNDS_INVALID
    grown = net.s.subnetpools.update(net.alice, pool.id, {
        "prefixes": ["10.90.0.0/24", "10.90.1.0/24"], "name": "grown", "default_quota": 512})
    assert (grown.prefixes, grown.name, grown.revision_number) == (
        ["10.90.0.0/23"], "grown", 1)
    cidr = _from_pool(net, pool.id)
    with pytest.raises(ValidationError) as exc:
        net.s.subnetpools.delete(net.alice, pool.id)
    assert exc.value.fault is NetworkFault.SUBNETPOOL_IN_USE
    with net.uow() as uow:
        subnet = uow.subnets.first(subnetpool_id=pool.id)
        assert subnet is not None and subnet.cidr == cidr
    net.s.subnets.delete(net.alice, subnet.id)
    net.s.subnetpools.delete(net.alice, pool.id)
    with pytest.raises(NotFound):
        net.s.subnetpools.get(net.alice, pool.id)
    assert [e.target_id for e in net.events("network.subnetpool.delete")] == [pool.id]


def test_address_scopes_are_not_served(net: Net) -> None:
    with pytest.raises(NotFound) as exc:
        _pool(net, "10.0.0.0/8", address_scope_id="5b3b4b1d-8c39-4c5f-9d1c-9a5b0f1f8f3e")
    assert exc.value.fields["kind"] == "address_scope"
