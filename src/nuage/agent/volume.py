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

from collections.abc import Callable, Iterable

from nuage.services.periodic import Job, PeriodicLoop
from nuage.services.volume.reconcile import VolumeReconciler

# Work arrives by wake-up; the timer only catches what a lost wake-up or a failed step
# left, so it need not be eager.
INTERVAL = 5.0


class VolumeAgent:
    def __init__(self, reconciler: VolumeReconciler, interval: float = INTERVAL,
                 backups: Callable[[], object] | None = None) -> None:
        """`backups`: one pass over the host's pending backups (services/volume/
        backup_steps.py), run in a loop of its own: a backup streams a whole volume,
        which must not hold up creates and deletes."""
        self.reconciler = reconciler
        self._loops = [PeriodicLoop("volume-agent",
                                    [Job("volume pass", interval, reconciler.pass_once)])]
        if backups is not None:
            self._loops.append(PeriodicLoop("volume-backups",
                                            [Job("backup pass", interval, backups)]))

    @property
    def hostname(self) -> str:
        return self.reconciler.hostname

    def start(self) -> None:
        """One pass at once (finishes what a crash or a stop left), then keep passing."""
        self._loops[0].run_due(everything=True)
        for loop in self._loops:
            loop.start()
        # The backups' first pass runs in their loop's thread, not on the caller's.
        self._loops[-1].wake()

    def stop(self) -> None:
        """Stop after the pass in progress (a copy may take a while: it is waited for,
        so no qemu-img is left behind)."""
        for loop in self._loops:
            loop.stop(timeout=600)

    def wake(self) -> None:
        for loop in self._loops:
            loop.wake()


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
