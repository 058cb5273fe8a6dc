"""Alembic environment: runs on the connection `nuage.drivers.sql.migrate` hands it."""

from __future__ import annotations

from alembic import context

from nuage.drivers.sql import (
    compute_tables,  # noqa: F401  (registers its tables)
    identity_tables,  # noqa: F401  (registers its tables)
    image_tables,  # noqa: F401  (registers its tables)
    network_tables,  # noqa: F401  (registers its tables)
    storage_tables,  # noqa: F401  (registers its tables)
)
from nuage.drivers.sql.types import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
