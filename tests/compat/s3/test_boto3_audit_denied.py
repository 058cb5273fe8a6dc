"""Issue 8: every refused S3 operation on an existing bucket leaves a `denied` audit event
in the bucket owner's project (denied PutObject and CopyObject into another project's
bucket left none), for another project's member and for anonymous requests."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.compat.s3.conftest import S3Tenant, unique_bucket
from tests.support.live import LiveNuage

pytestmark = pytest.mark.compat


def denied_events(identity: Any, live: LiveNuage, project_id: str) -> list[dict[str, Any]]:
    events = httpx.get(f"{live.base_url}/audit/v1/events",
                       params={"project_id": project_id, "limit": "1000"},
                       headers={"X-Auth-Token": identity.token}).json()["events"]
    return [e for e in events if e["outcome"] == "denied"]


def refused(call: Any, **kwargs: Any) -> None:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, info.value


def test_denied_operations_are_audited(identity: Any, live_nuage: LiveNuage,
                                       tenant_b: S3Tenant, s3_b: BaseClient) -> None:
    owner = identity.tenant("den")
    s3 = owner.client()
    name = unique_bucket("den")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="doc", Body=b"x")
    upload = s3.create_multipart_upload(Bucket=name, Key="mp")["UploadId"]
    own = unique_bucket("b-own")
    s3_b.create_bucket(Bucket=own)
    s3_b.put_object(Bucket=own, Key="src", Body=b"b's")
    # (audited action, its target in A's bucket, the refused call)
    attempts: list[tuple[str, str, Any, dict[str, Any]]] = [
        ("storage.PutObject", "/in", s3_b.put_object, {"Bucket": name, "Key": "in",
                                                       "Body": b"x"}),
        ("storage.PutObject", "/in2", s3_b.copy_object, {
            "Bucket": name, "Key": "in2", "CopySource": {"Bucket": own, "Key": "src"}}),
        ("storage.GetObject", "/doc", s3_b.copy_object, {
            "Bucket": own, "Key": "out", "CopySource": {"Bucket": name, "Key": "doc"}}),
        ("storage.GetObject", "/doc", s3_b.get_object, {"Bucket": name, "Key": "doc"}),
        ("storage.GetObject", "/doc", s3_b.head_object, {"Bucket": name, "Key": "doc"}),
        ("storage.ListBucket", "", s3_b.list_objects_v2, {"Bucket": name}),
        ("storage.DeleteObject", "/doc", s3_b.delete_object, {"Bucket": name, "Key": "doc"}),
        ("storage.DeleteBucket", "", s3_b.delete_bucket, {"Bucket": name}),
        ("storage.PutBucketPolicy", "", s3_b.put_bucket_policy, {
            "Bucket": name, "Policy": json.dumps({"Statement": []})}),
        ("storage.GetObjectTagging", "/doc", s3_b.get_object_tagging, {"Bucket": name,
                                                                       "Key": "doc"}),
        ("storage.PutObject", "/mp2", s3_b.create_multipart_upload, {"Bucket": name,
                                                                     "Key": "mp2"}),
        ("storage.PutObject", "/mp", s3_b.upload_part, {
            "Bucket": name, "Key": "mp", "UploadId": upload, "PartNumber": 1, "Body": b"p"}),
        ("storage.AbortMultipartUpload", "/mp", s3_b.abort_multipart_upload, {
            "Bucket": name, "Key": "mp", "UploadId": upload}),
    ]
    for _, _, call, kwargs in attempts:
        refused(call, **kwargs)
    out = s3_b.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "doc"}]})
    assert [e["Code"] for e in out["Errors"]] == ["AccessDenied"]
    assert httpx.put(f"{owner.url}/{name}/anon", content=b"x").status_code == 403
    assert httpx.get(f"{owner.url}/{name}/doc").status_code == 403

    events = denied_events(identity, live_nuage, owner.project_id)
    by_b = [(e["action"], e["target"]["id"]) for e in events
            if e["actor"]["project_id"] == tenant_b.project_id]
    for action, target, call, _ in attempts:
        assert (action, name + target) in by_b, (action, target, call, by_b)
    assert ("storage.DeleteObject", f"{name}/doc") in by_b
    anonymous = [(e["action"], e["target"]["id"]) for e in events
                 if e["actor"]["project_id"] is None]
    assert ("storage.PutObject", f"{name}/anon") in anonymous
    assert ("storage.GetObject", f"{name}/doc") in anonymous
    # Nothing was recorded in B's own trail for A's bucket.
    assert all(name not in json.dumps(e) for e in denied_events(
        identity, live_nuage, tenant_b.project_id))
