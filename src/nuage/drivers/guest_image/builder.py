"""Build the default guest image: the Debian cloud kernel, a busybox initramfs carrying the
few modules it needs and our init scripts (files/), and a small empty qcow2 root disk.

Inputs come only from Debian's apt repositories, through `apt-get download`. A build is
cached under `out_dir/<version>/`, where the version names the kernel package version and a
digest of every input (package versions, init scripts, module list, this recipe), so a
second call with the same inputs returns at once and a new kernel or script rebuilds."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from nuage.drivers.guest_image import debian, initramfs
from nuage.drivers.guest_image.initramfs import Entry

# Bump when the way the image is assembled changes without its inputs changing.
RECIPE = "1"
KERNEL_METAPACKAGE = "linux-image-cloud-amd64"
BUSYBOX_PACKAGE = "busybox-static"
DISK_SIZE = "64M"
# The kernel command line the image is meant to boot with (a Glance os_command_line).
DEFAULT_CMDLINE = "console=ttyS0 panic=-1"
# What the init needs that the cloud kernel builds as modules (the rest it needs is built
# in: ext4, af_packet, the 8250 serial console, devtmpfs). Dependencies are added from
# each module's modinfo: virtio_pci pulls virtio and virtio_ring, sr_mod pulls scsi_mod...
MODULES = (
    "evdev", "button",                        # ACPI power button -> acpid -> poweroff
    "virtio_pci", "virtio_blk", "virtio_net", "virtio_scsi",
    "ata_piix", "sr_mod", "isofs",            # the config drive as an IDE cdrom (pc)
)
# The init scripts, from files/ in this package: (name there, path in the image, mode).
GUEST_FILES = (
    ("inittab", "etc/inittab", 0o644),
    ("rcS", "etc/init.d/rcS", 0o755),
    ("rcK", "etc/init.d/rcK", 0o755),
    ("power-button", "etc/acpi/PWRF/00000080", 0o755),
    ("udhcpc.script", "etc/udhcpc.script", 0o755),
    ("json-flatten", "usr/bin/json-flatten", 0o755),
)


class GuestImageError(Exception):
    """The image could not be built; the message says which step failed and why."""


@dataclass(frozen=True)
class GuestImageFiles:
    kernel: Path              # bzImage, for QEMU -kernel
    initrd: Path              # gzip'd cpio, for QEMU -initrd
    disk: Path                # the root disk (qcow2): what Glance stores as the image
    version: str              # changes whenever any input changes
    cmdline: str = DEFAULT_CMDLINE


def build_guest_image(out_dir: Path, cache_dir: Path | None = None) -> GuestImageFiles:
    """Build the image under `out_dir` (or reuse the cached build of the same inputs).

    Blocking: a few seconds when the .debs are cached (in `cache_dir`, by default
    `out_dir/debs`), plus one ~27 MB download otherwise. Safe to call concurrently from
    several processes (a lock file serialises builds). The apt lists are read, and
    refreshed with `apt-get update` only if they know no candidate. GuestImageError."""
    try:
        return _build(out_dir, cache_dir or out_dir / "debs")
    except (debian.DebianPackageError, initramfs.ModuleError, OSError) as exc:
        raise GuestImageError(f"guest image build failed: {exc}") from exc


def _build(out_dir: Path, cache_dir: Path) -> GuestImageFiles:
    debian.require_tools("apt-get", "apt-cache", "dpkg-deb", "qemu-img")
    out_dir.mkdir(parents=True, exist_ok=True)
    kernel_pkg, busybox_pkg = _resolve_inputs(out_dir / ".apt-resolution.json")

    scripts = {name: _guest_file(name) for name, _, _ in GUEST_FILES}
    digest = hashlib.sha256()
    for part in (RECIPE, DISK_SIZE, repr(MODULES), repr(GUEST_FILES), repr(kernel_pkg),
                 repr(busybox_pkg)):
        digest.update(part.encode() + b"\0")
    for name in sorted(scripts):
        digest.update(name.encode() + b"\0" + scripts[name] + b"\0")
    version = f"{kernel_pkg.version}+{digest.hexdigest()[:10]}".replace(":", "_")
    target = out_dir / version

    cached = _cached(target, version)
    if cached is not None:
        return cached
    with _lock(out_dir / ".lock"):
        cached = _cached(target, version)      # another process may have just built it
        if cached is not None:
            return cached
        kernel_deb = debian.fetch(kernel_pkg, cache_dir)
        busybox_deb = debian.fetch(busybox_pkg, cache_dir)
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".build-") as tmp:
            work = Path(tmp)
            staged = work / "image"
            staged.mkdir()
            manifest = _assemble(work, staged, kernel_deb, busybox_deb, scripts, version)
            manifest["kernel_package"] = f"{kernel_pkg.name}={kernel_pkg.version}"
            manifest["busybox_package"] = f"{busybox_pkg.name}={busybox_pkg.version}"
            (staged / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
            shutil.rmtree(target, ignore_errors=True)   # a half-built leftover, if any
            os.replace(staged, target)
    cached = _cached(target, version)
    if cached is None:
        raise GuestImageError(f"guest image build left no usable image in {target}")
    return cached


def _resolve_inputs(memo: Path) -> tuple[debian.DebianPackage, debian.DebianPackage]:
    """The kernel and busybox packages apt would install now. apt-cache takes seconds to
    answer here (it re-reads every list), so the answer is remembered for as long as the
    apt lists, sources, preferences and dpkg status are unchanged."""
    signature = debian.apt_state_signature()
    try:
        saved = json.loads(memo.read_text())
        if saved["signature"] == signature:
            return (debian.DebianPackage(*saved["kernel"]),
                    debian.DebianPackage(*saved["busybox"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    records = debian.candidates([KERNEL_METAPACKAGE, BUSYBOX_PACKAGE])
    kernel_pkg = debian.exact_dependency(records[KERNEL_METAPACKAGE], "linux-image-")
    if kernel_pkg is None:
        raise GuestImageError(f"{KERNEL_METAPACKAGE} depends on no linux-image package")
    if not kernel_pkg.version:
        version = debian.candidates([kernel_pkg.name])[kernel_pkg.name]["Version"]
        kernel_pkg = debian.DebianPackage(kernel_pkg.name, version)
    busybox_pkg = debian.DebianPackage(BUSYBOX_PACKAGE, records[BUSYBOX_PACKAGE]["Version"])
    # Recomputed: `candidates` may have run `apt-get update`.
    answer = {"signature": debian.apt_state_signature(),
              "kernel": [kernel_pkg.name, kernel_pkg.version],
              "busybox": [busybox_pkg.name, busybox_pkg.version]}
    tmp = memo.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(answer))
    os.replace(tmp, memo)
    return kernel_pkg, busybox_pkg


def _assemble(work: Path, staged: Path, kernel_deb: Path, busybox_deb: Path,
              scripts: dict[str, bytes], version: str) -> dict[str, object]:
    kernel_root = work / "kernel"
    debian.extract(kernel_deb, kernel_root)
    vmlinuz = sorted((kernel_root / "boot").glob("vmlinuz-*"))
    if len(vmlinuz) != 1:
        raise GuestImageError(f"{kernel_deb.name} holds {len(vmlinuz)} kernels, not one")
    release = vmlinuz[0].name.removeprefix("vmlinuz-")
    modules = initramfs.resolve_modules(kernel_root / "lib" / "modules" / release, MODULES)
    shutil.copyfile(vmlinuz[0], staged / "vmlinuz")

    busybox_root = work / "busybox"
    debian.extract(busybox_deb, busybox_root)
    busybox = busybox_root / "bin" / "busybox"
    applets = _run([str(busybox), "--list-full"]).split()

    entries: dict[str, Entry] = {}

    def add(entry: Entry) -> None:
        parts = entry.path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            entries.setdefault(parent, initramfs.directory(parent))
        entries[entry.path] = entry

    for path in ("dev", "proc", "sys", "run", "tmp", "mnt", "var/log"):
        add(initramfs.directory(path))
    add(initramfs.directory("root", 0o700))
    # The kernel gives /init its stdio on /dev/console before anything mounts devtmpfs.
    add(initramfs.char_device("dev/console", 5, 1))
    add(initramfs.char_device("dev/null", 1, 3, 0o666))
    add(initramfs.regular("bin/busybox", busybox.read_bytes(), 0o755))
    for applet in applets:
        if applet.strip("/") != "bin/busybox":
            add(initramfs.symlink(applet.strip("/"), "/bin/busybox"))
    add(initramfs.symlink("init", "/bin/busybox"))   # runs as busybox init (argv[0] init)
    for name, path, mode in GUEST_FILES:
        add(initramfs.regular(path, scripts[name], mode))
    for name, ko in modules:
        add(initramfs.regular(f"lib/modules/{name}.ko", ko.read_bytes()))
    add(initramfs.regular("etc/modules", "".join(f"{name}\n" for name, _ in modules).encode()))
    add(initramfs.regular("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"))
    add(initramfs.regular("etc/group", b"root:x:0:\n"))
    add(initramfs.regular("etc/hostname", b"nuage-guest\n"))
    add(initramfs.regular("etc/nuage-guest-version", f"{version}\n".encode()))
    initramfs.write_initramfs((entries[path] for path in sorted(entries)),
                              staged / "initrd.img")

    _run(["qemu-img", "create", "-q", "-f", "qcow2", str(staged / "disk.qcow2"), DISK_SIZE])
    return {
        "version": version,
        "kernel_release": release,
        "modules": [name for name, _ in modules],
        "cmdline": DEFAULT_CMDLINE,
    }


def _cached(target: Path, version: str) -> GuestImageFiles | None:
    files = GuestImageFiles(kernel=target / "vmlinuz", initrd=target / "initrd.img",
                            disk=target / "disk.qcow2", version=version)
    manifest = target / "manifest.json"
    if all(path.is_file() for path in (files.kernel, files.initrd, files.disk, manifest)):
        return files
    return None


def _guest_file(name: str) -> bytes:
    return resources.files("nuage.drivers.guest_image").joinpath("files", name).read_bytes()


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(args: list[str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise GuestImageError(f"{' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout
