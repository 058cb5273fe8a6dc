"""Ansible's `openstack.cloud` collection against a live nuage: `openstack.cloud.server`
creates a server (with tags, which the module always sends: microversion 2.52; and
`networks: "auto"`, which openstacksdk sends from 2.37), then `server_action` stops and
starts it and `server` deletes it, on a real QEMU guest.

The collection comes from the `ansible` package, in its own virtual environment: the
collection (2.5 in ansible 12) needs an openstacksdk below 4.15, older than the one nuage
is tested with. The environment is cached in ~/.cache/nuage (keyed by the pins), so only
the first run on a machine pays for the install.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openstack.connection
import pytest

from tests.compat.conftest import unique
from tests.support.live import LiveNuage

pytestmark = [pytest.mark.compat, pytest.mark.slow]

# ansible 12 is the newest that runs on Python 3.11; it ships openstack.cloud 2.5, which
# needs openstacksdk < 4.15.
PINS = ("ansible==12.3.0", "openstacksdk==4.14.0")
REPO = Path(__file__).resolve().parents[2]


def _venv() -> Path:
    """A cached virtual environment with the pinned ansible and openstacksdk."""
    key = hashlib.sha256(f"{sys.version_info[:2]}{PINS}".encode()).hexdigest()[:12]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    venv = base / "nuage" / f"ansible-{key}"
    if (venv / ".complete").exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    uv = REPO / ".uvtool" / "bin" / "uv"
    if uv.exists():
        subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(venv)],
                       check=True, timeout=300)
        subprocess.run([str(uv), "pip", "install", "-q", "--python",
                        str(venv / "bin" / "python"), *PINS], check=True, timeout=900)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *PINS], check=True,
                       timeout=900)
    (venv / ".complete").write_text("\n".join(PINS) + "\n")
    return venv


PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    cloud: nuage
  tasks:
    - name: create a server
      openstack.cloud.server:
        cloud: "{{ cloud }}"
        name: "{{ server_name }}"
        image: nuage-guest
        flavor: "{{ flavor }}"
        # The shared live cloud runs no network datapath (nor auto-allocation): "auto"
        # gives no NIC, so no floating IP to look for. With a network and a floating IP:
        # test_auto_allocation_live.py.
        auto_ip: false
        tags: [ansible, compat]
        # openstacksdk's create_server(wait=True) deletes a server that becomes ACTIVE
        # without an IP address; a guest without a NIC has none, so the playbook waits
        # with server_info instead.
        wait: false
      register: created
    - name: wait until it is ACTIVE
      openstack.cloud.server_info:
        cloud: "{{ cloud }}"
        name: "{{ server_name }}"
      register: booted
      until: booted.servers | length == 1 and booted.servers[0].status in ["ACTIVE", "ERROR"]
      retries: 150
      delay: 2
    - name: record it
      ansible.builtin.copy:
        content: "{{ booted.servers[0] | to_json }}"
        dest: "{{ out_dir }}/created.json"
    - name: stop it
      openstack.cloud.server_action:
        cloud: "{{ cloud }}"
        server: "{{ server_name }}"
        action: stop
        wait: true
        timeout: 300
    - name: look at it stopped
      openstack.cloud.server_info:
        cloud: "{{ cloud }}"
        name: "{{ server_name }}"
      register: stopped
    - name: it is SHUTOFF
      ansible.builtin.assert:
        that: stopped.servers[0].status == "SHUTOFF"
    - name: start it
      openstack.cloud.server_action:
        cloud: "{{ cloud }}"
        server: "{{ server_name }}"
        action: start
        wait: true
        timeout: 300
    - name: look at it started
      openstack.cloud.server_info:
        cloud: "{{ cloud }}"
        name: "{{ server_name }}"
      register: started
    - name: it is ACTIVE
      ansible.builtin.assert:
        that: started.servers[0].status == "ACTIVE"
    - name: delete it
      openstack.cloud.server:
        cloud: "{{ cloud }}"
        name: "{{ server_name }}"
        state: absent
        wait: true
        timeout: 300
"""


def test_ansible_server_lifecycle(live_nuage: LiveNuage, admin_env: dict[str, str],
                                  admin_conn: openstack.connection.Connection,
                                  tmp_path: Path) -> None:
    venv = _venv()
    playbook = tmp_path / "server.yml"
    playbook.write_text(PLAYBOOK)
    smallest = min(admin_conn.compute.flavors(), key=lambda f: (f.ram, f.vcpus))
    name = unique("ansible")
    env = {**admin_env, "ANSIBLE_HOME": str(tmp_path / "ansible"),
           "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_PYTHON_INTERPRETER": str(venv / "bin" / "python"),
           "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [str(venv / "bin" / "ansible-playbook"), "-i", "localhost,", str(playbook),
         "-e", json.dumps({"server_name": name, "flavor": smallest.name,
                           "out_dir": str(tmp_path)})],
        env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    created = json.loads((tmp_path / "created.json").read_text())
    assert created["name"] == name and created["status"] == "ACTIVE"
    assert sorted(created["tags"]) == ["ansible", "compat"]
    assert admin_conn.compute.find_server(name) is None
