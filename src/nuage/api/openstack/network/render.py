"""Domain networks, subnets and ports -> Neutron v2.0 JSON, through the attribute maps:
what a policy row hides is left out, and `fields=` keeps only what was asked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from nuage.api.openstack.common.http import reply
from nuage.api.openstack.network.attributes import (
    FLOATINGIP,
    NETWORK,
    PORT,
    RBAC_POLICY,
    ROUTER,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SUBNET,
    SUBNETPOOL,
    Attr,
)
from nuage.domain import policy
from nuage.domain.context import RequestContext
from nuage.domain.network import Port, Subnet
from nuage.domain.network_l3 import FloatingIp, Router
from nuage.domain.network_pools import SubnetPool
from nuage.domain.network_rbac import RbacPolicy
from nuage.domain.network_security import SecurityGroupRule
from nuage.services.network.listing import Page
from nuage.services.network.networks import NetworkInfo
from nuage.services.network.security_groups import SecurityGroupInfo

# Values Neutron shows for what nuage does not model (no availability zones, address
# scopes or routed segments yet; use_default_subnetpool is a request, never stored, and
# a subnet's prefixlen is not shown at all).
COMPUTED: dict[str, Any] = {
    "availability_zone_hints": [], "availability_zones": [], "ipv4_address_scope": None,
    "ipv6_address_scope": None, "l2_adjacency": True, "address_scope_id": None,
    "segment_id": None, "service_types": [], "use_default_subnetpool": False,
    "remote_address_group_id": None, "port_forwardings": [],
}


def stamp(value: datetime) -> str:
    """Neutron's timestamps: seconds and a Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return stamp(value)
    if isinstance(value, list):
        return [dict(v) if isinstance(v, dict) else v for v in value]
    if isinstance(value, dict):
        return dict(value)
    return value


def _render(entity: Any, attrs: tuple[Attr, ...], ctx: RequestContext, wanted: list[str],
            extra: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for a in attrs:
        if wanted and a.wire not in wanted:
            continue
        if a.read_row is not None and not policy.may(ctx, a.read_row):
            continue
        if extra is not None and a.wire in extra:
            out[a.wire] = extra[a.wire]
        elif a.attr is None:
            if a.wire in COMPUTED:
                out[a.wire] = _plain(COMPUTED[a.wire])
        else:
            out[a.wire] = _plain(getattr(entity, a.attr))
    return out


def network(info: NetworkInfo, ctx: RequestContext, wanted: list[str] | None = None
            ) -> dict[str, Any]:
    return _render(info.network, NETWORK, ctx, wanted or [],
                   {"subnets": list(info.subnet_ids), "shared": info.shared})


def subnet(s: Subnet, ctx: RequestContext, wanted: list[str] | None = None) -> dict[str, Any]:
    return _render(s, SUBNET, ctx, wanted or [])


def subnetpool(p: SubnetPool, ctx: RequestContext, wanted: list[str] | None = None
               ) -> dict[str, Any]:
    return _render(p, SUBNETPOOL, ctx, wanted or [])


def port(p: Port, ctx: RequestContext, wanted: list[str] | None = None) -> dict[str, Any]:
    return _render(p, PORT, ctx, wanted or [])


def security_group(info: SecurityGroupInfo, ctx: RequestContext,
                   wanted: list[str] | None = None) -> dict[str, Any]:
    return _render(info.group, SECURITY_GROUP, ctx, wanted or [],
                   {"security_group_rules": [security_group_rule(r, ctx)
                                             for r in info.rules]})


def security_group_rule(r: SecurityGroupRule, ctx: RequestContext,
                        wanted: list[str] | None = None) -> dict[str, Any]:
    return _render(r, SECURITY_GROUP_RULE, ctx, wanted or [])


def gateway_info(r: Router) -> dict[str, Any] | None:
    if r.gw_network_id is None:
        return None
    return {"network_id": r.gw_network_id, "enable_snat": r.enable_snat,
            "external_fixed_ips": [dict(f) for f in r.external_fixed_ips]}


def router(r: Router, ctx: RequestContext, wanted: list[str] | None = None) -> dict[str, Any]:
    return _render(r, ROUTER, ctx, wanted or [], {"external_gateway_info": gateway_info(r)})


def floatingip(f: FloatingIp, ctx: RequestContext, wanted: list[str] | None = None
               ) -> dict[str, Any]:
    return _render(f, FLOATINGIP, ctx, wanted or [])


def rbac_policy(r: RbacPolicy, ctx: RequestContext, wanted: list[str] | None = None
                ) -> dict[str, Any]:
    return _render(r, RBAC_POLICY, ctx, wanted or [])


T = TypeVar("T")


def created(singular: str, plural: str, made: Sequence[T], bulk: bool,
            one: Callable[[T], dict[str, Any]]) -> Response:
    """A create's 201: `{singular: ...}`, or `{plural: [...]}` for a bulk create."""
    if bulk:
        return reply({plural: [one(item) for item in made]}, status=201)
    return reply({singular: one(made[0])}, status=201)


def listed(request: Request, plural: str, collection_url: str, page: Page[T],
           one: Callable[[T], dict[str, Any]], ident: Callable[[T], str]) -> Response:
    """A list's 200: `{plural: [...]}` with `<plural>_links` on a limited list."""
    out: dict[str, object] = {plural: [one(item) for item in page.items]}
    found = links(request, collection_url, page, [ident(item) for item in page.items])
    if found:
        out[f"{plural}_links"] = found
    return reply(out)


def links(request: Request, collection_url: str, page: Page[Any], ids: list[str]
          ) -> list[dict[str, str]]:
    """Neutron's `<collection>_links`: next (after the last item) and previous (before the
    first), only on a limited list."""
    params = request.query_params
    if "limit" not in params or not ids:
        return []
    reverse = params.get("page_reverse", "false").lower() in ("true", "1")
    kept = [(k, v) for k, v in params.multi_items()
            if k not in ("marker", "page_reverse")]
    out = []
    has_next = page.has_next
    has_previous = page.has_previous
    if not reverse:
        has_previous = has_previous or "marker" in params
    else:
        has_next = has_next or "marker" in params
    if has_next:
        out.append({"rel": "next",
                    "href": f"{collection_url}?{urlencode([*kept, ('marker', ids[-1])])}"})
    if has_previous:
        out.append({"rel": "previous", "href": f"{collection_url}?" + urlencode(
            [*kept, ("marker", ids[0]), ("page_reverse", "True")])})
    return out
