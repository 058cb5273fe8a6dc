"""Backups of volumes into a BlobStore: fixed chunks, zero chunks skipped, incremental.

A backup cuts the volume into fixed chunks (4 MiB, as Cinder's chunked drivers do) and
keeps, per chunk, either "zero" (unallocated, or read back as all zeros: nothing is
stored) or the SHA-256 of its plaintext and the blob holding it. An incremental backup
reads every chunk again and hashes it; a chunk whose hash equals the parent's at the same
index reuses the parent's blob, so only changed chunks are written. The manifest (JSON)
is itself a blob, committed last: a backup exists once its manifest does.

Encryption: every blob is sealed by the store (AES-256-GCM) with the backup key the
caller gives. An incremental backup's manifest points at its ancestors' blobs, so a
chain of backups must share one backup key (the control plane keeps it wrapped by the
project's key); a parent read with another key fails authentication, loudly.

Blob names say whose they are: `<backup id>-chunk-<index>` for the chunks a backup wrote
and `<backup id>-manifest`. That is how leftovers of a crash are found without a scan:
a backup that is run again (its manifest absent) first deletes, index by index, any
chunk blob of its own name that an earlier attempt committed; a backup that was never
finished is deleted by listing the store's ids with its prefix (`delete_unfinished`).

Memory: one chunk at a time (and the manifest's list of chunks), never the volume.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from nuage.ports.blobs import BlobStore
from nuage.ports.block_devices import BlockReader, BlockWriter

CHUNK_SIZE = 4 * 1024 * 1024
_MANIFEST_FORMAT = "nuage-volume-backup"
_MANIFEST_VERSION = 1
# Blob ids are file names in the filesystem store: the backup id must fit its alphabet.
_BACKUP_ID = re.compile(r"[A-Za-z0-9_-]{2,150}")


class BackupError(Exception):
    """A backup, restore or delete could not be done; the message is for administrators."""


class BackupCorrupt(BackupError):
    """Stored data does not match its manifest (a hash or a length differs)."""


@dataclass(frozen=True)
class ChunkRef:
    """A stored chunk: the blob holding it and the SHA-256 (hex) of its plaintext."""

    blob_id: str
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What one backup holds. `chunks[i]` covers bytes [i*chunk_size, (i+1)*chunk_size)
    of a volume of `size` bytes; None: that range is zeros."""

    backup_id: str
    parent_id: str | None
    size: int
    chunk_size: int
    chunks: tuple[ChunkRef | None, ...]

    @property
    def blob_id(self) -> str:
        return manifest_blob_id(self.backup_id)

    def blob_ids(self) -> set[str]:
        """Every chunk blob the backup needs (its own and its ancestors'), and its
        manifest's."""
        ids = {chunk.blob_id for chunk in self.chunks if chunk is not None}
        ids.add(self.blob_id)
        return ids

    @property
    def written(self) -> int:
        """How many chunk blobs this backup wrote itself (Cinder's object_count)."""
        own = chunk_prefix(self.backup_id)
        return sum(1 for chunk in self.chunks
                   if chunk is not None and chunk.blob_id.startswith(own))

    def to_json(self) -> bytes:
        return json.dumps({
            "format": _MANIFEST_FORMAT,
            "version": _MANIFEST_VERSION,
            "backup_id": self.backup_id,
            "parent_id": self.parent_id,
            "size": self.size,
            "chunk_size": self.chunk_size,
            # [blob id, sha256] per chunk, null for zeros: compact, ~90 bytes a chunk.
            "chunks": [None if c is None else [c.blob_id, c.sha256] for c in self.chunks],
        }, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            body = json.loads(data)
            if body["format"] != _MANIFEST_FORMAT or body["version"] != _MANIFEST_VERSION:
                raise BackupCorrupt("not a version 1 backup manifest")
            chunks = tuple(None if entry is None else ChunkRef(str(entry[0]), str(entry[1]))
                           for entry in body["chunks"])
            manifest = cls(str(body["backup_id"]), body["parent_id"], int(body["size"]),
                           int(body["chunk_size"]), chunks)
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise BackupCorrupt(f"unreadable backup manifest: {error}") from error
        if manifest.chunk_size <= 0 or len(chunks) != _chunk_count(manifest.size,
                                                                   manifest.chunk_size):
            raise BackupCorrupt(f"manifest of {manifest.backup_id}: chunks do not cover "
                                f"{manifest.size} bytes")
        return manifest


def manifest_blob_id(backup_id: str) -> str:
    return f"{backup_id}-manifest"


def chunk_prefix(backup_id: str) -> str:
    return f"{backup_id}-chunk-"


def check_backup_id(backup_id: str) -> None:
    if not _BACKUP_ID.fullmatch(backup_id):
        raise BackupError(f"backup id {backup_id!r} cannot name blobs")


def _chunk_count(size: int, chunk_size: int) -> int:
    return -(-size // chunk_size)


class BackupEngine:
    """Backs volumes up into `blobs`, restores and deletes them. Blocking; no state
    between calls, so one engine serves every backup of a host."""

    def __init__(self, blobs: BlobStore, chunk_size: int = CHUNK_SIZE) -> None:
        self._blobs = blobs
        self._chunk_size = chunk_size

    def read_manifest(self, backup_id: str, key: bytes) -> Manifest | None:
        """The committed manifest of `backup_id`, or None if it has none (never finished,
        or deleted). The wrong key: BlobCorrupt (from the store)."""
        check_backup_id(backup_id)
        try:
            data = b"".join(self._blobs.read(manifest_blob_id(backup_id), key))
        except KeyError:
            return None
        manifest = Manifest.from_json(data)
        if manifest.backup_id != backup_id:
            raise BackupCorrupt(f"manifest of {backup_id} names {manifest.backup_id}")
        return manifest

    def backup(self, reader: BlockReader, backup_id: str, key: bytes,
               parent: Manifest | None) -> Manifest:
        """Store the reader's content as backup `backup_id`, incrementally on `parent`.
        Idempotent: a backup whose manifest is committed is returned as it is; one that
        crashed half way is done again (its stray chunks deleted on the way)."""
        check_backup_id(backup_id)
        done = self.read_manifest(backup_id, key)
        if done is not None:
            return done
        size = reader.size
        chunk_size = self._chunk_size
        # Hashes are only comparable chunk for chunk: another chunk size means a full.
        reusable = parent.chunks if parent is not None and parent.chunk_size == chunk_size \
            else ()
        chunks: list[ChunkRef | None] = []
        own = chunk_prefix(backup_id)
        for index, has_data in enumerate(_chunks_with_data(reader.allocated(), size,
                                                           chunk_size)):
            blob_id = f"{own}{index}"
            # A blob of this name is the leftover of an attempt that crashed before its
            # manifest: no manifest refers to it, so it goes (idempotent when absent).
            self._blobs.delete(blob_id)
            offset = index * chunk_size
            length = min(chunk_size, size - offset)
            if not has_data:
                chunks.append(None)
                continue
            data = reader.read(offset, length)
            if len(data) != length:
                raise BackupError(f"short read at {offset}: {len(data)} of {length} bytes")
            if data.count(0) == length:
                chunks.append(None)
                continue
            digest = hashlib.sha256(data).hexdigest()
            previous = reusable[index] if index < len(reusable) else None
            if previous is not None and previous.sha256 == digest:
                chunks.append(previous)
                continue
            self._write_blob(blob_id, key, data)
            chunks.append(ChunkRef(blob_id, digest))
        manifest = Manifest(backup_id, parent.backup_id if parent else None, size,
                            chunk_size, tuple(chunks))
        # Last: the backup exists from here on.
        self._write_blob(manifest.blob_id, key, manifest.to_json())
        return manifest

    def restore(self, manifest: Manifest, writer: BlockWriter, key: bytes) -> None:
        """Write the backup's content into `writer` (a volume at least as large), each
        chunk checked against its hash before it is written; flushed on return. A
        mismatch, a missing blob or the wrong key: BackupCorrupt / BlobCorrupt."""
        if writer.size < manifest.size:
            raise BackupError(f"a {writer.size}-byte volume cannot hold a "
                              f"{manifest.size}-byte backup")
        for index, chunk in enumerate(manifest.chunks):
            offset = index * manifest.chunk_size
            length = min(manifest.chunk_size, manifest.size - offset)
            if chunk is None:
                writer.zero(offset, length)
                continue
            data = self._read_chunk(chunk, key, length)
            writer.write(offset, data)
        writer.flush()

    def delete(self, manifest: Manifest, still_referenced: set[str]) -> None:
        """Delete the backup's blobs that no other manifest references (`still_referenced`:
        the blob ids other manifests need). The manifest goes last, so a delete that
        crashes half way is finished by running it again."""
        for blob_id in sorted({c.blob_id for c in manifest.chunks if c is not None}):
            if blob_id not in still_referenced:
                self._blobs.delete(blob_id)
        self._blobs.delete(manifest.blob_id)

    def delete_unfinished(self, backup_id: str, still_referenced: set[str]) -> int:
        """Delete what an unfinished backup (no manifest) left: every blob named as its
        chunk. Lists the whole store; returns how many blobs went."""
        check_backup_id(backup_id)
        own = chunk_prefix(backup_id)
        stray = [blob_id for blob_id in self._blobs.ids()
                 if blob_id.startswith(own) and blob_id not in still_referenced]
        for blob_id in stray:
            self._blobs.delete(blob_id)
        return len(stray)

    def _write_blob(self, blob_id: str, key: bytes, data: bytes) -> None:
        writer = self._blobs.writer(blob_id, key)
        try:
            writer.write(data)
            writer.commit()
        except BaseException:
            writer.abort()
            raise

    def _read_chunk(self, chunk: ChunkRef, key: bytes, length: int) -> bytes:
        try:
            data = b"".join(self._blobs.read(chunk.blob_id, key))
        except KeyError:
            raise BackupCorrupt(f"chunk blob {chunk.blob_id} is missing") from None
        if len(data) != length:
            raise BackupCorrupt(f"chunk blob {chunk.blob_id} holds {len(data)} bytes, "
                                f"not {length}")
        if hashlib.sha256(data).hexdigest() != chunk.sha256:
            raise BackupCorrupt(f"chunk blob {chunk.blob_id} does not match its hash")
        return data


def _chunks_with_data(extents: Iterator[tuple[int, int, bool]], size: int,
                      chunk_size: int) -> Iterator[bool]:
    """Per chunk, whether any extent with data overlaps it (the extents are in order and
    cover the volume; an extent spanning chunks counts for each)."""
    current = next(extents, None)
    for index in range(_chunk_count(size, chunk_size)):
        start = index * chunk_size
        end = min(size, start + chunk_size)
        has_data = False
        while current is not None and current[0] < end:
            extent_end = current[0] + current[1]
            if current[2] and extent_end > start:
                has_data = True
            if extent_end <= end:
                current = next(extents, None)
            else:
                break
        yield has_data
