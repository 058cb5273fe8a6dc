"""The volume agent of one host: creates, extends, snapshots and deletes the host's volume
files as the control plane asks, at start, when woken (intent changed) and every few
seconds, and removes files no volume names once they have been unnamed a while.

It runs in a thread of `nuage up` (single node) behind the same channel a remote agent
will answer on a message bus. It reaches the control plane only through its port
(ports/volume_agent.py, through the VolumeReconciler), never a unit of work, and the disk
only through the BlockDevices port: see the import-linter contract in pyproject.toml.
Stopping it leaves every volume file as it is: the next start reconciles.
"""

from __future__ import annotations

from collections.abc import Iterable

from nuage.services.periodic import Job, PeriodicLoop
from nuage.services.volume.reconcile import VolumeReconciler

# Work arrives by wake-up; the timer only catches what a lost wake-up or a failed step
# left, so it need not be eager.
INTERVAL = 5.0


class VolumeAgent:
    def __init__(self, reconciler: VolumeReconciler, interval: float = INTERVAL) -> None:
        self.reconciler = reconciler
        self._loop = PeriodicLoop("volume-agent",
                                  [Job("volume pass", interval, reconciler.pass_once)])

    @property
    def hostname(self) -> str:
        return self.reconciler.hostname

    def start(self) -> None:
        """One pass at once (finishes what a crash or a stop left), then keep passing."""
        self._loop.run_due(everything=True)
        self._loop.start()

    def stop(self) -> None:
        """Stop after the pass in progress (a copy may take a while: it is waited for,
        so no qemu-img is left behind)."""
        self._loop.stop(timeout=600)

    def wake(self) -> None:
        self._loop.wake()


class LocalVolumeAgentChannel:
    """How the volume service wakes the agents in this process after a change it
    committed (a remote agent will be woken over the bus). One process is one host, and a
    pass is idempotent: every attached agent is woken."""

    def __init__(self) -> None:
        self._agents: dict[str, VolumeAgent] = {}

    def attach(self, agent: VolumeAgent) -> None:
        self._agents[agent.hostname] = agent

    def changed(self, volume_id: str, hosts: Iterable[str] = ()) -> None:
        for agent in list(self._agents.values()):
            agent.wake()
