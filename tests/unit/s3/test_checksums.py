"""S3 additional checksums: known vectors, incremental feeding, botocore agreement."""

from __future__ import annotations

import base64
import hashlib
import random
import zlib

import pytest
from botocore.httpchecksum import Crc32Checksum, Sha1Checksum, Sha256Checksum

from nuage.domain import checksums

CHECK = b"123456789"


@pytest.mark.parametrize(
    ("algorithm", "expected_hex"),
    [
        ("CRC32", "cbf43926"),
        ("CRC32C", "e3069283"),
        ("CRC64NVME", "ae8b14860a799888"),
        ("SHA1", hashlib.sha1(CHECK).hexdigest()),
        ("SHA256", hashlib.sha256(CHECK).hexdigest()),
    ],
)
def test_check_values(algorithm: str, expected_hex: str) -> None:
    hasher = checksums.new_hasher(algorithm)
    hasher.update(CHECK)
    assert hasher.digest().hex() == expected_hex
    assert checksums.matches(hasher, base64.b64encode(bytes.fromhex(expected_hex)).decode())


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
def test_incremental_equals_one_shot(algorithm: str) -> None:
    data = random.Random(1).randbytes(10000)
    whole = checksums.new_hasher(algorithm)
    whole.update(data)
    pieces = checksums.new_hasher(algorithm)
    for i in range(0, len(data), 333):
        pieces.update(data[i : i + 333])
    assert whole.digest() == pieces.digest()
    assert len(whole.digest()) == checksums.DIGEST_SIZES[algorithm]


@pytest.mark.parametrize(
    ("algorithm", "botocore_cls"),
    [("CRC32", Crc32Checksum), ("SHA1", Sha1Checksum), ("SHA256", Sha256Checksum)],
)
def test_same_base64_as_botocore(algorithm: str, botocore_cls: type) -> None:
    data = b"the quick brown fox" * 100
    theirs = botocore_cls()
    theirs.update(data)
    ours = checksums.new_hasher(algorithm)
    ours.update(data)
    assert checksums.b64digest(ours) == theirs.b64digest()


def test_crc32_of_empty_is_zero() -> None:
    hasher = checksums.new_hasher("crc32")
    assert hasher.digest() == zlib.crc32(b"").to_bytes(4, "big")
    assert checksums.b64digest(hasher) == "AAAAAA=="


def test_header_names() -> None:
    assert checksums.algorithm_for_header("X-Amz-Checksum-CRC32C") == "CRC32C"
    assert checksums.algorithm_for_header("x-amz-checksum-md5") is None
    assert checksums.header_for_algorithm("SHA256") == "x-amz-checksum-sha256"


@pytest.mark.parametrize("value", ["", "!!!!", "AAAA", "AAAAAAAAAAA=", "AAAAAA== extra"])
def test_invalid_transmitted_values(value: str) -> None:
    assert checksums.decode_checksum("CRC32", value) is None
    assert not checksums.matches(checksums.new_hasher("CRC32"), value)


def test_unknown_algorithm() -> None:
    with pytest.raises(KeyError):
        checksums.new_hasher("MD5")
