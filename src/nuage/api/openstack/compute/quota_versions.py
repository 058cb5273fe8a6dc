"""Which quota and limit keys each microversion shows (one table for /limits,
os-quota-sets and os-quota-class-sets).

2.36 drops the network quotas and limits (they belong to Neutron); 2.39 drops
`maxImageMeta` (the image-metadata proxy is gone); 2.50 brings `server_groups` and
`server_group_members` back into os-quota-class-sets (Nova's v2.1 port had lost them) and
drops its network keys; 2.57 drops the injected file (personality) quotas and limits.
"""

from __future__ import annotations

from typing import Any

Version = tuple[int, int]

NETWORK_QUOTAS = ("fixed_ips", "floating_ips", "networks", "security_group_rules",
                  "security_groups")
FILE_QUOTAS = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")
GROUP_QUOTAS = ("server_groups", "server_group_members")
NETWORK_LIMITS = ("maxSecurityGroups", "maxSecurityGroupRules", "maxTotalFloatingIps",
                  "totalFloatingIpsUsed", "totalSecurityGroupsUsed")
FILE_LIMITS = ("maxPersonality", "maxPersonalitySize")


def hidden_quotas(version: Version, quota_class: bool = False) -> set[str]:
    hidden: set[str] = set()
    if version >= (2, 36) and (not quota_class or version >= (2, 50)):
        hidden.update(NETWORK_QUOTAS)
    if version >= (2, 57):
        hidden.update(FILE_QUOTAS)
    if quota_class and version < (2, 50):
        hidden.update(GROUP_QUOTAS)
    return hidden


def quotas(values: dict[str, Any], version: Version, quota_class: bool = False
           ) -> dict[str, Any]:
    hidden = hidden_quotas(version, quota_class)
    return {k: v for k, v in values.items() if k not in hidden}


def limits(values: dict[str, Any], version: Version) -> dict[str, Any]:
    hidden: set[str] = set()
    if version >= (2, 36):
        hidden.update(NETWORK_LIMITS)
    if version >= (2, 39):
        hidden.add("maxImageMeta")
    if version >= (2, 57):
        hidden.update(FILE_LIMITS)
    return {k: v for k, v in values.items() if k not in hidden}
