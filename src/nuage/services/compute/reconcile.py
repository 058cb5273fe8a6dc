"""What a host agent decides: move each server on this host from its recorded intent to
reality, through the Hypervisor port, and report what it observed.

It reaches the control plane only through the agent's port (`HostAssignments`,
ports/compute_agent.py): it reads copies of its host's servers and records typed
outcomes; it holds no unit of work (an import-linter contract says so), so it can run on
a host without database credentials. Hypervisor calls happen outside any transaction;
each step is idempotent, so a crash anywhere is finished by the next pass. An outcome is
written only if the server still has the task state the pass acted on (a delete asked
meanwhile wins next pass).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from nuage.domain import instance_metadata
from nuage.domain.compute import TaskState, VmState
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound
from nuage.domain.instance_metadata import NicFacts, SubnetFacts
from nuage.ports.block_devices import BlockDevices
from nuage.ports.compute import ImageSource
from nuage.ports.compute_agent import (
    DeleteFailed,
    Destroyed,
    Failed,
    Fault,
    HostAssignments,
    Observed,
    Outcome,
    Rebuilt,
    ServerAssignment,
    Settled,
    SnapshotEnded,
    Spawned,
)
from nuage.ports.guest_disks import GuestDisks, VolumeDisk
from nuage.ports.hypervisor import (
    BootImage,
    ConfigDrive,
    GuestNotFound,
    GuestSpec,
    Hypervisor,
    HypervisorError,
    Nic,
    PowerState,
)
from nuage.ports.image_format import ImageInspector
from nuage.ports.network_fabric import NetworkFabric
from nuage.ports.nics import ServerNic
from nuage.services.compute.image_cache import ImageCache, RefusedImage
from nuage.services.compute.reconcile_volumes import (
    VOLUME_DEADLINE,
    VolumesNotReady,
    VolumeSteps,
    VolumesUnavailable,
)

log = logging.getLogger(__name__)
PARALLEL_TASKS = 4
Step = Callable[[ServerAssignment], Outcome]
# How long a server's ports may stay un-plugged (not ACTIVE) before its build fails.
NIC_DEADLINE = 60.0
# How long a running guest gets to release a NIC being detached (per pass).
NIC_DETACH_TIMEOUT = 30.0
# Where the guest's NICs follow its ports (Nova's attach/detach states).
_NIC_STATES = frozenset({VmState.ACTIVE.value, VmState.PAUSED.value, VmState.STOPPED.value})
# The tasks that start an existing guest again: the hypervisor needs its volumes' keys
# first (a spawn or a rebuild makes a new guest, whose spec carries them).
_STARTING = frozenset({TaskState.POWERING_ON.value, TaskState.REBOOTING.value,
                       TaskState.REBOOTING_HARD.value, TaskState.RESUMING.value})


class NicsNotReady(Exception):
    """The server's ports are not all ACTIVE yet: keep the task, look again next pass."""


class NicsUnavailable(Exception):
    """The server's NICs cannot be plugged here (no datapath, or not in time): the
    message is the tenant's."""


