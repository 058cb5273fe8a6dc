"""The host's uptime as procps' `uptime` prints it, which is what Nova's libvirt driver
answers for os-hypervisors/{id}/uptime (it runs `uptime`); read by the host's own agent,
since the API may run on another machine.

" 16:09:43 up 8 days, 19:58,  1 user,  load average: 0.86, 0.63, 0.55\n"
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

# struct utmp (glibc, x86-64): 384 bytes, ut_type (a short, padded) first.
UTMP_RECORD = 384
USER_PROCESS = 7


def format_uptime(clock: time.struct_time, up_seconds: float, users: int,
                  loads: tuple[float, float, float]) -> str:
    """procps' format: the local time, days, hours:minutes (or minutes), users, loads."""
    minutes_total = int(up_seconds) // 60
    days, minutes_left = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(minutes_left, 60)
    out = f" {clock.tm_hour:02d}:{clock.tm_min:02d}:{clock.tm_sec:02d} up "
    if days:
        out += f"{days} day{'s' if days != 1 else ''}, "
    out += f"{hours:2d}:{minutes:02d}, " if hours else f"{minutes} min, "
    out += f"{users:2d} user{'' if users == 1 else 's'}, "
    out += " load average: {:.2f}, {:.2f}, {:.2f}\n".format(*loads)
    return out


def read_uptime(proc: Path = Path("/proc"), utmp: Path = Path("/var/run/utmp")) -> str:
    """Raises OSError when /proc cannot be read."""
    up_seconds = float((proc / "uptime").read_text().split()[0])
    fields = (proc / "loadavg").read_text().split()
    loads = (float(fields[0]), float(fields[1]), float(fields[2]))
    return format_uptime(time.localtime(), up_seconds, count_users(utmp), loads)


def count_users(utmp: Path) -> int:
    """Logged-in sessions in utmp (0 when there is none, as in a container)."""
    try:
        data = utmp.read_bytes()
    except OSError:
        return 0
    return sum(1 for offset in range(0, len(data) - UTMP_RECORD + 1, UTMP_RECORD)
               if struct.unpack_from("<h", data, offset)[0] == USER_PROCESS)
