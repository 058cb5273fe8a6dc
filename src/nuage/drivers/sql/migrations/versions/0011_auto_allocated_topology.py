"""auto-allocated topology: the default external network (networks.is_default) and each
project's auto-allocated network and router

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_default", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # A cloud with exactly one external network (the seeded "public") has its default
    # already: auto-allocation works after the upgrade as on a new cloud.
    op.execute("UPDATE networks SET is_default = TRUE WHERE external = TRUE AND "
               "(SELECT COUNT(*) FROM networks WHERE external = TRUE) = 1")
    op.create_table(
        "auto_allocated_topologies",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("network_id", sa.String(length=36), nullable=False),
        sa.Column("router_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_auto_allocated_topologies")),
        sa.UniqueConstraint("network_id",
                            name=op.f("uq_auto_allocated_topologies_network_id")),
    )


def downgrade() -> None:
    op.drop_table("auto_allocated_topologies")
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.drop_column("is_default")
