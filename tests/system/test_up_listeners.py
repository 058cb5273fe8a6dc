"""`nuage up`'s listeners: the banner comes once both serve; a taken port is one line, exit
status 1, and nothing written (no state directory, no database)."""

from __future__ import annotations

import os
import selectors
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nuage.cli import CliError, bind_listeners
from tests.support.live import LiveNuage, free_port


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNuage]:
    live = LiveNuage(tmp_path_factory.mktemp("up-first"), extra_env={"NUAGE_COMPUTE": "false"})
    live.start()
    yield live
    live.stop()


def _up(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nuage", "up"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.parametrize("taken", ["port", "s3_port"])
def test_a_taken_port_is_one_line_exit_1_and_nothing_written(
        running: LiveNuage, tmp_path: Path, taken: str) -> None:
    second = LiveNuage(tmp_path / "second", extra_env={"NUAGE_COMPUTE": "false"})
    setattr(second, taken, getattr(running, taken))
    proc = _up(second.env())
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout == ""                          # no banner
    lines = proc.stderr.strip().splitlines()
    assert lines == [f"nuage: error: cannot listen on 127.0.0.1:{getattr(running, taken)}: "
                     "already in use (another nuage up?)"], proc.stderr
    assert not second.state_dir.exists()
    # The first one is unharmed.
    assert httpx.get(f"{running.identity_url}/v3", timeout=5).status_code == 200


def test_the_same_port_twice_is_refused_in_one_line(tmp_path: Path) -> None:
    port = free_port()
    env = LiveNuage(tmp_path / "same", port=port, s3_port=port).env()
    proc = _up(env)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert "must differ" in proc.stderr and not (tmp_path / "same").exists()


def test_the_banner_comes_once_every_listener_serves(tmp_path: Path) -> None:
    live = LiveNuage(tmp_path / "banner", extra_env={"NUAGE_COMPUTE": "false"})
    live.state_dir.mkdir(parents=True)
    # Both closed on the way out (the pipe and the selector), whatever the test found.
    with subprocess.Popen([sys.executable, "-m", "nuage", "up"], env=live.env(),
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          start_new_session=True) as proc, selectors.DefaultSelector() as selector:
        try:
            assert proc.stdout is not None
            selector.register(proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + 60
            seen = ""
            while "nuage is up" not in seen:
                assert time.monotonic() < deadline and proc.poll() is None, seen
                if selector.select(timeout=1):
                    seen += proc.stdout.readline()
            # At the banner, both answer at once (no connection refused, no waiting).
            assert httpx.get(f"{live.identity_url}/v3", timeout=2).status_code == 200
            with socket.create_connection(("127.0.0.1", live.s3_port), timeout=2):
                pass
            assert seen.count("nuage is up") == 1
        finally:
            proc.terminate()
            proc.wait(15)
    assert proc.returncode in (0, -15), proc.returncode
    assert os.path.exists(live.state_dir / "nuage.db")


def test_a_failure_while_starting_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    live = LiveNuage(tmp_path / "state",
                     extra_env={"NUAGE_GUEST_IMAGE_DIR": str(blocker / "guest-image")})
    proc = _up(live.env())
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "nuage is up" not in proc.stdout
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("nuage: error: guest image build failed"), proc.stderr[-2000:]
    # The listeners were released: the ports can be bound again at once.
    for port in (live.port, live.s3_port):
        with socket.create_server(("127.0.0.1", port)):
            pass


def test_an_address_not_on_this_host_is_one_clear_line() -> None:
    # 192.0.2.1 (TEST-NET-1) is on no interface: bind fails, nothing is sent anywhere.
    with pytest.raises(CliError) as caught:
        bind_listeners("192.0.2.1", [free_port(), free_port()])
    assert caught.value.message.endswith(": Cannot assign requested address")
    assert "while attempting" not in caught.value.message


def test_the_metadata_service_serves_its_unix_socket_owner_only(running: LiveNuage) -> None:
    """Beside the two TCP listeners, the metadata service on state_dir/metadata.sock, mode
    0600; a request that did not come through a proxy is refused, an unknown guest 404."""
    path = running.state_dir / "metadata.sock"
    mode = path.stat().st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(path)),
                      base_url="http://169.254.169.254", timeout=5) as md:
        assert "latest" in md.get("/").text.split("\n")
        assert md.get("/openstack/latest/meta_data.json").status_code == 400
        r = md.get("/openstack/latest/meta_data.json",
                   headers={"X-Nuage-Network-Id": "n", "X-Forwarded-For": "10.0.0.5"})
        assert r.status_code == 404
