"""ListObjects (v1, v2), ListObjectVersions, ListMultipartUploads, ListParts."""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from typing import Any

from starlette.responses import Response

from nuage.api.openstack.common.http import call
from nuage.api.s3 import xml
from nuage.api.s3.buckets import bucket_name, ok, owner
from nuage.api.s3.request import S3Request
from nuage.domain.storage import NULL_VERSION, ObjectVersion
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.services.storage.build import S3Services


def _int(r: S3Request, name: str, default: int) -> int:
    raw = r.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.LIST_ARGUMENT_NOT_INTEGER,
                           extra={"ArgumentName": name, "ArgumentValue": raw},
                           name=name) from exc
    if value < 0:
        raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.LIST_ARGUMENT_NEGATIVE,
                           extra={"ArgumentName": name, "ArgumentValue": raw}, name=name)
    return value


def _encoder(r: S3Request) -> Any:
    kind = r.query.get("encoding-type")
    if kind is None:
        return lambda text: text
    if kind != "url":
        raise StorageError(Fault.INVALID_ARGUMENT, StorageReason.ENCODING_TYPE_INVALID,
                           extra={"ArgumentName": "encoding-type"})
    return lambda text: urllib.parse.quote(text, safe="/") if text is not None else None


def _object(parent: Any, v: ObjectVersion, enc: Any, tag: str = "Contents",
            with_owner: bool = True, project_id: str = "") -> Any:
    el = xml.add(parent, tag)
    xml.add(el, "Key", enc(v.key))
    xml.add(el, "LastModified", xml.timestamp(v.created_at))
    xml.add(el, "ETag", f'"{v.etag}"')
    xml.add(el, "Size", v.size)
    xml.add(el, "StorageClass", "STANDARD")
    for alg in v.checksums:
        xml.add(el, "ChecksumAlgorithm", alg)
    if with_owner:
        owner(el, project_id)
    return el


async def list_objects(r: S3Request, s: S3Services) -> Response:
    v2 = r.query.get("list-type") == "2"
    enc = _encoder(r)
    prefix = r.query.get("prefix", "")
    delimiter = r.query.get("delimiter") or None
    max_keys = _int(r, "max-keys", 1000)
    if v2:
        token = r.query.get("continuation-token")
        after = r.query.get("start-after") or None
        if token is not None:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
                raise StorageError(Fault.INVALID_ARGUMENT,
                                   StorageReason.CONTINUATION_TOKEN_INVALID,
                                   extra={"ArgumentName": "continuation-token"}) from exc
    else:
        after = r.query.get("marker") or None
    bucket = bucket_name(r)
    listing = await call(s.listing.list_objects, r.ctx, bucket, prefix, delimiter, after,
                         max_keys)
    root = xml.new("ListBucketResult")
    xml.add(root, "Name", bucket)
    xml.add(root, "Prefix", enc(prefix))
    if v2:
        if "continuation-token" in r.query:
            xml.add(root, "ContinuationToken", r.query["continuation-token"])
        if "start-after" in r.query:
            xml.add(root, "StartAfter", enc(r.query["start-after"]))
        xml.add(root, "KeyCount", len(listing.objects) + len(listing.prefixes))
    else:
        xml.add(root, "Marker", enc(r.query.get("marker", "")))
    xml.add(root, "MaxKeys", max_keys)
    if delimiter:
        xml.add(root, "Delimiter", enc(delimiter))
    if "encoding-type" in r.query:
        xml.add(root, "EncodingType", "url")
    xml.add(root, "IsTruncated", listing.truncated)
    if listing.truncated and listing.last is not None:
        if v2:
            xml.add(root, "NextContinuationToken",
                    base64.urlsafe_b64encode(listing.last.encode()).decode())
        elif delimiter:
            xml.add(root, "NextMarker", enc(listing.last))
    fetch_owner = not v2 or r.query.get("fetch-owner") == "true"
    project = r.ctx.project_id or ""
    for v in listing.objects:
        _object(root, v, enc, with_owner=fetch_owner, project_id=project)
    for p in listing.prefixes:
        xml.add(xml.add(root, "CommonPrefixes"), "Prefix", enc(p))
    return ok(xml.render(root))


