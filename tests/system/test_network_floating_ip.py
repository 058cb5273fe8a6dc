"""Routers and floating IPs end to end on this machine: a real `nuage up` with the network
datapath, everything made through the API as a user would (network, subnet, a router
with the seeded external network "public" as its gateway, the subnet on it, ICMP and SSH
allowed in, a key pair, a server of the default guest image). A client namespace plugged
into the fabric's external bridge (never the root namespace) plays the outside world:
it pings the server's floating IP and logs in over ssh with the key; the ICMP rule's
removal stops the ping; the guest's own user-data reaches the client through the
router's SNAT (the client has no route to the tenant network: a reply proves the NAT);
deleting everything leaves nothing of the router in the fabric's inventory."""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.drivers.linux_net.kernel import namespaces, remove_namespace
from tests.support.live import LiveNuage
from tests.support.netns import external_client, needs_root_net, pings, sh, unique_prefix
from tests.support.qemu import needs_qemu

pytestmark = [pytest.mark.slow, needs_root_net, needs_qemu]

CLIENT = "203.0.113.1"          # the external subnet's gateway: the router's default route
BOOT_TIMEOUT = 240.0
USER_DATA = f"""#!/bin/sh
for i in $(seq 1 60); do
  if ping -c 1 -W 1 {CLIENT} >/dev/null 2>&1; then echo "NUAGE-SNAT-REACHED {CLIENT}"; exit 0; fi
  sleep 1
done
echo "NUAGE-SNAT-FAILED"
"""


class Api:
    def __init__(self, live: LiveNuage) -> None:
        self.base = live.base_url
        self.headers = {"X-Auth-Token": live.admin_token()}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             expect: int = 200) -> dict[str, Any]:
        r = httpx.request(method, f"{self.base}/{path}", json=body, timeout=60,
                          headers=self.headers)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return dict(r.json()) if r.content else {}

    def neutron(self, method: str, path: str, body: dict[str, Any] | None = None,
                expect: int = 200) -> dict[str, Any]:
        return self.call(method, f"network/v2.0/{path}", body, expect)

    def nova(self, method: str, path: str, body: dict[str, Any] | None = None,
             expect: int = 200) -> dict[str, Any]:
        return self.call(method, f"compute/v2.1/{path}", body, expect)


def wait(what: str, condition: Callable[[], bool], timeout: float = 60,
         detail: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"not reached in {timeout:g} s: {what}\n{detail()}")


@pytest.fixture
def prefix() -> Iterator[str]:
    name = unique_prefix()
    try:
        yield name
    finally:
        for ns in namespaces():
            if ns.startswith(name + "-"):
                remove_namespace(ns)


@pytest.fixture
def live(tmp_path: Path, prefix: str) -> Iterator[LiveNuage]:
    node = LiveNuage(tmp_path / "state", extra_env={
        "NUAGE_NETWORK_DATAPATH": "true", "NUAGE_NETWORK_PREFIX": prefix})
    try:
        yield node.start(timeout=240)
    finally:
        node.stop()
        # Guests are stopped with nuage; dnsmasq and the proxies go with their namespaces.
        LinuxNetworkFabric(node.state_dir / "network", prefix=prefix).teardown()


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nuage-fip",
                    "-f", str(path)], check=True)
    return path


