"""The filesystem BlobStore: AES-256-GCM chunked blobs, crash-safe commits (see `store`)."""

from nuage.drivers.blobs_fs.store import FsBlobStore
from nuage.drivers.blobs_fs.writer import FsBlobWriter

__all__ = ["FsBlobStore", "FsBlobWriter"]
