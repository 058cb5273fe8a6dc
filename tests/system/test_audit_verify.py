"""`nuage audit verify` on a real database someone tampered with behind nuage's back.

A cloud is built and used once; each case gets its own copy of that database (a copy of the
SQLite file, or a PostgreSQL database cloned from a template), edits it with plain SQL, and
runs the real CLI in a subprocess. The CLIs of all cases run in parallel to keep this short.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from nuage.bootstrap import Cloud, build
from nuage.domain.context import RequestContext
from nuage.settings import Settings
from tests.drivers.postgres import SERVER_URL

K = 4  # the event every case tampers with (the seed alone writes more than K events)


@dataclass(frozen=True)
class Case:
    name: str
    # SQL statements run against the copy, in order.
    sql: Callable[[dict[int, str], int], list[str]]
    # (seq, event id) the CLI must name first, or None for the chain head.
    first_bad: Callable[[dict[int, str], int], tuple[int, str] | None]
    reason: str


def _forge(ids: dict[int, str], last: int) -> list[str]:
    # Make room at K by moving K.. up one (through negatives: the key is unique), then slip
    # in a copy of the real event K with another id and action.
    columns = ("at, outcome, target_type, target_id, project_id, actor_user_id, "
               "actor_project_id, by_provider, source_ip, request_id, detail, prev_hash, hash")
    return [
        f"UPDATE audit_events SET seq = -seq WHERE seq >= {K}",
        "UPDATE audit_events SET seq = -seq + 1 WHERE seq < 0",
        f"INSERT INTO audit_events (seq, id, action, {columns}) "
        f"SELECT {K}, 'forged{uuid.uuid4().hex[:10]}', 'identity.user.delete', {columns} "
        f"FROM audit_events WHERE seq = {K + 1}",
    ]


CASES = [
    Case("intact", lambda ids, last: [], lambda ids, last: None, "intact"),
    Case("altered", lambda ids, last: [
        f"UPDATE audit_events SET action = 'identity.nothing.happened' WHERE seq = {K}"],
        lambda ids, last: (K, ids[K]), "altered"),
    Case("deleted", lambda ids, last: [f"DELETE FROM audit_events WHERE seq = {K}"],
         lambda ids, last: (K + 1, ids[K + 1]), f"{K} was expected"),
    Case("inserted", _forge, lambda ids, last: (K, "forged"), "altered"),
    Case("swapped", lambda ids, last: [
        f"UPDATE audit_events SET seq = -1 WHERE seq = {K}",
        f"UPDATE audit_events SET seq = {K} WHERE seq = {K + 1}",
        f"UPDATE audit_events SET seq = {K + 1} WHERE seq = -1"],
        lambda ids, last: (K, ids[K + 1]), "does not link"),
    Case("truncated", lambda ids, last: [f"DELETE FROM audit_events WHERE seq = {last}"],
         lambda ids, last: None, "chain head"),
]


def _use_the_cloud(settings: Settings) -> Cloud:
    cloud = build(settings)
    seeded = cloud.seed()
    admin = RequestContext(request_id="req-system-test", source_ip="192.0.2.10",
                           user_id=seeded.admin_user_id, system=True,
                           roles=frozenset({"admin", "member", "reader"}))
    s = cloud.identity
    for n in range(3):
        project = s.projects.create(admin, f"tenant-{n}", "default")
        user = s.users.create(admin, f"tenant-user-{n}", "default", password="pw-123456")
        s.projects.update(admin, project.id, {"description": f"tenant number {n}"})
        s.users.update(admin, user.id, {"enabled": False})
    assert cloud.audit.verify() is None
    return cloud


def _event_ids(rows: list[Any]) -> dict[int, str]:
    return {int(seq): str(ident) for seq, ident in rows}


def _cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUAGE_")}
    env.update({"NUAGE_USER_CLOUDS_YAML": "false", "COLUMNS": "400"})
    return env


def _run_all(commands: dict[str, list[str]]) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run the CLIs in parallel (each pays the interpreter start-up once)."""
    procs = {name: subprocess.Popen(cmd, env=_cli_env(), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
             for name, cmd in commands.items()}
    done = {}
    for name, proc in procs.items():
        out, _ = proc.communicate(timeout=120)
        done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, None)
    return done


