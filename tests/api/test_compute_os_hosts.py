"""os-hosts (Nova's deprecated per-host view at 2.1): list, detail, enable/disable, and the
power and maintenance actions nuage refuses."""

from __future__ import annotations

from tests.api.compute_support import Nova, assert_fault
from tests.api.test_compute_hosts import register


def test_list_show_update(nova: Nova) -> None:
    register(nova)
    hosts = nova.get("/os-hosts").json()["hosts"]
    assert {"host_name": "node1", "service": "compute", "zone": "nova"} in hosts
    assert {h["service"] for h in hosts} >= {"compute", "scheduler", "conductor"}
    assert nova.get("/os-hosts", params={"zone": "nova"}).json()["hosts"] == [
        {"host_name": "node1", "service": "compute", "zone": "nova"}]
    assert nova.get("/os-hosts", params={"zone": "xxx"}).json() == {"hosts": []}

    rows = nova.get("/os-hosts/node1").json()["host"]
    assert [r["resource"]["project"] for r in rows] == ["(total)", "(used_now)", "(used_max)"]
    assert rows[0]["resource"] == {"host": "node1", "project": "(total)", "cpu": 4,
                                   "memory_mb": 8192, "disk_gb": 100}
    assert_fault(nova.get("/os-hosts/ghost"), 404, "itemNotFound")

    r = nova.put("/os-hosts/node1", {"status": "disable"})
    assert r.json() == {"host": "node1", "status": "disabled"}
    assert nova.put("/os-hosts/node1", {"status": "enable"}).json()["status"] == "enabled"
    assert_fault(nova.put("/os-hosts/node1", {"status": "bogus"}), 400, "badRequest")
    assert_fault(nova.put("/os-hosts/node1", {}), 400, "badRequest")
    assert_fault(nova.put("/os-hosts/ghost", {"status": "enable"}), 404, "itemNotFound")
    assert_fault(nova.put("/os-hosts/node1", {"maintenance_mode": "enable"}), 400,
                 "badRequest")
    assert_fault(nova.get("/os-hosts/ghost/reboot"), 404, "itemNotFound")
    assert_fault(nova.get("/os-hosts/node1/startup"), 400, "badRequest")


def test_members_are_refused(nova: Nova) -> None:
    register(nova)
    _, token = nova.member()
    assert_fault(nova.get("/os-hosts", token), 403, "forbidden")
    assert_fault(nova.get("/os-hosts/node1", token), 403, "forbidden")
    assert_fault(nova.put("/os-hosts/node1", {"status": "enable"}, token), 403, "forbidden")
    assert_fault(nova.get("/os-hosts/node1/shutdown", token), 403, "forbidden")
