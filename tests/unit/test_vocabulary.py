"""One authorization vocabulary and structured faults (issue 9, item 3), pinned.

- Who may do what is decided by rows of `domain/policy.py` only: no module elsewhere
  tests a role name.
- Services raise a fault code plus fields, never a sentence: the wire wording lives in each
  adapter's error table, and each table words every fault its API can meet.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import pytest

from nuage.domain import errors

SRC = Path(__file__).resolve().parents[2] / "src" / "nuage"
ROLE_NAMES = "admin|member|reader|service"
# `"member" in ctx.roles`, `role.name == "admin"`, `"reader" not in roles`, ...
ROLE_CHECK = re.compile(
    rf"""["'](?:{ROLE_NAMES})["']\s*(?:==|!=|\bnot\s+in\b|\bin\b)"""
    rf"""|(?:==|!=)\s*["'](?:{ROLE_NAMES})["']""")


def _modules(under: Path) -> Iterator[Path]:
    yield from sorted(under.rglob("*.py"))


AREAS = ["compute", "image", "storage", "identity", "network", "volume", "audit"]


def _in_area(path: Path, area: str) -> bool:
    """Which area a module belongs to, to let each be converted (and checked) alone."""
    rel = path.relative_to(SRC).as_posix()
    if area == "audit":
        return not any(_in_area(path, a) for a in AREAS if a != "audit")
    prefixes = {
        "compute": ("services/compute/", "api/openstack/compute/", "domain/compute",
                    "agent/"),
        "image": ("services/image/", "api/openstack/image/", "domain/image"),
        "storage": ("services/storage/", "api/s3/", "domain/storage", "domain/bucket_policy",
                    "workers/"),
        "identity": ("services/identity/", "api/openstack/identity/", "domain/identity",
                     "cli.py"),
        "network": ("services/network/", "api/openstack/network/", "domain/network"),
        "volume": ("services/volume/", "api/openstack/block_storage/", "domain/volume"),
    }[area]
    return rel.startswith(prefixes)


@pytest.mark.parametrize("area", AREAS)
def test_no_role_check_outside_the_policy_table(area: str) -> None:
    found = []
    for path in _modules(SRC):
        if not _in_area(path, area):
            continue
        if path == SRC / "domain" / "policy.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if ROLE_CHECK.search(code):
                found.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert not found, "role names tested outside domain/policy.py:\n" + "\n".join(found)


def _error_names() -> set[str]:
    names: set[str] = set()
    todo: list[type[errors.NuageError]] = [errors.NuageError]
    import nuage.bootstrap  # noqa: F401  (imports every error class)
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _not_found_names() -> set[str]:
    names: set[str] = set()
    todo: list[type[errors.NuageError]] = [errors.NotFound]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str))


@pytest.mark.parametrize("area", AREAS)
def test_services_raise_fault_codes_not_sentences(area: str) -> None:
    error_names = _error_names()
    not_found = _not_found_names()
    found = []
    for path in _modules(SRC / "services"):
        if not _in_area(path, area):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            if name not in error_names:
                continue
            # NotFound's positional arguments are the domain's noun and an identifier.
            args = [] if name in not_found else node.args
            if any(_is_text(a) for a in args):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: {name}(...)")
    assert not found, "errors raised with a sentence:\n" + "\n".join(found)


def _tables() -> list[tuple[str, dict[errors.FaultCode, errors.Wording],
                            list[type[errors.FaultCode]]]]:
    from nuage.api.openstack.block_storage import errors as cinder
    from nuage.api.openstack.compute import errors as nova
    from nuage.api.openstack.identity import errors as keystone
    from nuage.api.openstack.image import errors as glance
    from nuage.api.openstack.network import errors as neutron
    from nuage.api.s3 import errors as s3
    from nuage.domain.compute_errors import ComputeFault
    from nuage.domain.identity_errors import IdentityFault
    from nuage.domain.image_errors import ImageFault
    from nuage.domain.network_errors import NetworkFault
    from nuage.domain.storage_errors import StorageReason
    from nuage.domain.volume_errors import VolumeFault
    return [
        ("nova", nova.WORDING, [errors.CommonFault, ComputeFault]),
        ("keystone", keystone.WORDING, [errors.CommonFault, IdentityFault]),
        ("glance", glance.WORDING, [errors.CommonFault, ImageFault]),
        ("neutron", neutron.WORDING, [errors.CommonFault, NetworkFault]),
        ("s3", s3.WORDING, [errors.CommonFault, StorageReason]),
        ("cinder", cinder.WORDING, [errors.CommonFault, VolumeFault]),
    ]


@pytest.mark.parametrize("api", ["nova", "keystone", "glance", "neutron", "s3", "cinder"])
def test_each_error_table_words_every_fault_of_its_api(api: str) -> None:
    name, table, enums = next(t for t in _tables() if t[0] == api)
    missing = [f"{e.__name__}.{f.name}" for e in enums for f in e if f not in table]
    assert not missing, f"{name}'s error table has no wording for: {', '.join(missing)}"


def test_fault_codes_are_unique_across_areas() -> None:
    seen: dict[str, str] = {}
    todo: list[type[StrEnum]] = [errors.FaultCode]
    codes: list[tuple[str, str]] = []
    while todo:
        cls = todo.pop()
        codes.extend((f.value, cls.__name__) for f in cls)
        todo.extend(cls.__subclasses__())
    for value, owner in codes:
        assert value not in seen, f"{value} in both {seen[value]} and {owner}"
        seen[value] = owner
