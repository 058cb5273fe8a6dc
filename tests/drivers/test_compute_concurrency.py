"""Concurrent compute writes on real databases, each thread in its own unit of work: no
lost metadata or tag change, no quota passed, no host overbooked. PostgreSQL's read
committed needs the services' row and advisory locks for this; SQLite serialises writers
anyway (both run; the PostgreSQL case skips when no server is reachable)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nuage.bootstrap import Cloud, Overrides, build
from nuage.domain.compute import ComputeQuota, Flavor, Server
from nuage.domain.compute_errors import OverLimit
from nuage.domain.context import RequestContext
from nuage.ports.compute_agent import Spawned
from nuage.ports.hypervisor import HostCapabilities
from nuage.services.compute.agent_control import AgentControlService
from nuage.services.compute.servers import NewServer, ServerService
from nuage.settings import Settings
from tests.unit.compute.fakes import MemoryImages

THREADS = 10
RUN = uuid.uuid4().hex[:8]


@pytest.fixture
def cloud(tmp_path: Path, database_url: str) -> Iterator[Cloud]:
    # The image service is not what is tested: its in-memory twin describes the image.
    built = build(Settings.model_validate({
        "state_dir": tmp_path / "state", "database_url": database_url,
        "fast_password_hashing": True, "user_clouds_yaml": False}),
        overrides=Overrides(image_source=MemoryImages()))
    with built.compute_ports.uow(write=True) as uow:
        # 256 MiB servers; 1 GiB ones fill the test host (4 GiB) with four.
        # The PostgreSQL database is shared by the session's tests: added once.
        for name, ram in (("small", 256), ("large", 1024)):
            if uow.flavors.get(_flavor(name)) is None:
                    uow.flavors.add(Flavor(_flavor(name), _flavor(name), 1, ram, 1,
                                       extra_specs={}))
        uow.commit()
    yield built
    built.engine.dispose()


def _flavor(name: str) -> str:
    return f"{name}-{RUN}"


def _servers(cloud: Cloud) -> ServerService:
    return cloud.compute.servers


def _member(project: str) -> RequestContext:
    return RequestContext(request_id=f"req-{uuid.uuid4()}", user_id=f"u-{project}",
                          project_id=project, roles=frozenset({"member", "reader"}))


def _project(cloud: Cloud, **quota: int) -> str:
    project = f"p-{uuid.uuid4().hex[:10]}"
    if quota:
        with cloud.compute_ports.uow(write=True) as uow:
            uow.compute_quotas.add(ComputeQuota(project, **quota))
            uow.commit()
    return project


def _host(cloud: Cloud, memory_mb: int) -> str:
    name = f"h-{uuid.uuid4().hex[:8]}"
    cloud.compute.hosts.register(HostCapabilities(name, "tcg", 64, memory_mb, 1000),
                                 availability_zone=name)
    return name


def _race(work: Callable[[int], None], threads: int = THREADS) -> list[BaseException]:
    """Runs work(0..threads-1) at once; the exceptions they raised."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as exc:  # collected for the test to judge
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert not any(w.is_alive() for w in workers)
    return errors


def _active(cloud: Cloud, servers: ServerService, ctx: RequestContext, flavor: str) -> Server:
    server = servers.create(ctx, NewServer("vm", "img-1", flavor))
    with cloud.compute_ports.uow(write=True) as uow:
        stored = uow.servers.get(server.id)
        assert stored is not None
        stored.vm_state, stored.task_state = "active", None
        uow.commit()
    return server


