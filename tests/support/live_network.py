"""A live `nuage up` with the network datapath, for the system tests that drive it through
the API: its own prefix (so parallel clouds never take each other's bridges for stale
ones), the fabric that prefix names, an `Api` helper for the Neutron, Nova and Glance calls,
`wait`, the external client namespace on the fabric's external bridge, and an SSH key.

`live_network(state_dir)` yields a `LiveNetworkNuage` and, whatever happened, removes
afterwards everything the cloud and the test made on the host: nuage killed, the guests'
QEMU processes killed (they outlive nuage by design), every namespace of the prefix removed
with the processes inside (dnsmasq and the metadata proxies detach from nuage).
"""

from __future__ import annotations

import base64
import contextlib
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.drivers.linux_net.kernel import namespaces, remove_namespace
from tests.support.live import LiveNuage
from tests.support.netns import external_client, sh, unique_prefix

# The seeded external network's gateway address: the routers' default route; the external
# client holds it.
CLIENT = "203.0.113.1"
BOOT_TIMEOUT = 240.0


@dataclass
class LiveNetworkNuage(LiveNuage):
    """`nuage up` with NUAGE_NETWORK_DATAPATH on, under `prefix`."""

    prefix: str = field(default_factory=unique_prefix)
    compute: bool = True

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update({"NUAGE_NETWORK_DATAPATH": "true", "NUAGE_NETWORK_PREFIX": self.prefix})
        if not self.compute:
            env["NUAGE_COMPUTE"] = "false"       # no guests: the image is not built
        return env

    @property
    def fabric(self) -> LinuxNetworkFabric:
        """A view of the datapath nuage drives (inventory, names); the test's own."""
        return LinuxNetworkFabric(self.state_dir / "network", prefix=self.prefix)

    def qemu_pid(self, server_id: str) -> int:
        return int((self.guests_dir / server_id / "qemu.pid").read_text())



@contextlib.contextmanager
def live_network(state_dir: Path, *, compute: bool = True, timeout: float = 240,
                 extra_env: dict[str, str] | None = None) -> Iterator[LiveNetworkNuage]:
    node = LiveNetworkNuage(state_dir, compute=compute, extra_env=dict(extra_env or {}))
    try:
        node.start(timeout=timeout)
        yield node
    finally:
        node.kill()
        node.kill_guests()
        try:
            node.fabric.teardown()
        finally:
            for ns in namespaces():
                if ns.startswith(node.prefix + "-"):
                    remove_namespace(ns)


def alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "zombie" not in status.read_text()
    except OSError:
        return False


def wait(what: str, condition: Callable[[], bool], timeout: float = 60,
         detail: Callable[[], str] = lambda: "", every: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"not reached in {timeout:g} s: {what}\n{detail()}")


