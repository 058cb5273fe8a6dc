"""The one domain error hierarchy: a fault kind plus fields, never a wire sentence.

Services say *what* went wrong (`Conflict(ComputeFault.SERVER_LOCKED, server_id=...)`);
each wire API's error table says it in that API's words (Nova's, Keystone's, Glance's,
S3's), and so does the CLI. The class gives the category (400, 401, 403, 404, 409, 413);
the fault names the case within it; the fields are what the wording may quote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any


class FaultCode(StrEnum):
    """Base of each area's fault enumeration (`CommonFault`, `ComputeFault`, ...).

    Values are dotted, stable names ("server.locked"): they reach logs, audit details and
    the CLI, never a wire API directly."""


class CommonFault(FaultCode):
    """Faults every service raises."""

    # The policy table refused `action` (domain/policy.py). Fields: action.
    POLICY_DENIED = "policy.denied"
    # A target is absent or invisible to the caller. Fields: kind, ident.
    NOT_FOUND = "not_found"
    # No credentials where the call needs them.
    AUTHENTICATION_REQUIRED = "authentication.required"


# A wire API's wording of a fault: a str.format template over the fault's fields, or a
# function of them when the sentence depends on their values.
Wording = str | Callable[[Mapping[str, Any]], str]


class NuageError(Exception):
    """Base of every error a service raises on purpose."""

    # A plain str is a sentence already in one API's words: only an adapter, which knows
    # its API, raises one (tests/unit/test_vocabulary.py keeps them out of services/).
    def __init__(self, fault: FaultCode | str, /, **fields: Any) -> None:
        super().__init__(fault, fields)
        self.fault = fault
        # What the wording is looked up by: the fault itself, unless a subclass keeps a
        # wire category in `fault` and the case apart (StorageError: S3 code + reason).
        self.case: FaultCode | str = fault
        self.fields: dict[str, Any] = fields

    @property
    def message(self) -> str:
        """A neutral rendering for logs and for callers without a wording table (or the
        adapter's own sentence)."""
        if not isinstance(self.case, FaultCode):
            return self.case
        if not self.fields:
            return self.case.value
        return f"{self.case.value} (" + ", ".join(
            f"{k}={v}" for k, v in self.fields.items()) + ")"

    def __str__(self) -> str:
        return self.message

    def worded(self, table: Mapping[FaultCode, Wording]) -> str:
        """The fault in the words of the API whose `table` this is; the neutral rendering
        for a fault the table lacks (each adapter's tests check it lacks none)."""
        wording = table.get(self.case) if isinstance(self.case, FaultCode) else None
        if wording is None:
            return self.message
        if callable(wording):
            return wording(self.fields)
        return wording.format(**self.fields)


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

    def __init__(self, fault: FaultCode | str, receipt: str, required: list[list[str]],
                 methods: list[str], user_id: str, expires_at: float) -> None:
        super().__init__(fault, user_id=user_id)
        self.receipt = receipt
        self.required = required
        self.methods = methods
        self.user_id = user_id
        self.expires_at = expires_at


class Forbidden(NuageError):
    """Authenticated, but not allowed to do this (403)."""


class NotFound(NuageError):
    """The target does not exist, or is not visible to the caller (404).

    `kind` is the domain's noun for the target ("server", "image", "role"); adapters word
    it in their API's terms."""

    def __init__(self, kind: str, ident: str, /,
                 fault: FaultCode = CommonFault.NOT_FOUND, **fields: Any) -> None:
        super().__init__(fault, kind=kind, ident=ident, **fields)
        self.kind = kind
        self.ident = ident


class Conflict(NuageError):
    """A duplicate, or a change the current state does not allow (409)."""
