"""QemuHypervisor: the Hypervisor port on one daemonized `qemu-system-x86_64` per guest.

Everything the driver knows lives in the guest's directory (see guest_files.py) and in the
QEMU processes themselves, never in this object: a new instance on the same state_dir (nuage
restarted) adopts running guests, and every call can be repeated after a crash. Calls that
change a guest hold its directory's flock, so two threads or two processes never launch or
stop the same guest at once. See docs/architecture/hypervisor.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nuage.domain.image_format import UnsafeImage, Verdict
from nuage.drivers.image_format import inspect_file
from nuage.drivers.qemu import boot_watch, host, hotplug, qmp, volumes
from nuage.drivers.qemu.command_line import (
    block_driver,
    boots_from_volume,
    in_netns,
    json_graph,
    open_disks,
    qemu_argv,
)
from nuage.drivers.qemu.config_drive import write_config_drive
from nuage.drivers.qemu.diagnostics import guest_diagnostics
from nuage.drivers.qemu.guest_files import GuestFiles, pid_alive
from nuage.drivers.qemu.guest_volumes import QemuGuestDisks
from nuage.drivers.qemu.processes import (
    abandon,
    keeper_connected,
    kill,
    retire_keeper,
    run,
    start_keeper,
    tail,
    wait,
    wait_exit,
)
from nuage.drivers.qemu.qcow2 import backing_name, write_overlay
from nuage.drivers.qemu.saved_memory import discard_saved_memory, restore_memory, save_memory
from nuage.ports.hypervisor import (
    BootSilence,
    GuestNotFound,
    GuestSpec,
    HostCapabilities,
    HypervisorError,
    Nic,
    PowerState,
)

log = logging.getLogger(__name__)

_GUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
# QMP run states (query-status) -> power states. Transient ones (prelaunch while we start
# it, inmigrate while it resumes) read as NOSTATE: the caller asks again.
_RUN_STATES = {
    "running": PowerState.RUNNING,
    "colo": PowerState.RUNNING,
    "paused": PowerState.PAUSED,
    "debug": PowerState.PAUSED,
    "suspended": PowerState.SUSPENDED,        # the guest's own ACPI S3
    "shutdown": PowerState.SHUTDOWN,
    "guest-panicked": PowerState.CRASHED,
    "internal-error": PowerState.CRASHED,
    "io-error": PowerState.CRASHED,
    "watchdog": PowerState.CRASHED,
}
_POWER_BUTTON_INTERVAL = 5.0   # press again: a guest still booting may miss the first press


class QemuHypervisor(QemuGuestDisks):
    def __init__(
        self,
        state_dir: Path,
        hostname: str,
        *,
        qemu: str = "qemu-system-x86_64",
        qemu_img: str = "qemu-img",
        accelerator: str | None = None,
        guest_user: str | None = "nuage-guest",
        sandbox: bool = True,
        console_max_bytes: int = 1 << 20,
        soft_reboot_timeout: float = 60.0,
    ) -> None:
        """`accelerator` forces "kvm" or "tcg" (None: probe). `guest_user` is the user
        QEMU drops to when we are root (created if missing; None keeps root)."""
        super().__init__()
        self._state_dir = state_dir
        self._root = state_dir / "guests"
        self._hostname = hostname
        self._qemu = qemu
        self._qemu_img = qemu_img
        self._forced_accelerator = accelerator
        self._guest_user_wanted = guest_user
        self._sandbox = sandbox
        self._console_max_bytes = console_max_bytes
        self._soft_reboot_timeout = soft_reboot_timeout
        self._probe_lock = threading.Lock()
        self._capabilities: HostCapabilities | None = None
        self._guest_user: str | None = None

    # --- host ---------------------------------------------------------------------------

    def capabilities(self) -> HostCapabilities:
        with self._probe_lock:
            if self._capabilities is None:
                self._root.mkdir(parents=True, exist_ok=True)
                if self._forced_accelerator:
                    accelerator, reason = self._forced_accelerator, "set by configuration"
                else:
                    accelerator, reason = self._probe_accelerator()
                self._guest_user = host.ensure_guest_user(self._guest_user_wanted)
                self._capabilities = HostCapabilities(
                    hostname=self._hostname,
                    accelerator=accelerator,
                    accelerator_reason=reason,
                    vcpus=os.cpu_count() or 1,
                    memory_mb=host.memory_mb(),
                    disk_gb=host.disk_gb(self._state_dir),
                    hypervisor_version=host.qemu_version(self._qemu),
                )
            caps = self._capabilities
        # Free disk changes; the rest was probed once.
        return HostCapabilities(
            hostname=caps.hostname, accelerator=caps.accelerator, vcpus=caps.vcpus,
            memory_mb=caps.memory_mb, disk_gb=host.disk_gb(self._state_dir),
            hypervisor_type=caps.hypervisor_type, hypervisor_version=caps.hypervisor_version,
            accelerator_reason=caps.accelerator_reason,
        )

    def _probe_accelerator(self) -> tuple[str, str]:
        distrusted = boot_watch.kvm_distrusted(self._state_dir)
        marker = self._state_dir / boot_watch.KVM_DISTRUSTED
        if distrusted is not None:
            log.warning("KVM distrusted on this host (%s): guests run under TCG; remove %s "
                        "to probe again", distrusted, marker)
            return "tcg", f"KVM distrusted since {distrusted} (remove {marker} to probe again)"
        choice = host.probe_accelerator(self._qemu)
        return choice.accelerator, choice.reason

    def distrust_kvm(self, reason: str) -> bool:
        with self._probe_lock:
            caps = self._capabilities
            if self._forced_accelerator or caps is None or caps.accelerator != "kvm":
                return False
            boot_watch.distrust_kvm(self._state_dir, reason)
            self._capabilities = dataclasses.replace(
                caps, accelerator="tcg", accelerator_reason=f"KVM distrusted: {reason}")
        log.warning("KVM distrusted on this host (%s): guests started from now on run "
                    "under TCG; remove %s to probe again", reason,
                    self._state_dir / boot_watch.KVM_DISTRUSTED)
        return True

    def boot_silence(self, guest_id: str) -> BootSilence | None:
        # No lock: a read; a start in progress re-arms the watch before QEMU runs.
        files = self._existing(guest_id)
        if files.live_qemu_pid() is None:
            return None
        return boot_watch.silence(files)

    def guests(self) -> dict[str, PowerState]:
        found: dict[str, PowerState] = {}
        if not self._root.is_dir():
            return found
        for entry in sorted(self._root.iterdir()):
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            try:
                found[entry.name] = self.state(entry.name)
            except GuestNotFound:
                continue        # destroyed meanwhile
        return found

    def image_files_in_use(self) -> set[Path]:
        """Read, never changed, under no guest lock: a guest being spawned counts once its
        record is written (the caller keeps what it hands to a spawn in progress)."""
        used: set[Path] = set()
        if not self._root.is_dir():
            return used
        for entry in sorted(self._root.iterdir()):
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            files = GuestFiles(self._root, entry.name)
            try:
                spec = files.read_record()
            except FileNotFoundError:
                pass                       # destroyed meanwhile, or a spawn just begun
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise HypervisorError(f"guest {entry.name}: unreadable record: {exc}") from exc
            else:
                used.update(p.resolve() for p in (spec.image.path, spec.image.kernel,
                                                  spec.image.initrd) if p is not None)
            try:
                backing = backing_name(files.disk)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise HypervisorError(f"guest {entry.name}: unreadable disk: {exc}") from exc
            if backing is not None:
                used.add((files.dir / backing).resolve())
        return used

    # --- lifecycle ----------------------------------------------------------------------

    def spawn(self, spec: GuestSpec) -> None:
        if not _GUEST_ID.match(spec.guest_id):
            raise HypervisorError(f"invalid guest id {spec.guest_id!r}")
        self.capabilities()
        files = GuestFiles(self._root, spec.guest_id)
        files.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._remember_keys(spec.guest_id, spec.volumes)
        with files.lock():
            if not files.record.exists():
                files.write_record(spec)
            self._start_locked(files, prepare=lambda: self._create_missing(files, spec))

    def state(self, guest_id: str) -> PowerState:
        files = self._existing(guest_id)
        if files.live_qemu_pid() is None:
            return PowerState.SUSPENDED if files.suspended.exists() else PowerState.SHUTDOWN
        self._repair_console(files)
        try:
            status = self._status(files)
        except HypervisorError:
            return PowerState.NOSTATE
        if status in ("postmigrate", "finish-migrate", "save-vm", "restore-vm"):
            return PowerState.SUSPENDED if files.suspended.exists() else PowerState.PAUSED
        return _RUN_STATES.get(status, PowerState.NOSTATE)

    def stop(self, guest_id: str, timeout: float = 60.0) -> None:
        files = self._existing(guest_id)
        with files.lock():
            if files.live_qemu_pid() is None and files.suspended.exists():
                discard_saved_memory(files)      # stopping a suspended guest powers it off
            self._stop_locked(files, timeout)

    def start(self, guest_id: str) -> None:
        files = self._existing(guest_id)
        with files.lock():
            self._start_locked(files)

    def reboot(self, guest_id: str, hard: bool) -> None:
        """Hard: a reset of the running QEMU (system_reset), or a fresh start when it is not
        running. Soft: as Nova's libvirt driver does, an ACPI power-down (hard stop after
        `soft_reboot_timeout`) then a start: without a guest agent there is no way to ask a
        guest to reboot itself. The QEMU process changes on a soft reboot only."""
        files = self._existing(guest_id)
        with files.lock():
            if files.live_qemu_pid() is not None and hard:
                status = self._status(files)
                if status not in ("prelaunch", "inmigrate", "postmigrate", "finish-migrate"):
                    qmp.execute(files.qmp, "system_reset")
                    if status != "running":
                        qmp.execute(files.qmp, "cont")
                    return
            if files.live_qemu_pid() is not None:
                self._stop_locked(files, self._soft_reboot_timeout)
            discard_saved_memory(files)           # a reboot boots afresh
            self._start_locked(files)

    def pause(self, guest_id: str) -> None:
        files = self._existing(guest_id)
        with files.lock():
            status = self._running_status(files, "pause")
            if status == "running":
                qmp.execute(files.qmp, "stop")
            elif status != "paused":
                raise HypervisorError(f"cannot pause a guest that is {status}")
            boot_watch.disarm(files)

    def inject_nmi(self, guest_id: str) -> None:
        files = self._existing(guest_id)
        with files.lock():
            self._running_status(files, "inject an NMI into")
            qmp.execute(files.qmp, "inject-nmi")

    def diagnostics(self, guest_id: str) -> dict[str, Any]:
        # No lock: a read, which must not wait behind a long stop or snapshot.
        files = self._existing(guest_id)
        pid = files.live_qemu_pid()
        if pid is None:
            raise HypervisorError("cannot read the diagnostics of a guest that is not running")
        return guest_diagnostics(files.qmp, pid, files.read_record())

    def nics(self, guest_id: str) -> tuple[Nic, ...]:
        return self._existing(guest_id).read_record().nics

    def attach_nic(self, guest_id: str, nic: Nic, netns: str) -> None:
        files = self._existing(guest_id)
        with files.lock():
            spec = files.read_record()
            if spec.netns not in (None, netns):
                raise HypervisorError(f"the guest runs in namespace {spec.netns}, not {netns}")
            if files.live_qemu_pid() is not None:
                # The TAP's descriptor is opened in `netns` and passed: QEMU itself may run
                # outside it (a guest that had no NIC); its next start runs inside.
                hotplug.hot_plug(files.qmp, nic, netns)
            if all(n.mac.lower() != nic.mac.lower() for n in spec.nics):
                files.write_record(dataclasses.replace(spec, nics=(*spec.nics, nic),
                                                       netns=netns))

    def detach_nic(self, guest_id: str, mac: str, timeout: float = 30.0) -> None:
        files = self._existing(guest_id)
        with files.lock():
            if files.live_qemu_pid() is not None:
                if self._status(files) != "running":
                    raise HypervisorError("cannot detach a NIC from a guest that is not "
                                          "running")
                hotplug.hot_unplug(files.qmp, mac, timeout)
            spec = files.read_record()
            kept = tuple(n for n in spec.nics if n.mac.lower() != mac.lower())
            if kept != spec.nics:
                files.write_record(dataclasses.replace(spec, nics=kept))

    def unpause(self, guest_id: str) -> None:
        files = self._existing(guest_id)
        with files.lock():
            status = self._running_status(files, "unpause")
            if status == "paused":
                qmp.execute(files.qmp, "cont")
            elif status != "running":
                raise HypervisorError(f"cannot unpause a guest that is {status}")

    def suspend(self, guest_id: str) -> None:
        """The guest's memory and device state go to memory.state through a QEMU migration
        into a file descriptor we pass over QMP (QEMU, unprivileged and sandboxed, opens
        nothing itself), then QEMU quits. Works with direct kernel boot, unlike savevm
        (which wants every disk in qcow2 and stores RAM inside the root disk)."""
        files = self._existing(guest_id)
        with files.lock():
            pid = files.live_qemu_pid()
            if pid is None:
                if files.suspended.exists():
                    return
                raise HypervisorError("cannot suspend a guest that is not running")
            if not files.suspended.exists():
                status = self._status(files)
                if status not in ("running", "paused", "postmigrate"):
                    raise HypervisorError(f"cannot suspend a guest that is {status}")
                qmp.execute(files.qmp, "stop")
                boot_watch.disarm(files)
                save_memory(files)
                files.suspended.write_bytes(b"")
            self._hard_stop(files, pid)

    def resume(self, guest_id: str) -> None:
        files = self._existing(guest_id)
        with files.lock():
            if files.live_qemu_pid() is not None and not files.suspended.exists():
                return                          # already resumed
            if not files.suspended.exists():
                raise HypervisorError("cannot resume a guest that is not suspended")
            self._start_locked(files)

    def destroy(self, guest_id: str) -> None:
        if not _GUEST_ID.match(guest_id):
            return
        files = GuestFiles(self._root, guest_id)
        if not files.exists():
            return
        with files.lock():
            pid = files.live_qemu_pid()
            if pid is not None:
                kill(pid)
            keeper = files.live_keeper_pid()
            if keeper is not None:
                kill(keeper)
            shutil.rmtree(files.dir, ignore_errors=True)
        shutil.rmtree(files.dir, ignore_errors=True)   # the lock file, recreated on exit
        self._forget_keys(guest_id)

    def console_output(self, guest_id: str, length: int | None = None) -> str:
        files = self._existing(guest_id)
        data = b""
        for part in (files.console_log.with_name("console.log.1"), files.console_log):
            try:
                data += part.read_bytes()
            except FileNotFoundError:
                continue
        text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
        if length is None:
            return text
        if length <= 0:
            return ""
        lines = text.splitlines(keepends=True)
        return "".join(lines[-length:])

    def snapshot(self, guest_id: str, dest: Path) -> int:
        files = self._existing(guest_id)
        with files.lock():
            if boots_from_volume(files.read_record()):
                # Nova snapshots the volume instead (a volume snapshot, then an image).
                raise HypervisorError("the guest boots from a volume: snapshot the volume")
            paused_here = False
            if files.live_qemu_pid() is not None and self._status(files) == "running":
                # `stop` drains and flushes every disk: the qcow2 file is then consistent.
                qmp.execute(files.qmp, "stop")
                paused_here = True
            partial = dest.with_name(f".{dest.name}.partial")
            try:
                # -U: QEMU holds the image lock; the paused guest writes nothing meanwhile.
                # The source is the guest's node graph, every driver and the backing named
                # (json:), so qemu-img probes nothing and follows no reference.
                run([self._qemu_img, "convert", "-U", "-O", "qcow2",
                     json_graph(files.read_record(), files.disk), str(partial)],
                    "snapshot", timeout=3600)
                os.replace(partial, dest)
            finally:
                partial.unlink(missing_ok=True)
                if paused_here:
                    qmp.execute(files.qmp, "cont")
            return dest.stat().st_size

    # --- internals ----------------------------------------------------------------------

    def _existing(self, guest_id: str) -> GuestFiles:
        if not _GUEST_ID.match(guest_id):
            raise GuestNotFound(guest_id)
        files = GuestFiles(self._root, guest_id)
        if not files.exists():
            raise GuestNotFound(guest_id)
        return files

    def _status(self, files: GuestFiles) -> str:
        reply = qmp.execute(files.qmp, "query-status", timeout=5.0)
        return str(reply["status"])

    def _running_status(self, files: GuestFiles, verb: str) -> str:
        if files.live_qemu_pid() is None:
            raise HypervisorError(f"cannot {verb} a guest that is not running")
        return self._status(files)

    def _create_missing(self, files: GuestFiles, spec: GuestSpec) -> None:
        """The root disk and the config drive, unless a previous spawn wrote them."""
        if not files.disk.exists() and not boots_from_volume(spec):
            self._create_disk(files, spec)
        if not files.config_drive.exists():
            try:
                write_config_drive(spec.config_drive, files.config_drive)
            except Exception as exc:
                raise HypervisorError(f"config drive not written: {exc}") from exc

    def _create_disk(self, files: GuestFiles, spec: GuestSpec) -> None:
        image = spec.image.path.resolve()
        if not image.is_file():
            raise HypervisorError(f"image file {image} missing")
        block_driver(spec.image.disk_format)          # a format a root disk is built from
        verdict = _inspect(image, spec.image.disk_format)
        size = max(spec.disk_gb * 2**30, verdict.virtual_size or 0)
        partial = files.dir / ".disk.qcow2.partial"
        partial.unlink(missing_ok=True)
        # The overlay qemu-img would write, written here (qcow2.py): no process start on
        # the boot's critical path. qemu-img for the layouts qcow2.py leaves to it.
        try:
            written = write_overlay(partial, image, block_driver(spec.image.disk_format), size)
        except OSError as exc:
            raise HypervisorError(f"root disk creation failed: {exc}") from exc
        if not written:
            # -u: qemu-img does not open the image (the size is given): a tenant's image
            # is opened only by QEMU, through the node graph of command_line.py.
            run([self._qemu_img, "create", "-q", "-u", "-f", "qcow2",
                 "-F", block_driver(spec.image.disk_format), "-b", str(image), str(partial),
                 str(size)], "root disk creation")
        os.replace(partial, files.disk)

    def _start_locked(self, files: GuestFiles,
                      prepare: Callable[[], None] | None = None) -> None:
        """Start the guest unless it runs. `prepare` creates what a launch needs and is
        missing (spawn: the disks); it runs while the console keeper starts up."""
        if files.live_qemu_pid() is not None:
            if prepare is not None:
                prepare()
            self._ensure_keeper(files)
            status = self._status(files)
            if status == "prelaunch":            # a start interrupted before `cont`
                qmp.execute(files.qmp, "cont")
            return
        if prepare is None and not _has_disks(files):
            raise HypervisorError("guest has no disks: spawn it again")
        self._launch(files, restore=files.suspended.exists(), prepare=prepare)

    def _launch(self, files: GuestFiles, restore: bool,
                prepare: Callable[[], None] | None = None) -> None:
        self.capabilities()
        for stale in (files.qemu_pid, files.qmp, files.console_sock):
            stale.unlink(missing_ok=True)
        retire_keeper(files)
        # The console keeper starts first and connects as soon as QEMU's console socket
        # appears: its start-up (a Python process) overlaps ours and QEMU's instead of
        # following them. On a fresh start it also releases the CPUs (see below).
        keeper = self._start_keeper(files, release_cpus=not restore)
        try:
            if prepare is not None:
                prepare()
            if not _has_disks(files):
                raise HypervisorError("guest has no disks: spawn it again")
            spec = files.read_record()
            # Every launch, not only the first: an image cached before nuage inspected
            # images, or changed on disk since, never reaches QEMU unproven.
            if not boots_from_volume(spec):
                _inspect(spec.image.path, spec.image.disk_format)
            accelerator = self.capabilities().accelerator
            keys = self._keys_for(spec)
            with open_disks(spec, files) as fds, \
                    volumes.open_volumes(spec.volumes, keys) as volume_fds:
                argv = qemu_argv(self._qemu, files, spec, accelerator=accelerator,
                                 guest_user=self._guest_user, sandbox=self._sandbox,
                                 restore=restore, fds=fds, volume_fds=volume_fds)
                argv = in_netns(argv, spec)
                if restore:
                    boot_watch.disarm(files)         # a restored guest prints nothing new
                else:
                    # Before QEMU runs: its first console byte must count as printed.
                    boot_watch.arm(files, accelerator)
                root = () if fds is None else (fds.image, fds.overlay)
                self._run_qemu(files, argv, (*root, *(
                    fd for v in volume_fds for fd in (v.file, v.key))))
        except BaseException:
            abandon(keeper)
            pid = files.live_qemu_pid()          # one that hung in its start-up
            if pid is not None:
                kill(pid)
            raise
        try:
            keeper_connected(keeper)
            if restore:
                restore_memory(files)
                qmp.execute(files.qmp, "cont")
        except BaseException:
            pid = files.live_qemu_pid()
            if pid is not None:
                kill(pid)
            raise
        if restore:
            discard_saved_memory(files)

    def _run_qemu(self, files: GuestFiles, argv: list[str], fds: tuple[int, ...]) -> None:
            # QEMU daemonizes: the command returns once the child has opened its disks and
            # sockets and dropped its privileges (its errors are in qemu.log), and the
            # child is re-parented away from us. -S keeps the CPUs stopped until the
            # keeper records the console (no boot line lost); the keeper then `cont`s
            # them itself, as soon as QEMU serves QMP (after that start-up): the guest
            # does not wait for this thread to notice either.
        with open(files.qemu_log, "wb") as qemu_log:
            try:
                proc = subprocess.Popen(argv, cwd=files.dir, stdin=subprocess.DEVNULL,
                                        stdout=qemu_log, stderr=qemu_log,
                                        start_new_session=True, pass_fds=fds)
            except OSError as exc:
                raise HypervisorError(f"QEMU did not start: {exc}") from exc
        try:
            status = wait_exit(proc, 60.0)
        except subprocess.TimeoutExpired as exc:
            proc.kill()
            proc.wait()
            raise HypervisorError(f"QEMU did not start: {exc}") from exc
        if status != 0 or files.live_qemu_pid() is None:
            detail = tail(files.qemu_log) or f"exit status {status}"
            raise HypervisorError(f"QEMU did not start: {detail}")

    def _ensure_keeper(self, files: GuestFiles) -> None:
        """A keeper for a running QEMU, unless one runs."""
        if files.live_keeper_pid() is None:
            keeper_connected(self._start_keeper(files, release_cpus=False))
    def _start_keeper(self, files: GuestFiles,
                      release_cpus: bool) -> subprocess.Popen[bytes]:
        return start_keeper(files, self._console_max_bytes, release_cpus)

    def _repair_console(self, files: GuestFiles) -> None:
        """After adoption, a console keeper that died is restarted (best effort, and only
        when no other call is changing the guest)."""
        if files.live_keeper_pid() is not None:
            return
        try:
            with files.try_lock():
                if files.live_qemu_pid() is not None:
                    self._ensure_keeper(files)
        except (BlockingIOError, HypervisorError) as exc:
            log.debug("console keeper of %s not restarted: %s", files.guest_id, exc)

    def _stop_locked(self, files: GuestFiles, timeout: float) -> None:
        pid = files.live_qemu_pid()
        if pid is None:
            return
        try:
            status = self._status(files)
        except HypervisorError:
            status = "unknown"
        if status in ("running", "paused", "suspended", "debug"):
            try:
                if status == "suspended":
                    qmp.execute(files.qmp, "system_wakeup")
                elif status != "running":
                    qmp.execute(files.qmp, "cont")   # a paused guest cannot hear the button
                if wait(lambda: not pid_alive(pid), timeout, self._power_button(files)):
                    return
                log.info("guest %s ignored ACPI power-down for %g s: hard stop",
                         files.guest_id, timeout)
            except HypervisorError as exc:
                log.info("guest %s: ACPI power-down failed (%s): hard stop",
                         files.guest_id, exc)
        self._hard_stop(files, pid)

    def _power_button(self, files: GuestFiles) -> Callable[[], None]:
        last = [0.0]

        def press() -> None:
            now = time.monotonic()
            if now - last[0] >= _POWER_BUTTON_INTERVAL:
                last[0] = now
                # Failing means QEMU is exiting meanwhile: the wait sees it.
                with contextlib.suppress(HypervisorError):
                    qmp.execute(files.qmp, "system_powerdown", timeout=3.0)

        return press

    def _hard_stop(self, files: GuestFiles, pid: int) -> None:
        """QMP quit (QEMU flushes its disks and exits), then SIGKILL."""
        with contextlib.suppress(HypervisorError):
            qmp.execute(files.qmp, "quit", timeout=3.0)
        if not wait(lambda: not pid_alive(pid), 5.0):
            kill(pid)


def _has_disks(files: GuestFiles) -> bool:
    """The record, and the root overlay unless the guest boots from a volume."""
    if not files.record.exists():
        return False
    return files.disk.exists() or boots_from_volume(files.read_record())


def _inspect(image: Path, disk_format: str) -> Verdict:
    try:
        return inspect_file(image, disk_format)
    except UnsafeImage as exc:
        raise HypervisorError(f"image {image.name} refused: {exc}") from exc
