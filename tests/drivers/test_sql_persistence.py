"""State survives in SQL: migrations, seeding, round trips, restarts, concurrent audit appends.

Every test runs on a SQLite file and on PostgreSQL (one fresh database for the session, so
tests there share state: names are made unique, counts are taken as differences).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from nuage.bootstrap import Cloud, build
from nuage.domain.audit import Outcome
from nuage.domain.context import RequestContext
from nuage.domain.errors import NotFound
from nuage.domain.identity import ActorType, TargetType
from nuage.drivers.sql.migrate import alembic_config, upgrade
from nuage.ports.repositories import AuditQuery
from nuage.services.identity.assignments import AssignmentFilter, Grant
from nuage.services.identity.credentials import NewAppCred
from nuage.services.identity.tokens import AuthRequest, ScopeRequest, UserRef
from nuage.settings import Settings
from tests.drivers.postgres import fresh_database

ADMIN_ROLES = frozenset({"admin", "member", "reader"})


def _settings(state_dir: Path, url: str) -> Settings:
    return Settings.model_validate({"state_dir": state_dir, "database_url": url,
                                    "fast_password_hashing": True, "user_clouds_yaml": False})


@pytest.fixture
def clouds(tmp_path: Path, database_url: str) -> Iterator[list[Cloud]]:
    """Clouds built by the test (on the same database); their engines are closed after."""
    built: list[Cloud] = []
    yield built
    for cloud in built:
        cloud.engine.dispose()


def _start(clouds: list[Cloud], tmp_path: Path, url: str) -> Cloud:
    cloud = build(_settings(tmp_path / "state", url))
    clouds.append(cloud)
    return cloud


def _admin(cloud: Cloud) -> RequestContext:
    seeded = cloud.seed()
    return RequestContext(request_id=f"req-{uuid.uuid4()}", source_ip="192.0.2.1",
                          user_id=seeded.admin_user_id, user_domain_id="default",
                          system=True, roles=ADMIN_ROLES)


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_migrations_reach_head_and_rerun_as_no_ops(clouds: list[Cloud], tmp_path: Path,
                                                  database_url: str) -> None:
    cloud = _start(clouds, tmp_path, database_url)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with cloud.engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head
    tables = set(inspect(cloud.engine).get_table_names())
    assert {"users", "projects", "domains", "roles", "audit_events", "audit_chain",
            "revocation_events", "credentials"} <= tables
    upgrade(cloud.engine)
    with cloud.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1


def test_seed_is_idempotent(clouds: list[Cloud], tmp_path: Path, database_url: str) -> None:
    cloud = _start(clouds, tmp_path, database_url)
    first = cloud.seed()
    second = cloud.seed()
    third = _start(clouds, tmp_path, database_url).seed()
    assert first.admin_user_id == second.admin_user_id == third.admin_user_id
    assert first.admin_project_id == second.admin_project_id == third.admin_project_id
    # The password is shown once, at creation, never again.
    assert second.admin_password is None and third.admin_password is None
    with cloud.engine.connect() as conn:
        def count(sql: str) -> int:
            return int(conn.scalar(text(sql)) or 0)
        assert count("SELECT count(*) FROM users WHERE name = 'admin'") == 1
        assert count("SELECT count(*) FROM projects WHERE name = 'admin'") == 1
        assert count("SELECT count(*) FROM domains WHERE id = 'default'") == 1
        assert count("SELECT count(*) FROM roles WHERE name = 'admin'") == 1
        assert count("SELECT count(*) FROM services WHERE type = 'identity'") == 1
        assert count("SELECT count(*) FROM endpoints") == count(
            "SELECT count(*) FROM services") * 3
        assert count("SELECT count(*) FROM assignments") == count(
            "SELECT count(*) FROM (SELECT DISTINCT actor_id, target_type, target_id, role_id, "
            "inherited FROM assignments) AS distinct_rows")


def test_create_read_update_delete_round_trips(clouds: list[Cloud], tmp_path: Path,
                                               database_url: str) -> None:
    cloud = _start(clouds, tmp_path, database_url)
    admin = _admin(cloud)
    s = cloud.identity
    project = s.projects.create(admin, _unique("proj"), "default", description="first",
                                tags=["a", "b"], extra={"k": {"nested": [1, 2]}})
    user = s.users.create(admin, _unique("user"), "default", password="pw-123456",
                          default_project_id=project.id,
                          options={"ignore_password_expiry": True}, extra={"email": "u@x.eu"})
    member = s.roles.find(admin, name="member")[0]
    s.assignments.grant(admin, Grant(ActorType.USER, user.id, TargetType.PROJECT, project.id,
                                     member.id))
    group = s.groups.create(admin, _unique("group"), "default")
    s.groups.add_member(admin, group.id, user.id)
    totp_cred = s.credentials.create(admin, user.id, "totp", "GEZDGNBVGY3TQOJQGEZDGNBV", None)

    # Read back through a fresh unit of work (nothing cached in a session).
    got = s.projects.get(admin, project.id)
    assert (got.name, got.description, got.tags, got.extra) == (
        project.name, "first", ["a", "b"], {"k": {"nested": [1, 2]}})
    got_user = s.users.get(admin, user.id)
    assert got_user.default_project_id == project.id
    assert got_user.options == {"ignore_password_expiry": True}
    assert got_user.extra == {"email": "u@x.eu"}
    assert got_user.created_at is not None and got_user.created_at.tzinfo is not None
    assert s.credentials.get(admin, totp_cred.cred.id).blob == "GEZDGNBVGY3TQOJQGEZDGNBV"
    assert [u.id for u in s.groups.members(admin, group.id)] == [user.id]
    views = s.assignments.list_assignments(admin, AssignmentFilter(user_id=user.id))
    assert [(v.assignment.target_id, v.assignment.role_id) for v in views] == [
        (project.id, member.id)]

    # The user logs in and makes an application credential.
    issued = s.tokens.authenticate(RequestContext.anonymous("req-login"), AuthRequest(
        methods=("password",), password=(UserRef(id=user.id), "pw-123456"),
        scope=ScopeRequest(project_id=project.id)))
    user_ctx = s.tokens.context_for(issued.token, "req-x", None)
    app = s.credentials.create_app_cred(user_ctx, user.id, NewAppCred(name="ci"))
    assert [v.cred.id for v in s.credentials.list_app_creds(user_ctx, user.id)] == [app.cred.id]

    # Update.
    s.projects.update(admin, project.id, {"description": "second", "tags": ["c"]})
    s.users.update(admin, user.id, {"enabled": False, "extra": {"phone": "1"}})
    got = s.projects.get(admin, project.id)
    assert (got.description, got.tags) == ("second", ["c"])
    got_user = s.users.get(admin, user.id)
    assert got_user.enabled is False and got_user.extra == {"email": "u@x.eu", "phone": "1"}

    # Delete: gone, with everything hanging off it.
    s.users.delete(admin, user.id)
    with pytest.raises(NotFound):
        s.users.get(admin, user.id)
    with pytest.raises(NotFound):
        s.credentials.get(admin, totp_cred.cred.id)
    assert s.groups.members(admin, group.id) == []
    s.projects.delete(admin, project.id)
    with pytest.raises(NotFound):
        s.projects.get(admin, project.id)
    assert cloud.audit.verify() is None


def test_restart_keeps_state_tokens_and_the_chain(clouds: list[Cloud], tmp_path: Path,
                                                  database_url: str) -> None:
    first = _start(clouds, tmp_path, database_url)
    admin = _admin(first)
    project = first.identity.projects.create(admin, _unique("kept"), "default")
    user = first.identity.users.create(admin, _unique("kept-user"), "default", password="pw-1")
    issued = first.identity.tokens.authenticate(RequestContext.anonymous("req-1"), AuthRequest(
        methods=("password",), password=(UserRef(id=user.id), "pw-1"),
        scope=ScopeRequest(unscoped=True)))
    head_before = max(e.seq for e in first.audit.list_events(
        admin, AuditQuery(limit=1000, after_seq=0)).events) if database_url.startswith(
        "sqlite") else None
    first.engine.dispose()

    second = _start(clouds, tmp_path, database_url)
    admin2 = _admin(second)
    assert second.identity.projects.get(admin2, project.id).name == project.name
    assert second.identity.users.get(admin2, user.id).name == user.name
    # The token keys live in the state directory: tokens outlive the restart.
    assert second.identity.tokens.validate(issued.token).user.id == user.id
    assert second.audit.verify() is None
    second.identity.projects.update(admin2, project.id, {"description": "after restart"})
    assert second.audit.verify() is None
    events = second.audit.list_events(admin2, AuditQuery(target_id=project.id, limit=10)).events
    assert [e.action for e in events] == ["identity.project.create", "identity.project.update"]
    if head_before is not None:
        assert events[-1].seq > head_before


def test_concurrent_audit_appends_keep_one_valid_chain(clouds: list[Cloud], tmp_path: Path,
                                                       database_url: str) -> None:
    cloud = _start(clouds, tmp_path, database_url)
    admin = _admin(cloud)
    with cloud.engine.connect() as conn:
        before = int(conn.scalar(text("SELECT count(*) FROM audit_events")) or 0)
    threads, per_thread = 6, 8
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)
    auditor = cloud.identity.tokens.p.auditor
    uow_factory = cloud.identity.tokens.p.uow

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                if i % 2:
                    cloud.identity.projects.create(admin, _unique(f"t{n}-{i}"), "default")
                else:
                    # A bare append, as any service's unit of work makes.
                    with uow_factory(write=True) as uow:
                        auditor.record(uow, admin, "test.append", "thread", str(n),
                                       outcome=Outcome.SUCCESS, detail={"i": i})
                        uow.commit()
        except BaseException as exc:  # collected and re-raised by the test
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert not errors, errors
    with cloud.engine.connect() as conn:
        rows = conn.execute(text("SELECT seq FROM audit_events ORDER BY seq")).scalars().all()
        head = conn.execute(text("SELECT seq FROM audit_chain")).scalars().all()
    assert len(rows) == before + threads * per_thread
    assert len(set(rows)) == len(rows)
    assert list(rows) == list(range(1, len(rows) + 1))
    assert head == [len(rows)]
    assert cloud.audit.verify() is None


def test_verify_while_others_write_sees_one_consistent_trail(
        clouds: list[Cloud], tmp_path: Path, database_url: str) -> None:
    """An operator runs `nuage audit verify` on a live cloud: writes in flight are no break."""
    cloud = _start(clouds, tmp_path, database_url)
    admin = _admin(cloud)
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            while not stop.is_set():
                cloud.identity.projects.create(admin, _unique("busy"), "default")
        except BaseException as exc:  # collected and re-raised by the test
            errors.append(exc)

    writers = [threading.Thread(target=write) for _ in range(2)]
    for w in writers:
        w.start()
    try:
        problems = [cloud.audit.verify() for _ in range(15)]
    finally:
        stop.set()
        for w in writers:
            w.join(30)
    assert not errors, errors
    assert [str(p) for p in problems if p is not None] == []


def test_the_first_appends_on_an_empty_trail_race_safely(tmp_path: Path,
                                                         database_url: str) -> None:
    """A fresh database: no chain head row yet, and several writers start at once."""
    context: AbstractContextManager[str] = (
        fresh_database("nuage_empty") if database_url.startswith("postgresql")
        else nullcontext(f"sqlite:///{tmp_path / 'empty.db'}"))
    with context as url:
        cloud = build(_settings(tmp_path / "empty-state", url))
        try:
            auditor = cloud.identity.tokens.p.auditor
            uow_factory = cloud.identity.tokens.p.uow
            ctx = RequestContext(request_id="req-race")
            barrier = threading.Barrier(4)
            errors: list[BaseException] = []

            def append(n: int) -> None:
                try:
                    barrier.wait()
                    with uow_factory(write=True) as uow:
                        auditor.record(uow, ctx, "test.first", "thread", str(n))
                        uow.commit()
                except BaseException as exc:  # collected and re-raised by the test
                    errors.append(exc)

            workers = [threading.Thread(target=append, args=(n,)) for n in range(4)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(30)
            assert not errors, errors
            assert cloud.audit.verify() is None
        finally:
            cloud.engine.dispose()
