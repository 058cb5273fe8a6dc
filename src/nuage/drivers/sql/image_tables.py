"""Image schema (migration 0003): Glance images and their members."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from nuage.drivers.sql.types import ID, UtcDateTime, metadata

BIG = BigInteger().with_variant(Integer, "sqlite")

images = Table(
    "images", metadata,
    Column("id", String(36), primary_key=True),
    Column("owner", String(ID), nullable=False, index=True),
    Column("name", String(255), nullable=True),
    Column("status", String(16), nullable=False),
    Column("visibility", String(16), nullable=False, index=True),
    Column("protected", Boolean, nullable=False, default=False),
    Column("os_hidden", Boolean, nullable=False, default=False),
    Column("disk_format", String(16), nullable=True),
    Column("container_format", String(16), nullable=True),
    Column("min_ram", Integer, nullable=False, default=0),
    Column("min_disk", Integer, nullable=False, default=0),
    Column("size", BIG, nullable=True),
    Column("virtual_size", BIG, nullable=True),
    Column("checksum", String(32), nullable=True),
    Column("os_hash_algo", String(64), nullable=True),
    Column("os_hash_value", String(128), nullable=True),
    Column("tags", JSON, nullable=False),
    Column("properties", JSON, nullable=False),
    Column("blob_id", String(ID), nullable=True),
    Column("wrapped_key", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

image_members = Table(
    "image_members", metadata,
    Column("image_id", String(36), primary_key=True),
    Column("member_id", String(ID), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_image_members_member", "member_id", "status"),
)
