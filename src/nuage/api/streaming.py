"""What the adapters that stream stored bytes share (S3 GET, Glance image download)."""

from __future__ import annotations

from collections.abc import Iterator

# Decrypted chunks are regrouped into writes of about this size: fewer thread hops and
# socket writes per byte.
READ_BATCH = 1 << 20


def batched(chunks: Iterator[bytes], size: int = READ_BATCH) -> Iterator[bytes]:
    """The same bytes, in pieces of at least `size` (the last one may be smaller)."""
    pending: list[bytes] = []
    pending_size = 0
    for chunk in chunks:
        pending.append(chunk)
        pending_size += len(chunk)
        if pending_size >= size:
            yield b"".join(pending)
            pending, pending_size = [], 0
    if pending:
        yield b"".join(pending)