def _check(case: Case, result: subprocess.CompletedProcess[str], ids: dict[int, str],
           last: int) -> None:
    out = " ".join(result.stdout.split())
    if case.name == "intact":
        assert result.returncode == 0, out
        assert "intact" in out
        return
    assert result.returncode == 1, (case.name, out)
    assert "broken" in out, (case.name, out)
    assert case.reason in out, (case.name, out)
    expected = case.first_bad(ids, last)
    if expected is None:
        assert "chain head" in out, (case.name, out)
        return
    seq, ident = expected
    named = re.search(r"event #(\d+) \((\w+)\)", out)
    assert named is not None, (case.name, out)
    assert int(named.group(1)) == seq, (case.name, out)
    assert named.group(2).startswith(ident), (case.name, out)


def _verify_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "nuage", "audit", "verify", *args]


# -- SQLite ------------------------------------------------------------------------------------
def test_cli_verify_names_the_first_bad_event_on_sqlite(tmp_path: Path) -> None:
    base = tmp_path / "base"
    cloud = _use_the_cloud(Settings.model_validate({
        "state_dir": base, "fast_password_hashing": True, "user_clouds_yaml": False}))
    with cloud.engine.connect() as conn:
        # Fold the WAL into the main file, so a copy of nuage.db alone is complete.
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    cloud.engine.dispose()
    with sqlite3.connect(base / "nuage.db") as db:
        ids = _event_ids(db.execute("SELECT seq, id FROM audit_events").fetchall())
    last = max(ids)
    assert last > K + 1

    commands = {}
    for case in CASES:
        state = tmp_path / case.name
        state.mkdir(mode=0o700)
        shutil.copy(base / "nuage.db", state / "nuage.db")
        db = sqlite3.connect(state / "nuage.db")
        try:
            for statement in case.sql(ids, last):
                db.execute(statement)
            db.commit()
        finally:
            db.close()
        commands[case.name] = _verify_cmd("--state-dir", str(state))
    results = _run_all(commands)
    for case in CASES:
        _check(case, results[case.name], ids, last)


# -- PostgreSQL --------------------------------------------------------------------------------
@pytest.fixture
def postgres_template() -> Iterator[tuple[str, Callable[[str], str]]]:
    """A base database to use, and a maker of clones of it; all dropped at the end."""
    server = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": 3})
    base = f"nuage_verify_{uuid.uuid4().hex[:10]}"
    made = [base]
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{base}"')
    except OperationalError as exc:
        server.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {SERVER_URL}: {exc.orig}")

    def url_of(name: str) -> str:
        return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)

    def clone(case: str) -> str:
        name = f"{base}_{case}"
        with server.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{base}"')
        made.append(name)
        return url_of(name)

    try:
        yield url_of(base), clone
    finally:
        with server.connect() as conn:
            for name in reversed(made):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


@pytest.mark.postgres
def test_cli_verify_names_the_first_bad_event_on_postgres(
        tmp_path: Path, postgres_template: tuple[str, Callable[[str], str]]) -> None:
    base_url, clone = postgres_template
    state = tmp_path / "state"
    cloud = _use_the_cloud(Settings.model_validate({
        "state_dir": state, "database_url": base_url, "fast_password_hashing": True,
        "user_clouds_yaml": False}))
    with cloud.engine.connect() as conn:
        ids = _event_ids(list(conn.execute(text("SELECT seq, id FROM audit_events"))))
    # A template must have no connections while it is being copied.
    cloud.engine.dispose()
    last = max(ids)

    commands = {}
    for case in CASES:
        url = clone(case.name)
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                for statement in case.sql(ids, last):
                    conn.exec_driver_sql(statement)
        finally:
            engine.dispose()
        commands[case.name] = _verify_cmd("--state-dir", str(state), "--database-url", url)
    results = _run_all(commands)
    for case in CASES:
        _check(case, results[case.name], ids, last)
