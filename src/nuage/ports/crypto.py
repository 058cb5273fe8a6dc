"""Secrets handling the identity service needs: password hashes, sealed tokens, sealed blobs."""

from __future__ import annotations

from typing import Protocol

from nuage.domain.tokens import ReceiptPayload, TokenPayload


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """A salted, slow hash. Blocking and CPU-bound (tens of milliseconds)."""
        ...

    def verify(self, hashed: str, password: str) -> bool:
        """True when the password matches. Never raises for a wrong password."""
        ...


class TokenCodec(Protocol):
    """Seals token payloads into opaque strings and opens them again.

    Authenticated encryption with keys that rotate: a token sealed with the previous primary
    key still opens after a rotation. Opening raises `Unauthorized` for anything forged,
    truncated or sealed by a key that was rotated out. Expiry is the caller's check.
    """

    def seal_token(self, payload: TokenPayload) -> str: ...

    def open_token(self, token: str) -> TokenPayload: ...

    def key_generation(self) -> int:
        """A number that changes whenever the set of keys changes (rotation, removal).

        While it stays the same, a token that opened once still opens: validation caches
        rely on it instead of decrypting the same token again."""
        ...

    def seal_receipt(self, payload: ReceiptPayload) -> str: ...

    def open_receipt(self, receipt: str) -> ReceiptPayload: ...


class SecretBox(Protocol):
    """Encrypts small secrets (credential blobs) for storage; keys rotate like token keys."""

    def seal(self, plaintext: str) -> str: ...

    def open(self, sealed: str) -> str:
        """Raises `Unauthorized` if the sealed value was tampered with."""
        ...


class KeyPairGenerator(Protocol):
    """Makes a key pair for Nova's os-keypairs below microversion 2.92, when the caller
    gives no public key. CPU-bound (an RSA key: tens of milliseconds); never raises."""

    def ssh(self) -> tuple[str, str]:
        """(OpenSSH public key, PEM private key)."""
        ...

    def x509(self, common_name: str) -> tuple[str, str]:
        """(PEM self-signed certificate, PEM private key)."""
        ...
