"""The `uptime` line the agent reports for os-hypervisors/{id}/uptime."""

from __future__ import annotations

import struct
import time
from pathlib import Path

from nuage.agent.host_uptime import UTMP_RECORD, count_users, format_uptime, read_uptime

AT = time.struct_time((2026, 1, 1, 16, 9, 43, 3, 1, 0))


def test_format_like_procps() -> None:
    loads = (0.86, 0.63, 0.55)
    assert (format_uptime(AT, (8 * 24 * 60 + 19 * 60 + 58) * 60 + 7, 1, loads)
            == " 16:09:43 up 8 days, 19:58,  1 user,  load average: 0.86, 0.63, 0.55\n")
    assert (format_uptime(AT, 24 * 3600 + 5 * 60, 2, loads)
            == " 16:09:43 up 1 day, 5 min,  2 users,  load average: 0.86, 0.63, 0.55\n")
    assert format_uptime(AT, 3 * 3600, 0, (0, 0, 0)).startswith(" 16:09:43 up  3:00,  0 users")


def test_read_from_proc(tmp_path: Path) -> None:
    (tmp_path / "uptime").write_text("4475.35 8491.20\n")
    (tmp_path / "loadavg").write_text("1.52 1.78 1.67 3/456 7890\n")
    utmp = tmp_path / "utmp"
    record = bytearray(UTMP_RECORD)
    struct.pack_into("<h", record, 0, 7)
    boot = bytearray(UTMP_RECORD)
    struct.pack_into("<h", boot, 0, 2)
    utmp.write_bytes(bytes(record + boot + record))
    assert count_users(utmp) == 2
    line = read_uptime(tmp_path, utmp)
    assert " up  1:14,  2 users,  load average: 1.52, 1.78, 1.67\n" in line
    assert count_users(tmp_path / "missing") == 0
