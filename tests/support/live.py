"""A real `nuage up` in a subprocess on 127.0.0.1, for compat, tempest and system tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class LiveNuage:
    state_dir: Path
    port: int = field(default_factory=free_port)
    s3_port: int = field(default_factory=free_port)
    database_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def s3_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def identity_url(self) -> str:
        return f"{self.base_url}/identity"

    @property
    def admin_password(self) -> str:
        return (self.state_dir / "admin-password").read_text().strip()

    @property
    def clouds_yaml(self) -> Path:
        return self.state_dir / "clouds.yaml"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "server.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "NUAGE_"))}
        env.update({
            "NUAGE_HOST": "127.0.0.1",
            "NUAGE_PORT": str(self.port),
            "NUAGE_S3_PORT": str(self.s3_port),
            "NUAGE_STATE_DIR": str(self.state_dir),
            "NUAGE_USER_CLOUDS_YAML": "false",
            "NUAGE_FAST_PASSWORD_HASHING": "true",
            # No network datapath unless a test asks for one (with its own
            # NUAGE_NETWORK_PREFIX, cleaned up after): parallel clouds sharing the default
            # prefix would each remove the other's bridges as stale.
            "NUAGE_NETWORK_DATAPATH": "false",
            # Nor auto-allocated topologies: without a datapath a server's NIC is never
            # plugged (the build fails), and the CLI and openstacksdk send "auto" whenever
            # no network is named. A test that wants them sets the pool back.
            "NUAGE_NETWORK_AUTO_ALLOCATION_POOL": "",
        })
        if self.database_url:
            env["NUAGE_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def client_env(self) -> dict[str, str]:
        """Environment for the `openstack` CLI as the admin, via the written clouds.yaml."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update({"OS_CLIENT_CONFIG_FILE": str(self.clouds_yaml), "OS_CLOUD": "nuage"})
        return env

    def start(self, timeout: float = 60.0) -> LiveNuage:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # The child keeps its own descriptor of the log; ours is closed once it is handed on.
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nuage", "up"], env=self.env(), stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nuage up exited: {self.log_file.read_text()[-3000:]}")
            try:
                if (httpx.get(f"{self.identity_url}/v3", timeout=1).status_code == 200
                        and _accepts(self.s3_port)):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nuage up did not answer in {timeout}s")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def kill(self) -> None:
        """SIGKILL the whole process group at once: a crash, with no clean-up of any kind."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    @property
    def guests_dir(self) -> Path:
        return self.state_dir / "compute" / "guests"

    def kill_guests(self) -> None:
        """SIGKILL every QEMU this cloud started (by its pid files: only this cloud's).
        Guests outlive `nuage up` by design; a fixture's teardown ends them with this."""
        if not self.guests_dir.exists():
            return
        for pidfile in self.guests_dir.glob("*/qemu.pid"):
            with contextlib.suppress(OSError, ValueError):
                pid = int(pidfile.read_text())
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                if str(self.guests_dir) in cmdline:
                    os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        """The end of a test's cloud: nuage stopped and its guests killed."""
        self.stop()
        self.kill_guests()

    def admin_token(self) -> str:
        return self._admin_auth().headers["X-Subject-Token"]

    def ec2_credentials(self) -> tuple[str, str]:
        """A fresh (access, secret) EC2 pair of the admin in the admin project: S3 keys."""
        auth = self._admin_auth()
        token = auth.json()["token"]
        response = httpx.post(
            f"{self.identity_url}/v3/users/{token['user']['id']}/credentials/OS-EC2",
            json={"tenant_id": token["project"]["id"]},
            headers={"X-Auth-Token": auth.headers["X-Subject-Token"]}, timeout=30)
        response.raise_for_status()
        credential = response.json()["credential"]
        return str(credential["access"]), str(credential["secret"])

    def _admin_auth(self) -> httpx.Response:
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": self.admin_password}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
        response = httpx.post(f"{self.identity_url}/v3/auth/tokens", json=body, timeout=30)
        response.raise_for_status()
        return response
