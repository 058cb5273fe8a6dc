"""Remembers validated tokens until anything in identity changes.

Every change to identity state writes an audit event in its own transaction, which moves
the audit chain's head. A cached validation is therefore reused only while the head's
sequence number is the one seen when it was cached: one primary-key read instead of the
dozen reads a full validation makes, and a revocation, a disabled user or a removed role
takes effect on the very next request. Expiry is time-based and checked on every hit.
The revision also carries the token keys' generation: while no key was rotated or removed,
a token that opened once still opens, so a hit need not decrypt it again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from nuage.domain.tokens import ValidatedToken

# (where the change counter comes from, its value, the token keys' generation)
Revision = tuple[str, int, int]


@dataclass(frozen=True)
class _Entry:
    revision: Revision
    valid_until: datetime
    info: ValidatedToken


class ValidationCache:
    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[str, bool], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str, with_catalog: bool, revision: Revision, now: datetime
            ) -> ValidatedToken | None:
        key = (token, with_catalog)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.revision != revision or entry.valid_until <= now:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry.info

    def put(self, token: str, with_catalog: bool, revision: Revision,
            valid_until: datetime,
            info: ValidatedToken) -> None:
        with self._lock:
            self._entries[(token, with_catalog)] = _Entry(revision, valid_until, info)
            self._entries.move_to_end((token, with_catalog))
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
