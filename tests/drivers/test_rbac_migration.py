"""Migration 0013 keeps what `shared` and `router:external` meant: each network already
shared or external gets its wildcard RBAC policy, owned by the network's project."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from nuage.drivers.sql.migrate import alembic_config

COLUMNS = ("id", "project_id", "name", "description", "admin_state_up", "status", "shared",
           "external", "mtu", "port_security_enabled", "network_type", "tags",
           "revision_number", "created_at", "updated_at")


def _network(net_id: str, project: str, shared: bool, external: bool) -> dict[str, object]:
    return {"id": net_id, "project_id": project, "name": net_id, "description": "",
            "admin_state_up": True, "status": "ACTIVE", "shared": shared,
            "external": external, "mtu": 1450, "port_security_enabled": True,
            "network_type": "vxlan", "tags": "[]", "revision_number": 0,
            "created_at": "2026-12-07 00:00:00.000000",
            "updated_at": "2026-12-07 00:00:00.000000"}


def test_shared_and_external_networks_get_their_wildcard_policies(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'nuage.db'}")
    cfg = alembic_config()
    try:
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0010")
            insert = text(f"INSERT INTO networks ({', '.join(COLUMNS)}) "
                          f"VALUES ({', '.join(':' + c for c in COLUMNS)})")
            for row in (_network("private", "p1", False, False),
                        _network("shared", "p1", True, False),
                        _network("public", "admin", False, True)):
                conn.execute(insert, row)
            conn.commit()
            command.upgrade(cfg, "head")
            conn.commit()
            rows = conn.execute(text(
                "SELECT object_id, project_id, object_type, action, target_tenant "
                "FROM rbac_policies ORDER BY object_id")).all()
            assert [tuple(r) for r in rows] == [
                ("public", "admin", "network", "access_as_external", "*"),
                ("shared", "p1", "network", "access_as_shared", "*")]
            # And back: the table goes, the networks stay as they were.
            command.downgrade(cfg, "0010")
            conn.commit()
            assert conn.scalar(text("SELECT count(*) FROM networks")) == 3
    finally:
        engine.dispose()
