"""The QEMU command line of one guest, from its spec. See docs/architecture/hypervisor.md,
Launching.

Guest disks are opened as explicit `-blockdev` graphs, never `-drive file=`: every node
names its driver (no format probing), the root overlay's backing node is given by us (the
backing name in its header is not followed), and the image node below it has
`backing: null` where its format could name one. The two files that hold tenant data,
the image and the overlay, are handed to QEMU as open file descriptors (`-add-fd`,
`/dev/fdset/N`): QEMU, still root while it opens its disks, opens no tenant-chosen path.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nuage.drivers.qemu.guest_files import GuestFiles
from nuage.drivers.qemu.hotplug import device_id, netdev_id
from nuage.drivers.qemu.volumes import VolumeFds, launch_args
from nuage.ports.hypervisor import GuestSpec, HypervisorError

# Glance disk_format -> QEMU block driver, for the formats a root disk is built from. A
# kernel (aki), a ramdisk (ari) and ploop are no disks.
BLOCK_DRIVERS = {"raw": "raw", "ami": "raw", "iso": "raw", "qcow2": "qcow2",
                 "vmdk": "vmdk", "vhd": "vpc", "vhdx": "vhdx", "vdi": "vdi"}
# Formats that may name a backing file: the image node gets `backing: null`.
_BACKED = frozenset({"qcow2", "vmdk"})


@dataclass(frozen=True)
class DiskFds:
    """Open descriptors of the guest's image (read-only) and overlay (read-write), as
    numbered in the QEMU process (passed with Popen's pass_fds)."""

    image: int
    overlay: int


def block_driver(disk_format: str) -> str:
    driver = BLOCK_DRIVERS.get(disk_format)
    if driver is None:
        raise HypervisorError(f"images of disk_format {disk_format!r} cannot be a root disk")
    return driver


def disk_nodes(spec: GuestSpec, image: str, overlay: str) -> list[dict[str, Any]]:
    """The root disk's node graph, bottom up: the image (read-only), the overlay on it.
    `image` and `overlay` are the file names QEMU opens (paths or /dev/fdset/N)."""
    driver = block_driver(spec.image.disk_format)
    base: dict[str, Any] = {"driver": driver, "node-name": "image", "file": "image-file",
                            "read-only": True}
    if driver in _BACKED:
        base["backing"] = None
    return [
        {"driver": "file", "node-name": "image-file", "filename": image, "read-only": True},
        base,
        {"driver": "file", "node-name": "root-file", "filename": overlay,
         "discard": "unmap"},
        {"driver": "qcow2", "node-name": "root", "file": "root-file", "backing": "image",
         "discard": "unmap"},
    ]


def qemu_argv(qemu: str, files: GuestFiles, spec: GuestSpec, *, accelerator: str,
              guest_user: str | None, sandbox: bool, restore: bool,
              fds: DiskFds | None = None,
              volume_fds: tuple[VolumeFds, ...] | None = None) -> list[str]:
    """QEMU runs in the guest's directory, daemonizes, and waits with its CPUs stopped
    (-S) for the console keeper to release them; `restore` waits for a memory file.
    `fds`: the disks' descriptors (None: QEMU opens the paths, for tests of the line);
    `volume_fds` the volumes' files and keys (volumes.py, open_volumes)."""
    disks: list[str] = []
    if not boots_from_volume(spec):
        disks += _root_disk(files, spec, fds)
    disks += [
        "-blockdev", json.dumps({"driver": "file", "node-name": "config-file",
                                 "filename": str(files.config_drive), "read-only": True},
                                separators=(",", ":")),
        "-blockdev", '{"driver":"raw","node-name":"config","file":"config-file",'
                     '"read-only":true}',
        "-device", "ide-cd,drive=config",
    ]
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
        # -blockdev nodes are never reopened by path (auto-read-only is off): QEMU runs
        # as the guest user once started, who may not reach the files.
        *disks,
        "-device", "virtio-rng-pci",
        "-pidfile", str(files.qemu_pid), "-daemonize", "-S",
    ]
    if accelerator == "kvm":
        argv += ["-cpu", "host"]
    for nic in spec.nics:
        # Ids from the MAC, as a hot-plugged NIC has them (hotplug.py).
        net, dev = netdev_id(nic.mac), device_id(nic.mac)
        argv += ["-netdev", f"tap,id={net},ifname={nic.tap},script=no,downscript=no",
                 "-device", f"virtio-net-pci,netdev={net},mac={nic.mac},id={dev}"]
    # The recorded volumes, as hot-plug makes them (same ids), last: a volume plugged
    # into a running guest took the next free PCI slot, and a resume (the same devices
    # at the same addresses, or the memory state does not load) finds it there again.
    # Their keys come through pipes (volumes.py, open_volumes).
    argv += launch_args(spec.volumes, volume_fds)
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


def boots_from_volume(spec: GuestSpec) -> bool:
    """The guest's root disk is a volume: no overlay on the image (the image may still
    give the kernel and initrd)."""
    return any(disk.boot for disk in spec.volumes)


def _root_disk(files: GuestFiles, spec: GuestSpec, fds: DiskFds | None) -> list[str]:
    args: list[str] = []
    if fds is not None:
        args += ["-add-fd", f"fd={fds.image},set=1,opaque=image",
                 "-add-fd", f"fd={fds.overlay},set=2,opaque=overlay"]
        image_file, overlay = "/dev/fdset/1", "/dev/fdset/2"
    else:
        image_file, overlay = str(spec.image.path), str(files.disk)
    for node in disk_nodes(spec, image_file, overlay):
        args += ["-blockdev", json.dumps(node, separators=(",", ":"))]
    return [*args, "-device", "virtio-blk-pci,drive=root,bootindex=1"]


@contextlib.contextmanager
def open_disks(spec: GuestSpec, files: GuestFiles) -> Iterator[DiskFds | None]:
    """The image (read-only) and the overlay (read-write), open for QEMU to inherit; ours
    are closed once it started (the daemonized QEMU keeps its copies). None: the guest
    boots from a volume, it has neither (volumes.py opens the volumes)."""
    if boots_from_volume(spec):
        yield None
        return
    image = os.open(spec.image.path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        overlay = os.open(files.disk, os.O_RDWR | os.O_CLOEXEC)
        try:
            yield DiskFds(image=image, overlay=overlay)
        finally:
            os.close(overlay)
    finally:
        os.close(image)


def json_graph(spec: GuestSpec, overlay: Path) -> str:
    """The root disk as a qemu-img `json:` file name: the same graph QEMU opens."""
    nodes = {n["node-name"]: dict(n) for n in disk_nodes(spec, str(spec.image.path),
                                                         str(overlay))}
    for node in nodes.values():
        del node["node-name"]
        node.pop("read-only", None)
        node.pop("discard", None)
    image = nodes["image"]
    image["file"] = nodes["image-file"]
    root = nodes["root"]
    root["file"] = nodes["root-file"]
    root["backing"] = image
    return "json:" + json.dumps(root, separators=(",", ":"))


def in_netns(argv: list[str], spec: GuestSpec) -> list[str]:
    """QEMU's command run in the guest's network namespace when it has one (NIC TAPs
    live there, and `-netdev tap,ifname=` opens them by name); unchanged otherwise. `ip
    netns exec` execs QEMU itself: the pid file, the inherited disk descriptors and the
    unix sockets (paths, not network addresses) are as without it."""
    if not spec.netns:
        return argv
    return ["ip", "netns", "exec", spec.netns, *argv]
