"""The metadata path on the Linux datapath: a guest's request to 169.254.169.254 reaches
the metadata service's unix socket, through its network's DHCP namespace (host route from
DHCP) or its router (default route), labelled with where it came from and the guest's
address, never with what the guest claims."""

from __future__ import annotations

import json
import socketserver
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from nuage.drivers.linux_net import LinuxNetworkFabric
from nuage.drivers.linux_net.kernel import namespaces
from nuage.drivers.linux_net.metadata import running
from nuage.ports.network_fabric import (
    DhcpHost,
    DhcpServer,
    FixedIp,
    NetworkSpec,
    PortSpec,
    RouterInterface,
    RouterSpec,
    SecurityGroupSpec,
    SecurityRule,
    SubnetSpec,
)
from tests.support.netns import (
    configure,
    dhcp_lease,
    linux_fabric,
    needs_root_net,
    sh,
    stand_in,
)

pytestmark = needs_root_net

EGRESS = SecurityGroupSpec("egress", rules=(SecurityRule(direction="egress"),))


class Echo(BaseHTTPRequestHandler):
    """A stand-in metadata service: answers with the path and headers it was sent."""

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "headers": dict(self.headers)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: object) -> None:
        pass


class UnixHttpServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "metadata.sock"
    server = UnixHttpServer(str(path), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def fabric(tmp_path: Path, service: Path) -> Iterator[LinuxNetworkFabric]:
    with linux_fabric(tmp_path / "state") as real:
        real.metadata_socket = service
        real.ensure_security_group(EGRESS)
        yield real


GET = """
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], headers={
    "X-Forwarded-For": "10.9.9.9", "X-Nuage-Network-Id": "forged"})
print(urllib.request.urlopen(request, timeout=5).read().decode())
"""


def fetch(ns: str, path: str = "/openstack/latest/meta_data.json") -> dict[str, object]:
    """What the guest gets, sending forged identity headers along."""
    out = sh(ns, sys.executable, "-c", GET, f"http://169.254.169.254{path}").stdout
    answer: dict[str, object] = json.loads(out)
    return answer


def network(segment: int, mac: str) -> NetworkSpec:
    sid = str(uuid.uuid4())
    return NetworkSpec(str(uuid.uuid4()), segment, subnets=(
        SubnetSpec(sid, "10.0.0.0/24", gateway_ip="10.0.0.1"),),
        dhcp=DhcpServer(str(uuid.uuid4()), "fa:16:3e:00:a0:02", (FixedIp(sid, "10.0.0.2"),)),
        dhcp_hosts=(DhcpHost(mac, "10.0.0.5", "vm"),))


def plug(fabric: LinuxNetworkFabric, net: NetworkSpec, name: str, mac: str) -> str:
    ns = stand_in(fabric, name)
    fabric.ensure_port(PortSpec(str(uuid.uuid4()), net.network_id, mac,
                                fixed_ips=(FixedIp(net.subnets[0].subnet_id, "10.0.0.5"),),
                                security_groups=("egress",), guest_netns=ns))
    return ns


def test_through_the_dhcp_namespace(fabric: LinuxNetworkFabric, tmp_path: Path) -> None:
    mac = "fa:16:3e:00:a0:05"
    net = network(1001, mac)
    fabric.ensure_network(net)
    guest = plug(fabric, net, "vm", mac)
    lease = dhcp_lease(guest, tmp_path)
    assert lease is not None
    assert "169.254.169.254/32 10.0.0.2" in lease["staticroutes"]
    assert "0.0.0.0/0 10.0.0.1" in lease["staticroutes"]     # RFC 3442: default too
    answer = fetch(guest)
    headers = answer["headers"]
    assert isinstance(headers, dict)
    assert answer["path"] == "/openstack/latest/meta_data.json"
    assert headers["X-Nuage-Network-Id"] == net.network_id
    assert headers["X-Forwarded-For"] == "10.0.0.5"
    assert "X-Nuage-Router-Id" not in headers

    files = fabric.state_dir / "dhcp" / net.network_id
    pid = running(files, "network", net.network_id)
    assert pid is not None
    fabric.ensure_network(net)                                 # idempotent: same proxy
    assert running(files, "network", net.network_id) == pid
    fabric.remove_network(net.network_id)
    assert running(files, "network", net.network_id) is None
    assert not Path(f"/proc/{pid}/cmdline").exists() or b"metadata_proxy" not in Path(
        f"/proc/{pid}/cmdline").read_bytes()


def test_through_the_router_for_two_projects_with_one_address(
        fabric: LinuxNetworkFabric) -> None:
    """Guests with the same address in two projects, each behind its router: each
    request is labelled with its own router."""
    seen = {}
    for segment, name in ((1002, "p1"), (1003, "p2")):
        mac = f"fa:16:3e:00:a{segment - 1000}:05"
        net = NetworkSpec(str(uuid.uuid4()), segment, subnets=(
            SubnetSpec(str(uuid.uuid4()), "10.0.0.0/24", gateway_ip="10.0.0.1"),))
        fabric.ensure_network(net)
        guest = plug(fabric, net, name, mac)
        configure(guest, "10.0.0.5/24", gateway="10.0.0.1")
        router = RouterSpec(str(uuid.uuid4()), interfaces=(RouterInterface(
            str(uuid.uuid4()), net.network_id, f"fa:16:3e:00:a{segment - 1000}:01",
            "10.0.0.1/24"),))
        fabric.ensure_router(router)
        headers = fetch(guest)["headers"]
        assert isinstance(headers, dict)
        assert headers["X-Forwarded-For"] == "10.0.0.5"
        assert "X-Nuage-Network-Id" not in headers
        seen[router.router_id] = headers["X-Nuage-Router-Id"]
    assert all(k == v for k, v in seen.items())
    for router_id in seen:
        fabric.remove_router(router_id)
        assert fabric.names.router_ns(router_id) not in namespaces()
        assert not (fabric.state_dir / "routers" / router_id).exists()
