"""What a host agent decides: move each server on this host from its recorded intent to
reality, through the Hypervisor port, and record what it observed.

Hypervisor calls happen outside any database transaction; each step is idempotent, so a
crash anywhere is finished by the next pass. A transition is written only if the server
still has the task state the pass acted on (a delete asked meanwhile wins next pass).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from nuage.domain.compute import Server, TaskState, VmState
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound
from nuage.ports.hypervisor import (
    BootImage,
    ConfigDrive,
    GuestNotFound,
    GuestSpec,
    Hypervisor,
    PowerState,
)
from nuage.ports.image_format import ImageInspector
from nuage.services.compute import scheduler
from nuage.services.compute.image_cache import ImageCache, RefusedImage
from nuage.services.compute.servers import ComputePorts, ServerUseCases

log = logging.getLogger(__name__)
PARALLEL_TASKS = 4
AGENT = RequestContext(request_id="agent")


class Reconciler(ServerUseCases):
    def __init__(self, ports: ComputePorts, hypervisor: Hypervisor, hostname: str,
                 image_cache: Path, stop_timeout: float = 60.0,
                 image_cache_max_idle: float = 86400.0, console_deadline: float = 0.0, *,
                 inspector: ImageInspector) -> None:
        """`console_deadline`: seconds a started guest gets to write its first console
        byte before the watchdog acts (`_watch_console`); 0 turns the watchdog off."""
        super().__init__(ports)
        self.hv = hypervisor
        self.hostname = hostname
        self.image_cache = ImageCache(image_cache, ports.images, image_cache_max_idle,
                                      inspector)
        self.stop_timeout = stop_timeout
        self.console_deadline = console_deadline

    # -- one pass --------------------------------------------------------------------------
    def run_once(self) -> int:
        """Reconcile every server on this host; returns how many changed."""
        with self.p.uow() as uow:
            servers = uow.servers.find(host=self.hostname, deleted=False)
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

    def _reconcile_logged(self, server: Server, observed: PowerState | None) -> int:
        try:
            return self.reconcile(server, observed)
        except Exception:
            log.exception("reconciling server %s failed; the next pass retries", server.id)
            return 0

    def reconcile(self, server: Server, observed: PowerState | None) -> int:
        """One server; `observed` (its guest's power state) matters only without a task."""
        task = server.task_state
        step = self._steps().get(task)
        if step is None:
            return self._sync_power(server, observed)
        try:
            changes = step(server)
        except Exception as exc:
            log.warning("server %s: %s failed: %s", server.id, task, exc)
            changes = self._failure(server, task, exc)
        return self._record(server.id, task, changes)

    def _steps(self) -> dict[str | None, Callable[[Server], dict[str, Any]]]:
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
    def _spawn(self, server: Server) -> dict[str, Any]:
        with self.image_cache.pinned():
            self.hv.spawn(self.spec(server))
        return {"vm_state": VmState.ACTIVE.value, "power_state": int(PowerState.RUNNING),
                "launched_at": self.p.clock.now(), "fault": None}

    def _delete(self, server: Server) -> dict[str, Any]:
        self.hv.destroy(server.id)
        return {"vm_state": VmState.DELETED.value, "deleted": True,
                "power_state": int(PowerState.NOSTATE), "terminated_at": self.p.clock.now(),
                "_release": True}

    def _do(self, server: Server, call: Callable[[str], None], vm: VmState,
            power: PowerState) -> dict[str, Any]:
        if call == self.hv.stop:
            self.hv.stop(server.id, self.stop_timeout)
        else:
            call(server.id)
        return {"vm_state": vm.value, "power_state": int(power)}

    def _reboot(self, server: Server, hard: bool) -> dict[str, Any]:
        if server.vm_state == VmState.STOPPED:
            self.hv.start(server.id)
        else:
            self.hv.reboot(server.id, hard)
        return {"vm_state": VmState.ACTIVE.value, "power_state": int(PowerState.RUNNING)}

    def _rebuild(self, server: Server) -> dict[str, Any]:
        self.hv.destroy(server.id)
        with self.image_cache.pinned():
            self.hv.spawn(self.spec(server))
        if server.vm_state == VmState.STOPPED.value:
            # As Nova does, a server rebuilt while stopped stays stopped.
            self.hv.stop(server.id, self.stop_timeout)
            return {"power_state": int(PowerState.SHUTDOWN)}
        return {"vm_state": VmState.ACTIVE.value, "power_state": int(PowerState.RUNNING),
                "launched_at": self.p.clock.now()}

    def _snapshot(self, server: Server) -> dict[str, Any]:
        image_id = (server.task_args or {}).get("image_id")
        if not image_id:
            return {"task_args": None}
        with self.image_cache.pinned():
            dest = self.image_cache.snapshot_path(str(image_id))
            try:
                self.hv.snapshot(server.id, dest)
                self.p.images.upload_snapshot(str(image_id), dest, "qcow2")
            except Exception as exc:
                self.p.images.discard_snapshot(str(image_id), str(exc))
                raise
            finally:
                dest.unlink(missing_ok=True)
        backup = (server.task_args or {}).get("backup")
        if isinstance(backup, dict):
            # Only once the new backup is complete, as Nova does: a failed backup never
            # costs an old one. A failed rotation leaves extra backups, not a failed task.
            try:
                self.p.images.rotate_backups(server.project_id, server.id,
                                             str(backup.get("type")),
                                             int(backup.get("rotation", 0)))
            except Exception:
                log.exception("backup rotation of server %s failed", server.id)
        return {"task_args": None}

    def _failure(self, server: Server, task: str | None, exc: Exception) -> dict[str, Any]:
        # The message is the tenant's (what went wrong, in their terms); what the host said
        # (paths, QEMU's and qemu-img's words) is `details`, which only administrators see,
        # as in Nova, and the log line above.
        fault = {"code": 500, "message": tenant_fault(server.id, task, exc)[:255],
                 "details": f"{task} failed: {exc}"[:1000],
                 "created": self.p.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")}
        if task == TaskState.IMAGE_SNAPSHOT.value:
            # A failed snapshot leaves the server as it was, as in Nova.
            return {"task_args": None}
        if task == TaskState.DELETING.value:
            return {"fault": fault, "task_state_keep": True}
        return {"vm_state": VmState.ERROR.value, "fault": fault,
                "power_state": int(self._power(server.id))}

    def _sync_power(self, server: Server, observed: PowerState | None) -> int:
        """No task: report what the host sees. A guest that died while nobody watched is
        SHUTOFF (or ERROR if its disks are gone), never silently ACTIVE."""
        if server.vm_state in (VmState.ERROR.value, VmState.BUILDING.value):
            return 0
        if (self.console_deadline > 0 and observed == PowerState.RUNNING
                and server.vm_state == VmState.ACTIVE.value):
            acted = self._watch_console(server)
            if acted:
                return acted
        power = observed if observed is not None else PowerState.NOSTATE
        changes: dict[str, Any] = {}
        if int(power) != server.power_state:
            changes["power_state"] = int(power)
        if server.vm_state in (VmState.ACTIVE.value, VmState.PAUSED.value) and power in (
                PowerState.SHUTDOWN, PowerState.CRASHED):
            changes["vm_state"] = VmState.STOPPED.value
        if observed is None and server.vm_state != VmState.DELETED.value:
            changes.update(vm_state=VmState.ERROR.value, fault={
                "code": 500, "message": "The guest's disks are missing on its host.",
                "created": self.p.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")})
        if not changes:
            return 0
        return self._record(server.id, None, changes)

    def _watch_console(self, server: Server) -> int:
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
            self.hv.start(server.id)
            return 1
        log.warning("server %s: nothing on its console %.0f s after its start under %s: "
                    "stopped, ERROR", server.id, silence.seconds, silence.accelerator)
        self.hv.stop(server.id, 0.0)
        return self._record(server.id, None, {
            "vm_state": VmState.ERROR.value, "power_state": int(PowerState.SHUTDOWN),
            "fault": {"code": 500, "created": self.p.clock.now().strftime(
                          "%Y-%m-%dT%H:%M:%SZ"),
                      "message": (f"The server wrote nothing to its serial console within "
                                  f"{self.console_deadline:g} s of starting and was stopped:"
                                  " its image does not boot here, or does not use the serial"
                                  " console (ttyS0). Rebuild it with another image, or "
                                  "delete it.")[:255]}})

    def _power(self, guest_id: str) -> PowerState:
        try:
            return self.hv.state(guest_id)
        except GuestNotFound:
            return PowerState.NOSTATE

    def _record(self, server_id: str, task: str | None, changes: dict[str, Any]) -> int:
        release = changes.pop("_release", False)
        keep_task = changes.pop("task_state_keep", False)
        with self.p.uow(write=True) as uow:
            # Locked (PostgreSQL): a delete or action the API commits meanwhile must not be
            # overwritten by this compare-and-set on the task state.
            server = uow.servers.get_for_update(server_id)
            if server is None or server.task_state != task:
                return 0
            for key, value in changes.items():
                setattr(server, key, value)
            if not keep_task:
                server.task_state = None
            server.updated_at = self.p.clock.now()
            if release:
                scheduler.release(uow, server.id)
            for action in uow.instance_actions.find(server_id=server.id, finish_time=None):
                action.finish_time = self.p.clock.now()
                if changes.get("fault"):
                    action.message = "Error"
            uow.commit()
        return 1

    # -- what the hypervisor needs ---------------------------------------------------------
    def spec(self, server: Server) -> GuestSpec:
        """Fetches the images into the cache: call under `image_cache.pinned()` until the
        guest's spawn has recorded it. Every image the guest reads (disk, kernel, ramdisk)
        is asked for as the server's project: one it may not see is never handed over,
        whatever the image properties say now."""
        owner = _owner(server)
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
        flavor = server.flavor
        return GuestSpec(
            guest_id=server.id, name=server.name, vcpus=int(flavor["vcpus"]),
            memory_mb=int(flavor["ram"]), disk_gb=max(1, int(flavor["disk"])), image=boot,
            config_drive=self.config_drive(server))

    def config_drive(self, server: Server) -> ConfigDrive:
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
                           network_data={"links": [], "networks": [], "services": []},
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
    return f"{prefix}: an error occurred on the compute host."


def _owner(server: Server) -> RequestContext:
    return RequestContext(request_id="agent", user_id=server.user_id,
                          project_id=server.project_id, roles=frozenset({"reader"}))


def _hostname(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "-" else "-" for c in name.lower()).strip("-")
    return (cleaned or "server")[:63]

