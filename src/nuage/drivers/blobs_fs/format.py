"""The on-disk format of one blob: a header, then AES-256-GCM chunks.

```
offset 0   header (28 bytes)
             magic        4  b"NUBL"
             version      1  1
             reserved     3  zero
             chunk_size   4  big-endian: plaintext bytes per chunk
             nonce_prefix 8  random, per blob
             size         8  big-endian: plaintext bytes (filled in at commit)
offset 28  chunk 0: ciphertext (chunk_size bytes) + GCM tag (16 bytes)
           chunk 1 ...
           last chunk: ciphertext (1..chunk_size bytes; 0 only for an empty blob) + tag
```

Chunk `i` is sealed with nonce = nonce_prefix + i (4 bytes, big-endian) and associated data
= the first 20 header bytes (everything but `size`) + the blob id + i + a final-chunk flag.
So a flipped bit anywhere, a chunk moved within the blob or copied from another blob (a
different prefix and id), a blob file renamed to another id, a header edit, and a
truncation (the new last chunk was not sealed as final) all fail authentication.

`size` is not in the associated data because it is only known after the chunks are sealed;
it is redundant with the file length (every chunk but the last is full) and a reader
refuses a file whose `size` and length disagree. The final chunk's tag covers the true
length: its index and its ciphertext length give the size exactly.

Nonces never repeat under one key: the index is unique within a blob, and two blobs
sharing a data key (callers should not do that) collide only if their random 8-byte
prefixes do.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nuage.ports.blobs import BlobCorrupt

MAGIC = b"NUBL"
VERSION = 1
TAG_SIZE = 16
KEY_SIZE = 32
# Bounds on chunk_size, for writers and for headers read back (a corrupt header must not
# make a reader allocate gigabytes before authentication fails).
MIN_CHUNK = 16
MAX_CHUNK = 16 * 1024 * 1024
MAX_CHUNKS = 2**32  # the chunk index is 4 bytes of the nonce

_FIXED = struct.Struct(">4sB3sI8s")  # magic, version, reserved, chunk_size, nonce_prefix
_SIZE = struct.Struct(">Q")
_INDEX = struct.Struct(">IB")  # chunk index, final flag
FIXED_SIZE = _FIXED.size
HEADER_SIZE = FIXED_SIZE + _SIZE.size
SIZE_OFFSET = FIXED_SIZE
UNSET_SIZE = 2**64 - 1  # in a temporary file until commit writes the real size


def check_key(key: bytes) -> None:
    if len(key) != KEY_SIZE:
        raise ValueError(f"a blob data key is {KEY_SIZE} bytes, not {len(key)}")


def check_chunk_size(chunk_size: int) -> None:
    if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
        raise ValueError(f"chunk_size must be within [{MIN_CHUNK}, {MAX_CHUNK}]")


def fixed_header(chunk_size: int, nonce_prefix: bytes) -> bytes:
    """The authenticated part of the header (all but the plaintext size)."""
    return _FIXED.pack(MAGIC, VERSION, b"\0\0\0", chunk_size, nonce_prefix)


def pack_size(size: int) -> bytes:
    return _SIZE.pack(size)


@dataclass(frozen=True)
class Layout:
    """Where each chunk of a committed blob lies, from its header and file length."""

    fixed: bytes
    chunk_size: int
    nonce_prefix: bytes
    size: int           # plaintext bytes
    stored_size: int    # file length
    chunks: int         # at least 1: an empty blob has one empty final chunk

    @classmethod
    def parse(cls, blob_id: str, header: bytes, stored_size: int) -> Layout:
        """Check the header against the file length; BlobCorrupt when they disagree."""
        if len(header) < HEADER_SIZE:
            raise BlobCorrupt(f"blob {blob_id}: truncated header")
        magic, version, reserved, chunk_size, prefix = _FIXED.unpack_from(header)
        (size,) = _SIZE.unpack_from(header, SIZE_OFFSET)
        if magic != MAGIC or version != VERSION or reserved != b"\0\0\0":
            raise BlobCorrupt(f"blob {blob_id}: not a version {VERSION} blob header")
        if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
            raise BlobCorrupt(f"blob {blob_id}: chunk size {chunk_size} out of bounds")
        derived = plaintext_size(stored_size, chunk_size)
        if derived is None or derived != size:
            raise BlobCorrupt(f"blob {blob_id}: length {stored_size} does not match size {size}")
        chunks = max(1, -(-size // chunk_size))
        return cls(bytes(header[:FIXED_SIZE]), chunk_size, prefix, size, stored_size, chunks)

    def chunk_span(self, index: int) -> tuple[int, int]:
        """(file offset, stored length) of chunk `index`."""
        start = HEADER_SIZE + index * (self.chunk_size + TAG_SIZE)
        if index < self.chunks - 1:
            return start, self.chunk_size + TAG_SIZE
        return start, self.size - index * self.chunk_size + TAG_SIZE


def plaintext_size(stored_size: int, chunk_size: int) -> int | None:
    """The plaintext size a well-formed file of this length holds, or None if none can."""
    body = stored_size - HEADER_SIZE
    if body < TAG_SIZE:
        return None
    sealed = chunk_size + TAG_SIZE
    chunks = -(-body // sealed)
    last = body - (chunks - 1) * sealed - TAG_SIZE
    if last < 0 or (last == 0 and chunks > 1):
        return None
    return (chunks - 1) * chunk_size + last


class ChunkCipher:
    """Seals and opens the chunks of one blob."""

    def __init__(self, key: bytes, fixed: bytes, blob_id: str) -> None:
        check_key(key)
        self._aead = AESGCM(key)
        self._prefix = fixed[FIXED_SIZE - 8 : FIXED_SIZE]
        self._aad = fixed + blob_id.encode("ascii")
        self._blob_id = blob_id

    def _nonce_aad(self, index: int, final: bool) -> tuple[bytes, bytes]:
        if not 0 <= index < MAX_CHUNKS:
            raise ValueError(f"blob {self._blob_id}: more than {MAX_CHUNKS} chunks")
        suffix = _INDEX.pack(index, final)
        return self._prefix + suffix[:4], self._aad + suffix

    def seal(self, index: int, final: bool, plaintext: bytes | bytearray | memoryview) -> bytes:
        nonce, aad = self._nonce_aad(index, final)
        return self._aead.encrypt(nonce, plaintext, aad)

    def open(self, index: int, final: bool, sealed: bytes | memoryview) -> bytes:
        nonce, aad = self._nonce_aad(index, final)
        try:
            return self._aead.decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise BlobCorrupt(
                f"blob {self._blob_id}: chunk {index} fails authentication "
                "(corrupt, tampered with, or the wrong key)"
            ) from None
