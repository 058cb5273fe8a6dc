"""The QEMU command line of one guest, from its spec. See docs/architecture/hypervisor.md,
Launching."""

from __future__ import annotations

from pathlib import Path

from nuage.drivers.qemu.guest_files import GuestFiles
from nuage.ports.hypervisor import GuestSpec


def qemu_argv(qemu: str, files: GuestFiles, spec: GuestSpec, *, accelerator: str,
              guest_user: str | None, sandbox: bool, restore: bool) -> list[str]:
    """QEMU runs in the guest's directory, daemonizes, and waits with its CPUs stopped
    (-S) for the console keeper to release them; `restore` waits for a memory file."""
    argv = [
        qemu, "-name", f"guest={spec.guest_id},debug-threads=on",
        "-no-user-config", "-nodefaults", "-machine", "pc", "-accel", accelerator,
        "-m", str(spec.memory_mb), "-smp", str(spec.vcpus), "-display", "none",
        # Sockets by relative name (QEMU runs in the guest directory): a unix socket
        # path is limited to 107 bytes, which deep state directories exceed.
        "-chardev", "socket,id=console,path=console.sock,server=on,wait=off",
        "-serial", "chardev:console",
        "-chardev", "socket,id=qmp,path=qmp.sock,server=on,wait=off",
        "-mon", "chardev=qmp,mode=control",
        "-drive", f"file={_opt(files.disk)},format=qcow2,if=none,id=root,discard=unmap,"
                  # No reopen by path when a suspend inactivates the disk: QEMU runs
                  # as the guest user then, who may not reach the files.
                  "auto-read-only=off",
        "-device", "virtio-blk-pci,drive=root,bootindex=1",
        "-drive", f"file={_opt(files.config_drive)},format=raw,if=none,id=config,"
                  "readonly=on,media=cdrom",
        "-device", "ide-cd,drive=config",
        "-device", "virtio-rng-pci",
        "-pidfile", str(files.qemu_pid), "-daemonize", "-S",
    ]
    if accelerator == "kvm":
        argv += ["-cpu", "host"]
    for index, nic in enumerate(spec.nics):
        argv += ["-netdev", f"tap,id=net{index},ifname={nic.tap},script=no,downscript=no",
                 "-device", f"virtio-net-pci,netdev=net{index},mac={nic.mac}"]
    image = spec.image
    if image.kernel is not None:
        cmdline = image.cmdline
        if "console=ttyS0" not in cmdline:
            cmdline = f"{cmdline} console=ttyS0".strip()
        argv += ["-kernel", str(image.kernel), "-append", cmdline]
        if image.initrd is not None:
            argv += ["-initrd", str(image.initrd)]
    if guest_user:
        argv += ["-runas", guest_user]
    if sandbox:
        # seccomp. QEMU 7.2 installs the filter before it forks (-daemonize) and before
        # it drops to the guest user (-runas), so spawn=deny would kill the fork and
        # elevateprivileges=deny the setuid, and the setsid() of -daemonize too: with
        # it, no guest started at all when nuage ran as an ordinary user (QEMU exited 1,
        # silently). So both stay allowed. Unprivileged, the filter's no_new_privs
        # already keeps QEMU from gaining privileges (a setuid exec gains none).
        rules = "on,obsolete=deny,resourcecontrol=deny"
        argv += ["-sandbox", rules]
    if restore:
        argv += ["-incoming", "defer"]
    return argv


def _opt(path: Path) -> str:
    """A path inside a QEMU -drive option: commas are doubled."""
    return str(path).replace(",", ",,")


