"""The legacy diagnostics dict built from QMP replies, /proc and the taps' counters (the QMP
session is replaced by canned replies; tests/system reads a real guest's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nuage.drivers.qemu import diagnostics, qmp
from nuage.ports.hypervisor import BootImage, ConfigDrive, GuestSpec, Nic

CPUS = [{"cpu-index": 1, "thread-id": 11}, {"cpu-index": 0, "thread-id": 10}]
BLOCKS = [{"device": "root", "stats": {"rd_bytes": 512, "rd_operations": 1, "wr_bytes": 4096,
                                       "wr_operations": 2, "failed_rd_operations": 0,
                                       "failed_wr_operations": 1}},
          {"device": "config", "stats": {"rd_bytes": 2048, "rd_operations": 1}},
          {"device": "", "stats": {}}]


def test_guest_diagnostics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    replies = iter([(CPUS, BLOCKS, {"actual": 256 * 1024 * 1024})])

    def fake_run_qmp(path: Path, body: Any, timeout: float = 10.0) -> Any:
        return next(replies)

    monkeypatch.setattr(qmp, "run_qmp", fake_run_qmp)
    proc = tmp_path / "proc"
    for tid, ns in ((10, 1500), (11, 2500)):
        task = proc / "42" / "task" / str(tid)
        task.mkdir(parents=True)
        (task / "schedstat").write_text(f"{ns} 7 3\n")
    counters = tmp_path / "net" / "tap0" / "statistics"
    counters.mkdir(parents=True)
    for name, value in (("rx_bytes", 100), ("tx_bytes", 200), ("rx_packets", 1),
                        ("tx_packets", 2)):
        (counters / name).write_text(f"{value}\n")
    spec = GuestSpec("g", "vm", 2, 256, 1, BootImage(Path("/i"), "raw"), ConfigDrive({}),
                     (Nic("fa:16:3e:00:00:01", "tap0"),))
    out = diagnostics.guest_diagnostics(tmp_path / "qmp.sock", 42, spec, proc,
                                        tmp_path / "net")
    assert out["cpu0_time"] == 1500 and out["cpu1_time"] == 2500
    assert (out["vda_read"], out["vda_read_req"], out["vda_write"], out["vda_write_req"],
            out["vda_errors"]) == (512, 1, 4096, 2, 1)
    assert out["hdd_read"] == 2048
    # The guest's rx is what the host's tap sent.
    assert (out["tap0_rx"], out["tap0_tx"], out["tap0_rx_packets"]) == (200, 100, 2)
    assert out["tap0_rx_drop"] == 0
    assert out["memory"] == 256 * 1024 and out["memory-actual"] == 256 * 1024