class Reconciler:
    def __init__(self, control: HostAssignments, images: ImageSource, hypervisor: Hypervisor,
                 image_cache: Path, stop_timeout: float = 60.0,
                 image_cache_max_idle: float = 86400.0, console_deadline: float = 0.0, *,
                 inspector: ImageInspector, fabric: NetworkFabric | None = None,
                 nic_deadline: float = NIC_DEADLINE, disks: GuestDisks | None = None,
                 block_devices: BlockDevices | None = None,
                 volume_deadline: float = VOLUME_DEADLINE) -> None:
        """`control`: the control plane, bound to this host; `images`: the image service.
        `console_deadline`: seconds a started guest gets to write its first console
        byte before the watchdog acts (`_watch_console`); 0 turns the watchdog off.
        `fabric`: this host's network datapath (its guest namespace and TAP names), None
        when it is off: a server with NICs then fails rather than waits. `nic_deadline`:
        seconds a server's ports get to become ACTIVE before its build fails. `disks`: the
        hypervisor's volume side (None: guests get no volumes); `block_devices`: this
        host's volume files (a stopped guest's volume is extended or snapshotted there);
        `volume_deadline`: seconds a boot volume gets to be made."""
        self.control = control
        self.images = images
        self.hv = hypervisor
        self.hostname = control.host
        self.image_cache = ImageCache(image_cache, images, image_cache_max_idle, inspector)
        self.stop_timeout = stop_timeout
        self.console_deadline = console_deadline
        self.fabric = fabric
        self.nic_deadline = nic_deadline
        self.nic_detach_timeout = NIC_DETACH_TIMEOUT
        # When each server was first seen waiting for its ports (monotonic; in memory:
        # a restarted agent gives them the deadline again).
        self._nic_wait: dict[str, float] = {}
        self._nic_lock = threading.Lock()
        self.volumes = VolumeSteps(control, disks, block_devices, deadline=volume_deadline)

    # -- one pass --------------------------------------------------------------------------
    def run_once(self) -> int:
        """Reconcile every server on this host; returns how many changed."""
        servers = self.control.servers()
        changed = 0
        # Servers with a task first, before observing every guest (a QMP query each): a
        # boot or a stop asked for does not wait for the status of all the others.
        steps = self._steps()
        busy = [server for server in servers if server.task_state in steps]
        if len(busy) > 1:
            # Guests are independent: boot (or stop) several at once, as many as the
            # host has CPUs to spare for QEMU's start-up.
            with ThreadPoolExecutor(max_workers=min(len(busy), PARALLEL_TASKS)) as pool:
                changed += sum(pool.map(lambda s: self._reconcile_logged(s, None), busy))
        else:
            changed += sum(self._reconcile_logged(s, None) for s in busy)
        observed = self.hv.guests()
        for server in servers:
            if server.task_state not in steps:
                changed += self._reconcile_logged(server, observed.get(server.id))
        known = {s.id for s in servers}
        for guest_id in observed:
            if guest_id not in known:
                # A guest whose server is gone (deleted while the agent was down).
                self.hv.destroy(guest_id)
                changed += 1
        return changed

    def _reconcile_logged(self, server: ServerAssignment, observed: PowerState | None) -> int:
        try:
            return self.reconcile(server, observed)
        except Exception:
            log.exception("reconciling server %s failed; the next pass retries", server.id)
            return 0

    def reconcile(self, server: ServerAssignment, observed: PowerState | None) -> int:
        """One server; `observed` (its guest's power state) matters only without a task."""
        task = server.task_state
        step = self._steps().get(task)
        if step is None:
            return self._sync_power(server, observed)
        try:
            if task in _STARTING:
                self.volumes.provide_keys(server)
            outcome = step(server)
        except (NicsNotReady, VolumesNotReady):
            return 0
        except Exception as exc:
            log.warning("server %s: %s failed: %s", server.id, task, exc)
            outcome = self._failure(server, task, exc)
        return self._record(server.id, task, outcome)

    def _steps(self) -> dict[str | None, Step]:
        """What the agent does for each task state."""
        return {
            TaskState.SPAWNING.value: self._spawn,
            TaskState.DELETING.value: self._delete,
            TaskState.POWERING_OFF.value: lambda s: self._do(s, self.hv.stop, VmState.STOPPED,
                                                             PowerState.SHUTDOWN),
            TaskState.POWERING_ON.value: lambda s: self._do(s, self.hv.start, VmState.ACTIVE,
                                                            PowerState.RUNNING),
            TaskState.REBOOTING.value: lambda s: self._reboot(s, hard=False),
            TaskState.REBOOTING_HARD.value: lambda s: self._reboot(s, hard=True),
            TaskState.PAUSING.value: lambda s: self._do(s, self.hv.pause, VmState.PAUSED,
                                                        PowerState.PAUSED),
            TaskState.UNPAUSING.value: lambda s: self._do(s, self.hv.unpause, VmState.ACTIVE,
                                                          PowerState.RUNNING),
            TaskState.SUSPENDING.value: lambda s: self._do(s, self.hv.suspend,
                                                           VmState.SUSPENDED,
                                                           PowerState.SUSPENDED),
            TaskState.RESUMING.value: lambda s: self._do(s, self.hv.resume, VmState.ACTIVE,
                                                         PowerState.RUNNING),
            TaskState.REBUILDING.value: self._rebuild,
            TaskState.IMAGE_SNAPSHOT.value: self._snapshot,
        }

    # -- steps -----------------------------------------------------------------------------
    def _spawn(self, server: ServerAssignment) -> Outcome:
        nics = self.nics(server)
        volumes = self.volumes.boot_disks(server)
        with self.image_cache.pinned():
            self.hv.spawn(self.spec(server, nics, volumes))
        # The guest has them: their attachments are attached (before the server is
        # ACTIVE, so a client seeing ACTIVE sees them in-use).
        self.volumes.spawned(server, volumes)
        return Spawned()

    def nics(self, server: ServerAssignment) -> tuple[Nic, ...]:
        """The guest's NICs, once the host's network agent has plugged every port of
        the server (ACTIVE); NicsNotReady until then, NicsUnavailable after the
        deadline or when this host has no datapath."""
        if not server.nics:
            return ()
        if self.fabric is None:
            raise NicsUnavailable(
                "Networking is off on its compute host (NUAGE_NETWORK_DATAPATH): the "
                "server's network ports cannot be plugged. Boot it with \"networks\": "
                "\"none\", or ask the operator to turn networking on.")
        waiting = [n.port_id for n in server.nics if n.status != "ACTIVE"]
        with self._nic_lock:
            if not waiting:
                self._nic_wait.pop(server.id, None)
                fabric = self.fabric
                return tuple(Nic(mac=n.mac, tap=fabric.tap_name(n.port_id))
                             for n in server.nics)
            since = self._nic_wait.setdefault(server.id, time.monotonic())
            if time.monotonic() - since < self.nic_deadline:
                raise NicsNotReady(server.id)
            del self._nic_wait[server.id]
        log.warning("server %s: ports %s not plugged within %g s", server.id,
                    ", ".join(waiting), self.nic_deadline)
        raise NicsUnavailable(
            f"Its network ports ({', '.join(waiting)}) were not plugged on its compute "
            f"host within {self.nic_deadline:g} s: the host's network agent is down or "
            "failing. Delete the server and try again.")

    def _delete(self, server: ServerAssignment) -> Outcome:
        with self._nic_lock:
            self._nic_wait.pop(server.id, None)
        self.volumes.forget(server.id)
        self.hv.destroy(server.id)
        return Destroyed()

    def _do(self, server: ServerAssignment, call: Callable[[str], None], vm: VmState,
            power: PowerState) -> Outcome:
        if call == self.hv.stop:
            self.hv.stop(server.id, self.stop_timeout)
        else:
            call(server.id)
        return Settled(vm.value, int(power))

    def _reboot(self, server: ServerAssignment, hard: bool) -> Outcome:
        if server.vm_state == VmState.STOPPED:
            self.hv.start(server.id)
        else:
            self.hv.reboot(server.id, hard)
        return Settled(VmState.ACTIVE.value, int(PowerState.RUNNING))

    def _rebuild(self, server: ServerAssignment) -> Outcome:
        nics = self.nics(server)
        self.hv.destroy(server.id)
        with self.image_cache.pinned():
            # The new guest keeps the server's volumes (the old one's record went with it).
            self.hv.spawn(self.spec(server, nics, self.volumes.held(server)))
        if server.vm_state == VmState.STOPPED.value:
            # As Nova does, a server rebuilt while stopped stays stopped.
            self.hv.stop(server.id, self.stop_timeout)
            return Rebuilt(running=False)
        return Rebuilt(running=True)

    def _snapshot(self, server: ServerAssignment) -> Outcome:
        image_id = server.snapshot_image_id
        if not image_id:
            return SnapshotEnded()
        with self.image_cache.pinned():
            dest = self.image_cache.snapshot_path(image_id)
            try:
                self.hv.snapshot(server.id, dest)
                self.images.upload_snapshot(image_id, dest, "qcow2")
            except Exception as exc:
                self.images.discard_snapshot(image_id, str(exc))
                raise
            finally:
                dest.unlink(missing_ok=True)
        backup = server.backup
        if backup is not None:
            # Only once the new backup is complete, as Nova does: a failed backup never
            # costs an old one. A failed rotation leaves extra backups, not a failed task.
            try:
                self.images.rotate_backups(server.project_id, server.id, backup.type,
                                           backup.rotation)
            except Exception:
                log.exception("backup rotation of server %s failed", server.id)
        return SnapshotEnded()

    def _failure(self, server: ServerAssignment, task: str | None, exc: Exception) -> Outcome:
        # The message is the tenant's (what went wrong, in their terms); what the host said
        # (paths, QEMU's and qemu-img's words) is `details`, which only administrators see,
        # as in Nova, and the log line above.
        fault = Fault(message=tenant_fault(server.id, task, exc)[:255],
                      details=f"{task} failed: {exc}"[:1000])
        if task == TaskState.IMAGE_SNAPSHOT.value:
            # A failed snapshot leaves the server as it was, as in Nova.
            return SnapshotEnded()
        if task == TaskState.DELETING.value:
            return DeleteFailed(fault)
        return Failed(fault, int(self._power(server.id)))

    def _sync_power(self, server: ServerAssignment, observed: PowerState | None) -> int:
        """No task: report what the host sees. A guest that died while nobody watched is
        SHUTOFF (or ERROR if its disks are gone), never silently ACTIVE."""
        if server.vm_state in (VmState.ERROR.value, VmState.BUILDING.value):
            return 0
        if observed is not None and server.vm_state in _NIC_STATES:
            self._converge_nics(server, observed)
            self.volumes.converge(server, observed)
        if (self.console_deadline > 0 and observed == PowerState.RUNNING
                and server.vm_state == VmState.ACTIVE.value):
            acted = self._watch_console(server)
            if acted:
                return acted
        power = observed if observed is not None else PowerState.NOSTATE
        changed_power = int(power) if int(power) != server.power_state else None
        vm_state = None
        if server.vm_state in (VmState.ACTIVE.value, VmState.PAUSED.value) and power in (
                PowerState.SHUTDOWN, PowerState.CRASHED):
            vm_state = VmState.STOPPED.value
        fault = None
        if observed is None and server.vm_state != VmState.DELETED.value:
            vm_state = VmState.ERROR.value
            fault = Fault("The guest's disks are missing on its host.")
        if changed_power is None and vm_state is None:
            return 0
        return self._record(server.id, None, Observed(changed_power, vm_state, fault))

    def _converge_nics(self, server: ServerAssignment, observed: PowerState) -> None:
        """The guest's NICs follow the server's ports (os-interface attach and detach): a
        port the network agent plugged (ACTIVE) and the guest lacks is hot-plugged (a
        stopped guest gets it at its next start); a NIC whose port left the server is
        hot-unplugged. Both sides are stored (the ports in the database, the guest's NICs
        in its record), so a crash anywhere is converged by a later pass. A suspended
        guest is left alone (its saved device set must match on resume); a paused one
        cannot release a device: its detach waits until it runs again."""
        fabric = self.fabric
        if fabric is None or observed not in (PowerState.RUNNING, PowerState.PAUSED,
                                              PowerState.SHUTDOWN):
            return
        try:
            have = {n.mac.lower() for n in self.hv.nics(server.id)}
        except GuestNotFound:
            return
        want = {n.mac.lower() for n in server.nics}
        for nic in server.nics:
            if nic.mac.lower() in have or nic.status != "ACTIVE":
                continue
            try:
                self.hv.attach_nic(server.id, Nic(mac=nic.mac, tap=fabric.tap_name(nic.port_id)),
                                   fabric.guest_netns())
                log.info("server %s: NIC %s (port %s) attached", server.id, nic.mac,
                         nic.port_id)
            except HypervisorError as exc:
                log.warning("server %s: NIC %s not attached (next pass retries): %s",
                            server.id, nic.mac, exc)
        if observed == PowerState.PAUSED:
            return
        for mac in sorted(have - want):
            try:
                self.hv.detach_nic(server.id, mac, self.nic_detach_timeout)
                log.info("server %s: NIC %s detached", server.id, mac)
            except HypervisorError as exc:
                log.warning("server %s: NIC %s not detached (next pass retries): %s",
                            server.id, mac, exc)

    def _watch_console(self, server: ServerAssignment) -> int:
        """The console watchdog. A guest that printed nothing within the deadline is not
        left spinning silently: started under KVM, the host stops choosing KVM (remembered,
        logged, shown as the hypervisor's accelerator) and the guest is restarted under TCG,
        as a tenant wants a server that boots; otherwise (TCG, or KVM forced by the
        operator) it is stopped and the server goes to ERROR with a fault in the tenant's
        terms. See docs/architecture/compute.md, Console watchdog."""
        try:
            silence = self.hv.boot_silence(server.id)
        except GuestNotFound:
            return 0
        if silence is None or silence.seconds < self.console_deadline:
            return 0
        if silence.accelerator == "kvm" and (
                self.hv.distrust_kvm(f"server {server.id} printed nothing on its console "
                                     f"within {self.console_deadline:g} s under KVM")
                or self.hv.capabilities().accelerator != "kvm"):
            log.warning("server %s: nothing on its console %.0f s after its start under KVM:"
                        " restarted under TCG", server.id, silence.seconds)
            self.hv.stop(server.id, 0.0)        # it spins: nothing to shut down cleanly
            self.volumes.provide_keys(server)
            self.hv.start(server.id)
            return 1
        log.warning("server %s: nothing on its console %.0f s after its start under %s: "
                    "stopped, ERROR", server.id, silence.seconds, silence.accelerator)
        self.hv.stop(server.id, 0.0)
        return self._record(server.id, None, Failed(Fault(
            (f"The server wrote nothing to its serial console within "
             f"{self.console_deadline:g} s of starting and was stopped:"
             " its image does not boot here, or does not use the serial"
             " console (ttyS0). Rebuild it with another image, or "
             "delete it.")[:255]), int(PowerState.SHUTDOWN)))

    def _power(self, guest_id: str) -> PowerState:
        try:
            return self.hv.state(guest_id)
        except GuestNotFound:
            return PowerState.NOSTATE

    def _record(self, server_id: str, task: str | None, outcome: Outcome) -> int:
        return 1 if self.control.record(server_id, task, outcome) else 0

    # -- what the hypervisor needs ---------------------------------------------------------
    def spec(self, server: ServerAssignment, nics: tuple[Nic, ...] = (),
             volumes: tuple[VolumeDisk, ...] = ()) -> GuestSpec:
        """Fetches the images into the cache: call under `image_cache.pinned()` until the
        guest's spawn has recorded it. Every image the guest reads (disk, kernel, ramdisk)
        is asked for as the server's project: one it may not see is never handed over,
        whatever the image properties say now."""
        owner = _owner(server)
        if not server.image_id:
            # Booted from a volume made from no image: the hypervisor port makes a guest
            # from an image (its root disk), which this server does not have.
            raise VolumesUnavailable("Booting from a volume that was not made from an "
                                     "image is not supported by this cloud yet.")
        image = self.image_cache.path(owner, server.image_id)
        info = image.info
        kernel = initrd = None
        if info.properties.get("kernel_id"):
            kernel = self.image_cache.path(owner, info.properties["kernel_id"]).path
        if info.properties.get("ramdisk_id"):
            initrd = self.image_cache.path(owner, info.properties["ramdisk_id"]).path
        boot = BootImage(path=image.path, disk_format=info.disk_format or "raw",
                         kernel=kernel, initrd=initrd,
                         cmdline=info.properties.get("os_command_line", ""))
        return GuestSpec(
            guest_id=server.id, name=server.name, vcpus=server.vcpus,
            memory_mb=server.memory_mb, disk_gb=max(1, server.disk_gb), image=boot,
            config_drive=self.config_drive(server),
            nics=nics, netns=self.fabric.guest_netns() if nics and self.fabric else None,
            volumes=volumes)

    def config_drive(self, server: ServerAssignment) -> ConfigDrive:
        keys = {server.key_name: server.key_data} if server.key_name and server.key_data else {}
        meta = {
            # The hostname asked for (2.90), else the one made from the name at create.
            "uuid": server.id, "name": server.name,
            "hostname": server.hostname or _hostname(server.name),
            "launch_index": 0, "availability_zone": server.availability_zone or "nova",
            "project_id": server.project_id, "public_keys": keys,
            "keys": [{"name": k, "type": "ssh", "data": v} for k, v in keys.items()],
            "meta": dict(server.metadata), "devices": [],
        }
        user_data = base64.b64decode(server.user_data) if server.user_data else None
        return ConfigDrive(meta_data=meta, user_data=user_data,
                           network_data=network_data(server.nics),
                           vendor_data={})

    def prune_image_cache(self) -> list[str]:
        """Remove the cached images no guest here reads that are deleted or idle too long
        (see image_cache.py); the image ids removed."""
        return self.image_cache.prune(self.hv.image_files_in_use)

    def console_output(self, guest_id: str, length: int | None) -> str:
        return self.hv.console_output(guest_id, length)


