"""Parts of the guest image builder, without building an image: how it finds what a
program needs to run (the ELF headers read in Python, elf.py; paths inside unpacked
packages resolved without ever leaving them) and when it trusts its remembered apt
answer."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from nuage.drivers.guest_image import builder, debian, elf


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


@pytest.mark.skipif(shutil.which("apt-cache") is None, reason="needs Debian's apt")
def test_the_apt_answer_is_reused_only_for_the_same_question(tmp_path: Path) -> None:
    memo = tmp_path / ".apt-resolution.json"
    asked = [builder.KERNEL_METAPACKAGE, builder.BUSYBOX_PACKAGE, builder.SSH_PACKAGE,
             builder.SFTP_PACKAGE]
    remembered = {"signature": debian.apt_state_signature(), "asked": asked,
                  "kernel": ["k", "1"], "busybox": ["b", "1"], "ssh": [["s", "1"]]}
    memo.write_text(json.dumps(remembered))
    assert builder._resolve_inputs(memo) == builder.Inputs(
        debian.DebianPackage("k", "1"), debian.DebianPackage("b", "1"),
        (debian.DebianPackage("s", "1"),))

    # An answer to an older recipe's question (no sftp-server then) is asked again.
    memo.write_text(json.dumps({**remembered, "asked": asked[:3]}))
    inputs = builder._resolve_inputs(memo)
    assert inputs.kernel.name.startswith("linux-image-")
    assert inputs.ssh[0].name == builder.SSH_PACKAGE
    assert builder.SFTP_PACKAGE in [p.name for p in inputs.ssh]
    assert "libc6" in [p.name for p in inputs.ssh]
    assert json.loads(memo.read_text())["asked"] == asked
