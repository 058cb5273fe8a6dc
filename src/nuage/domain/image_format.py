"""Image formats: which content a declared `disk_format` may hold, and the verdict on it.

A disk image format may reference other files: a qcow2 backing file or external data file,
a VMDK extent, a QED backing file. A hypervisor opening such an image, as root before it
drops privileges, would read those host files into the guest (CVE-2022-47951, OSSA-2024-001
and their relatives). So nuage accepts only images proven self-contained: the content is
parsed by a format inspector (the `ImageInspector` port, oslo.utils' inspector behind it)
and must be what it was declared as, and pass that format's safety checks.

This module holds the rules, not the parsing: which detected formats each declared
`disk_format` accepts. See docs/architecture/images.md, "Format inspection".
"""

from __future__ import annotations

from dataclasses import dataclass

# Formats QEMU opens as a plain byte array (no header, nothing referenced). What the
# inspector calls `gpt` is any disk with a PC partition table (MBR or GPT): a raw disk.
_RAW_LIKE = frozenset({"raw", "gpt"})

# Declared disk_format -> the detected formats it may hold. An ISO 9660 file is a valid
# raw disk byte for byte (and a hybrid ISO has a partition table too). A kernel (aki) or a
# ramdisk (ari) is never opened as a disk, but a bzImage starts like an MBR. `ploop` is
# not inspected deeper than "no other known format". Anything else detected (qcow2 bytes
# declared raw, a vmdk declared vhd, qed, luks, several formats at once) is refused: a
# prober would open them as something other than what was declared.
ACCEPTED: dict[str, frozenset[str]] = {
    "raw": _RAW_LIKE | {"iso"},
    "ami": _RAW_LIKE | {"iso"},
    "aki": _RAW_LIKE,
    "ari": _RAW_LIKE,
    "ploop": _RAW_LIKE,
    "iso": frozenset({"iso"}),
    "qcow2": frozenset({"qcow2"}),
    "vmdk": frozenset({"vmdk"}),
    "vhd": frozenset({"vhd"}),
    "vhdx": frozenset({"vhdx"}),
    "vdi": frozenset({"vdi"}),
}
# Declared formats whose content must be recognised as that very format (raw-like ones are
# what is left when nothing is recognised).
STRUCTURED = frozenset({"iso", "qcow2", "vmdk", "vhd", "vhdx", "vdi"})


class UnsafeImage(Exception):
    """The data is not the declared format, or is a format that reaches outside itself."""


@dataclass(frozen=True)
class Verdict:
    format: str                  # the declared disk_format, now proven
    virtual_size: int | None     # the guest-visible disk size, when known


def judge(declared: str, detected: set[str]) -> str:
    """The detected format that stands for `declared` (raises UnsafeImage to refuse).

    `detected`: every specific format whose signature matched (empty: nothing recognised,
    i.e. raw). A hybrid ISO matches both `iso` and `gpt`: it stands as `iso`."""
    accepted = ACCEPTED.get(declared)
    if accepted is None:
        raise UnsafeImage(f"Images of disk_format {declared!r} are not accepted.")
    found = set(detected) or {"raw"}
    if found == {"iso", "gpt"}:
        found = {"iso"}
    if len(found) > 1:
        raise UnsafeImage("Image data matches several formats ("
                          + ", ".join(sorted(found)) + "): refused.")
    (kind,) = found
    if kind not in accepted:
        shown = "no known format" if kind == "raw" else kind
        raise UnsafeImage(f"Image data does not match the declared disk_format {declared!r} "
                          f"(it looks like {shown}).")
    return kind


def refused_early(declared: str, matched: str) -> bool:
    """True when a format recognised mid-stream already decides a refusal: the rest of
    the upload need not be read."""
    accepted = ACCEPTED.get(declared, frozenset())
    if matched in accepted:
        return False
    # A partition table may also be seen inside an ISO declared raw or iso (hybrid ISOs).
    return not (matched == "gpt" and "iso" in accepted)
