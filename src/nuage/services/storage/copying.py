"""CopyObject: read the source, write a new object, re-encrypted under its own data key.

Blobs are never shared between objects (a delete would otherwise need reference counts),
so a copy streams the bytes through: decrypt, re-encrypt, verify, commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from nuage.domain.context import RequestContext
from nuage.domain.storage import ObjectVersion
from nuage.domain.storage_errors import Fault, StorageError, StorageReason
from nuage.services.storage.incoming import Integrity, SseC, open_data_key
from nuage.services.storage.objects import NewObject, ObjectService, segments_reader
from nuage.services.storage.preconditions import Preconditions, check_read


@dataclass(frozen=True)
class CopySource:
    bucket: str
    key: str
    version_id: str | None = None
    conditions: Preconditions = field(default_factory=Preconditions)
    sse_c: SseC | None = None
    byte_range: tuple[int, int] | None = None   # for UploadPartCopy


def read_source(svc: ObjectService, ctx: RequestContext, src: CopySource
                ) -> tuple[ObjectVersion, bytes, str]:
    """The source version, its data key, and its project, after access and conditions."""
    with svc.p.uow() as uow:
        bucket = svc.bucket(uow, src.bucket)
        version = svc.find_readable(uow, ctx, bucket, src.key, src.version_id)
    check_read(src.conditions, version, copy_source=True)
    key = open_data_key(svc.p.keys, bucket.project_id, version.wrapped_key,
                        version.sse_c_key_md5, src.sse_c)
    return version, key, bucket.project_id


def copy_object(svc: ObjectService, ctx: RequestContext, src: CopySource, dest: NewObject,
                replace_metadata: bool, replace_tags: bool) -> tuple[ObjectVersion,
                                                                     ObjectVersion]:
    """Returns (source version, new version)."""
    source, data_key, _ = read_source(svc, ctx, src)
    same_place = (src.bucket, src.key) == (dest.bucket, dest.key) and src.version_id is None
    changes_encryption = (source.sse_c_key_md5 is not None) != (dest.sse_c is not None)
    if same_place and not replace_metadata and not changes_encryption:
        raise StorageError(Fault.INVALID_REQUEST, StorageReason.COPY_TO_ITSELF,
                           bucket=src.bucket, key=src.key)
    if not replace_metadata:
        dest = replace(dest, content_type=source.content_type, metadata=dict(source.metadata),
                       # An ACL is the copier's choice, never the source's (as in S3).
                       headers={**{k: v for k, v in source.headers.items()
                                   if k != "x-amz-acl"},
                                **{k: v for k, v in dest.headers.items() if k == "x-amz-acl"}})
    if not replace_tags:
        dest = replace(dest, tags=dict(source.tags))
    session = svc.begin_put(ctx, dest, Integrity(content_length=source.size))
    try:
        for piece in segments_reader(svc.p.blobs, source, data_key, 0, source.size - 1):
            session.incoming.write(piece)
    except BaseException:
        svc.abort_put(session)
        raise
    return source, svc.finish_put(ctx, session)
