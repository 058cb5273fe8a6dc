"""rbac policies: who a network is shared with or external for (Neutron's
/v2.0/rbac-policies); every network already shared gets its wildcard access_as_shared
policy, every external one its wildcard access_as_external, which is what `shared` and
`router:external` for every project mean from now on

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 10:50:00
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import nuage.drivers.sql.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rbac = op.create_table(
        "rbac_policies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target_tenant", sa.String(length=255), nullable=False),
        sa.Column("created_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", nuage.drivers.sql.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rbac_policies")),
        sa.UniqueConstraint("object_type", "object_id", "action", "target_tenant",
                            name="uq_rbac_policies_object_type_object_id_action_target_tenant"),
    )
    for column in ("project_id", "object_id", "target_tenant"):
        op.create_index(op.f(f"ix_rbac_policies_{column}"), "rbac_policies", [column],
                        unique=False)
    # The networks shared or external before policies existed stay so for every project:
    # their wildcard rows.
    networks = sa.table("networks", sa.column("id", sa.String()),
                        sa.column("project_id", sa.String()), sa.column("shared", sa.Boolean()),
                        sa.column("external", sa.Boolean()))
    now = datetime.now(UTC)
    grants: list[dict[str, object]] = []
    for action, flag in (("access_as_shared", "shared"), ("access_as_external", "external")):
        rows = op.get_bind().execute(
            sa.select(networks.c.id, networks.c.project_id).where(networks.c[flag].is_(True)))
        grants += [{"id": str(uuid.uuid4()), "project_id": project_id,
                    "object_type": "network", "object_id": network_id, "action": action,
                    "target_tenant": "*", "created_at": now, "updated_at": now}
                   for network_id, project_id in rows]
    if grants:
        op.bulk_insert(rbac, grants)


def downgrade() -> None:
    for column in ("project_id", "object_id", "target_tenant"):
        op.drop_index(op.f(f"ix_rbac_policies_{column}"), table_name="rbac_policies")
    op.drop_table("rbac_policies")
