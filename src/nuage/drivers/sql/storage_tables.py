"""Object storage schema (migration 0002)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from nuage.drivers.sql.types import ID, UtcDateTime, metadata

# S3 orders keys by their UTF-8 bytes. SQLite compares text that way already; PostgreSQL
# must be told, or the database's locale would reorder listings.
KEY = String(1024).with_variant(String(1024, collation="C"), "postgresql")
BIG = BigInteger().with_variant(Integer, "sqlite")

buckets = Table(
    "buckets", metadata,
    Column("name", String(63).with_variant(String(63, collation="C"), "postgresql"),
           primary_key=True),
    Column("project_id", String(ID), nullable=False, index=True),
    Column("owner_user_id", String(ID), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("region", String(255), nullable=False),
    Column("versioning", String(16), nullable=False, default=""),
    Column("object_lock", Boolean, nullable=False, default=False),
    Column("acl", String(32), nullable=False, default="private"),
    Column("policy", JSON, nullable=True),
    Column("cors", JSON, nullable=True),
    Column("lifecycle", JSON, nullable=True),
    Column("tags", JSON, nullable=False),
    Column("default_retention", JSON, nullable=True),
)

object_versions = Table(
    "object_versions", metadata,
    Column("id", String(ID), primary_key=True),
    Column("bucket", buckets.c.name.type, nullable=False),
    Column("key", KEY, nullable=False),
    Column("version_id", String(64), nullable=False),
    Column("is_latest", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delete_marker", Boolean, nullable=False, default=False),
    Column("size", BIG, nullable=False, default=0),
    Column("etag", String(64), nullable=False, default=""),
    Column("content_type", String(255), nullable=True),
    Column("headers", JSON, nullable=False),
    Column("metadata", JSON, nullable=False),
    Column("checksums", JSON, nullable=False),
    Column("segments", JSON, nullable=False),
    Column("wrapped_key", Text, nullable=False, default=""),
    Column("sse_c_key_md5", String(64), nullable=True),
    Column("parts_count", Integer, nullable=True),
    Column("part_sizes", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("retention_mode", String(16), nullable=True),
    Column("retain_until", UtcDateTime, nullable=True),
    Column("legal_hold", Boolean, nullable=False, default=False),
    Column("owner_user_id", String(ID), nullable=True),
    UniqueConstraint("bucket", "key", "version_id", name="uq_object_versions_bucket_key_version"),
    Index("ix_object_versions_listing", "bucket", "is_latest", "key"),
    Index("ix_object_versions_key", "bucket", "key", "created_at"),
)

multipart_uploads = Table(
    "multipart_uploads", metadata,
    Column("upload_id", String(64), primary_key=True),
    Column("bucket", buckets.c.name.type, nullable=False),
    Column("key", KEY, nullable=False),
    Column("project_id", String(ID), nullable=False),
    Column("initiated_at", UtcDateTime, nullable=False),
    Column("wrapped_key", Text, nullable=False),
    Column("owner_user_id", String(ID), nullable=True),
    Column("content_type", String(255), nullable=True),
    Column("headers", JSON, nullable=False),
    Column("metadata", JSON, nullable=False),
    Column("sse_c_key_md5", String(64), nullable=True),
    Column("checksum_algorithm", String(16), nullable=True),
    Column("tags", JSON, nullable=False),
    Column("retention_mode", String(16), nullable=True),
    Column("retain_until", UtcDateTime, nullable=True),
    Column("legal_hold", Boolean, nullable=False, default=False),
    Index("ix_multipart_uploads_bucket_key", "bucket", "key"),
)

upload_parts = Table(
    "upload_parts", metadata,
    Column("upload_id", String(64), primary_key=True),
    Column("part_number", Integer, primary_key=True),
    Column("blob_id", String(64), nullable=False),
    Column("size", BIG, nullable=False),
    Column("etag", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("checksums", JSON, nullable=False),
)

storage_quotas = Table(
    "storage_quotas", metadata,
    Column("project_id", String(ID), primary_key=True),
    Column("max_buckets", BIG, nullable=False, default=-1),
    Column("max_objects", BIG, nullable=False, default=-1),
    Column("max_bytes", BIG, nullable=False, default=-1),
)

# Blobs whose metadata is gone (an overwrite or a delete committed): the collector deletes
# them after the transaction that orphaned them has committed. Written in that transaction,
# so a crash between commit and unlink loses nothing and leaks nothing.
garbage_blobs = Table(
    "garbage_blobs", metadata,
    Column("blob_id", String(64), primary_key=True),
    Column("queued_at", UtcDateTime, nullable=False),
)

metering_events = Table(
    "metering_events", metadata,
    Column("seq", BIG, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("at", UtcDateTime, nullable=False),
    Column("project_id", String(ID), nullable=False),
    Column("metric", String(64), nullable=False),
    Column("value", BIG, nullable=False),
    Column("resource", String(1100), nullable=True),
    Index("ix_metering_events_project_at", "project_id", "at"),
)
