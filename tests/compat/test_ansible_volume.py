"""Ansible's `openstack.cloud` volume modules against a live nuage with its volume agent
and a real guest: `volume` (create, an idempotent second run, extend by size, delete),
`server_volume` (attach to a running server, idempotent, detach), `volume_snapshot` and
`volume_backup` (create, idempotent, delete). The collection and its pinned openstacksdk
come from test_ansible_server.py's cached virtual environment."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import openstack.connection
import pytest

from tests.compat.conftest import unique
from tests.compat.test_ansible_server import _venv
from tests.support.live import LiveNuage
from tests.support.qemu import needs_qemu

pytestmark = [pytest.mark.compat, pytest.mark.slow, needs_qemu]

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/openstack.cloud.openstack:
      cloud: nuage
      timeout: 600
  tasks:
    - name: create a volume
      openstack.cloud.volume: {name: "{{ vol }}", size: 1}
      register: created
    - name: the same again changes nothing
      openstack.cloud.volume: {name: "{{ vol }}", size: 1}
      register: again
    - ansible.builtin.assert:
        that:
          - created is changed
          - again is not changed
          - created.volume.size == 1
          - again.volume.id == created.volume.id

    - name: attach it to the running server
      openstack.cloud.server_volume: {server: "{{ server }}", volume: "{{ vol }}"}
      register: attached
    - name: attach it again
      openstack.cloud.server_volume: {server: "{{ server }}", volume: "{{ vol }}"}
      register: attached_again
    - name: look at it attached
      openstack.cloud.volume_info: {name: "{{ vol }}"}
      register: in_use
    - ansible.builtin.assert:
        that:
          - attached is changed
          - attached_again is not changed
          - in_use.volumes[0].status == "in-use"
          - in_use.volumes[0].attachments | map(attribute="server_id") | list == [server]
    - name: detach it
      openstack.cloud.server_volume:
        {server: "{{ server }}", volume: "{{ vol }}", state: absent}
      register: detached
    - name: detach it again
      openstack.cloud.server_volume:
        {server: "{{ server }}", volume: "{{ vol }}", state: absent}
      register: detached_again
    - ansible.builtin.assert:
        that: [detached is changed, detached_again is not changed]

    - name: extend it
      openstack.cloud.volume: {name: "{{ vol }}", size: 2}
      register: extended
    - ansible.builtin.assert:
        that: extended is changed
    - name: wait until it is extended
      openstack.cloud.volume_info: {name: "{{ vol }}"}
      register: grown
      until: grown.volumes[0].size == 2 and grown.volumes[0].status == "available"
      retries: 150
      delay: 2

    - name: snapshot it
      openstack.cloud.volume_snapshot: {name: "{{ snap }}", volume: "{{ vol }}"}
      register: snapped
    - name: snapshot it again
      openstack.cloud.volume_snapshot: {name: "{{ snap }}", volume: "{{ vol }}"}
      register: snapped_again
    - name: back it up
      openstack.cloud.volume_backup: {name: "{{ backup }}", volume: "{{ vol }}"}
      register: backed_up
    - name: back it up again
      openstack.cloud.volume_backup: {name: "{{ backup }}", volume: "{{ vol }}"}
      register: backed_up_again
    - ansible.builtin.assert:
        that:
          - snapped is changed
          - snapped_again is not changed
          - snapped.snapshot.status == "available"
          - backed_up is changed
          - backed_up_again is not changed
          - backed_up.backup.status == "available"

    - name: delete the backup
      openstack.cloud.volume_backup: {name: "{{ backup }}", state: absent}
    - name: delete the snapshot
      openstack.cloud.volume_snapshot: {name: "{{ snap }}", state: absent}
    - name: delete the volume
      openstack.cloud.volume: {name: "{{ vol }}", state: absent}
      register: deleted
    - name: delete it again
      openstack.cloud.volume: {name: "{{ vol }}", state: absent}
      register: deleted_again
    - ansible.builtin.assert:
        that: [deleted is changed, deleted_again is not changed]
"""


@pytest.mark.timeout(1800)
def test_ansible_volume_modules(live_nuage: LiveNuage, admin_env: dict[str, str],
                                admin_conn: openstack.connection.Connection,
                                volume_server: Any, tmp_path: Path) -> None:
    venv = _venv()
    playbook = tmp_path / "volume.yml"
    playbook.write_text(PLAYBOOK)
    names = {"vol": unique("ansible-vol"), "snap": unique("ansible-snap"),
             "backup": unique("ansible-bk"), "server": volume_server.id}
    env = {**admin_env, "ANSIBLE_HOME": str(tmp_path / "ansible"),
           "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_PYTHON_INTERPRETER": str(venv / "bin" / "python"),
           "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [str(venv / "bin" / "ansible-playbook"), "-i", "localhost,", str(playbook),
         "-e", json.dumps(names)], env=env, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-3000:]
    bs = admin_conn.block_storage
    assert bs.find_volume(names["vol"]) is None
    assert bs.find_snapshot(names["snap"]) is None
    assert bs.find_backup(names["backup"]) is None
