"""The volume use cases on SQLite :memory:, built by `build_volume` with the real clock,
auditor and local key store, callers of two projects and a cloud administrator, and the
agent side bound to the one host (outcomes recorded as the volume agent would)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nuage.domain.context import RequestContext
from nuage.domain.volume import Volume
from nuage.drivers.clock import SystemClock
from nuage.drivers.kms_local.keystore import LocalKeyStore
from nuage.drivers.sql.engine import make_engine
from nuage.drivers.sql.migrate import upgrade
from nuage.drivers.sql.uow import SqlUnitOfWorkFactory
from nuage.ports import volume_agent as agent
from nuage.services.audit import Auditor
from nuage.services.volume.agent_control import VolumeAgentControl
from nuage.services.volume.base import VolumeConfig, VolumePorts, VolumeQuotaDefaults
from nuage.services.volume.build import VolumeServices, build_volume
from nuage.services.volume.volumes import NewVolume, VolumeInfo

HOST = "host-1"
MEMBER = frozenset({"member", "reader"})


def member_of(project: str) -> RequestContext:
    return RequestContext(request_id=f"req-{project}", user_id=f"u-{project}",
                          project_id=project, roles=MEMBER)


@dataclass
class Vol:
    s: VolumeServices
    uow: SqlUnitOfWorkFactory
    agent: VolumeAgentControl
    admin: RequestContext
    alice: RequestContext
    bob: RequestContext
    woken: list[str] = field(default_factory=list)

    def volume(self, ctx: RequestContext | None = None, /, size: int = 1,
               ready: bool = True, **kw: Any) -> VolumeInfo:
        """A volume, made `available` by the agent's outcome unless `ready` is False."""
        made = self.s.volumes.create(ctx or self.alice, NewVolume(size=size, **kw))
        if ready:
            assert self.agent.record(made.volume.id, "creating", agent.Created(size_gb=size))
        return made

    def row(self, volume_id: str) -> Volume | None:
        with self.uow() as uow:
            return uow.volumes.get(volume_id)


def make_vol(tmp: Path, quotas: VolumeQuotaDefaults | None = None) -> Iterator[Vol]:
    engine = make_engine("sqlite://")
    upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    clock = SystemClock()
    woken: list[str] = []
    ports = VolumePorts(uow=uow, clock=clock, auditor=Auditor(clock),
                        keys=LocalKeyStore(tmp / "master.key"),
                        config=VolumeConfig(host=HOST, quotas=quotas or VolumeQuotaDefaults()),
                        wake=woken.append)
    services = build_volume(ports)
    admin = RequestContext(request_id="req-admin", user_id="u-admin", project_id="p-admin",
                           roles=frozenset({"admin", "member", "reader"}),
                           is_admin_project=True)
    try:
        yield Vol(services, uow, services.agent_control(HOST), admin, member_of("p-a"),
                  member_of("p-b"), woken)
    finally:
        engine.dispose()


@pytest.fixture
def vol(tmp_path: Path) -> Iterator[Vol]:
    yield from make_vol(tmp_path)


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Vol]:
    yield from make_vol(tmp_path, VolumeQuotaDefaults(volumes=2, gigabytes=5, snapshots=1,
                                                      backups=1))
