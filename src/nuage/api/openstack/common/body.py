"""Reading and checking JSON request bodies: shape errors become ValidationError (400)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from nuage.domain.errors import ValidationError

MAX_BODY = 1 << 20


async def json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ValidationError("Request body too large.")
    if not raw.strip():
        raise ValidationError("The request body is empty: a JSON object is expected.")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ValidationError(f"Malformed JSON in the request body: {exc}.") from exc
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
