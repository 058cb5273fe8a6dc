"""The NetworkFabric port on Linux: bridges, veths, TAPs, namespaces, dnsmasq, nftables."""

from nuage.drivers.linux_net.fabric import LinuxNetworkFabric

__all__ = ["LinuxNetworkFabric"]
