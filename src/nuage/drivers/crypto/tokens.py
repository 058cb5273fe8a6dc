"""Tokens and receipts sealed with Fernet (AES-128-CBC + HMAC-SHA256), never stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cryptography.fernet import InvalidToken

from nuage.domain.errors import Unauthorized
from nuage.domain.tokens import ReceiptPayload, Scope, TokenPayload
from nuage.drivers.crypto.keys import KeyRepository

TOKEN_VERSION = 1
RECEIPT_VERSION = 2


def _ts(value: datetime) -> float:
    return round(value.timestamp(), 6)


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class FernetTokenCodec:
    def __init__(self, keys: KeyRepository) -> None:
        self._keys = keys

    def _seal(self, body: list[object]) -> str:
        raw = json.dumps(body, separators=(",", ":")).encode()
        # Fernet output is url-safe base64; drop the padding as Keystone does.
        return self._keys.fernet().encrypt(raw).decode().rstrip("=")

    def _open(self, sealed: str, version: int) -> list[object]:
        padded = sealed + "=" * (-len(sealed) % 4)
        try:
            raw = self._keys.fernet().decrypt(padded.encode())
            body = json.loads(raw)
        except (InvalidToken, ValueError, UnicodeError) as exc:
            raise Unauthorized("The request you have made requires authentication.") from exc
        if not isinstance(body, list) or not body or body[0] != version:
            raise Unauthorized("The request you have made requires authentication.")
        return body

    def seal_token(self, payload: TokenPayload) -> str:
        scope = payload.scope
        kind, ident = ("p", scope.project_id) if scope.project_id else (
            ("d", scope.domain_id) if scope.domain_id else (("s", "all") if scope.system
                                                            else ("", None)))
        return self._seal([
            TOKEN_VERSION, payload.user_id, list(payload.methods), kind, ident,
            _ts(payload.issued_at), _ts(payload.expires_at), list(payload.audit_ids),
            payload.app_cred_id,
        ])

    def open_token(self, token: str) -> TokenPayload:
        body = self._open(token, TOKEN_VERSION)
        try:
            _, user_id, methods, kind, ident, issued, expires, audit_ids, app_cred = body
            scope = Scope(
                project_id=str(ident) if kind == "p" else None,
                domain_id=str(ident) if kind == "d" else None,
                system=kind == "s",
            )
            return TokenPayload(
                user_id=str(user_id), methods=tuple(methods), scope=scope,  # type: ignore[arg-type]
                issued_at=_dt(float(issued)), expires_at=_dt(float(expires)),  # type: ignore[arg-type]
                audit_ids=tuple(audit_ids),  # type: ignore[arg-type]
                app_cred_id=str(app_cred) if app_cred else None,
            )
        except (ValueError, TypeError) as exc:
            raise Unauthorized("The request you have made requires authentication.") from exc

    def key_generation(self) -> int:
        return self._keys.generation()

    def seal_receipt(self, payload: ReceiptPayload) -> str:
        return self._seal([RECEIPT_VERSION, payload.user_id, list(payload.methods),
                           _ts(payload.expires_at)])

    def open_receipt(self, receipt: str) -> ReceiptPayload:
        body = self._open(receipt, RECEIPT_VERSION)
        try:
            _, user_id, methods, expires = body
            return ReceiptPayload(str(user_id), tuple(methods),  # type: ignore[arg-type]
                                  _dt(float(expires)))  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:
            raise Unauthorized("Invalid auth receipt.") from exc


class FernetSecretBox:
    def __init__(self, keys: KeyRepository) -> None:
        self._keys = keys

    def seal(self, plaintext: str) -> str:
        return self._keys.fernet().encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._keys.fernet().decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise Unauthorized("A stored credential could not be decrypted.") from exc