def test_a_floating_ip_reaches_the_server_and_snat_reaches_out(
        live: LiveNuage, prefix: str, key: Path, tmp_path: Path) -> None:
    fabric = LinuxNetworkFabric(live.state_dir / "network", prefix=prefix)
    api = Api(live)
    (public,) = api.neutron("GET", "networks?router:external=true")["networks"]
    assert public["name"] == "public"

    # The outside world: a namespace on the external bridge (there once the agent's first
    # pass made the datapath).
    def ext_bridge() -> bool:
        return subprocess.run(["ip", "-n", fabric.guest_netns(), "link", "show",
                               fabric.names.ext_bridge], capture_output=True).returncode == 0
    wait("the external bridge", ext_bridge)
    client = external_client(fabric, "client", f"{CLIENT}/24")

    net = api.neutron("POST", "networks", {"network": {"name": "fip-net"}}, 201)["network"]
    subnet = api.neutron("POST", "subnets", {"subnet": {
        "network_id": net["id"], "cidr": "10.0.0.0/24", "ip_version": 4}}, 201)["subnet"]
    router = api.neutron("POST", "routers", {"router": {
        "name": "fip-router", "external_gateway_info": {"network_id": public["id"]}}},
        201)["router"]
    api.neutron("PUT", f"routers/{router['id']}/add_router_interface",
                {"subnet_id": subnet["id"]})
    project = router["project_id"]
    (group,) = api.neutron("GET", f"security-groups?name=default&project_id={project}"
                           )["security_groups"]
    icmp = api.neutron("POST", "security-group-rules", {"security_group_rule": {
        "security_group_id": group["id"], "direction": "ingress", "protocol": "icmp",
        "ethertype": "IPv4"}}, 201)["security_group_rule"]
    api.neutron("POST", "security-group-rules", {"security_group_rule": {
        "security_group_id": group["id"], "direction": "ingress", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22, "ethertype": "IPv4"}}, 201)
    api.nova("POST", "os-keypairs", {"keypair": {
        "name": "fip-key", "public_key": key.with_suffix(".pub").read_text()}})
    (image,) = api.call("GET", "image/v2/images?name=nuage-guest")["images"]
    server = api.nova("POST", "servers", {"server": {
        "name": "fip-vm", "imageRef": image["id"], "flavorRef": "1", "key_name": "fip-key",
        "networks": [{"uuid": net["id"]}],
        "user_data": base64.b64encode(USER_DATA.encode()).decode()}}, 202)["server"]
    sid = server["id"]

    def console() -> str:
        return str(api.nova("POST", f"servers/{sid}/action",
                            {"os-getConsoleOutput": {}})["output"])

    def status() -> str:
        return str(api.nova("GET", f"servers/{sid}")["server"]["status"])

    wait("the server ACTIVE", lambda: status() in ("ACTIVE", "ERROR"), BOOT_TIMEOUT)
    assert status() == "ACTIVE", api.nova("GET", f"servers/{sid}")
    (port,) = api.neutron("GET", f"ports?device_id={sid}")["ports"]
    fixed = port["fixed_ips"][0]["ip_address"]

    # The router's namespace is on the host: gateway leg, the subnet's leg.
    wait("the router in the datapath", lambda: router["id"] in fabric.inventory().routers)

    # SNAT: the guest's user-data reaches the client, which has no route back to
    # 10.0.0.0/24: only the router's external address can have answered.
    wait("the guest's user-data reached the client", lambda: "NUAGE-SNAT-" in console(),
         BOOT_TIMEOUT, console)
    assert f"NUAGE-SNAT-REACHED {CLIENT}" in console(), console()

    fip = api.neutron("POST", "floatingips", {"floatingip": {
        "floating_network_id": public["id"], "port_id": port["id"]}}, 201)["floatingip"]
    address = fip["floating_ip_address"]
    assert (fip["fixed_ip_address"], fip["router_id"]) == (fixed, router["id"])
    # Nova shows it after the fixed address on the network.
    shown = api.nova("GET", f"servers/{sid}")["server"]["addresses"]["fip-net"]
    assert [(a["addr"], a["OS-EXT-IPS:type"]) for a in shown] == [
        (fixed, "fixed"), (address, "floating")]

    wait(f"ping {address} from the outside", lambda: pings(client, address), 60, console)
    _, pinned = next((n, line) for n, line in enumerate(console().splitlines())
                     if "nuage-guest: ssh server on port 22, host key " in line)
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"{address} {pinned.split('host key ', 1)[1].strip()}\n")
    login = sh(client, "ssh", "-F", "/dev/null", "-i", str(key), "-o", "BatchMode=yes",
               "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
               "-o", f"UserKnownHostsFile={known_hosts}", "-o", "ConnectTimeout=10",
               f"root@{address}", "echo ok", check=False, timeout=60)
    assert (login.returncode, login.stdout) == (0, "ok\n"), login.stderr

    # The ICMP rule goes: the ping stops (the agent is woken by the change).
    api.neutron("DELETE", f"security-group-rules/{icmp['id']}", expect=204)
    wait("the ping stopped", lambda: not pings(client, address), 60)
    assert not pings(client, address, count=2)

    # Everything goes: nothing of the router is left on the host.
    api.neutron("DELETE", f"floatingips/{fip['id']}", expect=204)
    api.nova("DELETE", f"servers/{sid}", expect=204)
    wait("the server gone", lambda: not api.neutron("GET", f"ports?device_id={sid}")["ports"],
         120)
    api.neutron("PUT", f"routers/{router['id']}/remove_router_interface",
                {"subnet_id": subnet["id"]})
    api.neutron("DELETE", f"routers/{router['id']}", expect=204)
    api.neutron("DELETE", f"networks/{net['id']}", expect=204)
    wait("nothing of the router left", lambda: fabric.inventory().routers == frozenset()
         and net["id"] not in fabric.inventory().networks)
    assert f"{prefix}-r-{router['id']}" not in namespaces()
