"""CORS, lifecycle and object-lock configuration of a bucket."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nuage.api.openstack.common.http import call
from nuage.api.s3 import xml
from nuage.api.s3.buckets import _get, bucket_name, ok
from nuage.api.s3.request import S3Request
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.services.storage.build import S3Services


async def get_cors(r: S3Request, s: S3Services) -> Response:
    bucket = await _get(r, s, "s3:GetBucketCORS")
    if not bucket.cors:
        raise StorageError(Fault.NO_SUCH_CORS, StorageReason.CORS_MISSING,
                           extra={"BucketName": bucket.name}, bucket=bucket.name)
    root = xml.new("CORSConfiguration")
    for rule in bucket.cors:
        el = xml.add(root, "CORSRule")
        if rule.get("ID"):
            xml.add(el, "ID", rule["ID"])
        for tag, key in (("AllowedHeader", "AllowedHeaders"), ("AllowedMethod", "AllowedMethods"),
                         ("AllowedOrigin", "AllowedOrigins"), ("ExposeHeader", "ExposeHeaders")):
            for value in rule.get(key, []):
                xml.add(el, tag, value)
        if rule.get("MaxAgeSeconds") is not None:
            xml.add(el, "MaxAgeSeconds", rule["MaxAgeSeconds"])
    return ok(xml.render(root))


async def put_cors(r: S3Request, s: S3Services) -> Response:
    doc = xml.parse(await r.small_body(), "CORSConfiguration")
    rules: list[dict[str, Any]] = []
    for el in doc.iter("CORSRule"):
        rule: dict[str, Any] = {
            "AllowedHeaders": [e.text or "" for e in el.iter("AllowedHeader")],
            "AllowedMethods": [e.text or "" for e in el.iter("AllowedMethod")],
            "AllowedOrigins": [e.text or "" for e in el.iter("AllowedOrigin")],
            "ExposeHeaders": [e.text or "" for e in el.iter("ExposeHeader")],
        }
        if xml.text(el, "ID"):
            rule["ID"] = xml.text(el, "ID")
        max_age = xml.integer(el, "MaxAgeSeconds")
        if max_age is not None:
            rule["MaxAgeSeconds"] = max_age
        rules.append(rule)
    await call(s.buckets.set_cors, r.ctx, bucket_name(r), rules)
    return ok()


async def delete_cors(r: S3Request, s: S3Services) -> Response:
    await call(s.buckets.set_cors, r.ctx, bucket_name(r), None)
    return ok(status=204)


def _days(el: Any, tag: str) -> dict[str, Any] | None:
    found = el.find(tag)
    if found is None:
        return None
    out: dict[str, Any] = {}
    for key in ("Days", "NoncurrentDays", "DaysAfterInitiation", "NewerNoncurrentVersions"):
        value = xml.integer(found, key)
        if value is not None:
            out[key] = value
    if xml.text(found, "Date"):
        out["Date"] = xml.text(found, "Date")
    if xml.text(found, "ExpiredObjectDeleteMarker"):
        out["ExpiredObjectDeleteMarker"] = xml.text(found, "ExpiredObjectDeleteMarker") == "true"
    return out


async def get_lifecycle(r: S3Request, s: S3Services) -> Response:
    bucket = await _get(r, s, "s3:GetLifecycleConfiguration")
    if not bucket.lifecycle:
        raise StorageError(Fault.NO_SUCH_LIFECYCLE, StorageReason.LIFECYCLE_MISSING,
                           extra={"BucketName": bucket.name}, bucket=bucket.name)
    root = xml.new("LifecycleConfiguration")
    for rule in bucket.lifecycle:
        el = xml.add(root, "Rule")
        if rule.get("ID"):
            xml.add(el, "ID", rule["ID"])
        flt = xml.add(el, "Filter")
        xml.add(flt, "Prefix", rule.get("Prefix", ""))
        xml.add(el, "Status", rule["Status"])
        for action in ("Expiration", "NoncurrentVersionExpiration",
                       "AbortIncompleteMultipartUpload"):
            if rule.get(action):
                a = xml.add(el, action)
                for key, value in rule[action].items():
                    xml.add(a, key, value)
    return ok(xml.render(root))


async def put_lifecycle(r: S3Request, s: S3Services) -> Response:
    doc = xml.parse(await r.small_body(), "LifecycleConfiguration")
    rules: list[dict[str, Any]] = []
    for el in doc.iter("Rule"):
        prefix = xml.text(el, "Prefix")
        flt = el.find("Filter")
        if flt is not None:
            both = flt.find("And")
            prefix = xml.text(flt, "Prefix") or (
                xml.text(both, "Prefix") if both is not None else None)
        rule: dict[str, Any] = {"ID": xml.text(el, "ID"), "Prefix": prefix or "",
                                "Status": xml.text(el, "Status")}
        for action in ("Expiration", "NoncurrentVersionExpiration",
                       "AbortIncompleteMultipartUpload"):
            value = _days(el, action)
            if value is not None:
                rule[action] = value
        rules.append(rule)
    await call(s.buckets.set_lifecycle, r.ctx, bucket_name(r), rules)
    return ok()


async def delete_lifecycle(r: S3Request, s: S3Services) -> Response:
    await call(s.buckets.set_lifecycle, r.ctx, bucket_name(r), None)
    return ok(status=204)


async def get_object_lock(r: S3Request, s: S3Services) -> Response:
    bucket = await _get(r, s, "s3:GetBucketObjectLockConfiguration")
    if not bucket.object_lock:
        raise StorageError(Fault.NO_OBJECT_LOCK_CONFIG, StorageReason.LOCK_CONFIG_MISSING,
                           extra={"BucketName": bucket.name}, bucket=bucket.name)
    root = xml.new("ObjectLockConfiguration")
    xml.add(root, "ObjectLockEnabled", "Enabled")
    if bucket.default_retention:
        rule = xml.add(root, "Rule")
        ret = xml.add(rule, "DefaultRetention")
        xml.add(ret, "Mode", bucket.default_retention["mode"])
        if bucket.default_retention.get("days"):
            xml.add(ret, "Days", bucket.default_retention["days"])
        if bucket.default_retention.get("years"):
            xml.add(ret, "Years", bucket.default_retention["years"])
    return ok(xml.render(root))


async def put_object_lock(r: S3Request, s: S3Services) -> Response:
    doc = xml.parse(await r.small_body(), "ObjectLockConfiguration")
    enabled = xml.text(doc, "ObjectLockEnabled") == "Enabled"
    retention = None
    found = doc.find("Rule/DefaultRetention")
    if found is not None:
        retention = {"mode": xml.text(found, "Mode"), "days": xml.integer(found, "Days"),
                     "years": xml.integer(found, "Years")}
        retention = {k: v for k, v in retention.items() if v is not None}
    await call(s.buckets.set_object_lock, r.ctx, bucket_name(r), enabled, retention)
    return ok()
