"""The S3 routing table is total: a sub-resource nuage does not serve is refused with
NotImplemented for every method and level, never taken for the plain operation (issue 8:
`DELETE /bucket?metadataTable` deleted the bucket, `GET /bucket?policyStatus` listed it)."""

from __future__ import annotations

import itertools

import botocore.loaders
import pytest

from nuage.api.s3.app import BUCKET, OBJECT, ROUTES, SERVICE, SUBRESOURCES, operation
from nuage.domain.storage_errors import Fault, StorageError

METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE", "PATCH")
LEVELS = {SERVICE: (None, None), BUCKET: ("b", None), OBJECT: ("b", "k")}
# Query parameters of the model's request URIs that select an operation's variant, not a
# sub-resource: ListObjectsV2's `list-type`, SelectObjectContent's `select-type`.
NOT_SUBRESOURCES = {"list-type", "select-type"}


def model_operations() -> list[tuple[str, str, str, str]]:
    """(operation, method, level, sub-resource) for every S3 operation that names one."""
    model = botocore.loaders.Loader().load_service_model("s3", "service-2")
    out = []
    for name, op in model["operations"].items():
        method, uri = op["http"]["method"], op["http"]["requestUri"]
        path, _, query = uri.partition("?")
        level = OBJECT if "{Key+}" in path else (BUCKET if "{Bucket}" in path else SERVICE)
        for part in filter(None, query.split("&")):
            sub = part.split("=", 1)[0]
            if sub not in NOT_SUBRESOURCES:
                out.append((name, method, level, sub))
    return out


MODEL = model_operations()


def test_the_list_covers_every_subresource_of_the_s3_api() -> None:
    assert {sub for _, _, _, sub in MODEL} | {"uploadId"} <= SUBRESOURCES
    assert len(MODEL) > 80     # the model was read, not an empty list


def route(method: str, level: str, query: dict[str, str]) -> object:
    bucket, key = LEVELS[level]
    try:
        return operation(method, bucket, key, query)
    except StorageError as exc:
        return exc.fault


@pytest.mark.parametrize("sub", sorted(SUBRESOURCES))
def test_a_subresource_is_served_or_not_implemented(sub: str) -> None:
    plain = set(ROUTES.values())
    for method, level in itertools.product(METHODS, LEVELS):
        got = route(method, level, {sub: ""})
        served = ROUTES.get((method, level, sub))
        if served is not None:
            assert got is served
        else:
            assert got is Fault.NOT_IMPLEMENTED, (method, level, sub, got)
        # However the name is spelt and whatever comes with it.
        for variant in ({sub.upper(): ""}, {sub: "", "prefix": "x", "x-id": "Op"}):
            got = route(method, level, variant)
            assert got is served or got is Fault.NOT_IMPLEMENTED, (method, level, variant)
        assert got not in plain or got is served


@pytest.mark.parametrize(("op", "method", "level", "sub"), MODEL,
                         ids=[m[0] for m in MODEL])
def test_every_s3_operation_nuage_does_not_serve_is_not_implemented(
        op: str, method: str, level: str, sub: str) -> None:
    got = route(method, level, {sub: ""})
    assert got is ROUTES.get((method, level, sub)) or got is Fault.NOT_IMPLEMENTED, op
    assert got is not ROUTES.get((method, level, None)), op


def test_two_subresources_are_not_implemented() -> None:
    assert route("GET", BUCKET, {"acl": "", "policyStatus": ""}) is Fault.NOT_IMPLEMENTED
    assert route("DELETE", BUCKET, {"tagging": "", "metadataTable": ""}) is (
        Fault.NOT_IMPLEMENTED)
    assert route("PUT", OBJECT, {"uploadId": "u", "tagging": ""}) is Fault.NOT_IMPLEMENTED


def test_unknown_parameters_are_ignored_as_s3_does() -> None:
    assert route("GET", BUCKET, {"list-type": "2", "foo": "bar"}) is ROUTES[
        ("GET", BUCKET, None)]
    assert route("DELETE", BUCKET, {"foo": ""}) is ROUTES[("DELETE", BUCKET, None)]
    assert route("GET", OBJECT, {"x-id": "GetObject", "response-content-type": "a/b"}) is (
        ROUTES[("GET", OBJECT, None)])
    assert route("PATCH", OBJECT, {}) is Fault.METHOD_NOT_ALLOWED
