"""Incremental checksums S3 clients send and expect: MD5 (ETag, Content-MD5), CRC32,
CRC32C, SHA-1, SHA-256 (x-amz-checksum-*), base64 as on the wire."""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Protocol

ALGORITHMS = ("CRC32", "CRC32C", "SHA1", "SHA256")


class Checksum(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


class _Crc32:
    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = zlib.crc32(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


def _crc32c_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


class _Crc32c:
    """CRC-32C (Castagnoli). Uses a C implementation when one is installed."""

    _table: list[int] | None = None

    def __init__(self) -> None:
        self._value = 0
        try:
            import google_crc32c

            self._fast = google_crc32c.extend
        except ImportError:
            self._fast = None
            if _Crc32c._table is None:
                _Crc32c._table = _crc32c_table()

    def update(self, data: bytes) -> None:
        if self._fast is not None:
            self._value = int(self._fast(self._value, data))
            return
        table = _Crc32c._table
        assert table is not None
        crc = self._value ^ 0xFFFFFFFF
        for byte in data:
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self._value = crc ^ 0xFFFFFFFF

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


class _Hashlib:
    def __init__(self, name: str) -> None:
        self._h = hashlib.new(name)

    def update(self, data: bytes) -> None:
        self._h.update(data)

    def digest(self) -> bytes:
        return self._h.digest()


def new(algorithm: str) -> Checksum:
    algorithm = algorithm.upper()
    if algorithm == "CRC32":
        return _Crc32()
    if algorithm == "CRC32C":
        return _Crc32c()
    if algorithm == "SHA1":
        return _Hashlib("sha1")
    if algorithm == "SHA256":
        return _Hashlib("sha256")
    raise ValueError(f"unknown checksum algorithm {algorithm}")


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()
