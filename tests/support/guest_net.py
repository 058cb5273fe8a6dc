"""Helpers for system tests where real QEMU guests act on the datapath themselves: a small
API client bound to one project's token, a second project with a member user made
through Keystone, servers booted on pre-made ports (so a guest's user-data can name its
peers' addresses), the guest's console markers read through `os-getConsoleOutput`, and
the host-side leftovers of a network, router or port (namespaces, bridges, nft chains,
processes) looked up after a delete.

Guests print lines `NUAGE-<WHAT> <value...>` from busybox shell user-data; `markers`
returns them in order."""

from __future__ import annotations

import base64
import re
import subprocess
from typing import Any

from tests.support import live_network
from tests.support.live import LiveNuage
from tests.support.live_network import Api


class ProjectApi(Api):
    """The API as one project's token sees it, with what these tests make."""

    # -- making things
    def network(self, name: str, cidr: str) -> tuple[dict[str, Any], dict[str, Any]]:
        net = self.neutron("POST", "networks", {"network": {"name": name}}, 201)["network"]
        subnet = self.neutron("POST", "subnets", {"subnet": {
            "network_id": net["id"], "cidr": cidr, "ip_version": 4}}, 201)["subnet"]
        return net, subnet

    def security_group(self, name: str, ingress: list[dict[str, Any]]) -> dict[str, Any]:
        """A group with the default egress rules and these ingress rules (IPv4)."""
        group = self.neutron("POST", "security-groups", {"security_group": {
            "name": name}}, 201)["security_group"]
        for rule in ingress:
            self.rule(group["id"], **rule)
        return dict(group)

    def rule(self, group_id: str, **fields: Any) -> dict[str, Any]:
        return dict(self.neutron("POST", "security-group-rules", {"security_group_rule": {
            "security_group_id": group_id, "direction": "ingress", "ethertype": "IPv4",
            **fields}}, 201)["security_group_rule"])

    def port(self, network_id: str, subnet_id: str, address: str, group_id: str,
             auto_subnets: tuple[str, ...] = ()) -> dict[str, Any]:
        """A port at `address`, plus its EUI-64 address on each of `auto_subnets`."""
        return dict(self.neutron("POST", "ports", {"port": {
            "network_id": network_id, "security_groups": [group_id],
            "fixed_ips": [{"subnet_id": subnet_id, "ip_address": address},
                          *({"subnet_id": s} for s in auto_subnets)]}}, 201)["port"])

    def dhcp_address(self, network_id: str) -> str:
        """The network's DHCP port's IPv4 address."""
        (port,) = self.neutron(
            "GET", f"ports?network_id={network_id}&device_owner=network:dhcp")["ports"]
        return next(str(f["ip_address"]) for f in port["fixed_ips"]
                    if ":" not in f["ip_address"])

    def boot_on_port(self, name: str, port_id: str, user_data: str) -> str:
        (image,) = self.call("GET", "image/v2/images?name=nuage-guest")["images"]
        server = self.nova("POST", "servers", {"server": {
            "name": name, "imageRef": image["id"], "flavorRef": "1",
            "networks": [{"port": port_id}],
            "user_data": base64.b64encode(user_data.encode()).decode()}}, 202)["server"]
        return str(server["id"])

    def status(self, server_id: str) -> str:
        return str(self.server(server_id)["status"])


def member_project(live: LiveNuage, admin: Api) -> ProjectApi:
    """A new project with a member user (no admin), through Keystone."""
    return ProjectApi(live, live_network.member_project(live, admin).token)


MARKER = re.compile(r"^NUAGE-([A-Z0-9-]+)(?: (.*))?$")


def markers(console: str) -> list[tuple[str, str]]:
    """The (what, value) of every `NUAGE-<WHAT> <value>` line, in order."""
    found = []
    for line in console.splitlines():
        m = MARKER.match(line.strip())
        if m:
            found.append((m.group(1), (m.group(2) or "").strip()))
    return found


def values(console: str, what: str) -> list[str]:
    return [v for w, v in markers(console) if w == what]


# -- user-data building blocks (busybox sh) -------------------------------------------------
def name_server(name: str, port: int = 8000) -> str:
    """Serve the guest's name over HTTP (busybox httpd): who answers at an address."""
    return (f"mkdir -p /tmp/www && echo {name} > /tmp/www/name && "
            f"httpd -p {port} -h /tmp/www && echo NUAGE-SERVING {name}\n")


# busybox-static 1.35's wget crashes (SIGSEGV) when given -T: `timeout` bounds it instead.
def metadata_uuid() -> str:
    """Fetch the metadata service's meta_data.json and print its uuid (retried: the first
    request can race the route or the proxy)."""
    return """for i in $(seq 1 30); do
  md=$(timeout 10 wget -q -O - http://169.254.169.254/openstack/latest/meta_data.json \
       2>/dev/null)
  id=$(echo "$md" | sed -n 's/.*"uuid": *"\\([^"]*\\)".*/\\1/p')
  if [ -n "$id" ]; then echo "NUAGE-MD-UUID $id"; break; fi
  sleep 2
done
[ -n "$id" ] || echo "NUAGE-MD-UUID none"
"""


def fetch_name(address: str, port: int = 8000) -> str:
    """Shell expression: the name served at address (empty if nothing answered)."""
    return f"$(timeout 5 wget -q -O - http://{address}:{port}/name 2>/dev/null)"


# -- what the host still holds of an object -------------------------------------------------
def host_traces(prefix: str, ids: list[str]) -> list[str]:
    """Lines of `ip netns`, the datapath namespace's links, `nft list ruleset` and `ps`
    that name one of these ids (or its 11-character device form)."""
    needles = {i for i in ids} | {i[:11] for i in ids}
    texts = [
        subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout,
        subprocess.run(["ip", "-n", f"{prefix}-dp", "-d", "link", "show"],
                       capture_output=True, text=True).stdout,
        subprocess.run(["ip", "netns", "exec", f"{prefix}-dp", "nft", "list", "ruleset"],
                       capture_output=True, text=True).stdout,
        subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout,
    ]
    return [line for text in texts for line in text.splitlines()
            if any(n in line for n in needles)]
