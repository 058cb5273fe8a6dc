"""Concurrent first needs of a project's default security group, on real databases: the
project lists its groups and creates ports at once, and gets one default group (the
project's network lock queues them on PostgreSQL; the key on project refuses a second)."""

from __future__ import annotations

import uuid

from nuage.bootstrap import Cloud
from nuage.services.network.listing import ListQuery
from nuage.services.network.networks import NewNetwork
from nuage.services.network.ports import NewPort
from tests.drivers.test_network_concurrency import THREADS, _member, _race


def test_concurrent_first_needs_make_one_default_group(cloud: Cloud) -> None:
    ctx = _member(f"p-{uuid.uuid4().hex[:10]}")
    net = cloud.network.networks.create(ctx, NewNetwork()).network
    seen: list[str] = []

    def need(n: int) -> None:
        if n % 2:
            seen.extend(cloud.network.ports.create(ctx, NewPort(network_id=net.id))
                        .security_groups)
        else:
            (info,) = cloud.network.security_groups.list_groups(ctx, ListQuery()).items
            seen.append(info.group.id)

    assert _race(need) == []
    assert len(seen) == THREADS and len(set(seen)) == 1
    with cloud.compute_ports.uow() as uow:
        groups = uow.security_groups.find(project_id=ctx.project_id)
        assert [g.name for g in groups] == ["default"]
        assert len(uow.security_group_rules.find(security_group_id=groups[0].id)) == 4
