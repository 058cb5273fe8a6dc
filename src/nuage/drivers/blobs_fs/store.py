"""An encrypted, crash-safe BlobStore on a local filesystem.

Layout under `root` (directories 0700, files 0600):

```
root/blobs/<id[:2]>/<id>      committed blobs (format: see `format`)
root/tmp/<id>.<random>.tmp    blobs being written
```

Crash-safety order of a write, and why each step is where it is:

1. The writer creates a fresh temporary file in `root/tmp` (O_EXCL) and writes the header
   with a placeholder size, then sealed chunks as the plaintext arrives. Only ciphertext
   reaches the disk. Nothing under `root/blobs` refers to this file, so a crash here
   leaves only a temporary that `cleanup_partial` removes at the next start.
2. `commit` seals the final chunk, writes the real plaintext size over the placeholder
   (pwrite at its offset in the header) and fsyncs the file: the data is durable before
   any name points at it. Renaming first would let a power cut publish a name whose
   data never reached the disk (a zero-length or hole-filled file).
3. The shard directory `root/blobs/<id[:2]>` is created if needed, and `root/blobs` is
   fsynced when it was, so the shard's own entry survives a power cut.
4. The temporary is published under its id with link() then unlink() rather than
   rename(): link fails if the id already exists, so a committed blob can never be
   replaced (blobs are immutable; a reused id is a bug that must not destroy data). The
   link is atomic: a reader sees either no blob or the whole one. A crash between link
   and unlink leaves the blob committed and a stray temporary for `cleanup_partial`.
5. The shard directory is fsynced, which makes the new name durable. Only then does
   `commit` return, so a caller that records the blob in its database afterwards never
   records a blob a power cut can take away.

`delete` unlinks without fsyncing the directory: a blob a crash resurrects is an orphan
that the caller's orphan collection (`ids` against its metadata) removes.

Reads are authenticated chunk by chunk (AES-256-GCM); a chunk that fails raises
BlobCorrupt before any of its bytes are returned, so wrong bytes are never served.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

from nuage.drivers.blobs_fs.format import (
    HEADER_SIZE,
    TAG_SIZE,
    ChunkCipher,
    Layout,
    check_chunk_size,
    check_key,
)
from nuage.drivers.blobs_fs.writer import FsBlobWriter
from nuage.ports.blobs import BlobCorrupt, BlobInfo

# Ids become file names: keep them to a safe alphabet, never "." or "..", at least two
# characters for the shard directory.
_BLOB_ID = re.compile(r"[A-Za-z0-9_-]{2,200}")


def check_blob_id(blob_id: str) -> None:
    if not _BLOB_ID.fullmatch(blob_id):
        raise ValueError(f"invalid blob id {blob_id!r}: 2-200 characters of [A-Za-z0-9_-]")


class FsBlobStore:
    """A `BlobStore` keeping each blob as one encrypted file under `root`.

    Thread-safe: writers and readers share no state but the directory tree. All calls
    block on disk I/O. Invalid blob ids (see `check_blob_id`) and keys that are not 32
    bytes raise ValueError. Creates its directories (0700) when constructed.
    """

    def __init__(self, root: Path, chunk_size: int = 64 * 1024) -> None:
        check_chunk_size(chunk_size)
        self.root = root
        self.chunk_size = chunk_size
        self._blobs = root / "blobs"
        self._tmp = root / "tmp"
        for directory in (root, self._blobs, self._tmp):
            _make_private_dir(directory)

    def writer(self, blob_id: str, key: bytes) -> FsBlobWriter:
        """A writer for a new blob. FileExistsError if the id is already committed (checked
        again, atomically, at commit)."""
        check_blob_id(blob_id)
        check_key(key)
        if self._path(blob_id).exists():
            raise FileExistsError(f"blob {blob_id} already exists")
        tmp_path = self._tmp / f"{blob_id}.{secrets.token_hex(8)}.tmp"
        return FsBlobWriter(blob_id, key, tmp_path, self.chunk_size, self._publish)

    def read(self, blob_id: str, key: bytes, offset: int = 0, length: int | None = None
             ) -> Iterator[bytes]:
        """Plaintext of [offset, offset+length), clamped to the blob's end.

        Opens the blob at once (KeyError if absent, BlobCorrupt if its header and length
        disagree), then yields one decrypted piece per chunk covering the range, never
        holding more than one chunk. At least one chunk is always authenticated, so a
        wrong key raises BlobCorrupt even for an empty range. The iterator keeps the file
        open until exhausted or closed: a blob deleted meanwhile still reads to the end.
        """
        check_blob_id(blob_id)
        check_key(key)
        if offset < 0 or (length is not None and length < 0):
            raise ValueError("offset and length must not be negative")
        file, layout = self._open(blob_id)
        try:
            cipher = ChunkCipher(key, layout.fixed, blob_id)
        except BaseException:
            file.close()
            raise
        end = layout.size if length is None else min(layout.size, offset + length)
        return _read_range(file, layout, cipher, offset, end)

    def size(self, blob_id: str) -> int:
        """Plaintext size of a committed blob; KeyError if absent, BlobCorrupt if its
        header and length disagree (a truncated or damaged file)."""
        check_blob_id(blob_id)
        file, layout = self._open(blob_id)
        file.close()
        return layout.size

    def info(self, blob_id: str) -> BlobInfo:
        """Plaintext and stored sizes of a committed blob (errors as `size`)."""
        check_blob_id(blob_id)
        file, layout = self._open(blob_id)
        file.close()
        return BlobInfo(blob_id, layout.size, layout.stored_size)

    def delete(self, blob_id: str) -> None:
        """Remove a committed blob. Idempotent. Readers that already opened it finish."""
        check_blob_id(blob_id)
        self._path(blob_id).unlink(missing_ok=True)

    def ids(self) -> Iterator[str]:
        """Every committed blob id, in no particular order (a snapshot per directory)."""
        for shard in self._blobs.iterdir():
            if not shard.is_dir():
                continue
            for entry in shard.iterdir():
                name = entry.name
                if _BLOB_ID.fullmatch(name) and name[:2] == shard.name:
                    yield name

    def cleanup_partial(self) -> int:
        """Remove every temporary file (writers that never committed); returns how many.
        Call only while no writer is active, e.g. at start."""
        removed = 0
        for entry in self._tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed += 1
        return removed

    def _path(self, blob_id: str) -> Path:
        return self._blobs / blob_id[:2] / blob_id

    def _open(self, blob_id: str) -> tuple[_BlobFile, Layout]:
        try:
            fd = os.open(self._path(blob_id), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise KeyError(blob_id) from None
        file = _BlobFile(fd)
        try:
            header = os.pread(fd, HEADER_SIZE, 0)
            return file, Layout.parse(blob_id, header, os.fstat(fd).st_size)
        except BaseException:
            file.close()
            raise

    def _publish(self, tmp_path: Path, blob_id: str) -> None:
        """Steps 3-5 of the commit order (module docstring); tmp_path is already durable."""
        shard = self._blobs / blob_id[:2]
        if not shard.is_dir():
            with contextlib.suppress(FileExistsError):
                shard.mkdir(mode=0o700)
            _fsync_dir(self._blobs)
        final = shard / blob_id
        try:
            os.link(tmp_path, final)
        except FileExistsError:
            raise FileExistsError(f"blob {blob_id} already exists") from None
        tmp_path.unlink()
        _fsync_dir(shard)


class _BlobFile:
    """An open blob file descriptor, closed once (explicitly, or when collected)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)

    def __del__(self) -> None:
        self.close()