async def list_versions(r: S3Request, s: S3Services) -> Response:
    enc = _encoder(r)
    prefix = r.query.get("prefix", "")
    delimiter = r.query.get("delimiter") or None
    max_keys = _int(r, "max-keys", 1000)
    key_marker = r.query.get("key-marker") or None
    version_marker = r.query.get("version-id-marker") or None
    bucket = bucket_name(r)
    listing = await call(s.listing.list_versions, r.ctx, bucket, prefix, delimiter, key_marker,
                         version_marker, max_keys)
    root = xml.new("ListVersionsResult")
    xml.add(root, "Name", bucket)
    xml.add(root, "Prefix", enc(prefix))
    xml.add(root, "KeyMarker", enc(key_marker or ""))
    xml.add(root, "VersionIdMarker", version_marker or "")
    xml.add(root, "MaxKeys", max_keys)
    if delimiter:
        xml.add(root, "Delimiter", enc(delimiter))
    if "encoding-type" in r.query:
        xml.add(root, "EncodingType", "url")
    xml.add(root, "IsTruncated", listing.truncated)
    if listing.truncated and listing.last is not None:
        xml.add(root, "NextKeyMarker", enc(listing.last))
        if listing.next_version_id:
            xml.add(root, "NextVersionIdMarker", listing.next_version_id)
    project = r.ctx.project_id or ""
    for v in listing.objects:
        if v.delete_marker:
            el = xml.add(root, "DeleteMarker")
            xml.add(el, "Key", enc(v.key))
            xml.add(el, "VersionId", v.version_id)
            xml.add(el, "IsLatest", v.is_latest)
            xml.add(el, "LastModified", xml.timestamp(v.created_at))
            owner(el, project)
        else:
            el = xml.add(root, "Version")
            xml.add(el, "Key", enc(v.key))
            xml.add(el, "VersionId", v.version_id if v.version_id else NULL_VERSION)
            xml.add(el, "IsLatest", v.is_latest)
            xml.add(el, "LastModified", xml.timestamp(v.created_at))
            xml.add(el, "ETag", f'"{v.etag}"')
            xml.add(el, "Size", v.size)
            xml.add(el, "StorageClass", "STANDARD")
            owner(el, project)
    for p in listing.prefixes:
        xml.add(xml.add(root, "CommonPrefixes"), "Prefix", enc(p))
    return ok(xml.render(root))


async def list_uploads(r: S3Request, s: S3Services) -> Response:
    enc = _encoder(r)
    prefix = r.query.get("prefix", "")
    max_uploads = _int(r, "max-uploads", 1000)
    key_marker = r.query.get("key-marker") or None
    id_marker = r.query.get("upload-id-marker") or None
    bucket = bucket_name(r)
    uploads, truncated = await call(s.multipart.uploads, r.ctx, bucket, prefix, key_marker,
                                    id_marker, max_uploads)
    root = xml.new("ListMultipartUploadsResult")
    xml.add(root, "Bucket", bucket)
    xml.add(root, "KeyMarker", enc(key_marker or ""))
    xml.add(root, "UploadIdMarker", id_marker or "")
    xml.add(root, "Prefix", enc(prefix))
    if uploads and truncated:
        xml.add(root, "NextKeyMarker", enc(uploads[-1].key))
        xml.add(root, "NextUploadIdMarker", uploads[-1].upload_id)
    xml.add(root, "MaxUploads", max_uploads)
    xml.add(root, "IsTruncated", truncated)
    for u in uploads:
        el = xml.add(root, "Upload")
        xml.add(el, "Key", enc(u.key))
        xml.add(el, "UploadId", u.upload_id)
        owner(el, u.project_id, "Initiator")
        owner(el, u.project_id)
        xml.add(el, "StorageClass", "STANDARD")
        xml.add(el, "Initiated", xml.timestamp(u.initiated_at))
        if u.checksum_algorithm:
            xml.add(el, "ChecksumAlgorithm", u.checksum_algorithm)
    return ok(xml.render(root))


async def list_parts(r: S3Request, s: S3Services) -> Response:
    assert r.key is not None
    marker = _int(r, "part-number-marker", 0)
    max_parts = _int(r, "max-parts", 1000)
    upload, parts, truncated = await call(s.multipart.parts, r.ctx, bucket_name(r), r.key,
                                          r.query["uploadId"], marker, max_parts)
    root = xml.new("ListPartsResult")
    xml.add(root, "Bucket", upload.bucket)
    xml.add(root, "Key", upload.key)
    xml.add(root, "UploadId", upload.upload_id)
    owner(root, upload.project_id, "Initiator")
    owner(root, upload.project_id)
    xml.add(root, "StorageClass", "STANDARD")
    xml.add(root, "PartNumberMarker", marker)
    if parts:
        xml.add(root, "NextPartNumberMarker", parts[-1].part_number)
    xml.add(root, "MaxParts", max_parts)
    xml.add(root, "IsTruncated", truncated)
    if upload.checksum_algorithm:
        xml.add(root, "ChecksumAlgorithm", upload.checksum_algorithm)
    for p in parts:
        el = xml.add(root, "Part")
        xml.add(el, "PartNumber", p.part_number)
        xml.add(el, "LastModified", xml.timestamp(p.created_at))
        xml.add(el, "ETag", f'"{p.etag}"')
        xml.add(el, "Size", p.size)
        for alg, value in p.checksums.items():
            xml.add(el, f"Checksum{alg}", value)
    return ok(xml.render(root))
