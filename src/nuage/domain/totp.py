"""Time-based one-time passwords (RFC 6238), as Keystone's totp method checks them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

STEP_SECONDS = 30
DIGITS = 6


def _decode_secret(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    cleaned += "=" * (-len(cleaned) % 8)
    return base64.b32decode(cleaned)


def passcode(secret: str, at: float, step: int = STEP_SECONDS, digits: int = DIGITS) -> str:
    counter = int(at // step)
    digest = hmac.new(_decode_secret(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % (10**digits)
    return str(code).zfill(digits)


def valid_secret(secret: str) -> bool:
    try:
        return len(_decode_secret(secret)) >= 10
    except (ValueError, TypeError):
        return False


def verify(secret: str, code: str, at: float, previous_windows: int = 1) -> bool:
    """Accept the current code and those of `previous_windows` earlier steps (clock drift)."""
    return any(
        hmac.compare_digest(passcode(secret, at - i * STEP_SECONDS), code)
        for i in range(previous_windows + 1)
    )
