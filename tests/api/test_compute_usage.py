"""os-simple-tenant-usage and os-migrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault

FMT = "%Y-%m-%dT%H:%M:%S.%f"


def _window(days: int = 1) -> str:
    now = datetime.now(UTC)
    return f"start={(now - timedelta(days=days)).strftime(FMT)}&end=" \
           f"{(now + timedelta(days=days)).strftime(FMT)}"


def _launch(servers: Servers, sid: str, hours_ago: float, ended_hours_ago: float | None = None
            ) -> None:
    with servers.nova.api.cloud.compute_ports.uow(write=True) as uow:
        server = uow.servers.get(sid)
        assert server is not None
        now = datetime.now(UTC)
        server.launched_at = now - timedelta(hours=hours_ago)
        if ended_hours_ago is not None:
            server.terminated_at = now - timedelta(hours=ended_hours_ago)
            server.vm_state, server.deleted = "deleted", True
        uow.commit()


def test_usage_counts_live_and_deleted_servers(nova: Nova, servers: Servers) -> None:
    project, token = nova.member()
    live = servers.active(token)
    gone = servers.active(token)
    servers.create(token)   # never launched: not charged, not listed
    _launch(servers, live, 2)
    _launch(servers, gone, 5, ended_hours_ago=4)

    r = nova.get(f"/os-simple-tenant-usage/{project}?{_window()}", token)
    assert r.status_code == 200, r.text
    usage = r.json()["tenant_usage"]
    assert usage["tenant_id"] == project
    assert abs(usage["total_hours"] - 3.0) < 0.01
    # flavor 1 is m1.tiny: 1 vCPU, 256 MiB, 1 GB
    assert abs(usage["total_vcpus_usage"] - 3.0) < 0.01
    assert abs(usage["total_memory_mb_usage"] - 768.0) < 3
    assert abs(usage["total_local_gb_usage"] - 3.0) < 0.01
    by_id = {s["instance_id"]: s for s in usage["server_usages"]}
    assert set(by_id) == {live, gone}
    assert by_id[gone]["state"] == "terminated" and by_id[gone]["uptime"] == 3600
    assert by_id[gone]["ended_at"] is not None
    assert by_id[live]["state"] == "active" and by_id[live]["ended_at"] is None
    assert by_id[live]["flavor"] == "m1.tiny" and by_id[live]["vcpus"] == 1
    assert 7199 <= by_id[live]["uptime"] <= 7300

    # A window the servers did not live in: {}.
    old = "start=2001-01-01T00:00:00&end=2001-01-02T00:00:00"
    r = nova.get(f"/os-simple-tenant-usage/{project}?{old}", token)
    assert r.json() == {"tenant_usage": {}}

    # The list is for administrators; `detailed=1` adds the servers.
    r = nova.get(f"/os-simple-tenant-usage?{_window()}")
    listed = {u["tenant_id"]: u for u in r.json()["tenant_usages"]}
    assert "server_usages" not in listed[project]
    r = nova.get(f"/os-simple-tenant-usage?{_window()}&detailed=1")
    listed = {u["tenant_id"]: u for u in r.json()["tenant_usages"]}
    assert len(listed[project]["server_usages"]) == 2
    assert_fault(nova.get("/os-simple-tenant-usage", token), 403, "forbidden")


def test_usage_errors(nova: Nova, servers: Servers) -> None:
    project, token = nova.member()
    other, _ = nova.member()
    assert_fault(nova.get(f"/os-simple-tenant-usage/{other}", token), 403, "forbidden")
    bad = "start=2020-01-02T00:00:00&end=2020-01-01T00:00:00"
    assert_fault(nova.get(f"/os-simple-tenant-usage/{project}?{bad}", token), 400,
                 "badRequest")
    assert_fault(nova.get(f"/os-simple-tenant-usage/{project}?start=yesterday", token), 400,
                 "badRequest")
    assert_fault(nova.get("/os-simple-tenant-usage/"), 404, "itemNotFound")
    # The admin sees any project.
    assert nova.get(f"/os-simple-tenant-usage/{project}").status_code == 200


def test_migrations_are_empty(nova: Nova, servers: Servers) -> None:
    _, token = nova.member()
    r = nova.get("/os-migrations?host=h&status=finished&migration_type=resize")
    assert r.status_code == 200 and r.json() == {"migrations": []}
    assert_fault(nova.get("/os-migrations", token), 403, "forbidden")
    sid = servers.active()
    assert nova.get(f"/servers/{sid}/migrations").status_code == 404
    r = nova.at("2.23").get(f"/servers/{sid}/migrations")
    assert r.status_code == 200 and r.json() == {"migrations": []}
    assert_fault(nova.at("2.23").get(f"/servers/{sid}/migrations/1"), 404, "itemNotFound",
                 "2.23")


def test_usage_pages_from_2_40(nova: Nova, servers: Servers) -> None:
    project, token = nova.member()
    made = [servers.active(token) for _ in range(3)]
    for sid in made:
        _launch(servers, sid, 2)
    v = nova.at("2.40")
    r = v.get(f"/os-simple-tenant-usage/{project}?{_window()}&limit=2", token)
    assert r.status_code == 200, r.text
    first = r.json()
    assert [s["instance_id"] for s in first["tenant_usage"]["server_usages"]] == made[:2]
    assert abs(first["tenant_usage"]["total_hours"] - 4.0) < 0.01
    assert f"marker={made[1]}" in first["tenant_usage_links"][0]["href"]
    rest = v.get(f"/os-simple-tenant-usage/{project}?{_window()}&marker={made[1]}", token)
    assert [s["instance_id"] for s in rest.json()["tenant_usage"]["server_usages"]] == [
        made[2]]
    assert "tenant_usage_links" not in rest.json()
    listed = v.get(f"/os-simple-tenant-usage?{_window()}&limit=1").json()
    assert len(listed["tenant_usages"]) == 1 and listed["tenant_usages_links"]
    assert v.get(f"/os-simple-tenant-usage/{project}?{_window()}&marker=nope",
                 token).status_code == 400
    # Below 2.40 paging parameters are ignored.
    old = nova.at("2.39").get(f"/os-simple-tenant-usage/{project}?{_window()}&limit=1", token)
    assert len(old.json()["tenant_usage"]["server_usages"]) == 3


def test_migrations_query_from_2_59(nova: Nova) -> None:
    assert nova.at("2.58").get("/os-migrations?whatever=1").status_code == 200
    v = nova.at("2.59")
    assert v.get("/os-migrations?whatever=1").status_code == 400
    r = v.get("/os-migrations?limit=5&changes-since=2020-01-01T00:00:00Z")
    assert r.status_code == 200 and r.json() == {"migrations": []}
    assert v.get("/os-migrations?marker=1").status_code == 400
    assert v.get("/os-migrations?user_id=u").status_code == 400
    assert nova.at("2.80").get("/os-migrations?user_id=u&project_id=p").status_code == 200
