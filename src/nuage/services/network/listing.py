"""Neutron's list semantics over what a caller may see: filters by attribute, sorting,
marker paging in both directions.

The use cases first narrow to visible rows (that is the security decision); this module
only orders and cuts them, on domain attribute names (the adapter maps the wire's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from nuage.domain.errors import NotFound

T = TypeVar("T")


class Identified(Protocol):
    @property
    def id(self) -> str: ...


E = TypeVar("E", bound=Identified)


@dataclass(frozen=True)
class ListQuery:
    # attribute -> accepted values as the wire gives them (strings); "a.b" matches an
    # attribute holding a list of dicts when any element's "b" is one of the values, and
    # "a.b_substr" when any element's "b" contains one of them.
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Neutron's tags, tags-any, not-tags, not-tags-any.
    tags_all: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    not_tags_all: tuple[str, ...] = ()
    not_tags_any: tuple[str, ...] = ()
    # (attribute, ascending); the id always breaks ties last, so pages are stable.
    sorts: tuple[tuple[str, bool], ...] = ()
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    # More rows after the last item (a "next" link), before the first (a "previous" one).
    has_next: bool
    has_previous: bool


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _matches(item: Any, key: str, accepted: tuple[str, ...]) -> bool:
    wanted = {a.lower() if a.lower() in ("true", "false") else a for a in accepted}
    if "." in key:
        outer, inner = key.split(".", 1)
        elements = getattr(item, outer, []) or []
        if inner.endswith("_substr"):
            base = inner.removesuffix("_substr")
            return any(part in _text(e.get(base)) for e in elements for part in accepted)
        return any(_text(e.get(inner)) in wanted for e in elements)
    if not hasattr(item, key):
        return True           # an attribute this entity lacks filters nothing (as Neutron)
    value = getattr(item, key)
    if isinstance(value, list):
        # A list of ids (a port's security_groups): any of them matches.
        return any(_text(v) in wanted for v in value)
    return _text(value) in wanted


def _tagged(item: Any, q: ListQuery) -> bool:
    tags = set(getattr(item, "tags", []) or [])
    return ((not q.tags_all or set(q.tags_all) <= tags)
            and (not q.tags_any or bool(set(q.tags_any) & tags))
            and (not q.not_tags_all or not set(q.not_tags_all) <= tags)
            and (not q.not_tags_any or not set(q.not_tags_any) & tags))


def _sort_key(attr: str) -> Callable[[Any], tuple[bool, Any]]:
    def key(item: Any) -> tuple[bool, Any]:
        value = getattr(item, attr, None)
        if isinstance(value, list | dict):
            value = str(value)
        return (value is not None, value)
    return key


def sort_items(items: list[T], sorts: Sequence[tuple[str, bool]]) -> list[T]:
    keys = list(sorts) + ([] if any(a == "id" for a, _ in sorts) else [("id", True)])
    ordered = list(items)
    for attr, ascending in reversed(keys):          # stable sorts, last key first
        ordered.sort(key=_sort_key(attr), reverse=not ascending)
    return ordered


def page(items: list[E], q: ListQuery, kind: str, max_page: int) -> Page[E]:
    """Filter, sort and cut `items` (all visible to the caller) as Neutron does."""
    chosen = [i for i in items
              if all(_matches(i, k, v) for k, v in q.filters.items()) and _tagged(i, q)]
    ordered = sort_items(chosen, q.sorts)
    limit = None if q.limit is None or q.limit <= 0 else min(q.limit, max_page)
    start, end = 0, len(ordered)
    if q.marker is not None:
        ids = [i.id for i in ordered]
        if q.marker not in ids:
            raise NotFound(kind, q.marker)
        at = ids.index(q.marker)
        if q.page_reverse:
            end = at
        else:
            start = at + 1
    if limit is not None:
        if q.page_reverse:
            start = max(start, end - limit)
        else:
            end = min(end, start + limit)
    return Page(ordered[start:end], has_next=end < len(ordered), has_previous=start > 0)
