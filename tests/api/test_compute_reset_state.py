"""os-resetState: administrators force a server's vm_state to active or error and clear
its task, as Nova's admin action does."""

from __future__ import annotations

from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault


def test_reset_state_sets_the_state_and_clears_the_task(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    sid = servers.active(token)
    servers.settle(sid, "active", "powering-off")
    r = nova.post(f"/servers/{sid}/action", {"os-resetState": {"state": "error"}})
    assert r.status_code == 202, r.text
    shown = nova.get(f"/servers/{sid}").json()["server"]
    assert (shown["status"], shown["OS-EXT-STS:vm_state"], shown["OS-EXT-STS:task_state"]) == (
        "ERROR", "error", None)
    assert nova.post(f"/servers/{sid}/action",
                     {"os-resetState": {"state": "active"}}).status_code == 202
    shown = nova.get(f"/servers/{sid}", token).json()["server"]
    assert shown["status"] == "ACTIVE"
    actions = [a["action"] for a in nova.get(f"/servers/{sid}/os-instance-actions",
                                              token).json()["instanceActions"]]
    assert actions[:2] == ["resetState", "resetState"]
    assert "compute.server.resetState" in [e["action"] for e in nova.api.events()]
    # A server in ERROR can be deleted (Tempest's test_delete_server_while_in_error_state).
    nova.post(f"/servers/{sid}/action", {"os-resetState": {"state": "error"}})
    assert nova.delete(f"/servers/{sid}", token).status_code == 204


def test_reset_state_errors_in_novas_order(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    sid = servers.active(token)
    missing = "00000000-0000-4000-8000-000000000000"
    # The body is checked first (400), then the server (404), then the policy (403).
    for bad in ({"state": "deleted"}, {"state": 1}, {}, None, {"state": "active", "x": 1}):
        assert_fault(nova.post(f"/servers/{missing}/action", {"os-resetState": bad}), 400,
                     "badRequest")
    assert_fault(nova.post(f"/servers/{missing}/action",
                           {"os-resetState": {"state": "error"}}), 404, "itemNotFound")
    assert_fault(nova.post(f"/servers/{sid}/action", {"os-resetState": {"state": "error"}},
                           token), 403, "forbidden")
    assert nova.get(f"/servers/{sid}", token).json()["server"]["status"] == "ACTIVE"
