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
import threading
from collections.abc import Callable
from typing import Any

from nuage.agent.host_uptime import read_uptime
from nuage.ports.hypervisor import GuestNotFound, Hypervisor, HypervisorError
from nuage.services.compute.reconcile import Reconciler

log = logging.getLogger(__name__)


class ComputeAgent:
    def __init__(self, reconciler: Reconciler, hypervisor: Hypervisor,
                 register: Callable[[], object], heartbeat: Callable[[], None],
                 interval: float = 1.0) -> None:
        self.reconciler = reconciler
        self.hypervisor = hypervisor
        self._register = register
        self._heartbeat = heartbeat
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="compute-agent", daemon=True)
        self._accelerator: str | None = None

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
        self._thread.start()

    def stop(self) -> None:
        """Stop reconciling. Guests keep running: they belong to the host, not to us."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=60)

    def wake(self) -> None:
        self._wake.set()

    def host_uptime(self) -> str:
        """This host's `uptime` line (LookupError when /proc cannot be read)."""
        try:
            return read_uptime()
        except (OSError, ValueError, IndexError) as exc:
            raise LookupError(f"the uptime of {self.hostname} cannot be read: {exc}") from exc

    def _pass(self) -> None:
        # Reconcile before the heartbeat (a database write): a pass woken by a request
        # serves it first.
        try:
            self.reconciler.run_once()
        except Exception:
            log.exception("compute agent pass failed; the next pass retries")
        # After the pass: a server it deleted releases its image at once.
        try:
            self.reconciler.prune_image_cache()
        except Exception:
            log.exception("image cache pruning failed; the next pass retries")
        try:
            # The console watchdog may have made the host give up KVM: admins see it in
            # os-hypervisors (cpu_info) once the host is registered again.
            accelerator = self.hypervisor.capabilities().accelerator
            if accelerator != self._accelerator:
                self._register()
                self._accelerator = accelerator
        except Exception:
            log.exception("host registration failed; the next pass retries")
        try:
            self._heartbeat()
        except Exception:
            log.exception("compute agent heartbeat failed; the next pass retries")

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            self._pass()


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
