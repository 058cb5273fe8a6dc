"""POST /servers/{id}/action through its table of descriptors (server_actions.py): the
order of Nova's checks per action (body, microversion, server look-up), and the shape of
the facade's handlers (module-level, typed, no Any)."""

from __future__ import annotations

import typing
from collections.abc import Callable

from starlette.routing import Route

from nuage.api.openstack.compute.app import API
from nuage.api.openstack.compute.server_actions import ACTIONS
from tests.api.compute_servers import Servers
from tests.api.compute_support import Nova, assert_fault

MISSING = "00000000-0000-4000-8000-000000000000"


def test_body_must_name_one_known_action(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    r = nova.post(f"/servers/{sid}/action", {"os-stop": None, "os-start": None})
    assert "Exactly one action" in assert_fault(r, 400, "badRequest")
    r = nova.post(f"/servers/{sid}/action", {"frobnicate": None})
    assert "There is no such action: frobnicate" in assert_fault(r, 400, "badRequest")


def test_microversion_bounds(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    # 2.44 removed the network proxies: 404 before any look-up; below, refused after it.
    r = nova.at("2.44").post(f"/servers/{sid}/action", {"addFixedIp": {"networkId": "x"}})
    assert_fault(r, 404, "itemNotFound", "2.44")
    r = nova.at("2.43").post(f"/servers/{sid}/action", {"addFloatingIp": {"address": "x"}})
    assert "not supported" in assert_fault(r, 400, "badRequest", "2.43")
    r = nova.at("2.43").post(f"/servers/{MISSING}/action", {"addFloatingIp": {}})
    assert_fault(r, 404, "itemNotFound", "2.43")
    # addFixedIp is served below 2.44 (test_compute_interfaces.py).
    r = nova.at("2.43").post(f"/servers/{sid}/action", {"addFixedIp": {"networkId": "x"}})
    assert_fault(r, 404, "itemNotFound", "2.43")
    # trigger_crash_dump came with 2.17: below, the server is looked up, then a 400.
    r = nova.at("2.16").post(f"/servers/{MISSING}/action", {"trigger_crash_dump": None})
    assert_fault(r, 404, "itemNotFound", "2.16")
    r = nova.at("2.16").post(f"/servers/{sid}/action", {"trigger_crash_dump": None})
    assert "needs microversion 2.17" in assert_fault(r, 400, "badRequest", "2.16")
    r = nova.at("2.17").post(f"/servers/{sid}/action", {"trigger_crash_dump": {}})
    assert_fault(r, 400, "badRequest", "2.17")
    # 2.73's locked_reason is an unexpected body below it.
    r = nova.at("2.72").post(f"/servers/{sid}/action", {"lock": {"locked_reason": "x"}})
    assert_fault(r, 400, "badRequest", "2.72")
    r = nova.at("2.73").post(f"/servers/{sid}/action", {"lock": {"locked_reason": "x"}})
    assert r.status_code == 202, r.text
    shown = nova.at("2.73").get(f"/servers/{sid}").json()["server"]
    assert (shown["locked"], shown["locked_reason"]) == (True, "x")


def test_refused_actions_look_the_server_up_first(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    for name in ("resize", "shelve", "os-getVNCConsole"):
        assert_fault(nova.post(f"/servers/{MISSING}/action", {name: {}}), 404,
                     "itemNotFound")
        r = nova.post(f"/servers/{sid}/action", {name: {}})
        assert f"The action {name} is not supported" in assert_fault(r, 400, "badRequest")
    for name in ("restore", "forceDelete"):
        r = nova.post(f"/servers/{sid}/action", {name: None})
        assert "vm_state active" in assert_fault(r, 409, "conflictingRequest")
    r = nova.post(f"/servers/{sid}/action", {"os-getConsoleOutput": {"length": -2}})
    assert_fault(r, 400, "badRequest")


def test_simple_actions_reach_the_service(nova: Nova, servers: Servers) -> None:
    sid = servers.active()
    assert nova.post(f"/servers/{sid}/action", {"os-stop": None}).status_code == 202
    shown = nova.get(f"/servers/{sid}").json()["server"]
    assert shown["OS-EXT-STS:task_state"] == "powering-off"


def test_action_table_names_novas_actions() -> None:
    assert {"os-start", "os-stop", "pause", "unpause", "suspend", "resume", "reboot",
            "rebuild", "createImage", "createBackup", "os-getConsoleOutput", "lock",
            "unlock", "os-resetState", "trigger_crash_dump", "restore", "forceDelete",
            "addFixedIp", "resize", "migrate", "shelve"} <= set(ACTIONS)


def test_handlers_are_typed_module_level_functions() -> None:
    """Every compute route's handler, and every action descriptor's parser and call, is a
    module-level function (no closure over a factory's arguments) whose hints name no Any."""
    endpoints = [r.endpoint for r in API if isinstance(r, Route)]
    assert len(endpoints) == len(API)
    parts: list[Callable[..., object]] = [f for a in ACTIONS.values()
                                          for f in (a.parse, a.run)]
    for fn in [*endpoints, *parts]:
        name = str(getattr(fn, "__qualname__", ""))
        assert name and "<locals>" not in name, name
        assert typing.Any not in typing.get_type_hints(fn).values(), name
