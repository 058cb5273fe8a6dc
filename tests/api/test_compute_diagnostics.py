"""GET /os-hypervisors/{id}/uptime and GET /servers/{id}/diagnostics, both answered by the
host's agent (an agent over the in-memory hypervisor here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nuage.agent.compute import ComputeAgent, LocalAgentChannel
from nuage.drivers.image_format import OsloImageInspector
from nuage.ports.hypervisor import BootImage, ConfigDrive, GuestSpec, PowerState
from nuage.services.compute.agent_control import AgentControlService
from nuage.services.compute.reconcile import Reconciler
from tests.api.compute_servers import HOST, Servers
from tests.api.compute_support import Nova, assert_fault
from tests.unit.compute.fakes import MemoryHypervisor


def _agent(nova: Nova, tmp_path: Path) -> MemoryHypervisor:
    cloud = nova.api.cloud
    hv = MemoryHypervisor()
    control = AgentControlService(cloud.compute_ports.uow, cloud.compute_ports.clock,
                                  cloud.compute.hosts)
    reconciler = Reconciler(control.for_host(HOST), cloud.compute_ports.images, hv,
                            tmp_path / "cache", inspector=OsloImageInspector())
    channel = cloud.compute.agents
    assert isinstance(channel, LocalAgentChannel)
    channel.attach(ComputeAgent(reconciler, hv, register=lambda: None,
                                heartbeat=lambda: None))
    return hv


def _hypervisor_id(nova: Nova) -> int:
    found = nova.get("/os-hypervisors").json()["hypervisors"]
    return int(next(h["id"] for h in found if h["hypervisor_hostname"] == HOST))


def test_uptime(nova: Nova, servers: Servers, tmp_path: Path) -> None:
    hid = _hypervisor_id(nova)
    # No agent answers for the host: Nova's "compute service unavailable".
    assert "unavailable" in assert_fault(nova.get(f"/os-hypervisors/{hid}/uptime"), 400,
                                         "badRequest")
    _agent(nova, tmp_path)
    r = nova.get(f"/os-hypervisors/{hid}/uptime")
    assert r.status_code == 200, r.text
    body = r.json()["hypervisor"]
    assert set(body) == {"id", "hypervisor_hostname", "state", "status", "uptime"}
    assert body["id"] == hid and body["hypervisor_hostname"] == HOST
    assert " up " in body["uptime"] and "load average: " in body["uptime"]
    assert_fault(nova.get("/os-hypervisors/999999/uptime"), 404, "itemNotFound")
    _, token = nova.member()
    assert_fault(nova.get(f"/os-hypervisors/{hid}/uptime", token), 403, "forbidden")


def test_diagnostics(nova: Nova, servers: Servers, tmp_path: Path) -> None:
    _, token = nova.member()
    sid = servers.active(token)
    # No agent: the guest cannot be reached.
    assert_fault(nova.get(f"/servers/{sid}/diagnostics"), 409, "conflictingRequest")
    hv = _agent(nova, tmp_path)
    hv.specs[sid] = GuestSpec(sid, "vm", 1, 256, 1, BootImage(Path("/i"), "raw"),
                              ConfigDrive({}))
    hv.states[sid] = PowerState.RUNNING
    r = nova.get(f"/servers/{sid}/diagnostics")
    assert r.status_code == 200, r.text
    assert r.json()["memory"] == 256 * 1024 and "cpu0_time" in r.json()
    # 2.48: Nova's standard diagnostics, as Tempest's schema has them.
    r = nova.at("2.48").get(f"/servers/{sid}/diagnostics")
    assert r.status_code == 200, r.text
    standard = r.json()
    assert standard["state"] == "running" and standard["driver"] == "libvirt"
    assert standard["num_cpus"] >= 1 and standard["cpu_details"][0]["id"] == 0
    assert standard["memory_details"]["maximum"] == 256
    pytest.importorskip("tempest")
    from tests.api.test_compute_tempest_schemas import check
    check("v2_48.servers", "show_server_diagnostics", r)
    # Administrators only (after the look-up), 404 for an unknown server.
    assert_fault(nova.get(f"/servers/{sid}/diagnostics", token), 403, "forbidden")
    assert_fault(nova.get("/servers/00000000-0000-0000-0000-000000000000/diagnostics"), 404,
                 "itemNotFound")
    # Not running: 409.
    servers.settle(sid, "stopped")
    assert "vm_state stopped" in assert_fault(nova.get(f"/servers/{sid}/diagnostics"), 409,
                                              "conflictingRequest")
    servers.settle(sid, "active")
    hv.states[sid] = PowerState.SHUTDOWN
    assert "not running" in assert_fault(nova.get(f"/servers/{sid}/diagnostics"), 409,
                                         "conflictingRequest")

