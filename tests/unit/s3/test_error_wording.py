"""S3's wording of each storage fault quotes only fields that every raise site gives.

A StorageError names its case (a StorageReason) and carries fields; api/s3/errors.py words it.
A template naming a field some raise site does not pass would fail only when that error is
answered: every raise site is read here, and its reason worded with the fields it passes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from nuage.api.s3.errors import WORDING
from nuage.domain.errors import NuageError
from nuage.domain.storage_errors import Fault, StorageError, StorageReason

SRC = Path(__file__).resolve().parents[3] / "src" / "nuage"
# StorageError's own keywords: S3 error elements, not fields the wording may quote.
NOT_FIELDS = {"resource", "extra"}


def _raise_sites() -> list[tuple[str, StorageReason, frozenset[str]]]:
    sites = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            for arg in node.args:
                if (isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name)
                        and arg.value.id == "StorageReason"):
                    fields = frozenset(k.arg for k in node.keywords
                                       if k.arg is not None and k.arg not in NOT_FIELDS)
                    where = f"{path.relative_to(SRC)}:{node.lineno}"
                    sites.append((where, StorageReason[arg.attr], fields))
    return sites


SITES = _raise_sites()


def test_raise_sites_are_found() -> None:
    assert len(SITES) > 100


@pytest.mark.parametrize(("where", "reason", "fields"), SITES,
                         ids=[f"{w}-{r.name}" for w, r, _ in SITES])
def test_each_raise_site_can_be_worded(where: str, reason: StorageReason,
                                       fields: frozenset[str]) -> None:
    error = NuageError(reason, **{name: "x" for name in fields})
    worded = error.worded(WORDING)
    assert worded and worded != error.message, where


def test_a_storage_error_is_worded_by_its_reason_and_keeps_its_s3_code() -> None:
    exc = StorageError(Fault.INVALID_ARGUMENT, StorageReason.ACL_UNSUPPORTED,
                       extra={"ArgumentName": "x-amz-acl"}, acl="public")
    assert exc.fault is Fault.INVALID_ARGUMENT and exc.reason is StorageReason.ACL_UNSUPPORTED
    assert exc.worded(WORDING) == "Unsupported canned ACL: public"
    assert exc.message == "bucket.acl_unsupported (acl=public)"
    assert exc.extra == {"ArgumentName": "x-amz-acl"}
