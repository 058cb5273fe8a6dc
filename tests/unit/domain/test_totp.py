"""TOTP against the RFC 6238 appendix B test vectors (SHA-1)."""

from __future__ import annotations

import base64

import pytest

from nuage.domain import totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(("at", "code"), [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
])
def test_rfc6238_sha1_vectors(at: int, code: str) -> None:
    assert totp.passcode(RFC_SECRET, at, digits=8) == code


def test_six_digit_codes_are_the_last_six_of_the_rfc_vector() -> None:
    assert totp.passcode(RFC_SECRET, 59) == "287082"
    assert totp.passcode(RFC_SECRET, 1111111109) == "081804"


def test_secrets_may_be_lower_case_unpadded_and_spaced() -> None:
    messy = " ".join(RFC_SECRET[i:i + 4] for i in range(0, len(RFC_SECRET), 4)).lower()
    assert totp.passcode(messy, 59, digits=8) == "94287082"
    assert totp.passcode(RFC_SECRET.rstrip("="), 59, digits=8) == "94287082"


def test_verify_accepts_the_current_and_previous_window_only() -> None:
    now = 1111111111.0
    assert totp.verify(RFC_SECRET, totp.passcode(RFC_SECRET, now), now)
    assert totp.verify(RFC_SECRET, totp.passcode(RFC_SECRET, now - 30), now)
    assert not totp.verify(RFC_SECRET, totp.passcode(RFC_SECRET, now - 60), now)
    assert not totp.verify(RFC_SECRET, totp.passcode(RFC_SECRET, now + 30), now)
    assert not totp.verify(RFC_SECRET, "000000", now) or totp.passcode(RFC_SECRET, now) == "000000"


@pytest.mark.parametrize(("secret", "valid"), [
    (RFC_SECRET, True),
    ("GEZDGNBVGY3TQOJQ", True),  # exactly 10 bytes
    ("GEZDGNBV", False),  # 5 bytes: too short to be a real seed
    ("not base32 at all!", False),
    ("", False),
])
def test_valid_secret(secret: str, valid: bool) -> None:
    assert totp.valid_secret(secret) is valid
