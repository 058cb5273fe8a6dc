"""Bring a database's schema to the newest migration."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> None:
    cfg = alembic_config()
    with engine.connect() as connection:
        # Migrations write: on SQLite take the write lock up front like any writer.
        connection.info["write"] = True
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
        connection.commit()
