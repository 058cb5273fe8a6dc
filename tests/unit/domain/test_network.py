"""Network rules without I/O: segment choice, MACs, EUI-64, default pools, who may do what."""

from __future__ import annotations

import ipaddress

import pytest

from nuage.domain import network as rules
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.errors import ValidationError
from nuage.domain.network import Subnet
from nuage.domain.network_errors import NetworkFault
from nuage.domain.policy import Target


def test_the_lowest_free_segment_id_in_range() -> None:
    assert rules.first_free_segment([], 1, 10) == 1
    assert rules.first_free_segment([1, 2, 4], 1, 10) == 3
    assert rules.first_free_segment([5, 1, 2, 3, 4, 99], 1, 5) is None
    assert rules.first_free_segment([1, 2], 2, 3) == 3


def test_macs_eui64_and_normalising() -> None:
    assert rules.mac_from(0x0A0B0C) == "fa:16:3e:0a:0b:0c"
    assert rules.mac_from(1 << 30 | 5) == "fa:16:3e:00:00:05"
    assert rules.normalise_mac("FA-16-3E-AA-BB-CC") == "fa:16:3e:aa:bb:cc"
    for bad in ("01:00:5e:00:00:01", "00:00:00:00:00:00", "fa:16:3e:0:0:1", "zz"):
        with pytest.raises(ValidationError):
            rules.normalise_mac(bad)
    # RFC 4291 appendix A: the universal/local bit flips, ff:fe goes in the middle.
    assert rules.eui64_address("2001:db8::/64", "fa:16:3e:11:22:33") == (
        "2001:db8::f816:3eff:fe11:2233")


def test_default_pools_around_the_gateway() -> None:
    net = ipaddress.ip_network("10.0.0.0/24")
    pools = rules.default_pools(net, ipaddress.ip_address("10.0.0.1"))
    assert rules.pools_as_dicts(4, pools) == [{"start": "10.0.0.2", "end": "10.0.0.254"}]
    mid = rules.default_pools(net, ipaddress.ip_address("10.0.0.100"))
    assert rules.pools_as_dicts(4, mid) == [{"start": "10.0.0.1", "end": "10.0.0.99"},
                                            {"start": "10.0.0.101", "end": "10.0.0.254"}]
    outside = rules.default_pools(net, ipaddress.ip_address("192.0.2.1"))
    assert rules.pools_as_dicts(4, outside) == [{"start": "10.0.0.1", "end": "10.0.0.254"}]


def test_first_free_address_skips_taken_and_the_gateway() -> None:
    from datetime import UTC, datetime
    now = datetime.now(UTC)
    s = Subnet(id="s", project_id="p", network_id="n", ip_version=4, cidr="10.0.0.0/29",
               created_at=now, updated_at=now, gateway_ip="10.0.0.3",
               allocation_pools=[{"start": "10.0.0.1", "end": "10.0.0.6"}])
    assert rules.first_free_address(s, {"10.0.0.1", "10.0.0.2"}) == "10.0.0.4"
    assert rules.first_free_address(s, {"10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.5",
                                        "10.0.0.6"}) is None


def test_provider_rules() -> None:
    rules.check_provider("vxlan", None, 5000)
    rules.check_provider("flat", "public", None)
    for args in (("vxlan", "physnet", None), ("flat", None, None), ("vlan", "p", 5000),
                 ("gre", None, None), ("flat", "p", 3)):
        with pytest.raises(ValidationError) as exc:
            rules.check_provider(*args)
        assert exc.value.fault is NetworkFault.PROVIDER_INVALID


MEMBER_A = RequestContext(request_id="r", user_id="u", project_id="p-a",
                          roles=frozenset({"member", "reader"}))
READER_A = RequestContext(request_id="r", user_id="u", project_id="p-a",
                          roles=frozenset({"reader"}))
ADMIN = RequestContext(request_id="r", user_id="u", project_id="p-admin",
                       roles=frozenset({"admin", "member", "reader"}), is_admin_project=True)
OWN, OTHER, SHARED = Target(project_id="p-a"), Target(project_id="p-b"), Target(
    project_id="p-b", shared=True)


@pytest.mark.parametrize(("ctx", "action", "target", "allowed"), [
    (MEMBER_A, "network:network:create", OWN, True),
    (MEMBER_A, "network:network:create", OTHER, False),
    (READER_A, "network:network:create", OWN, False),
    (MEMBER_A, "network:network:create_shared", OWN, False),
    (ADMIN, "network:network:create_shared", OTHER, True),
    (MEMBER_A, "network:network:create_provider", OWN, False),
    (MEMBER_A, "network:network:get", OTHER, False),
    (MEMBER_A, "network:network:get", SHARED, True),
    (READER_A, "network:network:get", OWN, True),
    (MEMBER_A, "network:network:get_provider", OWN, False),
    (ADMIN, "network:network:get_provider", OTHER, True),
    (MEMBER_A, "network:subnet:create", SHARED, False),
    (MEMBER_A, "network:port:set_fixed_ip_address", OTHER, False),
    (MEMBER_A, "network:port:update_binding", OWN, False),
    (ADMIN, "network:port:update_binding", OTHER, True),
    (MEMBER_A, "network:quota:update", OWN, False),
    (READER_A, "network:quota:get", OWN, True),
])
def test_network_policy_rows(ctx: RequestContext, action: str, target: Target,
                             allowed: bool) -> None:
    assert policy.may(ctx, action, target) is allowed
