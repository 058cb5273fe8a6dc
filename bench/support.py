"""What the benchmarks share: their own `nuage up` on loopback, an admin token, the memory of
a process, markdown tables and the rewriting of their section of docs/benchmarks.md.

Imported as `support` by the scripts next to it (run as `python bench/<name>.py`, whose
directory is then first on sys.path).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS_FILE = REPO_ROOT / "docs" / "benchmarks.md"
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 90.0  # seconds for `nuage up` to answer


class BenchError(Exception):
    """The benchmark could not run (server did not start, a request failed, ...)."""


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class NuageServer:
    """A `nuage up` subprocess on free loopback ports (APIs and S3) with its own state dir,
    not reading the user's clouds.yaml; always stopped by `stop()`."""

    def __init__(self, state_dir: Path, log_path: Path, *, database_url: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.state_dir = state_dir
        self.log_path = log_path
        self.port = free_port()
        self.s3_port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self._database_url = database_url
        self._env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(os.environ)
        env.update(NUAGE_USER_CLOUDS_YAML="false", NUAGE_HOST=HOST, PYTHONUNBUFFERED="1",
                   NUAGE_S3_PORT=str(self.s3_port))
        env.update(self._env)
        cmd = [sys.executable, "-m", "nuage", "up", "--state-dir", str(self.state_dir),
               "--port", str(self.port)]
        if self._database_url:
            cmd += ["--database-url", self._database_url]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env)

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Until Keystone answers and the S3 port accepts connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise BenchError(f"`nuage up` exited early:\n{self.log_tail()}")
            try:
                identity = httpx.get(f"{self.base_url}/identity/v3", timeout=2.0)
                with socket.create_connection((HOST, self.s3_port), timeout=2.0):
                    pass
                if identity.status_code == 200:
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.2)
        raise BenchError(f"`nuage up` not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def admin_password(self) -> str:
        return (self.state_dir / "admin-password").read_text().strip()

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise BenchError("`nuage up` is not running")
        return self.proc.pid

    def stop(self, timeout: float = 20.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def password_auth_body(password: str) -> dict[str, object]:
    """Keystone v3 password authentication of `admin`, scoped to project `admin`."""
    return {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}


def issue_token(base_url: str, password: str) -> tuple[str, dict[str, Any]]:
    """A project-scoped admin token and the `token` object Keystone describes it with."""
    resp = httpx.post(f"{base_url}/identity/v3/auth/tokens", json=password_auth_body(password),
                      timeout=30.0)
    token = resp.headers.get("X-Subject-Token")
    if resp.status_code != 201 or not token:
        raise BenchError(f"token issue failed: HTTP {resp.status_code} {resp.text[:300]}")
    info: dict[str, Any] = resp.json()["token"]
    return str(token), info


# --------------------------------------------------------------------------- processes


def proc_status_kib(pid: int, field_name: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM, ...); 0 when absent."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


class MemorySampler:
    """The peak VmRSS of a process, sampled every 20 ms while active, plus its VmHWM."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def status(self, field_name: str) -> int:
        return proc_status_kib(self.pid, field_name)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, ValueError):
                self.peak_kib = max(self.peak_kib, self.status("VmRSS"))
            self._stop.wait(0.02)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    # Treat SIGTERM like Ctrl-C: asyncio.run() then cancels its tasks cleanly, and the
    # KeyboardInterrupt reaches main(), whose `finally` stops the server.
    signal.raise_signal(signal.SIGINT)


def sigterm_as_interrupt() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    # A benchmark started in the background by a non-interactive shell (`... &`, nohup)
    # inherits SIGINT ignored, and Python then leaves it so: the SIGINT raised above
    # would be ignored too, and SIGTERM with it (the run went on to its end).
    signal.signal(signal.SIGINT, signal.default_int_handler)


# --------------------------------------------------------------------------- report


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile; NaN when there are no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


@dataclass(kw_only=True)
class Latencies:
    """What a timed run of requests measured: successful requests' latencies, errors."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return len(self.latencies) / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, pct: float) -> float:
        """Nearest-rank percentile of successful requests, in milliseconds."""
        return percentile(self.latencies, pct) * 1000.0


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    """A markdown table; `align` has one letter per column, "l" or "r" (default "l")."""
    align = align.ljust(len(header), "l")
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def machine() -> str:
    return (f"{os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, "
            f"{platform.system()} {platform.machine()}")


def today() -> str:
    return datetime.date.today().isoformat()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def write_docs(start_marker: str, end_marker: str, section: str) -> None:
    """Replace what lies between the two markers of docs/benchmarks.md by `section`."""
    text = DOCS_FILE.read_text()
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        raise BenchError(f"{DOCS_FILE} lacks the {start_marker!r} / {end_marker!r} markers")
    DOCS_FILE.write_text(f"{text[: start + len(start_marker)]}\n{section}\n{text[end:]}")


def conclude(section: str, *, write: bool, markers: tuple[str, str], check: bool,
             met: bool) -> int:
    """The end of a run: its results section written into docs/benchmarks.md between
    `markers` (--write-docs), and the exit status: 2 when --check and the target was
    missed, else 0."""
    if write:
        write_docs(*markers, section)
        print(f"\nwrote {DOCS_FILE.relative_to(REPO_ROOT)}")
    return 2 if check and not met else 0


# --------------------------------------------------------------------------- load client
#
# The load generators speak just enough HTTP/1.1 over asyncio streams: one keep-alive
# connection per simulated client, a pre-encoded request, a response read by Content-Length
# (or chunks). httpx spends several hundred microseconds of client CPU per request; on a
# 2-CPU machine, where client and server share the cores, that capped the do-nothing
# baseline near the client's own speed and made any server look as fast as /ping.


class Connection:
    """One keep-alive HTTP/1.1 connection to the server on loopback."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def roundtrip(self, request: bytes, head_only: bool = False) -> tuple[int, bytes]:
        """Sends one request, reads its response: (status, body). `head_only` for HEAD."""
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(HOST, self._port)
        reader, writer = self._reader, self._writer
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].split(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length: int | None = None
        chunked = close = False
        for line in header_lines:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
            elif name == b"connection":
                close = value == b"close"
        if head_only or status in (204, 304):
            body = b""
        elif chunked:
            body = await self._read_chunked(reader)
        elif length is not None:
            body = await reader.readexactly(length)
        else:
            body, close = await reader.read(), True
        if close:
            await self.close()
        return status, body

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
