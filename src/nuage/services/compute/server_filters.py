"""The list filters that match one server field exactly, and who may use them.

Nova lets administrators filter on any of them; other users' filters outside its allowed
list are dropped silently (not refused), and 2.83 widened that list. `host` stays for
administrators only: a tenant must not learn which host runs what.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from nuage.domain import policy
from nuage.domain.compute import Server
from nuage.domain.context import RequestContext

# filter name -> how a server shows that field, as the query string spells it
FIELDS: dict[str, Callable[[Server], str]] = {
    "user_id": lambda s: s.user_id,
    "key_name": lambda s: s.key_name or "",
    "availability_zone": lambda s: s.availability_zone or "nova",
    "vm_state": lambda s: s.vm_state,
    "task_state": lambda s: s.task_state or "",
    "power_state": lambda s: str(s.power_state),
    "config_drive": lambda s: "True",
    "locked": lambda s: "true" if s.locked else "false",
    "host": lambda s: s.host or "",
}
# Everyone (2.73 added `locked` to the list).
EVERYONE = frozenset({"locked"})
# What 2.83 lets non-administrators use too.
FROM_2_83 = frozenset({"user_id", "key_name", "availability_zone", "vm_state", "task_state",
                       "power_state", "config_drive"})
TRUE_WORDS = frozenset({"1", "t", "true", "on", "y", "yes"})


def allowed(ctx: RequestContext, exact: Mapping[str, str], extended: bool
            ) -> dict[str, str]:
    """The filters this caller may use; `extended` is 2.83 or later."""
    if policy.may(ctx, "compute:server:allow_all_filters"):
        return dict(exact)
    permitted = EVERYONE | (FROM_2_83 if extended else frozenset())
    return {k: v for k, v in exact.items() if k in permitted}


def matches(server: Server, exact: Mapping[str, str]) -> bool:
    for key, wanted in exact.items():
        value = FIELDS[key](server)
        if key == "locked":
            if (wanted.lower() in TRUE_WORDS) != (value == "true"):
                return False
        elif key == "config_drive":
            # Every nuage guest has a config drive.
            if wanted.lower() not in TRUE_WORDS:
                return False
        elif value != wanted:
            return False
    return True
