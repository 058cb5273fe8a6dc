from __future__ import annotations

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2PasswordHasher:
    """argon2id with the library's RFC 9106 low-memory profile by default."""

    def __init__(self, time_cost: int = 2, memory_cost: int = 19 * 1024) -> None:
        self._hasher = Argon2(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)

    def hash(self, password: str) -> str:
        return str(self._hasher.hash(password))

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(hashed, password))
        except (VerificationError, InvalidHashError):
            return False