class Api:
    """The cloud's API as a client calls it: the admin's by default (a fresh token after a
    restart: tokens survive it, but a 401 is retried once with a new one), or one
    project-scoped `token`'s."""

    def __init__(self, live: LiveNuage, token: str | None = None) -> None:
        self.live = live
        self.admin = token is None
        self.token = token if token is not None else live.admin_token()

    @property
    def project_id(self) -> str:
        body = self.call("GET", "identity/v3/auth/tokens", headers={"X-Subject-Token":
                                                                    self.token})
        return str(body["token"]["project"]["id"])

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             expect: int = 200, headers: dict[str, str] | None = None) -> dict[str, Any]:
        r = self._send(method, path, body, headers)
        if r.status_code == 401 and self.admin:
            self.token = self.live.admin_token()
            r = self._send(method, path, body, headers)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return dict(r.json()) if r.content else {}

    def _send(self, method: str, path: str, body: dict[str, Any] | None,
              headers: dict[str, str] | None) -> httpx.Response:
        return httpx.request(method, f"{self.live.base_url}/{path}", json=body, timeout=60,
                             headers={"X-Auth-Token": self.token, **(headers or {})})

    def neutron(self, method: str, path: str, body: dict[str, Any] | None = None,
                expect: int = 200) -> dict[str, Any]:
        return self.call(method, f"network/v2.0/{path}", body, expect)

    def nova(self, method: str, path: str, body: dict[str, Any] | None = None,
             expect: int = 200) -> dict[str, Any]:
        return self.call(method, f"compute/v2.1/{path}", body, expect)

    # -- what the system tests make ------------------------------------------------------
    def public(self) -> dict[str, Any]:
        (public,) = self.neutron("GET", "networks?router:external=true")["networks"]
        return dict(public)

    def routed_network(self, name: str, cidr: str = "10.0.0.0/24"
                       ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """A network with a subnet on a router whose gateway is the seeded `public`:
        (network, subnet, router)."""
        net = self.neutron("POST", "networks", {"network": {"name": name}}, 201)["network"]
        subnet = self.neutron("POST", "subnets", {"subnet": {
            "network_id": net["id"], "cidr": cidr, "ip_version": 4}}, 201)["subnet"]
        router = self.neutron("POST", "routers", {"router": {
            "name": f"{name}-router",
            "external_gateway_info": {"network_id": self.public()["id"]}}}, 201)["router"]
        self.neutron("PUT", f"routers/{router['id']}/add_router_interface",
                     {"subnet_id": subnet["id"]})
        return net, subnet, router

    def default_group(self, project_id: str) -> dict[str, Any]:
        (group,) = self.neutron(
            "GET", f"security-groups?name=default&project_id={project_id}")["security_groups"]
        return dict(group)

    def allow(self, group_id: str, protocol: str, port: int | None = None) -> dict[str, Any]:
        """An IPv4 ingress rule in the group: `protocol` (to `port`) from anywhere."""
        rule: dict[str, Any] = {"security_group_id": group_id, "direction": "ingress",
                                "protocol": protocol, "ethertype": "IPv4"}
        if port is not None:
            rule.update(port_range_min=port, port_range_max=port)
        return dict(self.neutron("POST", "security-group-rules",
                                 {"security_group_rule": rule}, 201)["security_group_rule"])

    def keypair(self, name: str, key: Path) -> None:
        self.nova("POST", "os-keypairs", {"keypair": {
            "name": name, "public_key": key.with_suffix(".pub").read_text()}})

    def boot(self, name: str, network_id: str, key_name: str | None = None,
             user_data: str | None = None) -> str:
        """A server of the default guest image on the network; its id (not waited for)."""
        (image,) = self.call("GET", "image/v2/images?name=nuage-guest")["images"]
        server: dict[str, Any] = {"name": name, "imageRef": image["id"], "flavorRef": "1",
                                  "networks": [{"uuid": network_id}]}
        if key_name is not None:
            server["key_name"] = key_name
        if user_data is not None:
            server["user_data"] = base64.b64encode(user_data.encode()).decode()
        return str(self.nova("POST", "servers", {"server": server}, 202)["server"]["id"])

    def server(self, server_id: str) -> dict[str, Any]:
        return dict(self.nova("GET", f"servers/{server_id}")["server"])

    def console(self, server_id: str) -> str:
        return str(self.nova("POST", f"servers/{server_id}/action",
                             {"os-getConsoleOutput": {}})["output"])

    def wait_active(self, server_id: str, timeout: float = BOOT_TIMEOUT) -> dict[str, Any]:
        wait(f"server {server_id} ACTIVE",
             lambda: self.server(server_id)["status"] in ("ACTIVE", "ERROR"), timeout)
        shown = self.server(server_id)
        assert shown["status"] == "ACTIVE", shown
        return shown

    def port_of(self, server_id: str) -> dict[str, Any]:
        (port,) = self.neutron("GET", f"ports?device_id={server_id}")["ports"]
        return dict(port)


def member_project(live: LiveNuage, admin: Api) -> Api:
    """A new project with a new user holding `member` on it (no admin), made through
    Keystone by `admin`: the API as that user sees it."""
    v3 = "identity/v3"
    name = f"member-{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    project = admin.call("POST", f"{v3}/projects", {"project": {
        "name": name, "domain_id": "default"}}, 201)["project"]
    user = admin.call("POST", f"{v3}/users", {"user": {
        "name": name, "domain_id": "default", "password": password}}, 201)["user"]
    (member,) = admin.call("GET", f"{v3}/roles?name=member")["roles"]
    admin.call("PUT", f"{v3}/projects/{project['id']}/users/{user['id']}/roles/"
               f"{member['id']}", expect=204)
    r = httpx.post(f"{live.identity_url}/v3/auth/tokens", timeout=30, json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "id": user["id"], "password": password}}},
        "scope": {"project": {"id": project["id"]}}}})
    assert r.status_code == 201, r.text
    return Api(live, r.headers["X-Subject-Token"])


def ssh_key(directory: Path, comment: str = "nuage-test") -> Path:
    """A fresh ed25519 key pair: the private key's path (the public one beside it)."""
    path = directory / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment,
                    "-f", str(path)], check=True)
    return path


def outside(live: LiveNetworkNuage, name: str = "client") -> str:
    """The outside world: a namespace on the fabric's external bridge holding `CLIENT`
    (there once the agent's first pass made the datapath; never the root namespace)."""
    fabric = live.fabric

    def ext_bridge() -> bool:
        return subprocess.run(["ip", "-n", fabric.guest_netns(), "link", "show",
                               fabric.names.ext_bridge], capture_output=True).returncode == 0

    wait("the external bridge", ext_bridge)
    return external_client(fabric, name, f"{CLIENT}/24")


def host_key_line(console: str, address: str) -> str:
    """A known_hosts line for the guest, from the host key its console printed."""
    _, line = next((n, line) for n, line in enumerate(console.splitlines())
                   if "nuage-guest: ssh server on port 22, host key " in line)
    return f"{address} {line.split('host key ', 1)[1].strip()}\n"


def ssh(client: str, key: Path, known_hosts: Path, address: str, command: str,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`command` on the guest at `address`, from the client namespace, as root with `key`
    (the host key pinned in `known_hosts`)."""
    return sh(client, "ssh", "-F", "/dev/null", "-i", str(key), "-o", "BatchMode=yes",
              "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
              "-o", f"UserKnownHostsFile={known_hosts}", "-o", "ConnectTimeout=10",
              f"root@{address}", command, check=False, timeout=timeout)
