"""Compute resources (flavors, keypairs, quotas, aggregates, hosts, usage): policy rows
decide, services raise fault codes with fields, and Nova's table keeps the old sentences."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nuage.api.openstack.compute.errors import WORDING
from nuage.domain import policy
from nuage.domain.compute_errors import ComputeFault
from nuage.domain.context import RequestContext
from nuage.domain.errors import CommonFault, Conflict, Forbidden, NotFound, ValidationError
from nuage.drivers.clock import SystemClock
from nuage.drivers.sql.engine import make_engine
from nuage.drivers.sql.migrate import upgrade
from nuage.drivers.sql.uow import SqlUnitOfWorkFactory
from nuage.ports.repositories import AuditQuery
from nuage.services.audit import Auditor, AuditService
from nuage.services.compute.base import ComputeConfig, ResourcePorts
from nuage.services.compute.build import ComputeServices, build_compute
from nuage.services.compute.flavors import NewFlavor
from tests.unit.compute.fakes import MemoryImages

ADMIN = RequestContext(request_id="req-admin", user_id="u-admin", project_id="p-admin",
                       roles=frozenset({"admin", "member", "reader"}), is_admin_project=True)
MEMBER = RequestContext(request_id="req-member", user_id="u1", project_id="p1",
                        roles=frozenset({"member", "reader"}))

# The rows of this area, and those never refused with CommonFault.POLICY_DENIED: read_all
# only widens what a caller sees; a refused host action quotes the action itself.
PREFIXES = ("compute:flavor:", "compute:keypair:", "compute:quota:", "compute:quota_class:",
            "compute:limits:", "compute:usage:", "compute:aggregate:", "compute:hypervisor:",
            "compute:service:", "compute:host:", "compute:availability_zone:")
ROWS = sorted(r for r in policy.POLICY
              if r.startswith(PREFIXES) or r == "compute:server:diagnostics")
NEVER_DENIED = {"compute:flavor:read_all", "compute:host:action"}


class NoAgents:
    def notify(self, host: str) -> None:
        pass


@pytest.fixture
def compute(tmp_path: Path) -> Iterator[tuple[ComputeServices, SqlUnitOfWorkFactory]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'db'}")
    upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    clock = SystemClock()
    ports = ResourcePorts(uow, clock, Auditor(clock), ComputeConfig())
    yield build_compute(ports, images=MemoryImages(), agents=NoAgents()), uow  # type: ignore[arg-type]
    engine.dispose()


@pytest.mark.parametrize("row", [r for r in ROWS if r not in NEVER_DENIED])
def test_each_refusal_keeps_its_old_sentence(row: str) -> None:
    """The wire never shows a row's name: each refusal keeps the sentence it had."""
    sentence = Forbidden(CommonFault.POLICY_DENIED, action=row).worded(WORDING)
    assert sentence.startswith("Policy doesn't allow ") and row not in sentence


def test_a_refused_change_names_its_row_and_is_audited(
        compute: tuple[ComputeServices, SqlUnitOfWorkFactory]) -> None:
    services, uow = compute
    with pytest.raises(Forbidden) as refused:
        services.flavors.create(MEMBER, NewFlavor(name="f", ram_mb=1, vcpus=1, disk_gb=1))
    assert refused.value.fault is CommonFault.POLICY_DENIED
    assert refused.value.fields == {"action": "compute:flavor:create"}
    assert refused.value.worded(WORDING) == ("Policy doesn't allow compute.flavor.create to "
                                             "be performed.")
    events = AuditService(uow).list_events(ADMIN, AuditQuery()).events
    assert [(e.action, e.outcome) for e in events] == [("compute.flavor.create", "denied")]


def test_faults_carry_fields_not_sentences(
        compute: tuple[ComputeServices, SqlUnitOfWorkFactory]) -> None:
    services, _ = compute
    services.flavors.create(ADMIN, NewFlavor(name="f", ram_mb=1, vcpus=1, disk_gb=1, id="f1"))
    with pytest.raises(Conflict) as taken:
        services.flavors.create(ADMIN, NewFlavor(name="g", ram_mb=1, vcpus=1, disk_gb=1,
                                                 id="f1"))
    assert (taken.value.fault, taken.value.fields) == (ComputeFault.FLAVOR_ID_TAKEN,
                                                       {"flavor_id": "f1"})
    with pytest.raises(NotFound) as missing:
        services.flavors.extra_spec(ADMIN, "f1", "k")
    assert missing.value.fault is ComputeFault.FLAVOR_EXTRA_SPEC_NOT_FOUND
    assert missing.value.worded(WORDING) == "Could not find extra spec: k of flavor f1."
    with pytest.raises(ValidationError) as bad:
        services.quotas.update(ADMIN, "p1", {"cores": "many"})
    assert bad.value.fault is ComputeFault.QUOTA_VALUE_NOT_INTEGER
    assert bad.value.fields == {"key": "cores", "value": "many"}
    # Another user's key pairs: the row decides, in Nova's policy name on the wire.
    with pytest.raises(Forbidden) as other:
        services.keypairs.find(MEMBER, user_id="u2")
    assert other.value.fields == {"action": "compute:keypair:list"}
    assert services.keypairs.find(MEMBER, user_id="u1") == []
    # A project's own user reads its limits; another project's are refused.
    assert services.quotas.absolute_limits(MEMBER)["maxTotalCores"] == 20
    with pytest.raises(Forbidden) as limits:
        services.quotas.absolute_limits(MEMBER, "p2")
    assert limits.value.worded(WORDING) == ("Policy doesn't allow "
                                            "os_compute_api:limits:other_project to be "
                                            "performed.")
    with pytest.raises(Forbidden) as action:
        services.hosts.host_action(MEMBER, "h", "reboot")
    assert (action.value.fault, action.value.fields) == (ComputeFault.HOST_ACTION_DENIED,
                                                         {"host_action": "reboot"})
