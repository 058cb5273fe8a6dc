"""Bucket operations and bucket configuration sub-resources."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from nuage.api.openstack.common.http import call
from nuage.api.s3 import xml
from nuage.api.s3.request import S3Request
from nuage.domain.storage import Bucket
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.services.storage.build import S3Services


def ok(body: bytes | None = None, status: int = 200,
       headers: dict[str, str] | None = None) -> Response:
    if body is None:
        return Response(b"", status_code=status, headers=headers)
    return Response(body, status_code=status, headers=headers, media_type="application/xml")


def owner(root: Any, project_id: str, tag: str = "Owner") -> None:
    el = xml.add(root, tag)
    xml.add(el, "ID", project_id)
    xml.add(el, "DisplayName", project_id)


def bucket_name(r: S3Request) -> str:
    assert r.bucket is not None
    return r.bucket


async def list_buckets(r: S3Request, s: S3Services) -> Response:
    buckets = await call(s.buckets.owned, r.ctx)
    root = xml.new("ListAllMyBucketsResult")
    owner(root, r.ctx.project_id or "")
    holder = xml.add(root, "Buckets")
    for b in buckets:
        el = xml.add(holder, "Bucket")
        xml.add(el, "Name", b.name)
        xml.add(el, "CreationDate", xml.timestamp(b.created_at))
        xml.add(el, "BucketRegion", b.region)
    return ok(xml.render(root))


async def create_bucket(r: S3Request, s: S3Services) -> Response:
    body = await r.small_body()
    region = None
    if body.strip():
        doc = xml.parse(body, "CreateBucketConfiguration")
        region = xml.text(doc, "LocationConstraint")
        if region in s.region_aliases:
            region = None
    lock = (r.header("x-amz-bucket-object-lock-enabled") or "").lower() == "true"
    bucket = await call(s.buckets.create, r.ctx, bucket_name(r), region, r.header("x-amz-acl"),
                        lock)
    return ok(headers={"Location": f"/{bucket.name}"})


async def delete_bucket(r: S3Request, s: S3Services) -> Response:
    await call(s.buckets.delete, r.ctx, bucket_name(r))
    return ok(status=204)


async def head_bucket(r: S3Request, s: S3Services) -> Response:
    bucket = await call(s.buckets.head, r.ctx, bucket_name(r))
    return ok(headers={"x-amz-bucket-region": bucket.region})


async def location(r: S3Request, s: S3Services) -> Response:
    region = await call(s.buckets.location, r.ctx, bucket_name(r))
    root = xml.new("LocationConstraint")
    root.text = region
    return ok(xml.render(root))


async def _get(r: S3Request, s: S3Services, action: str) -> Bucket:
    return await call(s.buckets.get, r.ctx, bucket_name(r), action)


async def get_versioning(r: S3Request, s: S3Services) -> Response:
    bucket = await _get(r, s, "s3:GetBucketVersioning")
    root = xml.new("VersioningConfiguration")
    if bucket.versioning:
        xml.add(root, "Status", bucket.versioning)
    return ok(xml.render(root))


async def put_versioning(r: S3Request, s: S3Services) -> Response:
    doc = xml.parse(await r.small_body(), "VersioningConfiguration")
    await call(s.buckets.set_versioning, r.ctx, bucket_name(r), xml.text(doc, "Status") or "")
    return ok()


async def get_policy(r: S3Request, s: S3Services) -> Response:
    bucket = await _get(r, s, "s3:GetBucketPolicy")
    if bucket.policy is None:
        raise StorageError(Fault.NO_SUCH_BUCKET_POLICY, StorageReason.POLICY_MISSING,
                           extra={"BucketName": bucket.name}, bucket=bucket.name)
    return Response(json.dumps(bucket.policy), media_type="application/json")


async def put_policy(r: S3Request, s: S3Services) -> Response:
    text = (await r.small_body()).decode("utf-8", "replace")
    await call(s.buckets.set_policy, r.ctx, bucket_name(r), text)
    return ok(status=204)


async def delete_policy(r: S3Request, s: S3Services) -> Response:
    await call(s.buckets.set_policy, r.ctx, bucket_name(r), None)
    return ok(status=204)


def acl_document(project_id: str, acl: str) -> bytes:
    root = xml.new("AccessControlPolicy")
    owner(root, project_id)
    grants = xml.add(root, "AccessControlList")

    def grant(grantee: dict[str, str], permission: str) -> None:
        g = xml.add(grants, "Grant")
        el = xml.add(g, "Grantee")
        el.set("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
        el.set("xsi:type", grantee["type"])
        for tag in ("ID", "DisplayName", "URI"):
            if tag in grantee:
                xml.add(el, tag, grantee[tag])
        xml.add(g, "Permission", permission)

    grant({"type": "CanonicalUser", "ID": project_id, "DisplayName": project_id},
          "FULL_CONTROL")
    everyone = {"type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}
    if acl in ("public-read", "public-read-write"):
        grant(everyone, "READ")
    if acl == "public-read-write":
        grant(everyone, "WRITE")
    if acl == "authenticated-read":
        grant({"type": "Group",
               "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}, "READ")
    return xml.render(root)


async def get_acl(r: S3Request, s: S3Services) -> Response:
    bucket = await _get(r, s, "s3:GetBucketAcl")
    return ok(acl_document(bucket.project_id, bucket.acl))


async def put_acl(r: S3Request, s: S3Services) -> Response:
    acl = r.header("x-amz-acl")
    if acl is None:
        body = await r.small_body()
        acl = acl_from_document(body)
    await call(s.buckets.set_acl, r.ctx, bucket_name(r), acl)
    return ok()


def acl_from_document(body: bytes) -> str:
    """Only the canned ACLs are supported; a grant document is read back into one."""
    doc = xml.parse(body, "AccessControlPolicy")
    uris = {el.text for el in doc.iter("URI")}
    perms = [(g.find("Grantee"), xml.text(g, "Permission")) for g in doc.iter("Grant")]
    everyone = "http://acs.amazonaws.com/groups/global/AllUsers"
    if everyone in uris:
        writes = any(p == "WRITE" and g is not None and xml.text(g, "URI") == everyone
                     for g, p in perms)
        return "public-read-write" if writes else "public-read"
    if "http://acs.amazonaws.com/groups/global/AuthenticatedUsers" in uris:
        return "authenticated-read"
    return "private"


def tag_document(tags: dict[str, str]) -> bytes:
    root = xml.new("Tagging")
    holder = xml.add(root, "TagSet")
    for key, value in tags.items():
        tag = xml.add(holder, "Tag")
        xml.add(tag, "Key", key)
        xml.add(tag, "Value", value)
    return xml.render(root)


def tags_from_document(body: bytes) -> dict[str, str]:
    doc = xml.parse(body, "Tagging")
    tags: dict[str, str] = {}
    for tag in doc.iter("Tag"):
        key = xml.required(tag, "Key")
        if key in tags:
            raise StorageError(Fault.INVALID_TAG, StorageReason.TAG_DUPLICATE, key=key)
        tags[key] = xml.text(tag, "Value") or ""
    return tags


async def get_tagging(r: S3Request, s: S3Services) -> Response:
    bucket = await _get(r, s, "s3:GetBucketTagging")
    if not bucket.tags:
        raise StorageError(Fault.NO_SUCH_TAG_SET, StorageReason.TAG_SET_MISSING,
                           extra={"BucketName": bucket.name}, bucket=bucket.name)
    return ok(tag_document(bucket.tags))


async def put_tagging(r: S3Request, s: S3Services) -> Response:
    tags = tags_from_document(await r.small_body())
    await call(s.buckets.set_tags, r.ctx, bucket_name(r), tags)
    return ok(status=204)


async def delete_tagging(r: S3Request, s: S3Services) -> Response:
    await call(s.buckets.set_tags, r.ctx, bucket_name(r), {})
    return ok(status=204)


async def get_encryption(r: S3Request, s: S3Services) -> Response:
    """Encryption at rest is always on: every bucket reports SSE with AES-256."""
    await _get(r, s, "s3:GetEncryptionConfiguration")
    root = xml.new("ServerSideEncryptionConfiguration")
    rule = xml.add(root, "Rule")
    default = xml.add(rule, "ApplyServerSideEncryptionByDefault")
    xml.add(default, "SSEAlgorithm", "AES256")
    xml.add(rule, "BucketKeyEnabled", False)
    return ok(xml.render(root))
