"""A running guest's diagnostics in the flat shape Nova's libvirt driver gives before
microversion 2.48 (`get_diagnostics`): what libvirt's virDomainGetVcpus, blockStats,
interfaceStats and maxMemory report, read here from QMP and /proc.

- `cpu<N>_time`: nanoseconds vCPU N's thread has run on a host CPU (the first field of
  /proc/<qemu>/task/<thread>/schedstat, the thread QMP `query-cpus-fast` names), as
  libvirt reads it.
- `<disk>_read`, `_read_req`, `_write`, `_write_req`, `_errors`: QMP `query-blockstats`
  per disk, named as libvirt names them for Nova's guests (the root disk on virtio `vda`,
  the config drive on IDE `hdd`). `_errors` is the failed operations (libvirt: -1, "not
  supported", for QEMU).
- `<tap>_rx`, `_rx_packets`, `_rx_errors`, `_rx_drop`, `_tx`, ...: the tap device's
  counters, from the guest's side (the host's tx is the guest's rx), as libvirt swaps them.
- `memory`: the guest's RAM in KiB; `memory-actual` when it has a balloon.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from qemu.qmp import QMPClient, QMPError

from nuage.drivers.qemu import qmp
from nuage.ports.hypervisor import GuestSpec

# QEMU's block node names (command_line.py) -> the device names libvirt gives Nova's guests.
DISK_NAMES = {"root": "vda", "config": "hdd"}
# interfaceStats' fields from the guest's side: (Nova's suffix, the tap's counter).
NIC_COUNTERS = (("rx", "tx_bytes"), ("rx_packets", "tx_packets"), ("rx_errors", "tx_errors"),
                ("rx_drop", "tx_dropped"), ("tx", "rx_bytes"), ("tx_packets", "rx_packets"),
                ("tx_errors", "rx_errors"), ("tx_drop", "rx_dropped"))


def guest_diagnostics(qmp_socket: Path, pid: int, spec: GuestSpec,
                      proc: Path = Path("/proc"), sys_net: Path = Path("/sys/class/net")
                      ) -> dict[str, Any]:
    """Raises HypervisorError when QMP does not answer."""

    async def body(client: QMPClient) -> tuple[Any, Any, Any]:
        cpus = await client.execute("query-cpus-fast")
        blocks = await client.execute("query-blockstats")
        balloon = None
        with contextlib.suppress(QMPError):   # no balloon device: DeviceNotActive
            balloon = await client.execute("query-balloon")
        return cpus, blocks, balloon

    cpus, blocks, balloon = qmp.run_qmp(qmp_socket, body, timeout=5.0)
    out: dict[str, Any] = {}
    for cpu in sorted(cpus, key=lambda c: int(c.get("cpu-index", 0))):
        out[f"cpu{int(cpu.get('cpu-index', 0))}_time"] = _thread_cpu_ns(
            proc, pid, int(cpu.get("thread-id", 0)))
    for block in blocks:
        # Disks attached as -blockdev graphs have no legacy drive id ("device" is empty):
        # query-blockstats names them by their top node.
        name = DISK_NAMES.get(str(block.get("node-name") or block.get("device") or ""))
        stats = block.get("stats") or {}
        if name is None:
            continue
        out[f"{name}_read_req"] = int(stats.get("rd_operations", 0))
        out[f"{name}_read"] = int(stats.get("rd_bytes", 0))
        out[f"{name}_write_req"] = int(stats.get("wr_operations", 0))
        out[f"{name}_write"] = int(stats.get("wr_bytes", 0))
        out[f"{name}_errors"] = (int(stats.get("failed_rd_operations", 0))
                                 + int(stats.get("failed_wr_operations", 0)))
    for nic in spec.nics:
        counters = sys_net / nic.tap / "statistics"
        for suffix, counter in NIC_COUNTERS:
            out[f"{nic.tap}_{suffix}"] = _read_int(counters / counter)
    out["memory"] = spec.memory_mb * 1024
    if isinstance(balloon, dict) and "actual" in balloon:
        out["memory-actual"] = int(balloon["actual"]) // 1024
    return out


def _thread_cpu_ns(proc: Path, pid: int, tid: int) -> int:
    """Run time of one thread in ns (schedstat), 0 when it is unreadable (gone, or no
    schedstats in this kernel)."""
    try:
        return int((proc / str(pid) / "task" / str(tid) / "schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return 0
