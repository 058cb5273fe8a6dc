"""compute: microversion 2.73's lock reason (servers.locked_reason) and the reason a
host's nova-compute was disabled (compute_hosts.disabled_reason)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("servers") as batch_op:
        batch_op.add_column(sa.Column("locked_reason", sa.String(length=255), nullable=True))
    with op.batch_alter_table("compute_hosts") as batch_op:
        batch_op.add_column(sa.Column("disabled_reason", sa.String(length=255),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("compute_hosts") as batch_op:
        batch_op.drop_column("disabled_reason")
    with op.batch_alter_table("servers") as batch_op:
        batch_op.drop_column("locked_reason")