def _read_range(file: _BlobFile, layout: Layout, cipher: ChunkCipher, offset: int, end: int
                ) -> Iterator[bytes]:
    size = layout.chunk_size
    # Authenticate at least the chunk holding `offset` (clamped to the last one), so
    # that an empty range still detects a wrong key.
    first = min(offset // size, layout.chunks - 1)
    last = max(first, (end - 1) // size)
    stop = sum(layout.chunk_span(last))
    advised = layout.chunk_span(first)[0]
    # One reused buffer for the sealed bytes: only the plaintext is handed out.
    buffer = bytearray(size + TAG_SIZE)
    try:
        for index in range(first, last + 1):
            start, stored = layout.chunk_span(index)
            if advised < stop and start + _READ_AHEAD // 2 >= advised:
                # Keep the kernel reading ahead of us, or a cold read waits on the disk
                # for every chunk in turn; the pages go to the page cache, not to us.
                ahead = min(start + _READ_AHEAD, stop)
                os.posix_fadvise(file.fd, advised, ahead - advised, os.POSIX_FADV_WILLNEED)
                advised = ahead
            sealed = memoryview(buffer)[:stored]
            if os.preadv(file.fd, [sealed], start) != stored:
                raise BlobCorrupt(f"blob file shrank while reading chunk {index}")
            plain = cipher.open(index, index == layout.chunks - 1, sealed)
            base = index * size
            lo = max(offset - base, 0)
            hi = min(end - base, len(plain))
            if lo < hi:
                yield plain if (lo == 0 and hi == len(plain)) else plain[lo:hi]
    finally:
        file.close()


_READ_AHEAD = 4 * 1024 * 1024


def _make_private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode is filtered by the umask and ignored for an existing directory.
    os.chmod(path, 0o700)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
