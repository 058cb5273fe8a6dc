"""os-availability-zone, os-hypervisors and os-services from registered compute hosts."""

from __future__ import annotations

from datetime import timedelta

from nuage.domain.compute import Allocation
from nuage.ports.hypervisor import HostCapabilities
from nuage.services.compute import scheduler
from nuage.services.compute.hosts import AllocationRatios
from tests.api.compute_support import Nova, assert_fault

HYPERVISOR_KEYS = {"id", "hypervisor_hostname", "state", "status", "hypervisor_type",
                   "hypervisor_version", "cpu_info", "host_ip", "vcpus", "vcpus_used",
                   "memory_mb", "memory_mb_used", "free_ram_mb", "local_gb", "local_gb_used",
                   "free_disk_gb", "disk_available_least", "current_workload", "running_vms",
                   "service"}




def register(nova: Nova, hostname: str = "node1") -> int:
    host = nova.api.cloud.compute.hosts.register(
        HostCapabilities(hostname=hostname, accelerator="tcg", vcpus=4, memory_mb=8192,
                         disk_gb=100), AllocationRatios(cpu=2.0))
    assert host.id is not None
    return host.id


def test_register_is_idempotent_and_heartbeats(nova: Nova) -> None:
    hosts = nova.api.cloud.compute.hosts
    first = register(nova)
    again = hosts.register(HostCapabilities(hostname="node1", accelerator="kvm", vcpus=8,
                                            memory_mb=8192, disk_gb=100))
    assert again.id == first and again.vcpus == 8 and again.accelerator == "kvm"
    hosts.heartbeat("node1")
    try:
        hosts.heartbeat("ghost")
    except Exception as exc:  # NotFound
        assert "ghost" in str(exc)
    else:
        raise AssertionError("heartbeat of an unknown host must fail")


def test_hypervisors(nova: Nova) -> None:
    assert nova.get("/os-hypervisors").json() == {"hypervisors": []}
    hid = register(nova)
    with nova.api.cloud.compute.hosts.p.uow(write=True) as uow:
        uow.allocations.add(Allocation("srv-1", "node1", 2, 1024, 10))
        uow.commit()
    r = nova.get("/os-hypervisors")
    assert r.status_code == 200, r.text
    assert r.json() == {"hypervisors": [{"id": hid, "hypervisor_hostname": "node1",
                                         "state": "up", "status": "enabled"}]}
    detail = nova.get("/os-hypervisors/detail").json()["hypervisors"]
    assert len(detail) == 1 and set(detail[0]) == HYPERVISOR_KEYS
    h = detail[0]
    assert (h["vcpus"], h["vcpus_used"], h["memory_mb"], h["memory_mb_used"],
            h["free_ram_mb"], h["local_gb"], h["local_gb_used"], h["free_disk_gb"],
            h["running_vms"]) == (4, 2, 8192, 1024, 7168, 100, 10, 90, 1)
    assert h["hypervisor_type"] == "QEMU" and h["service"]["host"] == "node1"
    assert nova.get(f"/os-hypervisors/{hid}").json()["hypervisor"] == h
    assert_fault(nova.get("/os-hypervisors/999"), 404, "itemNotFound")
    assert_fault(nova.get("/os-hypervisors/node1"), 404, "itemNotFound")
    assert nova.get("/os-hypervisors/node/search").json()["hypervisors"][0]["id"] == hid
    assert nova.get("/os-hypervisors/node/servers").json() == {"hypervisors": [
        {"id": hid, "hypervisor_hostname": "node1", "state": "up", "status": "enabled"}]}
    assert_fault(nova.get("/os-hypervisors/zzz/servers"), 404, "itemNotFound")
    stats = nova.get("/os-hypervisors/statistics").json()["hypervisor_statistics"]
    assert stats["count"] == 1 and stats["vcpus_used"] == 2 and stats["running_vms"] == 1
    _, token = nova.member()
    for path in ("/os-hypervisors", "/os-hypervisors/detail", f"/os-hypervisors/{hid}",
                 "/os-hypervisors/statistics", "/os-hypervisors/node/servers"):
        assert_fault(nova.get(path, token), 403, "forbidden")


