"""The initramfs: a gzip-compressed cpio archive ("newc" format, the one the kernel
unpacks) written here in Python, so building needs no cpio tool and no root (device
nodes are archive entries, not files on the host). The output is reproducible: fixed
owners and timestamps, entries in a stable order."""

from __future__ import annotations

import gzip
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class Writer(Protocol):
    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class Entry:
    path: str                 # inside the archive, without a leading "/"
    mode: int                 # file type and permission bits
    data: bytes = b""         # file content, or a symlink's target
    rdev: tuple[int, int] = (0, 0)


def directory(path: str, perm: int = 0o755) -> Entry:
    return Entry(path, stat.S_IFDIR | perm)


def regular(path: str, data: bytes, perm: int = 0o644) -> Entry:
    return Entry(path, stat.S_IFREG | perm, data)


def symlink(path: str, target: str) -> Entry:
    return Entry(path, stat.S_IFLNK | 0o777, target.encode())


def char_device(path: str, major: int, minor: int, perm: int = 0o600) -> Entry:
    return Entry(path, stat.S_IFCHR | perm, rdev=(major, minor))


def _pad(out: Writer, length: int) -> None:
    out.write(b"\0" * (-length % 4))


def _header(out: Writer, ino: int, entry: Entry, name: bytes) -> None:
    fields = (ino, entry.mode, 0, 0, 2 if stat.S_ISDIR(entry.mode) else 1, 0,
              len(entry.data), 0, 0, entry.rdev[0], entry.rdev[1], len(name) + 1, 0)
    header = b"070701" + b"".join(b"%08X" % value for value in fields)
    out.write(header + name + b"\0")
    _pad(out, len(header) + len(name) + 1)


def write_cpio(entries: Iterable[Entry], out: Writer) -> None:
    """Write `entries` (parents before children) as a newc archive, then the trailer."""
    for ino, entry in enumerate(entries, start=1):
        _header(out, ino, entry, entry.path.strip("/").encode())
        out.write(entry.data)
        _pad(out, len(entry.data))
    _header(out, 0, Entry("TRAILER!!!", 0), b"TRAILER!!!")


def write_initramfs(entries: Iterable[Entry], dest: Path) -> None:
    with dest.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        write_cpio(entries, out)


class ModuleError(Exception):
    """A wanted kernel module is neither built in nor shipped by the kernel package."""


def module_dependencies(ko: Path) -> list[str]:
    """The `depends=` list of a kernel module, read from its .modinfo strings."""
    data = ko.read_bytes()
    at = data.find(b"\0depends=")
    if at < 0:
        return []
    end = data.index(b"\0", at + 1)
    value = data[at + len(b"\0depends="):end].decode()
    return [name for name in value.split(",") if name]


def resolve_modules(modules_dir: Path, wanted: Iterable[str]) -> list[tuple[str, Path]]:
    """`wanted` modules and everything they need, in load order (dependencies first).

    Names use underscores, as `depends=` does. Built-in ones (modules.builtin) are
    skipped; a module that is neither built in nor present raises ModuleError."""
    files: dict[str, Path] = {}
    for ko in modules_dir.rglob("*.ko"):
        files[ko.stem.replace("-", "_")] = ko
    builtin_list = modules_dir / "modules.builtin"
    builtin = set()
    if builtin_list.exists():
        for line in builtin_list.read_text().splitlines():
            builtin.add(Path(line).name.removesuffix(".ko").replace("-", "_"))
    order: list[tuple[str, Path]] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        name = name.replace("-", "_")
        if name in seen:
            return
        seen.add(name)
        if name not in files:
            if name in builtin:
                return
            raise ModuleError(f"kernel module {name} is neither built in nor shipped")
        for dependency in module_dependencies(files[name]):
            visit(dependency)
        order.append((name, files[name]))

    for name in wanted:
        visit(name)
    return order
