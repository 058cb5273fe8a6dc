"""compute microversions 2.2 to 2.26: server description, lock, extended attributes, and
forced-down hosts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 22:45:00

Server tags (2.26) need no change: they have been stored in servers.tags (JSON) since
0004; lists filter them in the service like every other server filter.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Defaults on the server side so that existing rows get a value; batch mode makes the
    # same code work on SQLite, which cannot alter a table in place.
    with op.batch_alter_table("servers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("locked_by", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("reservation_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("launch_index", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("hostname", sa.String(length=255), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("kernel_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("ramdisk_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("compute_hosts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forced_down", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("compute_hosts", schema=None) as batch_op:
        batch_op.drop_column("forced_down")
    with op.batch_alter_table("servers", schema=None) as batch_op:
        batch_op.drop_column("ramdisk_id")
        batch_op.drop_column("kernel_id")
        batch_op.drop_column("hostname")
        batch_op.drop_column("launch_index")
        batch_op.drop_column("reservation_id")
        batch_op.drop_column("locked_by")
        batch_op.drop_column("description")