def test_services_and_zones(nova: Nova) -> None:
    register(nova)
    r = nova.get("/os-services")
    assert r.status_code == 200, r.text
    services = {s["binary"]: s for s in r.json()["services"]}
    assert set(services) == {"nova-scheduler", "nova-conductor", "nova-compute"}
    compute = services["nova-compute"]
    assert set(compute) == {"id", "binary", "host", "zone", "status", "state", "updated_at",
                            "disabled_reason"}
    assert (compute["host"], compute["zone"], compute["state"], compute["status"]) == (
        "node1", "nova", "up", "enabled")
    assert [s["binary"] for s in nova.get("/os-services", params={"binary": "nova-compute"}
                                          ).json()["services"]] == ["nova-compute"]

    _, token = nova.member()
    zones = nova.get("/os-availability-zone", token)
    assert zones.status_code == 200
    assert zones.json() == {"availabilityZoneInfo": [
        {"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}]}
    detail = nova.get("/os-availability-zone/detail").json()["availabilityZoneInfo"]
    names = {z["zoneName"]: z for z in detail}
    assert set(names) == {"nova", "internal"}
    assert names["nova"]["hosts"]["node1"]["nova-compute"]["available"] is True
    assert_fault(nova.get("/os-availability-zone/detail", token), 403, "forbidden")
    assert_fault(nova.get("/os-services", token), 403, "forbidden")

    # Disabling the host's service; a silent host goes down.
    r = nova.put("/os-services/disable", {"host": "node1", "binary": "nova-compute"})
    assert r.status_code == 200 and r.json() == {"service": {
        "host": "node1", "binary": "nova-compute", "status": "disabled"}}
    assert_fault(nova.put("/os-services/disable", {"host": "node1", "binary": "nova-compute"},
                          token), 403, "forbidden")
    assert_fault(nova.put("/os-services/enable", {"host": "ghost", "binary": "nova-compute"}),
                 404, "itemNotFound")
    with nova.api.cloud.compute.hosts.p.uow(write=True) as uow:
        host = uow.compute_hosts.first(hostname="node1")
        assert host is not None and host.last_seen is not None
        host.last_seen = host.last_seen - timedelta(seconds=61)
        uow.commit()
    compute = next(s for s in nova.get("/os-services").json()["services"]
                   if s["binary"] == "nova-compute")
    assert (compute["state"], compute["status"]) == ("down", "disabled")
    assert nova.get("/os-availability-zone").json()["availabilityZoneInfo"][0][
        "zoneState"] == {"available": False}
    assert nova.get("/os-hypervisors").json()["hypervisors"][0]["state"] == "down"


def test_force_down_at_2_11(nova: Nova) -> None:
    register(nova)
    v = nova.at("2.11")
    services = v.get("/os-services").json()["services"]
    assert all(s["forced_down"] is False for s in services)
    assert "forced_down" not in nova.get("/os-services").json()["services"][0]
    body = {"host": "node1", "binary": "nova-compute", "forced_down": True}
    # Below 2.11 there is no such action.
    assert_fault(nova.put("/os-services/force-down", body), 400, "badRequest")
    r = v.put("/os-services/force-down", body)
    assert r.status_code == 200, r.text
    assert r.json() == {"service": {"host": "node1", "binary": "nova-compute",
                                    "forced_down": True}}
    compute = next(s for s in v.get("/os-services").json()["services"]
                   if s["binary"] == "nova-compute")
    # Forced down: down whatever the heartbeat says, and nothing is scheduled there.
    assert (compute["forced_down"], compute["state"], compute["status"]) == (
        True, "down", "enabled")
    with nova.api.cloud.compute.hosts.p.uow(write=True) as uow:
        now = nova.api.cloud.compute.hosts.p.clock.now()
        assert scheduler.claim(uow, scheduler.Request("s", 1, 64, 1, None), now) is None
    for bad in ({**body, "forced_down": "yes"}, {"host": "node1", "forced_down": True},
                {**body, "binary": "nova-scheduler"}):
        assert_fault(v.put("/os-services/force-down", bad), 400, "badRequest", "2.11")
    assert_fault(v.put("/os-services/force-down", {**body, "host": "ghost"}), 404,
                 "itemNotFound", "2.11")
    _, token = nova.member()
    assert_fault(v.put("/os-services/force-down", body, token), 403, "forbidden", "2.11")
    assert v.put("/os-services/force-down", {**body, "forced_down": False}).json()[
        "service"]["forced_down"] is False
    events = [e["action"] for e in nova.api.events() if e["target"]["type"] == "compute_host"]
    assert events.count("compute.service.force_down") == 3
