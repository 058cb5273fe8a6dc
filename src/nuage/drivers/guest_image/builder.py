"""Build the default guest image: the Debian cloud kernel, a busybox initramfs carrying the
few modules it needs, dropbear (the SSH server) with the libraries it links, our init
scripts (files/), and a small empty qcow2 root disk.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from nuage.drivers.guest_image import debian, elf, initramfs
from nuage.drivers.guest_image.initramfs import Entry

# Bump when the way the image is assembled changes without its inputs changing.
RECIPE = "2"
KERNEL_METAPACKAGE = "linux-image-cloud-amd64"
BUSYBOX_PACKAGE = "busybox-static"
# The SSH server: dropbear's binaries, linked against libraries from its dependencies
# (libc6, libtomcrypt1, ...), of which only the files the binaries load are copied.
SSH_PACKAGE = "dropbear-bin"
# OpenSSH's SFTP server, which dropbear runs for the sftp subsystem (and so for `scp`,
# which speaks SFTP since OpenSSH 9). Fetched alone: it depends on openssh-client, which
# it does not need, and on libc6, which comes with dropbear.
SFTP_PACKAGE = "openssh-sftp-server"
SFTP_SERVER = "usr/lib/openssh/sftp-server"
SFTP_SERVER_LINK = "usr/lib/sftp-server"         # where Debian's dropbear looks for it
SSH_PROGRAMS = ("usr/sbin/dropbear", "usr/bin/dropbearkey", SFTP_SERVER)
# Where the image keeps the libraries: a directory Debian's ld.so searches without any
# ld.so.cache (which the image does not have).
LIB_DIR = "lib/x86_64-linux-gnu"
# Where the libraries are found in the unpacked .debs (bookworm ships them in /lib, later
# releases in /usr/lib).
LIB_SEARCH = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "lib", "usr/lib")
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
    "virtio_rng",                             # seeds the kernel's RNG: ssh host keys
)
# The init scripts, from files/ in this package: (name there, path in the image, mode).
GUEST_FILES = (
    ("inittab", "etc/inittab", 0o644),
    ("rcS", "etc/init.d/rcS", 0o755),
    ("rcK", "etc/init.d/rcK", 0o755),
    ("power-button", "etc/acpi/PWRF/00000080", 0o755),
    ("udhcpc.script", "etc/udhcpc.script", 0o755),
    ("json-flatten", "usr/bin/json-flatten", 0o755),
    ("network-config", "usr/sbin/network-config", 0o755),
    ("network-plan", "usr/sbin/network-plan", 0o755),
    ("nic-watch", "usr/sbin/nic-watch", 0o755),
    ("disk-watch", "usr/sbin/disk-watch", 0o755),
)


class GuestImageError(Exception):
    """The image could not be built; the message says which step failed and why."""


@dataclass(frozen=True)
class Inputs:
    """The Debian packages an image is built from, at exact versions."""

    kernel: debian.DebianPackage
    busybox: debian.DebianPackage
    ssh: tuple[debian.DebianPackage, ...]     # dropbear-bin, its dependencies, sftp-server


@dataclass(frozen=True)
class Debs:
    """The fetched .deb of each input."""

    kernel: Path
    busybox: Path
    ssh: tuple[Path, ...]


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
    `out_dir/debs`), plus ~31 MB of downloads otherwise (27 MB of it the kernel). Safe to
    call concurrently from several processes (a lock file serialises builds). The apt
    lists are read, and refreshed with `apt-get update` only if they know no candidate.
    GuestImageError."""
    try:
        return _build(out_dir, cache_dir or out_dir / "debs")
    except (debian.DebianPackageError, initramfs.ModuleError, elf.ElfError, OSError) as exc:
        raise GuestImageError(f"guest image build failed: {exc}") from exc


