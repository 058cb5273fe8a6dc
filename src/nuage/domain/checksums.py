"""Incremental S3 additional checksums: CRC32, CRC32C, CRC64NVME, SHA1, SHA256.

S3 transmits each as the base64 of its big-endian digest, in `x-amz-checksum-<alg>`
headers or aws-chunked trailers. Hashers are fed as data streams by, so an object of any
size is checked in bounded memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import zlib
from collections.abc import Callable, Mapping
from typing import Protocol

import google_crc32c

# Header (and trailer) name -> algorithm name as S3 spells it in x-amz-checksum-algorithm.
HEADER_ALGORITHMS: Mapping[str, str] = {
    "x-amz-checksum-crc32": "CRC32",
    "x-amz-checksum-crc32c": "CRC32C",
    "x-amz-checksum-crc64nvme": "CRC64NVME",
    "x-amz-checksum-sha1": "SHA1",
    "x-amz-checksum-sha256": "SHA256",
}
DIGEST_SIZES: Mapping[str, int] = {
    "CRC32": 4,
    "CRC32C": 4,
    "CRC64NVME": 8,
    "SHA1": 20,
    "SHA256": 32,
}


class ChecksumHasher(Protocol):
    algorithm: str

    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


class _Crc32:
    algorithm = "CRC32"

    def __init__(self) -> None:
        self._crc = 0

    def update(self, data: bytes) -> None:
        self._crc = zlib.crc32(data, self._crc)

    def digest(self) -> bytes:
        return self._crc.to_bytes(4, "big")


class _Crc32c:
    algorithm = "CRC32C"

    def __init__(self) -> None:
        self._crc = 0

    def update(self, data: bytes) -> None:
        # google-crc32c uses SSE4.2/ARMv8 instructions: GB/s, where pure Python would
        # crawl at a few MB/s on 1 GiB uploads.
        self._crc = google_crc32c.extend(self._crc, data)

    def digest(self) -> bytes:
        return self._crc.to_bytes(4, "big")


def _crc64nvme_table() -> tuple[int, ...]:
    poly = 0x9A6C9329AC4BC9B5  # reflected form of the NVMe polynomial 0xAD93D23594C93659
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC64_TABLE: tuple[int, ...] | None = None


class _Crc64Nvme:
    """Pure-Python table CRC-64/NVME: correct but slow (~10 MB/s); no wheel ships it."""

    algorithm = "CRC64NVME"
    _MASK = 0xFFFFFFFFFFFFFFFF

    def __init__(self) -> None:
        global _CRC64_TABLE
        if _CRC64_TABLE is None:  # built on first use: no work at import time
            _CRC64_TABLE = _crc64nvme_table()
        self._table = _CRC64_TABLE
        self._crc = self._MASK

    def update(self, data: bytes) -> None:
        crc, table = self._crc, self._table
        for byte in data:
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self._crc = crc

    def digest(self) -> bytes:
        return (self._crc ^ self._MASK).to_bytes(8, "big")


class _Hashlib:
    def __init__(self, algorithm: str, name: str) -> None:
        self.algorithm = algorithm
        self._hash = hashlib.new(name)

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.digest()


_FACTORIES: Mapping[str, Callable[[], ChecksumHasher]] = {
    "CRC32": _Crc32,
    "CRC32C": _Crc32c,
    "CRC64NVME": _Crc64Nvme,
    "SHA1": lambda: _Hashlib("SHA1", "sha1"),
    "SHA256": lambda: _Hashlib("SHA256", "sha256"),
}


def new_hasher(algorithm: str) -> ChecksumHasher:
    """A fresh hasher for an S3 algorithm name (case-insensitive); KeyError if unknown."""
    return _FACTORIES[algorithm.upper()]()


def algorithm_for_header(name: str) -> str | None:
    """'x-amz-checksum-crc32c' -> 'CRC32C'; None for any other header name."""
    return HEADER_ALGORITHMS.get(name.lower())


def header_for_algorithm(algorithm: str) -> str:
    return f"x-amz-checksum-{algorithm.lower()}"


def b64digest(hasher: ChecksumHasher) -> str:
    return base64.b64encode(hasher.digest()).decode("ascii")


def decode_checksum(algorithm: str, value: str) -> bytes | None:
    """The raw digest of a transmitted base64 value, or None if it is not one."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == DIGEST_SIZES[algorithm.upper()] else None


def matches(hasher: ChecksumHasher, expected_b64: str) -> bool:
    """Whether the data fed so far has the transmitted checksum (constant-time compare)."""
    expected = decode_checksum(hasher.algorithm, expected_b64)
    return expected is not None and hmac.compare_digest(expected, hasher.digest())
