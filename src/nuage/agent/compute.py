"""The compute agent of one host: registers the host, then reconciles its servers every
second, or at once when the control plane says intent changed.

It runs in a thread of `nuage up` (single node) behind the same AgentChannel a remote
agent will answer on a message bus; nothing in it assumes it shares the API's process
other than LocalAgentChannel. It reads and writes servers only through the agent port
(ports/compute_agent.py, through the Reconciler), never a unit of work: see the
import-linter contract in pyproject.toml.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from nuage.agent.host_uptime import read_uptime
from nuage.ports.hypervisor import GuestNotFound, Hypervisor, HypervisorError
from nuage.services.compute.reconcile import Reconciler
from nuage.services.periodic import Job, PeriodicLoop

log = logging.getLogger(__name__)


class ComputeAgent:
    def __init__(self, reconciler: Reconciler, hypervisor: Hypervisor,
                 register: Callable[[], object], heartbeat: Callable[[], None],
                 interval: float = 1.0) -> None:
        self.reconciler = reconciler
        self.hypervisor = hypervisor
        self._register = register
        self._heartbeat = heartbeat
        self._accelerator: str | None = None
        # One pass: reconcile before the heartbeat (a database write), so a pass woken by
        # a request serves it first; prune after it, so a server it deleted releases its
        # image at once.
        self._loop = PeriodicLoop("compute-agent", [
            Job("reconcile pass", interval, self.reconciler.run_once),
            Job("image cache pruning", interval, self.reconciler.prune_image_cache),
            Job("host registration", interval, self._register_on_change),
            Job("heartbeat", interval, self._heartbeat),
        ])

    @property
    def hostname(self) -> str:
        return self.reconciler.hostname

    def start(self) -> None:
        self._register()
        self._accelerator = self.hypervisor.capabilities().accelerator
        try:
            self.reconciler.image_cache.clean()
        except OSError:
            log.exception("image cache not cleaned; its leftovers stay until the next start")
        # Adopt what survived a restart before serving: report observed states at once.
        self._pass()
        self._loop.start()

    def stop(self) -> None:
        """Stop reconciling. Guests keep running: they belong to the host, not to us."""
        self._loop.stop(timeout=60)

    def wake(self) -> None:
        self._loop.wake()

    def host_uptime(self) -> str:
        """This host's `uptime` line (LookupError when /proc cannot be read)."""
        try:
            return read_uptime()
        except (OSError, ValueError, IndexError) as exc:
            raise LookupError(f"the uptime of {self.hostname} cannot be read: {exc}") from exc

    def _pass(self) -> None:
        """Every step now (each failure is logged; the next pass retries it)."""
        self._loop.run_due(everything=True)

    def _register_on_change(self) -> None:
        # The console watchdog may have made the host give up KVM: admins see it in
        # os-hypervisors (cpu_info) once the host is registered again.
        accelerator = self.hypervisor.capabilities().accelerator
        if accelerator != self._accelerator:
            self._register()
            self._accelerator = accelerator


class LocalAgentChannel:
    """AgentChannel for agents in this process."""

    def __init__(self) -> None:
        self._agents: dict[str, ComputeAgent] = {}

    def attach(self, agent: ComputeAgent) -> None:
        self._agents[agent.hostname] = agent

    def notify(self, host: str) -> None:
        agent = self._agents.get(host)
        if agent is not None:
            agent.wake()

    def console_output(self, host: str, guest_id: str, length: int | None) -> str:
        agent = self._agents.get(host)
        if agent is None:
            raise LookupError(f"no agent for host {host}")
        return agent.reconciler.console_output(guest_id, length)

    def _agent(self, host: str) -> ComputeAgent:
        agent = self._agents.get(host)
        if agent is None:
            raise LookupError(f"no agent for host {host}")
        return agent

    def diagnostics(self, host: str, guest_id: str) -> dict[str, Any]:
        agent = self._agent(host)
        try:
            return agent.hypervisor.diagnostics(guest_id)
        except (GuestNotFound, HypervisorError) as exc:
            raise LookupError(f"guest {guest_id} is not running: {exc}") from exc

    def host_uptime(self, host: str) -> str:
        return self._agent(host).host_uptime()

    def trigger_crash_dump(self, host: str, guest_id: str) -> None:
        agent = self._agent(host)
        try:
            agent.hypervisor.inject_nmi(guest_id)
        except (GuestNotFound, HypervisorError) as exc:
            raise LookupError(f"guest {guest_id} is not running: {exc}") from exc