def _build(out_dir: Path, cache_dir: Path) -> GuestImageFiles:
    debian.require_tools("apt-get", "apt-cache", "dpkg-deb", "qemu-img")
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs = _resolve_inputs(out_dir / ".apt-resolution.json")

    scripts = {name: _guest_file(name) for name, _, _ in GUEST_FILES}
    digest = hashlib.sha256()
    for part in (RECIPE, DISK_SIZE, repr(MODULES), repr(GUEST_FILES), repr(SSH_PROGRAMS),
                 repr(inputs)):
        digest.update(part.encode() + b"\0")
    for name in sorted(scripts):
        digest.update(name.encode() + b"\0" + scripts[name] + b"\0")
    version = f"{inputs.kernel.version}+{digest.hexdigest()[:10]}".replace(":", "_")
    target = out_dir / version

    cached = _cached(target, version)
    if cached is not None:
        return cached
    with _lock(out_dir / ".lock"):
        cached = _cached(target, version)      # another process may have just built it
        if cached is not None:
            return cached
        debs = Debs(kernel=debian.fetch(inputs.kernel, cache_dir),
                    busybox=debian.fetch(inputs.busybox, cache_dir),
                    ssh=tuple(debian.fetch(package, cache_dir) for package in inputs.ssh))
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".build-") as tmp:
            work = Path(tmp)
            staged = work / "image"
            staged.mkdir()
            manifest = _assemble(work, staged, debs, scripts, version)
            manifest["kernel_package"] = f"{inputs.kernel.name}={inputs.kernel.version}"
            manifest["busybox_package"] = f"{inputs.busybox.name}={inputs.busybox.version}"
            manifest["ssh_packages"] = [f"{p.name}={p.version}" for p in inputs.ssh]
            (staged / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
            shutil.rmtree(target, ignore_errors=True)   # a half-built leftover, if any
            os.replace(staged, target)
    cached = _cached(target, version)
    if cached is None:
        raise GuestImageError(f"guest image build left no usable image in {target}")
    return cached


def _resolve_inputs(memo: Path) -> Inputs:
    """The packages apt would install now. apt-cache takes seconds to answer here (it
    re-reads every list), so the answer is remembered for as long as the apt lists,
    sources, preferences and dpkg status are unchanged, and the same packages are asked
    for (a recipe that adds one must not reuse an answer that lacks it)."""
    signature = debian.apt_state_signature()
    asked = [KERNEL_METAPACKAGE, BUSYBOX_PACKAGE, SSH_PACKAGE, SFTP_PACKAGE]
    try:
        saved = json.loads(memo.read_text())
        if saved["signature"] == signature and saved["asked"] == asked:
            return Inputs(kernel=debian.DebianPackage(*saved["kernel"]),
                          busybox=debian.DebianPackage(*saved["busybox"]),
                          ssh=tuple(debian.DebianPackage(*p) for p in saved["ssh"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    records = debian.candidates([KERNEL_METAPACKAGE, BUSYBOX_PACKAGE, SFTP_PACKAGE])
    kernel_pkg = debian.exact_dependency(records[KERNEL_METAPACKAGE], "linux-image-")
    if kernel_pkg is None:
        raise GuestImageError(f"{KERNEL_METAPACKAGE} depends on no linux-image package")
    if not kernel_pkg.version:
        version = debian.candidates([kernel_pkg.name])[kernel_pkg.name]["Version"]
        kernel_pkg = debian.DebianPackage(kernel_pkg.name, version)
    inputs = Inputs(
        kernel=kernel_pkg,
        busybox=debian.DebianPackage(BUSYBOX_PACKAGE, records[BUSYBOX_PACKAGE]["Version"]),
        ssh=(*debian.dependency_closure([SSH_PACKAGE]),
             debian.DebianPackage(SFTP_PACKAGE, records[SFTP_PACKAGE]["Version"])))
    # Recomputed: `candidates` may have run `apt-get update`.
    answer = {"signature": debian.apt_state_signature(), "asked": asked,
              "kernel": [inputs.kernel.name, inputs.kernel.version],
              "busybox": [inputs.busybox.name, inputs.busybox.version],
              "ssh": [[p.name, p.version] for p in inputs.ssh]}
    tmp = memo.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(answer))
    os.replace(tmp, memo)
    return inputs


def _assemble(work: Path, staged: Path, debs: Debs, scripts: dict[str, bytes],
              version: str) -> dict[str, object]:
    kernel_root = work / "kernel"
    debian.extract(debs.kernel, kernel_root)
    vmlinuz = sorted((kernel_root / "boot").glob("vmlinuz-*"))
    if len(vmlinuz) != 1:
        raise GuestImageError(f"{debs.kernel.name} holds {len(vmlinuz)} kernels, not one")
    release = vmlinuz[0].name.removeprefix("vmlinuz-")
    modules = initramfs.resolve_modules(kernel_root / "lib" / "modules" / release, MODULES)
    shutil.copyfile(vmlinuz[0], staged / "vmlinuz")

    busybox_root = work / "busybox"
    debian.extract(debs.busybox, busybox_root)
    busybox = busybox_root / "bin" / "busybox"
    applets = _run([str(busybox), "--list-full"]).split()

    ssh_root = work / "ssh"
    for deb in debs.ssh:
        debian.extract(deb, ssh_root)

    entries: dict[str, Entry] = {}

    def add(entry: Entry) -> None:
        parts = entry.path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            entries.setdefault(parent, initramfs.directory(parent))
        entries[entry.path] = entry

    for path in ("dev", "proc", "sys", "run", "tmp", "mnt", "var/log", "etc/dropbear"):
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
    libraries = _add_programs(add, ssh_root, SSH_PROGRAMS)
    add(initramfs.symlink(SFTP_SERVER_LINK, f"/{SFTP_SERVER}"))
    for name, path, mode in GUEST_FILES:
        add(initramfs.regular(path, scripts[name], mode))
    for name, ko in modules:
        add(initramfs.regular(f"lib/modules/{name}.ko", ko.read_bytes()))
    add(initramfs.regular("etc/modules", "".join(f"{name}\n" for name, _ in modules).encode()))
    add(initramfs.regular("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"))
    # No password: root logs in with a key only (dropbear runs with -s as well).
    add(initramfs.regular("etc/shadow", b"root:*:1:0:99999:7:::\n", 0o600))
    add(initramfs.regular("etc/group", b"root:x:0:\n"))
    add(initramfs.regular("etc/shells", b"/bin/sh\n"))
    add(initramfs.regular("etc/hostname", b"nuage-guest\n"))
    add(initramfs.regular("etc/nuage-guest-version", f"{version}\n".encode()))
    initramfs.write_initramfs((entries[path] for path in sorted(entries)),
                              staged / "initrd.img")

    _run(["qemu-img", "create", "-q", "-f", "qcow2", str(staged / "disk.qcow2"), DISK_SIZE])
    return {
        "version": version,
        "kernel_release": release,
        "modules": [name for name, _ in modules],
        "libraries": libraries,
        "cmdline": DEFAULT_CMDLINE,
    }


def _add_programs(add: Callable[[Entry], None], root: Path,
                  programs: tuple[str, ...]) -> list[str]:
    """Copy `programs` (paths under the unpacked packages in `root`) into the image, with
    their ELF interpreter and every shared library they load, transitively; the
    libraries' sonames."""
    wanted: list[str] = []
    for program in programs:
        path = _inside(root, program)
        add(initramfs.regular(program, path.read_bytes(), 0o755))
        linkage = elf.linkage(path)
        if linkage.interpreter is not None:
            # Usually a soname libc also names (ld-linux-x86-64.so.2): a link, not a copy.
            interpreter = linkage.interpreter.strip("/")
            soname = interpreter.rsplit("/", 1)[-1]
            add(initramfs.symlink(interpreter, f"/{LIB_DIR}/{soname}"))
            wanted.append(soname)
        wanted.extend(linkage.needed)
    done: list[str] = []
    while wanted:
        soname = wanted.pop(0)
        if soname in done:
            continue
        done.append(soname)
        path = _library(root, soname)
        add(initramfs.regular(f"{LIB_DIR}/{soname}", path.read_bytes(), 0o755))
        wanted.extend(elf.linkage(path).needed)
    return done


def _library(root: Path, soname: str) -> Path:
    for directory in LIB_SEARCH:
        try:
            return _inside(root, f"{directory}/{soname}")
        except FileNotFoundError:
            continue
    raise GuestImageError(f"none of the ssh packages ships {soname}")


def _inside(root: Path, path: str) -> Path:
    """`path` in the unpacked tree at `root`, its symbolic links followed inside that tree
    (an absolute link target is relative to `root`, not to the build host's /)."""
    current = path.strip("/")
    for _ in range(40):
        candidate = root / current
        if candidate.is_symlink():
            target = os.readlink(candidate)
            parent = current.rsplit("/", 1)[0] if "/" in current else ""
            current = os.path.normpath(target.strip("/") if target.startswith("/")
                                       else f"{parent}/{target}")
            if current.startswith(".."):
                raise GuestImageError(f"{path} links outside the unpacked packages")
            continue
        if candidate.is_file():
            return candidate
        raise FileNotFoundError(f"{path}: not in the unpacked packages")
    raise GuestImageError(f"{path}: too many levels of symbolic links")


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
