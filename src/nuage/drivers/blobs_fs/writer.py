"""The writer of one blob: plaintext in, sealed chunks out to a temporary file.

It holds at most one chunk of plaintext in memory, and only in memory: every byte it
writes to disk is header or ciphertext. See `store` for the commit order.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from nuage.drivers.blobs_fs.format import (
    SIZE_OFFSET,
    UNSET_SIZE,
    ChunkCipher,
    fixed_header,
    pack_size,
)
from nuage.ports.blobs import BlobInfo

# Publishes a durable temporary file under its blob id (see FsBlobStore._publish).
Publish = Callable[[Path, str], None]


class FsBlobWriter:
    """A `BlobWriter` for `FsBlobStore`; make one with `FsBlobStore.writer`.

    Not thread-safe: one writer is fed by one thread. After `commit` or `abort` it is
    closed and `write` raises ValueError. Used as a context manager, it aborts on exit
    unless committed (so an exception never leaves a half-written temporary behind); a
    writer garbage-collected uncommitted aborts too. It never commits implicitly.
    """

    def __init__(self, blob_id: str, key: bytes, tmp_path: Path, chunk_size: int,
                 publish: Publish) -> None:
        self.blob_id = blob_id
        self._tmp_path = tmp_path
        self._chunk_size = chunk_size
        self._publish = publish
        fixed = fixed_header(chunk_size, os.urandom(8))
        self._cipher = ChunkCipher(key, fixed, blob_id)
        self._buffer = bytearray()
        self._index = 0          # of the next chunk to seal
        self._size = 0           # plaintext bytes accepted
        self._stored = 0         # bytes written to the file
        # O_EXCL: the name is fresh (random suffix); never write through someone's file.
        self._fd: int | None = os.open(
            tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600
        )
        try:
            self._write_all(fixed + pack_size(UNSET_SIZE))
        except BaseException:
            self.abort()
            raise

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Accept plaintext of any length; seals and writes each chunk once it is known
        not to be the last (so the final flag can be set on the true last chunk).

        Blocking (disk writes). If it raises (disk full, ...), the blob is unusable:
        call `abort`."""
        self._check_open()
        view = memoryview(data).cast("B")
        size = self._chunk_size
        pos = 0
        while pos < len(view):
            if len(self._buffer) == size:
                # More data follows, so the buffered chunk is not the last one.
                self._seal(self._buffer, final=False)
                self._buffer.clear()
            if not self._buffer and len(view) - pos > size:
                # Seal straight from the caller's buffer: no copy for large writes.
                self._seal(view[pos : pos + size], final=False)
                pos += size
                continue
            take = min(size - len(self._buffer), len(view) - pos)
            self._buffer += view[pos : pos + take]
            pos += take
        self._size += len(view)

    def commit(self) -> BlobInfo:
        """Seal the final chunk, make the file durable, publish it under the blob id.

        Blocking (two fsyncs). Raises FileExistsError if a blob with this id already
        exists (blobs are written once). On any failure the writer is aborted (temporary
        removed); a failure before the publishing link leaves nothing published, one
        after it (fsync of the directory) may leave a blob the caller never recorded,
        which its orphan collection removes.
        """
        self._check_open()
        assert self._fd is not None
        try:
            self._seal(self._buffer, final=True)
            self._buffer.clear()
            # The size goes in last, over the placeholder: only a complete file has it.
            os.pwrite(self._fd, pack_size(self._size), SIZE_OFFSET)
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            self._publish(self._tmp_path, self.blob_id)
        except BaseException:
            self.abort()
            raise
        return BlobInfo(self.blob_id, self._size, self._stored)

    def abort(self) -> None:
        """Drop everything written so far. Idempotent; safe after a failed commit."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._buffer.clear()
        self._tmp_path.unlink(missing_ok=True)

    def __del__(self) -> None:
        # A writer dropped without commit or abort (a handler that lost its client and
        # forgot to abort) must not leak its descriptor and temporary until a restart.
        if getattr(self, "_fd", None) is not None:
            with contextlib.suppress(OSError):
                self.abort()

    def __enter__(self) -> FsBlobWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._fd is not None:
            self.abort()

    def _check_open(self) -> None:
        if self._fd is None:
            raise ValueError(f"writer for blob {self.blob_id} is closed")

    def _seal(self, plaintext: bytearray | memoryview, final: bool) -> None:
        sealed = self._cipher.seal(self._index, final, plaintext)
        self._write_all(sealed)
        self._index += 1

    def _write_all(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._stored += len(data)
