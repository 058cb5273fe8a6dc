"""Reading and checking JSON request bodies: shape errors become ValidationError (400).

Every JSON body on the OpenStack listener goes through `read_body` and `parse_json`: the
size is bounded while reading (413, as the real services' sizelimit middleware answers; a
declared Content-Length over the bound is refused before anything is read), and the nesting
depth before parsing (400): Python's parser recurses, and `[` x 100,000 would otherwise end
in a RecursionError (a 500) on any endpoint, the unauthenticated token issue included.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from nuage.domain.errors import RequestTooLarge, ValidationError

# Keystone's and Nova's sizelimit is 112 KiB; nuage reads JSON bodies up to 1 MiB (a Nova
# server create with 64 KiB of user_data and personality files stays well under it).
MAX_BODY = 1 << 20
# No OpenStack body nests deeper than a handful of levels; 32 leaves room for Keystone's
# free-form attributes and stays far from the parser's recursion limit.
MAX_DEPTH = 32

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The whole body, read no further than `limit` bytes (RequestTooLarge beyond)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge("Request is too large.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge("Request is too large.")
        chunks.append(chunk)
    return b"".join(chunks)


def nesting_depth(raw: bytes, limit: int = MAX_DEPTH) -> int:
    """How deep arrays and objects nest, counting no further than `limit` + 1.

    Brackets inside strings do not count: strings are removed first (in C, by the regex
    engine), then everything but brackets (bytes.translate), so the Python loop only sees
    brackets and stops at the first one too deep.
    """
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in _OPENERS:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def parse_json(raw: bytes, limit: int = MAX_DEPTH) -> Any:
    """JSON from a request body; ValidationError when malformed or nested too deep."""
    if nesting_depth(raw, limit) > limit:
        raise ValidationError(f"The request body nests deeper than {limit} levels.")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"Malformed JSON in the request body: {exc}.") from exc


async def json_object(request: Request) -> dict[str, Any]:
    raw = await read_body(request)
    if not raw.strip():
        raise ValidationError("The request body is empty: a JSON object is expected.")
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object.")
    return body


def member(body: dict[str, Any], key: str, where: str = "request body") -> dict[str, Any]:
    value = body.get(key)
    if not isinstance(value, dict):
        raise ValidationError(f"Expecting to find {key} in {where}. The server could not comply "
                              "with the request since it is either malformed or otherwise "
                              "incorrect. The client is assumed to be in error.")
    return value


def string(d: dict[str, Any], key: str, *, required: bool = False, nullable: bool = False,
           max_len: int = 255, min_len: int = 0, default: str | None = None) -> str | None:
    if key not in d:
        if required:
            raise ValidationError(f"'{key}' is a required property.")
        return default
    value = d[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"Invalid input for field '{key}': {value!r} is not a string.")
    if len(value) > max_len or len(value.strip()) < min_len:
        raise ValidationError(f"Invalid input for field '{key}': length must be between "
                              f"{min_len} and {max_len}.")
    return value


def name(d: dict[str, Any], key: str = "name", required: bool = True,
         max_len: int = 255) -> str:
    value = string(d, key, required=required, min_len=1, max_len=max_len)
    if value is None:
        raise ValidationError(f"'{key}' is a required property.")
    return value


def boolean(d: dict[str, Any], key: str, default: bool | None = None) -> bool | None:
    if key not in d:
        return default
    value = d[key]
    if not isinstance(value, bool):
        raise ValidationError(f"Invalid input for field '{key}': {value!r} is not a boolean.")
    return value


def obj(d: dict[str, Any], key: str, default: dict[str, Any] | None = None
        ) -> dict[str, Any] | None:
    if key not in d:
        return default
    value = d[key]
    if not isinstance(value, dict):
        raise ValidationError(f"Invalid input for field '{key}': an object is expected.")
    return value


def string_list(d: dict[str, Any], key: str) -> list[str] | None:
    if key not in d:
        return None
    value = d[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"Invalid input for field '{key}': a list of strings is expected.")
    return list(value)


def timestamp(d: dict[str, Any], key: str) -> datetime | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"Invalid input for field '{key}': a timestamp is expected.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(f"Invalid input for field '{key}': {value!r} is not an ISO 8601 "
                              "timestamp.") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def query_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValidationError(f"Invalid boolean in query: {value!r}.")


def extra(d: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """Keystone keeps attributes it does not know, and gives them back (e.g. `email`)."""
    return {k: v for k, v in d.items() if k not in known}


def iso(value: datetime | None) -> str | None:
    """Keystone's timestamp format: microseconds and a Z."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
