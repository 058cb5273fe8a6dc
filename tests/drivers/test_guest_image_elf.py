"""How the guest image builder finds what a program needs to run: the ELF headers read in
Python (elf.py), and paths inside unpacked packages resolved without ever leaving them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nuage.drivers.guest_image import builder, elf


def test_a_dynamic_program_names_its_loader_and_libraries() -> None:
    python = Path(sys.executable).resolve()
    if python.read_bytes()[:4] != b"\x7fELF":
        pytest.skip("the interpreter is not an ELF file here")
    linkage = elf.linkage(python)
    assert linkage.interpreter is not None
    assert linkage.interpreter.endswith("ld-linux-x86-64.so.2")
    assert "libc.so.6" in linkage.needed


def test_a_file_that_is_not_elf_is_refused(tmp_path: Path) -> None:
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\necho hi\n")
    with pytest.raises(elf.ElfError, match="not a 64-bit little-endian ELF"):
        elf.linkage(script)
    truncated = tmp_path / "truncated"
    truncated.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 9)
    with pytest.raises(elf.ElfError, match="malformed"):
        elf.linkage(truncated)


def test_links_are_followed_inside_the_unpacked_tree(tmp_path: Path) -> None:
    lib = tmp_path / "lib" / "x86_64-linux-gnu"
    lib.mkdir(parents=True)
    (lib / "libz.so.1.2.13").write_bytes(b"z")
    (lib / "libz.so.1").symlink_to("libz.so.1.2.13")
    (tmp_path / "lib64").mkdir()
    # An absolute target is the package's own path, not the build host's.
    (tmp_path / "lib64" / "ld.so").symlink_to("/lib/x86_64-linux-gnu/libz.so.1")
    (tmp_path / "lib64" / "escape").symlink_to("../../../etc/passwd")

    assert builder._inside(tmp_path, "lib/x86_64-linux-gnu/libz.so.1") == \
        lib / "libz.so.1.2.13"
    assert builder._inside(tmp_path, "/lib64/ld.so") == lib / "libz.so.1.2.13"
    assert builder._library(tmp_path, "libz.so.1") == lib / "libz.so.1.2.13"
    with pytest.raises(builder.GuestImageError, match="outside"):
        builder._inside(tmp_path, "lib64/escape")
    with pytest.raises(builder.GuestImageError, match=r"ships libgone\.so\.1"):
        builder._library(tmp_path, "libgone.so.1")
