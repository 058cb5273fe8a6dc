"""What the flavor, keypair, quota and host use cases share: ports, settings, guards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nuage.domain import policy
from nuage.domain.audit import Outcome
from nuage.domain.context import RequestContext
from nuage.domain.errors import CommonFault, Forbidden, Unauthorized
from nuage.ports.clock import Clock
from nuage.ports.repositories import UnitOfWork, UnitOfWorkFactory
from nuage.services.audit import Auditor


@dataclass(frozen=True)
class QuotaDefaults:
    """Nova's default quota set; a project's own row in compute_quotas overrides it.

    Only instances, cores, ram, key_pairs and metadata_items are stored and enforced; the
    others are reported with Nova's defaults because clients and Tempest expect the keys.
    """

    instances: int = 10
    cores: int = 20
    ram: int = 51200
    key_pairs: int = 100
    metadata_items: int = 128


@dataclass(frozen=True)
class ComputeConfig:
    quotas: QuotaDefaults = field(default_factory=QuotaDefaults)
    # A host (or its nova-compute service) is "down" when unseen for this long (Nova's
    # service_down_time).
    service_down_time: int = 60
    # The host running the control plane: where nova-scheduler/nova-conductor are shown.
    control_host: str = "localhost"
    # The address hypervisors report as host_ip (single node: the API's own address).
    host_ip: str = "127.0.0.1"
    # Nova's max_limit: the most items one page of a list returns.
    max_page: int = 1000


@dataclass(frozen=True)
class ResourcePorts:
    """The ports of the flavor, keypair, quota and host use cases."""

    uow: UnitOfWorkFactory
    clock: Clock
    auditor: Auditor
    config: ComputeConfig


class ResourceUseCases:
    def __init__(self, ports: ResourcePorts) -> None:
        self.p = ports

    @staticmethod
    def require_user(ctx: RequestContext) -> None:
        if not ctx.authenticated:
            raise Unauthorized(CommonFault.AUTHENTICATION_REQUIRED)

    def enforce(self, uow: UnitOfWork, ctx: RequestContext, row: str, action: str,
                target_type: str, target_id: str | None,
                project_id: str | None = None) -> None:
        """The policy `row` decides (the target is `project_id`); a refused change is
        itself recorded as the audit `action`, outcome denied."""
        self.require_user(ctx)
        if policy.may(ctx, row, policy.Target(project_id=project_id)):
            return
        self.p.auditor.record(uow, ctx, action, target_type, target_id,
                              project_id=project_id, outcome=Outcome.DENIED)
        uow.commit()
        raise Forbidden(CommonFault.POLICY_DENIED, action=row)

    def record(self, uow: UnitOfWork, ctx: RequestContext, action: str, target_type: str,
               target_id: str | None, project_id: str | None = None,
               detail: dict[str, Any] | None = None) -> None:
        self.p.auditor.record(uow, ctx, action, target_type, target_id,
                              project_id=project_id, detail=detail)
