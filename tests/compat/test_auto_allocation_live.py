"""Auto-allocated topologies and floating IPs with real clients, on a live nuage with its
network datapath: the `openstack` CLI's `network auto allocated topology` commands and
`server create --nic auto`; openstacksdk's cloud layer `create_server(wait=True,
auto_ip=True)` with no network given (Nova's "auto" builds the project's topology, the
SDK makes and attaches a floating IP); Ansible's `openstack.cloud.server` with a network
(a router to "public") and `auto_ip`. A client namespace on the external bridge plays the
outside world and pings the floating IPs. One guest per test (the machine is shared)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack.connection
import pytest

from tests.compat.conftest import Tenant, connect, identity_v3, make_tenant, run_cli, unique
from tests.compat.conftest import cli_json as cli
from tests.compat.test_ansible_server import _venv
from tests.support.live import LiveNuage
from tests.support.live_network import LiveNetworkNuage, live_network, outside, wait
from tests.support.netns import needs_root_net, pings
from tests.support.qemu import needs_qemu

pytestmark = [pytest.mark.compat, pytest.mark.slow, needs_root_net, needs_qemu]

BOOT_TIMEOUT = 600


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetworkNuage]:
    with live_network(tmp_path_factory.mktemp("nuage-auto"), extra_env={
            "NUAGE_NETWORK_AUTO_ALLOCATION_POOL": "10.128.0.0/12"}) as node:
        yield node


@pytest.fixture(scope="module")
def client(live: LiveNetworkNuage) -> str:
    """The outside world: a namespace on the external bridge."""
    return outside(live)


@pytest.fixture(scope="module")
def admin(live: LiveNuage) -> Iterator[openstack.connection.Connection]:
    conn = connect(live, "admin", live.admin_password, "admin")
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def tenant(admin: openstack.connection.Connection) -> Iterator[Tenant]:
    role = identity_v3(admin).find_role("member", ignore_missing=False)
    made = make_tenant(admin, str(role.id), "auto")
    yield made
    identity_v3(admin).delete_user(made.user_id, ignore_missing=True)


def tenant_conn(live: LiveNuage, t: Tenant) -> openstack.connection.Connection:
    return connect(live, t.username, t.password, t.project_name)


def tenant_env(live: LiveNuage, t: Tenant) -> dict[str, str]:
    env = {k: v for k, v in live.client_env().items()
           if k not in ("OS_CLOUD", "OS_CLIENT_CONFIG_FILE")}
    env.update({"OS_AUTH_URL": live.identity_url, "OS_IDENTITY_API_VERSION": "3",
                "OS_USERNAME": t.username, "OS_PASSWORD": t.password,
                "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_NAME": t.project_name,
                "OS_PROJECT_DOMAIN_NAME": "Default", "OS_REGION_NAME": "RegionOne"})
    return env


def allow_icmp(conn: openstack.connection.Connection, project_id: str) -> None:
    (group,) = conn.network.security_groups(name="default", project_id=project_id)
    conn.network.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                            protocol="icmp", ethertype="IPv4")


def smallest_flavor(conn: openstack.connection.Connection) -> str:
    return str(min(conn.compute.flavors(), key=lambda f: (f.ram, f.vcpus)).name)


def floating_of(server: dict[str, Any]) -> str:
    found = [a["addr"] for addrs in server["addresses"].values() for a in addrs
             if a.get("OS-EXT-IPS:type") == "floating"]
    assert len(found) == 1, server["addresses"]
    return str(found[0])


def test_cli_topology_commands_and_nic_auto(live: LiveNuage, tenant: Tenant) -> None:
    env = tenant_env(live, tenant)
    check = cli(env, "network", "auto", "allocated", "topology", "create",
                "--check-resources")
    assert "dry_run" in check
    # The check made nothing.
    assert [n["Name"] for n in cli(env, "network", "list")] == ["public"]
    topology = cli(env, "network", "auto", "allocated", "topology", "create")
    assert topology["project_id"] == tenant.project_id
    net = cli(env, "network", "show", topology["id"])
    assert (net["name"], net["admin_state_up"]) == ("auto_allocated_network", True)
    (router,) = cli(env, "router", "list")
    assert router["Name"] == "auto_allocated_router"
    # Again: the same one.
    assert cli(env, "network", "auto", "allocated", "topology", "create")["id"] == \
        topology["id"]
    run_cli(env, "network", "auto", "allocated", "topology", "delete")
    assert run_cli(env, "network", "show", topology["id"], check=False).returncode != 0
    assert cli(env, "router", "list") == []

    # A fresh project's `server create --nic auto`: the topology appears, the server's
    # port is on it.
    conn = tenant_conn(live, tenant)
    try:
        server = cli(env, "server", "create", "--image", "nuage-guest", "--flavor",
                     smallest_flavor(conn), "--nic", "auto", unique("auto-vm"))
        made = cli(env, "network", "auto", "allocated", "topology", "create")
        (port,) = conn.network.ports(device_id=server["id"])
        assert port.network_id == made["id"]
        run_cli(env, "server", "delete", "--wait", server["id"])
        run_cli(env, "network", "auto", "allocated", "topology", "delete")
        assert cli(env, "router", "list") == []
    finally:
        conn.close()


def test_sdk_create_server_auto_network_and_auto_ip(live: LiveNuage, tenant: Tenant,
                                                    client: str) -> None:
    conn = tenant_conn(live, tenant)
    try:
        allow_icmp(conn, tenant.project_id)
        # No network named: the SDK sends networks "auto" (2.37), which builds the
        # project's topology; auto_ip makes a floating IP and attaches it.
        server = conn.create_server(unique("sdk-auto"), image="nuage-guest",
                                    flavor=smallest_flavor(conn), wait=True, auto_ip=True,
                                    timeout=BOOT_TIMEOUT)
        assert server["status"] == "ACTIVE"
        topology = conn.network.get_auto_allocated_topology(tenant.project_id)
        (port,) = conn.network.ports(device_id=server["id"])
        assert port.network_id == topology.id
        address = floating_of(conn.compute.get_server(server["id"]).to_dict())
        (fip,) = conn.network.ips(floating_ip_address=address)
        assert fip.port_id == port.id
        wait(f"ping {address} from outside", lambda: pings(client, address), 120)
        conn.delete_server(server["id"], wait=True, delete_ips=True, timeout=300)
        conn.network.delete_auto_allocated_topology(tenant.project_id)
    finally:
        conn.close()


def routed_network(conn: openstack.connection.Connection, name: str, cidr: str
                   ) -> tuple[Any, Any]:
    """A network with a subnet on a router whose gateway is on "public"."""
    public = conn.network.find_network("public", ignore_missing=False)
    net = conn.network.create_network(name=name)
    subnet = conn.network.create_subnet(network_id=net.id, cidr=cidr, ip_version=4)
    router = conn.network.create_router(name=f"{name}-router",
                                        external_gateway_info={"network_id": public.id})
    conn.network.add_interface_to_router(router, subnet.id)
    return net, router


def test_sdk_create_server_on_a_routed_network_with_auto_ip(live: LiveNuage, tenant: Tenant,
                                                            client: str) -> None:
    conn = tenant_conn(live, tenant)
    try:
        allow_icmp(conn, tenant.project_id)
        net, router = routed_network(conn, "sdk-net", "10.30.0.0/24")
        server = conn.create_server(unique("sdk-fip"), image="nuage-guest",
                                    flavor=smallest_flavor(conn), network=net.name,
                                    wait=True, auto_ip=True, timeout=BOOT_TIMEOUT)
        assert server["status"] == "ACTIVE"
        address = floating_of(conn.compute.get_server(server["id"]).to_dict())
        (fip,) = conn.network.ips(floating_ip_address=address)
        assert fip.router_id == router.id
        # The cloud layer's own view of it.
        seen = conn.get_server(server["id"])
        assert seen is not None and seen["public_v4"] == address
        wait(f"ping {address} from outside", lambda: pings(client, address), 120)
        conn.delete_server(server["id"], wait=True, delete_ips=True, timeout=300)
        # Nothing was auto-allocated: the project had its network.
        assert [n.name for n in conn.network.networks(project_id=tenant.project_id)] == [
            "sdk-net"]
    finally:
        conn.close()


PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: create a reachable server
      openstack.cloud.server:
        cloud: tenant
        name: "{{ server_name }}"
        image: nuage-guest
        flavor: "{{ flavor }}"
        network: "{{ network }}"
        auto_ip: true
        wait: true
        timeout: 600
      register: created
    - name: record it
      ansible.builtin.copy:
        content: "{{ created.server | to_json }}"
        dest: "{{ out_dir }}/created.json"
"""


