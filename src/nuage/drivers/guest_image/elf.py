"""What a dynamically linked ELF program needs to run: its interpreter (PT_INTERP) and
the shared libraries it names (DT_NEEDED). Read here from the file's headers, so that
building the image needs neither binutils nor the host's own ld.so to list them. Only
64-bit little-endian ELF (x86_64, the only architecture the image is built for)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB = 0, 1, 5


class ElfError(Exception):
    """Not a 64-bit little-endian ELF file, or one whose headers do not hold together."""


@dataclass(frozen=True)
class Linkage:
    interpreter: str | None     # e.g. /lib64/ld-linux-x86-64.so.2; None for a library
    needed: tuple[str, ...]     # sonames, in the order the file lists them


def linkage(path: Path) -> Linkage:
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ElfError(f"{path.name} is not a 64-bit little-endian ELF file")
    try:
        return _linkage(data)
    except (struct.error, IndexError, ValueError) as exc:
        raise ElfError(f"{path.name}: malformed ELF headers ({exc})") from exc


def _linkage(data: bytes) -> Linkage:
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads: list[tuple[int, int, int]] = []          # (vaddr, file offset, file size)
    dynamic: tuple[int, int] | None = None
    interpreter = None
    for index in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + index * phentsize)
        if p_type == PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
        elif p_type == PT_INTERP:
            interpreter = data[p_offset:p_offset + p_filesz].split(b"\0")[0].decode()
    if dynamic is None:
        return Linkage(interpreter, ())             # statically linked
    needed: list[int] = []
    strtab_vaddr = None
    offset, size = dynamic
    for at in range(offset, offset + size, 16):
        tag, value = struct.unpack_from("<qQ", data, at)
        if tag == DT_NULL:
            break
        if tag == DT_NEEDED:
            needed.append(value)
        elif tag == DT_STRTAB:
            strtab_vaddr = value
    if strtab_vaddr is None:
        raise ValueError("a dynamic section without a string table")
    # DT_STRTAB is an address in memory: find the segment that maps it from the file.
    for vaddr, file_offset, file_size in loads:
        if vaddr <= strtab_vaddr < vaddr + file_size:
            strtab = file_offset + strtab_vaddr - vaddr
            break
    else:
        raise ValueError("the string table is in no loaded segment")
    names = tuple(data[strtab + name:data.index(b"\0", strtab + name)].decode()
                  for name in needed)
    return Linkage(interpreter, names)
