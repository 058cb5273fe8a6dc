"""The one domain error hierarchy. Each wire API maps these to its own error shape."""

from __future__ import annotations


class NuageError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(NuageError):
    """The request is malformed or breaks a rule on its values (400)."""


class RequestTooLarge(NuageError):
    """The request body is bigger than the API reads (413), before it is parsed at all."""


class Unauthorized(NuageError):
    """Authentication failed or the token is not valid (401)."""


class AuthReceiptRequired(Unauthorized):
    """Part of the required authentication methods succeeded (401 with a receipt).

    The client finishes with the remaining methods and the receipt; Keystone calls this
    multi-factor auth receipts.
    """

    def __init__(self, message: str, receipt: str, required: list[list[str]],
                 methods: list[str], user_id: str, expires_at: float) -> None:
        super().__init__(message)
        self.receipt = receipt
        self.required = required
        self.methods = methods
        self.user_id = user_id
        self.expires_at = expires_at


class Forbidden(NuageError):
    """Authenticated, but not allowed to do this (403)."""


class NotFound(NuageError):
    """The target does not exist, or is not visible to the caller (404)."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"Could not find {kind}: {ident}.")
        self.kind = kind
        self.ident = ident


class Conflict(NuageError):
    """A duplicate, or a change the current state does not allow (409)."""