def test_ansible_server_with_a_network_and_auto_ip(live: LiveNuage, tenant: Tenant,
                                                   client: str, tmp_path: Path) -> None:
    venv = _venv()
    conn = tenant_conn(live, tenant)
    try:
        allow_icmp(conn, tenant.project_id)
        _, router = routed_network(conn, "ansible-net", "10.20.0.0/24")
        clouds = tmp_path / "clouds.yaml"
        clouds.write_text(json.dumps({"clouds": {"tenant": {
            "auth": {"auth_url": live.identity_url, "username": tenant.username,
                     "password": tenant.password, "project_name": tenant.project_name,
                     "user_domain_name": "Default", "project_domain_name": "Default"},
            "region_name": "RegionOne", "identity_api_version": 3}}}))
        playbook = tmp_path / "server.yml"
        playbook.write_text(PLAYBOOK)
        name = unique("ansible-fip")
        env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds),
               "ANSIBLE_HOME": str(tmp_path / "ansible"),
               "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"), "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_PYTHON_INTERPRETER": str(venv / "bin" / "python"),
               "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}"}
        env.pop("OS_CLOUD", None)
        proc = subprocess.run(
            [str(venv / "bin" / "ansible-playbook"), "-i", "localhost,", str(playbook),
             "-e", json.dumps({"server_name": name, "flavor": smallest_flavor(conn),
                               "network": "ansible-net", "out_dir": str(tmp_path)})],
            env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        created = json.loads((tmp_path / "created.json").read_text())
        assert created["status"] == "ACTIVE"
        address = floating_of(created)
        (fip,) = conn.network.ips(floating_ip_address=address)
        assert fip.router_id == router.id
        wait(f"ping {address} from outside", lambda: pings(client, address), 120)
        conn.delete_server(created["id"], wait=True, delete_ips=True, timeout=300)
    finally:
        conn.close()
