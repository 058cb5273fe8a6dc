"""The ImageInspector port on oslo.utils' format inspector (the one Glance, Nova and Cinder
use): qcow2 backing and data files and unknown features, VMDK create types and extents,
QED (always refused), VHD, VHDX, VDI, ISO, GPT/MBR and LUKS signatures.

Every inspector of `ALL_FORMATS` sees the stream at once, as Glance's `InspectWrapper`
does, so content that is a format other than the declared one is recognised too (qcow2
bytes declared raw). The wrapper itself wants a file to read from; an upload is pushed to
us piece by piece, so we drive the inspectors' `eat_chunk` ourselves, with the wrapper's
rules: an inspector that fails to parse is dropped, unless it is the declared format's.

Beyond oslo's checks, a VMDK must be a hosted sparse extent (a `KDMV` header) whose
capacity is not zero: QEMU parses the embedded descriptor's extent lines, which name other
files, only when the capacity is zero, and a text descriptor is nothing but extent lines.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from oslo_utils.imageutils import format_inspector as oslo

from nuage.domain import image_format as rules
from nuage.domain.image_format import UnsafeImage, Verdict

log = logging.getLogger(__name__)
_PIECE = 64 * 1024


class OsloImageInspector:
    def start(self, declared: str) -> OsloInspection:
        return OsloInspection(declared)


class OsloInspection:
    def __init__(self, declared: str) -> None:
        self._declared = declared
        self._active: dict[str, oslo.FileInspector] = {
            name: cls() for name, cls in oslo.ALL_FORMATS.items() if name != "raw"}
        self._all = dict(self._active)
        self._size = 0
        self._checked = False     # the declared format's safety checks already passed

    @property
    def settled(self) -> bool:
        # `complete` stays False while an end-of-stream region (a VMDK footer) waits.
        return all(i.complete for i in self._active.values())

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self.settled:
            # Pieces that end on 64 KiB boundaries of the stream, as Glance reads: an
            # inspector places a region it learns of (VHDX metadata) only on its next
            # piece, so one huge piece would hide it.
            cut = _PIECE - self._size % _PIECE
            self._eat(bytes(view[:cut]))
            view = view[cut:]
        self._size += len(view)

    def _eat(self, piece: bytes) -> None:
        self._size += len(piece)
        for name, inspector in list(self._active.items()):
            if inspector.complete:
                continue          # has all it wants: the rest of the stream is not read
            try:
                inspector.eat_chunk(piece)
            except Exception as exc:           # oslo raises several kinds on bad headers
                if name == self._declared:
                    raise UnsafeImage(f"Image data is not a valid {name} image.") from exc
                del self._active[name]
        self._refuse_early()

    def _refuse_early(self) -> None:
        """Stop a bad upload at its header, not after gigabytes."""
        for name, inspector in list(self._active.items()):
            if not inspector.complete:
                continue
            if name == self._declared:
                if not self._matches(name, inspector):
                    raise UnsafeImage(f"Image data is not {name}, the declared disk_format.")
                if not self._checked:
                    self._safety(inspector)
                    self._checked = True
            elif self._matches(name, inspector) and rules.refused_early(self._declared, name):
                raise UnsafeImage(f"Image data does not match the declared disk_format "
                                  f"{self._declared!r} (it looks like {name}).")

    def _matches(self, name: str, inspector: oslo.FileInspector) -> bool:
        """The inspector recognises its format; one that cannot tell is dropped (the
        declared format's own refuses the image)."""
        try:
            return inspector.format_match
        except Exception as exc:
            if name == self._declared:
                raise UnsafeImage(f"Image data is not a valid {name} image.") from exc
            self._active.pop(name, None)
            return False

    def finish(self, size: int) -> Verdict:
        for inspector in self._active.values():
            inspector.finish()
        # A file reader may stop once settled: it gives the whole size.
        size = max(size, self._size)
        matched = {name for name, inspector in list(self._active.items())
                   if self._matches(name, inspector)}
        if self._declared in rules.STRUCTURED and self._declared not in self._active:
            raise UnsafeImage(f"Image data is not a valid {self._declared} image.")
        kind = rules.judge(self._declared, matched)
        if kind == "raw":
            return Verdict(self._declared, size)
        inspector = self._all[kind]
        if kind == "gpt":
            # A partition table in a raw disk references nothing; its oddities (Glance's
            # gpt_safety_checks_nonfatal) are logged, not refused.
            try:
                inspector.safety_check()
            except (oslo.SafetyCheckFailed, oslo.ImageFormatError) as exc:
                log.info("image declared %s: partition table checks: %s", self._declared, exc)
            return Verdict(self._declared, size)
        self._safety(inspector)
        virtual = inspector.virtual_size or None
        if kind == "iso":
            virtual = size
        return Verdict(self._declared, virtual)

    def _safety(self, inspector: oslo.FileInspector) -> None:
        name = inspector.NAME
        try:
            inspector.safety_check()
        except oslo.SafetyCheckFailed as exc:
            raise UnsafeImage(_describe(name, set(exc.failures))) from exc
        except oslo.ImageFormatError as exc:
            raise UnsafeImage(f"Image data is not a valid {name} image.") from exc
        if name == "vmdk":
            if not inspector.has_region("header"):
                raise UnsafeImage("Only VMDK images with a sparse header (monolithicSparse, "
                                  "streamOptimized) are accepted, not descriptor files.")
            if inspector.virtual_size <= 0:
                raise UnsafeImage("A VMDK image whose descriptor names other files is not "
                                  "allowed (its capacity is zero).")


_REASONS = {
    "backing_file": "a qcow2 image with a backing file is not allowed",
    "data_file": "a qcow2 image with an external data file is not allowed",
    "unknown_features": "the qcow2 image uses an unsupported version or features",
    "descriptor": "the VMDK descriptor names other files or an unsupported create type",
    "footer": "the VMDK footer is invalid",
    "banned": "the format is not allowed",
    "mbr": "the partition table is invalid",
}


def _describe(name: str, failures: set[str]) -> str:
    reasons = [_REASONS.get(f.removeprefix("inner_"), f) for f in sorted(failures)]
    text = "; ".join(reasons)
    return f"Image refused ({name}): {text[0].upper()}{text[1:]}."


def inspect_file(path: Path, declared: str) -> Verdict:
    """The verdict on a local file declared as `declared` (raises UnsafeImage). Reads only
    until the verdict is settled (a few hundred KiB for most images)."""
    inspection = OsloInspection(declared)
    with path.open("rb") as f:
        while not inspection.settled and (chunk := f.read(_PIECE)):
            inspection.feed(chunk)
        size = os.fstat(f.fileno()).st_size
    return inspection.finish(size)
