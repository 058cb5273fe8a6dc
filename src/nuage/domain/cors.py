"""Bucket CORS rules: which cross-origin requests a bucket allows (S3's matching)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CorsAnswer:
    allow_origin: str
    allow_methods: list[str]
    allow_headers: list[str]
    expose_headers: list[str]
    max_age: int | None


def match(rules: list[dict[str, Any]] | None, origin: str, method: str,
          request_headers: list[str]) -> CorsAnswer | None:
    """The first rule allowing this origin, method and every requested header, or None."""
    for rule in rules or []:
        origins = [str(o) for o in rule.get("AllowedOrigins", [])]
        if not any(fnmatch.fnmatchcase(origin, o) for o in origins):
            continue
        if method not in rule.get("AllowedMethods", []):
            continue
        allowed = [str(h).lower() for h in rule.get("AllowedHeaders", [])]
        if not all(any(fnmatch.fnmatchcase(h.lower(), a) for a in allowed)
                   for h in request_headers):
            continue
        return CorsAnswer(
            allow_origin="*" if "*" in origins else origin,
            allow_methods=list(rule.get("AllowedMethods", [])),
            allow_headers=request_headers,
            expose_headers=list(rule.get("ExposeHeaders", [])),
            max_age=rule.get("MaxAgeSeconds"))
    return None
