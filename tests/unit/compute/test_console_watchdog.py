"""The console watchdog (Reconciler._watch_console), on real SQLite with the in-memory
hypervisor: a guest that printed nothing within the deadline never stays silently ACTIVE."""

from __future__ import annotations

import pytest

from nuage.agent.compute import ComputeAgent
from nuage.ports.hypervisor import BootSilence, PowerState
from tests.unit.compute.test_servers import World, boot, member, world  # noqa: F401


@pytest.fixture
def w(world: World) -> World:  # noqa: F811 - the imported fixture
    """test_servers' world: real SQLite, in-memory hypervisor and images."""
    return world


def _arm(w: World, deadline: float = 30.0) -> None:
    w.reconciler.console_deadline = deadline


def test_a_guest_that_printed_within_the_deadline_is_left_alone(w: World) -> None:
    _arm(w)
    sid = boot(w)
    w.hv.silences[sid] = BootSilence(seconds=29.0, accelerator="tcg")
    w.reconciler.run_once()
    server = w.servers.get(member(), sid)
    assert (server.status, server.fault) == ("ACTIVE", None)
    assert ("stop", sid) not in w.hv.calls


def test_a_silent_tcg_guest_is_stopped_and_its_server_goes_to_error(w: World) -> None:
    _arm(w)
    sid = boot(w)
    w.hv.silences[sid] = BootSilence(seconds=31.0, accelerator="tcg")
    w.reconciler.run_once()
    server = w.servers.get(member(), sid)
    assert server.status == "ERROR" and server.power_state == int(PowerState.SHUTDOWN)
    assert server.fault is not None
    message = server.fault["message"]
    assert "wrote nothing to its serial console within 30 s" in message
    assert "/" not in message.replace("(ttyS0)", "")   # no host path in a tenant's fault
    assert w.hv.states[sid] == PowerState.SHUTDOWN
    assert w.hv.accelerator == "tcg"


def test_a_silent_kvm_guest_makes_the_host_give_up_kvm_and_restarts_under_tcg(
        w: World) -> None:
    _arm(w)
    w.hv.accelerator = "kvm"
    sid = boot(w)
    w.hv.silences[sid] = BootSilence(seconds=45.0, accelerator="kvm")
    w.reconciler.run_once()
    assert w.hv.accelerator == "tcg"               # new guests: TCG
    assert [c for c in w.hv.calls if c[1] == sid][-2:] == [("stop", sid), ("start", sid)]
    server = w.servers.get(member(), sid)
    assert (server.status, server.fault) == ("ACTIVE", None)
    # A second guest started under KVM before the switch is restarted too, not failed.
    other = boot(w, name="vm2")
    w.hv.silences[other] = BootSilence(seconds=45.0, accelerator="kvm")
    w.reconciler.run_once()
    assert w.servers.get(member(), other).status == "ACTIVE"
    assert [c for c in w.hv.calls if c[1] == other][-2:] == [("stop", other),
                                                                 ("start", other)]


def test_a_silent_guest_under_forced_kvm_goes_to_error(w: World) -> None:
    _arm(w)
    w.hv.accelerator, w.hv.forced = "kvm", True
    sid = boot(w)
    w.hv.silences[sid] = BootSilence(seconds=60.0, accelerator="kvm")
    w.reconciler.run_once()
    assert w.servers.get(member(), sid).status == "ERROR"
    assert w.hv.accelerator == "kvm"


def test_no_watchdog_when_the_deadline_is_zero(w: World) -> None:
    _arm(w, 0.0)
    sid = boot(w)
    w.hv.silences[sid] = BootSilence(seconds=3600.0, accelerator="tcg")
    w.reconciler.run_once()
    assert w.servers.get(member(), sid).status == "ACTIVE"


def test_a_paused_guest_is_not_judged(w: World) -> None:
    _arm(w)
    sid = boot(w)
    w.hv.silences[sid] = BootSilence(seconds=3600.0, accelerator="tcg")
    w.actions.act(member(), sid, "pause")
    w.reconciler.run_once()
    w.reconciler.run_once()
    assert w.servers.get(member(), sid).status == "PAUSED"


def test_the_agent_registers_the_host_again_when_it_gives_up_kvm(w: World) -> None:
    registered: list[str] = []
    w.hv.accelerator = "kvm"
    agent = ComputeAgent(w.reconciler, w.hv,
                         register=lambda: registered.append(w.hv.capabilities().accelerator),
                         heartbeat=lambda: None)
    agent.start()
    agent.stop()
    assert registered == ["kvm"]
    _arm(w)
    sid = boot(w)
    w.hv.silences[sid] = BootSilence(seconds=61.0, accelerator="kvm")
    agent._pass()                 # the watchdog acts, then the host is registered again
    assert registered == ["kvm", "tcg"]
    agent._pass()
    assert registered == ["kvm", "tcg"]
