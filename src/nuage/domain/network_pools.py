"""Subnet pools (Neutron's subnetpools and subnet_allocation): a set of prefixes of one IP
version from which subnets are carved, and the rules that need no I/O.

What is decided here, as Neutron's `SubnetPoolReader`, `SubnetPoolHelper` and
`SubnetAllocator` decide it: the prefix list is compacted (overlapping and adjacent
prefixes merged) and gives the pool its version; the three prefix lengths keep
min <= default <= max <= the version's width; an update may add prefixes, never lose an
address; a subnet of a given length takes the first prefix of that length in the
smallest free block that holds it (best fit, so large blocks stay whole), a given cidr
must lie wholly inside one free block; a project's per-pool quota counts addresses in
units of /32 (IPv4) or /64 (IPv6).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from nuage.domain.errors import Conflict, ValidationError
from nuage.domain.network import IPNetwork
from nuage.domain.network_errors import NetworkFault

# Per version: the width, the default min_prefixlen, the quota's unit (Neutron's
# SubnetPoolHelper._PREFIX_VERSION_INFO).
WIDTH = {4: 32, 6: 128}
DEFAULT_MIN_PREFIXLEN = {4: 8, 6: 64}
QUOTA_UNIT = {4: 32, 6: 64}


@dataclass
class SubnetPool:
    id: str
    project_id: str
    ip_version: int
    created_at: datetime
    updated_at: datetime
    # Compacted, in address order.
    prefixes: list[str] = field(default_factory=list)
    name: str = ""
    description: str = ""
    default_prefixlen: int = 8
    min_prefixlen: int = 8
    max_prefixlen: int = 32
    # Addresses (in quota units) one project may take from the pool; None: no limit.
    default_quota: int | None = None
    shared: bool = False
    is_default: bool = False
    tags: list[str] = field(default_factory=list)
    revision_number: int = 0


@dataclass(frozen=True)
class PrefixBounds:
    min_prefixlen: int
    default_prefixlen: int
    max_prefixlen: int


def compact(prefixes: Iterable[str]) -> tuple[int, list[IPNetwork]]:
    """The pool's version and its prefixes merged (no overlap, adjacent ones joined);
    400 for an empty list, a non-prefix (host bits set included, as Neutron's
    type:subnet_list) or a mix of versions."""
    nets: list[IPNetwork] = []
    for text in prefixes:
        try:
            nets.append(ipaddress.ip_network(text, strict=True))
        except (ValueError, TypeError) as exc:
            raise ValidationError(NetworkFault.SUBNETPOOL_PREFIX_INVALID,
                                  prefix=str(text)) from exc
    if not nets:
        raise ValidationError(NetworkFault.SUBNETPOOL_PREFIXES_EMPTY)
    versions = {n.version for n in nets}
    if len(versions) > 1:
        raise ValidationError(NetworkFault.SUBNETPOOL_PREFIX_VERSION_MISMATCH)
    version = versions.pop()
    if version == 4:
        merged: list[IPNetwork] = list(ipaddress.collapse_addresses(
            [n for n in nets if isinstance(n, ipaddress.IPv4Network)]))
    else:
        merged = list(ipaddress.collapse_addresses(
            [n for n in nets if isinstance(n, ipaddress.IPv6Network)]))
    return version, sorted(merged)


def check_bounds(ip_version: int, min_len: int | None, default_len: int | None,
                 max_len: int | None) -> PrefixBounds:
    """Missing lengths take Neutron's defaults (min: 8 or 64, max: the width, default:
    min); then 0 <= min <= default <= max <= width, else 400 IllegalSubnetPoolPrefixBounds."""
    width = WIDTH[ip_version]
    low = DEFAULT_MIN_PREFIXLEN[ip_version] if min_len is None else min_len
    high = width if max_len is None else max_len
    default = low if default_len is None else default_len
    if low < 0:
        raise ValidationError(NetworkFault.SUBNETPOOL_MIN_PREFIX_UNSUPPORTED, prefixlen=low,
                              ip_version=ip_version)
    if low > high:
        raise ValidationError(NetworkFault.SUBNETPOOL_BOUNDS_INVALID,
                              prefix_type="min_prefixlen", prefixlen=low,
                              base_prefix_type="max_prefixlen", base_prefixlen=high)
    if high > width:
        raise ValidationError(NetworkFault.SUBNETPOOL_BOUNDS_INVALID,
                              prefix_type="max_prefixlen", prefixlen=high,
                              base_prefix_type="ip_version_max", base_prefixlen=width)
    if default < low:
        raise ValidationError(NetworkFault.SUBNETPOOL_BOUNDS_INVALID,
                              prefix_type="default_prefixlen", prefixlen=default,
                              base_prefix_type="min_prefixlen", base_prefixlen=low)
    if default > high:
        raise ValidationError(NetworkFault.SUBNETPOOL_BOUNDS_INVALID,
                              prefix_type="default_prefixlen", prefixlen=default,
                              base_prefix_type="max_prefixlen", base_prefixlen=high)
    return PrefixBounds(low, default, high)


def check_grows(old: Iterable[str], new: Iterable[IPNetwork]) -> None:
    """An update's prefixes must still hold every address the pool had (its subnets stay
    inside it): 400 IllegalSubnetPoolPrefixUpdate otherwise."""
    kept = list(new)
    for text in old:
        prefix = ipaddress.ip_network(text)
        if not any(prefix.version == n.version and prefix.subnet_of(n)  # type: ignore[arg-type]
                   for n in kept):
            raise ValidationError(NetworkFault.SUBNETPOOL_PREFIXES_SHRINK)


def _free_blocks(pool: SubnetPool, used: Iterable[str]) -> list[IPNetwork]:
    """The pool's prefixes less its subnets' cidrs, as maximal blocks."""
    free: list[IPNetwork] = [ipaddress.ip_network(p) for p in pool.prefixes]
    for text in used:
        taken = ipaddress.ip_network(text)
        rest: list[IPNetwork] = []
        for block in free:
            if block.version != taken.version or not block.overlaps(taken):
                rest.append(block)
            elif taken.subnet_of(block):  # type: ignore[arg-type]
                rest.extend(block.address_exclude(taken))  # type: ignore[arg-type]
            # else the block lies inside the taken prefix: nothing of it is free.
        free = rest
    return sorted(free)


def check_prefixlen(pool: SubnetPool, prefixlen: int) -> None:
    if prefixlen > pool.max_prefixlen:
        raise ValidationError(NetworkFault.SUBNETPOOL_PREFIXLEN_TOO_LONG, prefixlen=prefixlen,
                              max_prefixlen=pool.max_prefixlen)
    if prefixlen < pool.min_prefixlen:
        raise ValidationError(NetworkFault.SUBNETPOOL_PREFIXLEN_TOO_SHORT, prefixlen=prefixlen,
                              min_prefixlen=pool.min_prefixlen)


def allocate_any(pool: SubnetPool, prefixlen: int, used: Iterable[str]) -> IPNetwork:
    """The first prefix of `prefixlen` in the smallest free block that holds one (ties: the
    lowest address); 409 when none does."""
    check_prefixlen(pool, prefixlen)
    blocks = sorted(_free_blocks(pool, used), key=lambda b: (-b.prefixlen, b))
    for block in blocks:
        if block.prefixlen <= prefixlen:
            # The block's first prefix of that length starts where the block starts.
            return ipaddress.ip_network((block.network_address, prefixlen))
    raise Conflict(NetworkFault.SUBNETPOOL_EXHAUSTED, prefixlen=prefixlen,
                   subnetpool_id=pool.id)


def allocate_specific(pool: SubnetPool, cidr: IPNetwork, used: Iterable[str]) -> IPNetwork:
    """`cidr` itself, if it lies inside one free block of the pool: 400 when it is outside
    the pool or overlaps one of the pool's subnets."""
    check_prefixlen(pool, cidr.prefixlen)
    for block in _free_blocks(pool, used):
        if block.version == cidr.version and cidr.subnet_of(block):  # type: ignore[arg-type]
            return cidr
    raise ValidationError(NetworkFault.SUBNETPOOL_CIDR_UNAVAILABLE, cidr=str(cidr),
                          subnetpool_id=pool.id)


def quota_units(ip_version: int, prefixlen: int) -> int:
    """What a prefix counts against a pool's default_quota: its size in /32s or /64s."""
    unit = QUOTA_UNIT[ip_version]
    return 1 << (unit - prefixlen) if prefixlen <= unit else 1


def check_quota(pool: SubnetPool, prefixlen: int, project_used: Iterable[str]) -> None:
    """409 when the project's subnets from the pool plus this one pass default_quota."""
    if pool.default_quota is None:
        return
    spent = sum(quota_units(pool.ip_version, ipaddress.ip_network(c).prefixlen)
                for c in project_used)
    if spent + quota_units(pool.ip_version, prefixlen) > pool.default_quota:
        raise Conflict(NetworkFault.SUBNETPOOL_QUOTA_EXCEEDED, subnetpool_id=pool.id)
