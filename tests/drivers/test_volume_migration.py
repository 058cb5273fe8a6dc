"""Migration 0014 creates the volume tables with Cinder's `__DEFAULT__` type seeded,
and its downgrade removes them again (on a SQLite file of its own: a downgrade must not
touch the PostgreSQL database the other driver tests share; test_sql_unit_of_work.py
reads every table there)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from nuage.drivers.sql.migrate import alembic_config

TABLES = {"volume_types", "volumes", "volume_snapshots", "volume_attachments",
          "volume_backups", "volume_quotas"}


def test_upgrade_seeds_the_default_type_and_downgrade_removes_the_tables(
        tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'nuage.db'}")
    cfg = alembic_config()
    try:
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
            names = conn.execute(text("SELECT name, is_public FROM volume_types")).all()
            assert [tuple(r) for r in names] == [("__DEFAULT__", True)]
            command.downgrade(cfg, "0013")
            conn.commit()
            assert not TABLES & set(inspect(conn).get_table_names())
            command.upgrade(cfg, "head")
            conn.commit()
            assert set(inspect(conn).get_table_names()) >= TABLES
    finally:
        engine.dispose()
