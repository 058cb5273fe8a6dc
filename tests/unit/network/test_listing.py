"""Neutron's list semantics on plain entities: filters, sorting, marker pages both ways."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from nuage.domain.errors import NotFound
from nuage.services.network.listing import ListQuery, page


@dataclass
class Thing:
    id: str
    name: str
    up: bool = True
    tags: list[str] = field(default_factory=list)
    fixed_ips: list[dict[str, str]] = field(default_factory=list)


THINGS = [Thing(f"id{i}", name, up=i % 2 == 0, tags=["t"] if i < 2 else [],
                fixed_ips=[{"ip_address": f"10.0.0.{i + 2}"}])
          for i, name in enumerate(["e", "a", "d", "b", "c"])]


def _names(q: ListQuery) -> list[str]:
    return [t.name for t in page(THINGS, q, "thing", 1000).items]


def test_filters_and_tags() -> None:
    assert _names(ListQuery(filters={"up": ("False",)}, sorts=(("name", True),))) == ["a", "b"]
    assert _names(ListQuery(filters={"name": ("a", "c")}, sorts=(("name", True),))) == [
        "a", "c"]
    assert _names(ListQuery(filters={"fixed_ips.ip_address": ("10.0.0.4",)})) == ["d"]
    assert _names(ListQuery(filters={"fixed_ips.ip_address_substr": ("10.0.0.",)},
                            sorts=(("name", True),))) == ["a", "b", "c", "d", "e"]
    assert _names(ListQuery(tags_all=("t",), sorts=(("name", True),))) == ["a", "e"]
    assert _names(ListQuery(not_tags_any=("t",), sorts=(("name", True),))) == ["b", "c", "d"]
    assert _names(ListQuery(filters={"nothing_like_it": ("x",)})) != []   # ignored


def test_sorting_is_stable_by_id_last() -> None:
    assert _names(ListQuery(sorts=(("name", False),))) == ["e", "d", "c", "b", "a"]
    assert _names(ListQuery(sorts=(("up", True), ("name", True)))) == [
        "a", "b", "c", "d", "e"]
    assert _names(ListQuery()) == ["e", "a", "d", "b", "c"]            # by id


def test_marker_pages_forward_and_back() -> None:
    by_name = (("name", True),)
    first = page(THINGS, ListQuery(sorts=by_name, limit=2), "thing", 1000)
    assert [t.name for t in first.items] == ["a", "b"]
    assert (first.has_next, first.has_previous) == (True, False)
    second = page(THINGS, ListQuery(sorts=by_name, limit=2, marker=first.items[-1].id),
                  "thing", 1000)
    assert [t.name for t in second.items] == ["c", "d"] and second.has_next
    back = page(THINGS, ListQuery(sorts=by_name, limit=2, marker=second.items[0].id,
                                  page_reverse=True), "thing", 1000)
    assert [t.name for t in back.items] == ["a", "b"]
    assert (back.has_next, back.has_previous) == (True, False)
    last = page(THINGS, ListQuery(sorts=by_name, limit=2, marker="id2"), "thing", 1000)
    assert [t.name for t in last.items] == ["e"] and not last.has_next
    capped = page(THINGS, ListQuery(limit=50), "thing", 3)
    assert len(capped.items) == 3 and capped.has_next
    with pytest.raises(NotFound):
        page(THINGS, ListQuery(marker="nope"), "thing", 1000)