# What each task is, in a fault message (Nova's words where it has them).
_TASK_FAULTS = {
    TaskState.SPAWNING.value: "Build of instance {id} aborted",
    TaskState.REBUILDING.value: "Rebuild of instance {id} aborted",
    TaskState.DELETING.value: "Delete of instance {id} failed",
}


def tenant_fault(server_id: str, task: str | None, exc: Exception) -> str:
    """A fault message for the server's project: never a host path or a tool's message.
    Image refusals are named (the tenant can act on them); anything else is generic."""
    prefix = _TASK_FAULTS.get(task or "", "Operation {task} on instance {id} failed").format(
        id=server_id, task=task)
    if isinstance(exc, NotFound) and exc.kind == "image":
        return f"{prefix}: Image {exc.ident} could not be found."
    if isinstance(exc, RefusedImage):
        return f"{prefix}: Image {exc.image_id} is unacceptable: {exc.reason}"
    if isinstance(exc, NicsUnavailable | VolumesUnavailable):
        return f"{prefix}: {exc}"
    return f"{prefix}: an error occurred on the compute host."


def network_data(nics: tuple[ServerNic, ...]) -> dict[str, object]:
    """OpenStack's network_data.json for the config drive, as the metadata service gives it
    (domain/instance_metadata.py, Nova's format): a link per NIC by MAC with its MTU; on a
    DHCP subnet `ipv4_dhcp` (the guest asks dnsmasq, which also gives it the route to the
    metadata service), else static with its netmask, routes and DNS. The guest image reads
    it (docs/architecture/guest-image.md)."""
    return instance_metadata.network_data([NicFacts(
        port_id=nic.port_id, network_id=nic.network_id, mac_address=nic.mac, mtu=nic.mtu,
        addresses=tuple((SubnetFacts(
            id=a.subnet_id, ip_version=a.version, cidr=a.cidr, gateway_ip=a.gateway,
            enable_dhcp=a.dhcp, dns_nameservers=a.dns_nameservers,
            host_routes=tuple({"destination": d, "nexthop": n} for d, n in a.host_routes)),
            a.address) for a in nic.addresses)) for nic in nics])


def _owner(server: ServerAssignment) -> RequestContext:
    return RequestContext(request_id="agent", user_id=server.user_id,
                          project_id=server.project_id, roles=frozenset({"reader"}))


def _hostname(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "-" else "-" for c in name.lower()).strip("-")
    return (cleaned or "server")[:63]

