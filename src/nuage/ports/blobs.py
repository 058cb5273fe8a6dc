"""Where object and image bytes live: an encrypted, crash-safe blob store.

Blobs are immutable: written once under a fresh id, never modified, deleted whole. The
store sees only ciphertext; every blob is sealed with a data key the caller supplies
(the caller wraps that key through a KeyStore and keeps the wrapped form in its metadata).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


class BlobCorrupt(Exception):
    """Stored bytes fail their authentication tag (bit rot or tampering): never return them."""


@dataclass(frozen=True)
class BlobInfo:
    blob_id: str
    size: int          # plaintext bytes
    stored_size: int   # bytes on disk (ciphertext + tags + header)


class BlobWriter(Protocol):
    """Accepts plaintext in pieces of any size, writes only ciphertext.

    Nothing is visible under the blob id until `commit` returns: commit makes the data
    durable (fsync) and then publishes it atomically (rename). `abort`, or a crash before
    commit, leaves only a temporary file that `BlobStore.cleanup_partial` removes.
    """

    def write(self, data: bytes) -> None: ...

    def commit(self) -> BlobInfo: ...

    def abort(self) -> None: ...


class BlobStore(Protocol):
    def writer(self, blob_id: str, key: bytes) -> BlobWriter:
        """A writer for a new blob; `key` is a 32-byte AES-256-GCM data key."""
        ...

    def read(self, blob_id: str, key: bytes, offset: int = 0, length: int | None = None
             ) -> Iterator[bytes]:
        """Plaintext of [offset, offset+length), decrypting only the chunks it needs.

        Blocking; raises KeyError if the blob does not exist, BlobCorrupt if any chunk read
        fails authentication (a wrong key looks the same).
        """
        ...

    def size(self, blob_id: str) -> int:
        """Plaintext size of a committed blob; KeyError if absent."""
        ...

    def delete(self, blob_id: str) -> None:
        """Idempotent."""
        ...

    def ids(self) -> Iterator[str]:
        """Every committed blob id (for orphan collection)."""
        ...

    def cleanup_partial(self) -> int:
        """Remove temporary files left by writers that never committed; returns how many.
        Call only when no writer is active (at start)."""
        ...


class KeyStore(Protocol):
    """Wraps data keys under a project's key (the key-management port).

    The local driver derives project keys from a master key on the host; a key manager
    with tenant-held keys replaces it later without changing callers.
    """

    def wrap(self, project_id: str, data_key: bytes) -> str: ...

    def unwrap(self, project_id: str, wrapped: str) -> bytes:
        """Raises ValueError if the wrapped key does not open under the project's key."""
        ...

    def wrap_with(self, customer_key: bytes, data_key: bytes) -> str:
        """Wrap under a key the customer supplied (SSE-C); that key is never stored."""
        ...

    def unwrap_with(self, customer_key: bytes, wrapped: str) -> bytes:
        """Raises ValueError for the wrong customer key."""
        ...
