"""How the fabric names what it creates, and how it recognises its own objects again.

Namespaces carry the fabric's prefix and the object's full id (a namespace name is not
limited to 15 bytes, and a full id cannot collide the way a shortened one can); devices
inside them are limited to 15 bytes (IFNAMSIZ - 1), so they carry a shortened id and the
full one in their alias (`ip link` shows it), which is how `inventory` and `converge` map
a device back to the object it belongs to after a restart, with no state file.
"""

from __future__ import annotations

from dataclasses import dataclass

IFNAME_MAX = 15
SEGMENT_MAX = 65535           # a segment id is also the network's conntrack zone (16 bits)


@dataclass(frozen=True)
class Names:
    prefix: str

    def __post_init__(self) -> None:
        # The external bridge `<prefix>-ext` is a device name: the prefix must fit in it.
        if not self.prefix or len(self.ext_bridge) > IFNAME_MAX or "/" in self.prefix:
            raise ValueError(f"network prefix {self.prefix!r}: 1 to 11 characters, no '/'")

    # -- namespaces
    @property
    def datapath_ns(self) -> str:
        return f"{self.prefix}-dp"

    def dhcp_ns(self, network_id: str) -> str:
        return f"{self.prefix}-dhcp-{network_id}"

    def router_ns(self, router_id: str) -> str:
        return f"{self.prefix}-r-{router_id}"

    def owned_dhcp_ns(self, name: str) -> str | None:
        """The network id of one of our DHCP namespaces, else None."""
        head = f"{self.prefix}-dhcp-"
        return name[len(head):] if name.startswith(head) else None

    def owned_router_ns(self, name: str) -> str | None:
        head = f"{self.prefix}-r-"
        return name[len(head):] if name.startswith(head) else None

    # -- devices in the datapath namespace
    @property
    def ext_bridge(self) -> str:
        return f"{self.prefix}-ext"

    @staticmethod
    def bridge(segment_id: int) -> str:
        return f"nb{segment_id}"

    @staticmethod
    def segment_of(bridge: str) -> int | None:
        """The segment id a tenant bridge's name carries, else None."""
        digits = bridge[2:] if bridge.startswith("nb") else ""
        return int(digits) if digits.isdigit() else None

    @staticmethod
    def tap(port_id: str) -> str:
        return f"tap{port_id[:11]}"

    @staticmethod
    def dhcp_leg(network_id: str) -> str:
        return f"dh{network_id[:11]}"

    @staticmethod
    def router_leg(port_id: str) -> str:
        return f"ri{port_id[:11]}"

    @staticmethod
    def gateway_leg(port_id: str) -> str:
        return f"rg{port_id[:11]}"

    # -- devices inside a DHCP or router namespace (one namespace each: no clash)
    DHCP_IFACE = "ns-dhcp"

    @staticmethod
    def router_iface(port_id: str) -> str:
        return f"qr-{port_id[:11]}"

    @staticmethod
    def gateway_iface(port_id: str) -> str:
        return f"qg-{port_id[:11]}"


# A device's alias: "<role> <id> [<id>]". Roles of the datapath namespace's devices.
NETWORK = "nuage-network"     # a tenant bridge: network id
PORT = "nuage-port"           # a VM port's TAP (or stand-in veth): port id
DHCP = "nuage-dhcp"           # the DHCP namespace's leg: network id
ROUTER_IF = "nuage-router-if"  # a router's leg on a tenant bridge: router id, port id
ROUTER_GW = "nuage-router-gw"  # a router's leg on the external bridge: router id, port id
EXTERNAL = "nuage-external"   # the external bridge


def alias(role: str, *ids: str) -> str:
    return " ".join((role, *ids))


def parse_alias(text: str | None) -> tuple[str, tuple[str, ...]]:
    """(role, ids) of one of our aliases; ("", ()) for a device we did not name."""
    parts = (text or "").split()
    if not parts or not parts[0].startswith("nuage-"):
        return "", ()
    return parts[0], tuple(parts[1:])