def test_concurrent_metadata_and_tag_changes_all_survive(cloud: Cloud) -> None:
    _host(cloud, 8192)
    servers = _servers(cloud)
    ctx = _member(_project(cloud))
    server = _active(cloud, servers, ctx, _flavor("small"))

    def change(n: int) -> None:
        servers.set_metadata(ctx, server.id, {f"k{n}": str(n)}, replace=False)
        servers.add_tag(ctx, server.id, f"t{n}")

    assert _race(change) == []
    shown = servers.get(ctx, server.id)
    assert shown.metadata == {f"k{n}": str(n) for n in range(THREADS)}
    assert sorted(shown.tags) == sorted(f"t{n}" for n in range(THREADS))

    def remove(n: int) -> None:
        servers.delete_metadata(ctx, server.id, f"k{n}")

    assert _race(remove, THREADS // 2) == []
    assert servers.get(ctx, server.id).metadata == {
        f"k{n}": str(n) for n in range(THREADS // 2, THREADS)}


def test_concurrent_creates_never_pass_the_quota(cloud: Cloud) -> None:
    _host(cloud, 65536)
    servers = _servers(cloud)
    project = _project(cloud, instances=7, cores=100, ram=100_000)
    ctx = _member(project)
    flavor = _flavor("small")

    def create(n: int) -> None:
        # Some ask for one server, some for up to three (as many as the quota leaves).
        servers.create_many(ctx, NewServer(f"vm{n}", "img-1", flavor), 1, 1 + n % 3)

    errors = _race(create)
    assert all(isinstance(e, OverLimit) for e in errors), errors
    with cloud.compute_ports.uow() as uow:
        mine = uow.servers.find(project_id=project, deleted=False)
    assert len(mine) == 7
    assert len({s.number for s in mine}) == 7


def test_concurrent_creates_never_overbook_a_host(cloud: Cloud) -> None:
    host = _host(cloud, 4096)
    servers = _servers(cloud)
    flavor = _flavor("large")

    def create(n: int) -> None:
        # One project each: only the host's capacity stands between them.
        ctx = _member(_project(cloud))
        servers.create(ctx, NewServer(f"vm{n}", "img-1", flavor, availability_zone=host))

    assert _race(create) == []
    with cloud.compute_ports.uow() as uow:
        placed = uow.servers.find(availability_zone=host)
        claims = uow.allocations.find(hostname=host)
    assert len(placed) == THREADS
    assert sorted(s.status for s in placed).count("BUILD") == 4
    assert sum(a.memory_mb for a in claims) == 4096
    assert {a.server_id for a in claims} == {s.id for s in placed if s.host == host}


def _public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).decode()


def test_concurrent_key_pair_imports_keep_the_quota_and_unique_names(cloud: Cloud) -> None:
    from nuage.domain.errors import Conflict
    project = _project(cloud, key_pairs=4)
    ctx = _member(project)
    keys = [_public_key() for _ in range(THREADS)]

    def create(n: int) -> None:
        # Half race for one name, the others for names of their own, past the quota.
        name = "same" if n % 2 else f"k{n}"
        cloud.compute.keypairs.create(ctx, name, keys[n])

    errors = _race(create)
    assert all(isinstance(e, (OverLimit, Conflict)) for e in errors), errors
    with cloud.compute_ports.uow() as uow:
        mine = uow.keypairs.find(user_id=ctx.user_id)
    assert len(mine) == 4
    assert len({k.name for k in mine}) == 4


def test_an_agents_outcome_never_overwrites_a_delete_committed_meanwhile(
        cloud: Cloud) -> None:
    """The agent records a boot (compare-and-set on `spawning`) while the owner deletes the
    server. Whatever the order, the delete survives: either the boot is written first and
    the delete follows, or the delete is committed first and the boot's outcome is dropped.
    On PostgreSQL this needs the row lock the agent port's write takes."""
    host = _host(cloud, 8192)
    servers = _servers(cloud)
    ctx = _member(_project(cloud))
    made = [servers.create(ctx, NewServer(f"vm{n}", "img-1", _flavor("small"),
                                          availability_zone=host)).id
            for n in range(THREADS // 2)]
    control = AgentControlService(cloud.compute_ports.uow, cloud.compute_ports.clock,
                                  cloud.compute.hosts).for_host(host)
    booted: list[str] = []

    def work(n: int) -> None:
        sid = made[n // 2]
        if n % 2:
            servers.delete(ctx, sid)
        elif control.record(sid, "spawning", Spawned()):
            booted.append(sid)

    assert _race(work) == []
    with cloud.compute_ports.uow() as uow:
        found = {sid: uow.servers.get(sid) for sid in made}
    for sid, server in found.items():
        assert server is not None
        assert server.task_state == "deleting", sid
        assert (server.launched_at is not None) == (sid in booted)
