"""The fabric's specs refuse values that would change meaning where the datapath writes
them (namespace names, device aliases, nftables scripts, dnsmasq's files)."""

from __future__ import annotations

import pytest

from nuage.ports.network_fabric import (
    AddressPair,
    DhcpHost,
    FabricError,
    FixedIp,
    FloatingIpSpec,
    NetworkSpec,
    PortSpec,
    RouterInterface,
    SecurityGroupSpec,
    SecurityRule,
    SubnetSpec,
)

UUID = "0b6f1c7e-3f7a-4f55-9d0b-2b1c3f8e9a10"
MAC = "fa:16:3e:00:00:01"


def test_neutron_values_pass() -> None:
    NetworkSpec(UUID, 1, subnets=(SubnetSpec(UUID, "10.0.0.0/24", "10.0.0.1",
                                             dns_nameservers=("192.0.2.53",)),),
                dhcp_hosts=(DhcpHost(MAC, "10.0.0.5", "vm-1"),))
    PortSpec(UUID, UUID, MAC.upper(), fixed_ips=(FixedIp(UUID, "2001:db8::5"),),
             security_groups=(UUID,), allowed_address_pairs=(AddressPair("10.0.0.0/28"),))
    SecurityGroupSpec(UUID, rules=(SecurityRule("ingress", remote_ip_prefix="::/0"),),
                      members=("10.0.0.5", "2001:db8::5"))


@pytest.mark.parametrize("build", [
    lambda: NetworkSpec("net; flush ruleset", 1),
    lambda: NetworkSpec(UUID, 1, dns_domain="a b"),
    lambda: PortSpec(UUID, UUID, "fa:16:3e:00:00"),
    lambda: PortSpec(UUID, UUID, MAC, security_groups=('x" accept',)),
    lambda: PortSpec("", UUID, MAC),
    lambda: DhcpHost(MAC, "10.0.0.5", "vm\ndhcp-range=0.0.0.0"),
    lambda: DhcpHost(MAC, "10.0.0.999"),
    lambda: FixedIp(UUID, "10.0.0.5/24"),
    lambda: AddressPair("10.0.0.0/33"),
    lambda: SecurityRule("ingress", remote_group_id="a b"),
    lambda: SecurityGroupSpec(UUID, members=("nope",)),
    lambda: SubnetSpec(UUID, "10.0.0.0/24", gateway_ip="10.0.0.1/24"),
    lambda: RouterInterface(UUID, UUID, MAC, "10.0.0.1"),
    lambda: FloatingIpSpec("2001:db8::1", "10.0.0.5"),
], ids=["id", "domain", "mac", "group", "empty id", "hostname", "address", "fixed cidr",
        "pair", "remote group", "member", "gateway", "iface", "v6 floating"])
def test_malformed_values_are_refused(build: object) -> None:
    with pytest.raises(FabricError):
        build()  # type: ignore[operator]
