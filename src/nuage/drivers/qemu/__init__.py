"""The QEMU hypervisor driver: one daemonized qemu-system-x86_64 per guest, driven over QMP.
See docs/architecture/hypervisor.md."""

from nuage.drivers.qemu.hypervisor import QemuHypervisor

__all__ = ["QemuHypervisor"]
