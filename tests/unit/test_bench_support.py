"""bench/support.py: what every benchmark relies on to stop cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"

# Stands for a benchmark: its `finally` must run when it is sent SIGTERM.
SCRIPT = f"""
import sys, time
sys.path.insert(0, {str(BENCH)!r})
import support
support.sigterm_as_interrupt()
try:
    print("ready", flush=True)   # inside: SIGTERM may come as soon as it is read
    time.sleep(60)
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_sigterm_interrupts_a_benchmark_started_with_sigint_ignored() -> None:
    # As `python bench/x.py &` from a non-interactive shell starts it: SIGINT ignored.
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert (out, proc.returncode) == ("interrupted\n", 0), err
        assert time.monotonic() - began < 30
    finally:
        proc.kill()
        proc.wait()
