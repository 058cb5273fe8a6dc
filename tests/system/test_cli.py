"""The `nuage` CLI on a real cloud (SQLite and PostgreSQL): every error is one line and a
non-zero exit, `--version`, `nuage audit events`, and where `nuage up` merges the user's
clouds.yaml."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from nuage.bootstrap import Cloud, build
from nuage.cli import _write_clouds_yaml, app, user_clouds_yaml
from nuage.domain.context import RequestContext
from nuage.drivers.clock import SystemClock
from nuage.services.audit import Auditor
from nuage.settings import Settings
from tests.drivers.postgres import fresh_database

runner = CliRunner()


@dataclass
class World:
    cloud: Cloud
    project: str
    where: list[str]          # the CLI options naming this cloud's state and database


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    state = tmp_path_factory.mktemp("cli-state")
    with contextlib.ExitStack() as stack:
        url = (stack.enter_context(fresh_database("nuage_cli"))
               if request.param == "postgres" else None)
        built = build(Settings(state_dir=state, database_url=url,
                               fast_password_hashing=True, compute=False))
        built.seed()
        admin = RequestContext(request_id="req-cli-test", user_id="operator", system=True,
                               roles=frozenset({"admin", "member", "reader"}))
        project = built.identity.projects.create(admin, "cli-proj", "default")
        built.storage.quotas.set(admin, project.id, max_buckets=7)
        where = ["--state-dir", str(state)] + (["--database-url", url] if url else [])
        yield World(built, project.id, where)
        built.engine.dispose()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("nuage: error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_version() -> None:
    code, out, _ = _run("--version")
    assert code == 0 and out.strip().startswith("nuage ") and out.strip() != "nuage unknown"


def test_storage_quota_of_an_unknown_project_is_one_line_and_exit_1(world: World) -> None:
    code, out, err = _run("admin", "storage-quota", "no-such-project", *world.where)
    assert code == 1 and out == ""
    assert "Could not find project: no-such-project" in _one_error_line(err)
    # With a limit (it used to print a traceback), and a value the service refuses.
    code, _, err = _run("admin", "storage-quota", "no-such-project", "--max-buckets", "3",
                        *world.where)
    assert code == 1 and "Could not find project" in _one_error_line(err)
    code, _, err = _run("admin", "storage-quota", world.project, "--max-bytes", "-5",
                        *world.where)
    assert code == 1 and "at least -1" in _one_error_line(err)
    code, out, _ = _run("admin", "storage-quota", world.project, *world.where)
    assert code == 0 and "buckets 0/7" in out


def test_commands_on_a_missing_state_dir_fail_in_one_line_and_create_nothing(
        tmp_path: Path) -> None:
    missing = tmp_path / "typo"
    for args in (["admin", "storage-quota", "p"], ["audit", "verify"], ["audit", "events"],
                 ["admin", "rotate-keys"]):
        code, _, err = _run(*args, "--state-dir", str(missing))
        assert code == 2, args
        assert str(missing) in _one_error_line(err)
    assert not missing.exists()


def test_a_database_error_is_one_line(tmp_path: Path) -> None:
    code, _, err = _run("audit", "events", "--database-url",
                        f"sqlite:///{tmp_path / 'empty.db'}")
    assert code == 1 and "database error" in _one_error_line(err)


def test_audit_events_filters_and_json(world: World) -> None:
    code, out, _ = _run("audit", "events", "--action", "storage.quota.update", "--json",
                        *world.where)
    assert code == 0
    page = json.loads(out)
    assert [e["action"] for e in page["events"]] == ["storage.quota.update"]
    event = page["events"][0]
    assert event["request_id"] == "req-cli-test" and event["detail"]["max_buckets"] == 7
    assert set(event) >= {"seq", "at", "target", "actor", "hash", "prev_hash"}
    # Pages: --limit and --marker as the API's.
    code, out, _ = _run("audit", "events", "--limit", "2", "--json", *world.where)
    first = json.loads(out)
    assert len(first["events"]) == 2 and first["next_marker"] == first["events"][1]["seq"]
    code, out, _ = _run("audit", "events", "--limit", "2", "--marker",
                        str(first["next_marker"]), "--json", *world.where)
    assert json.loads(out)["events"][0]["seq"] == first["next_marker"] + 1
    # Readable output, and time filters.
    code, out, _ = _run("audit", "events", "--target-type", "project", *world.where)
    assert code == 0 and "identity.project.create" in out and "req-cli-test" in out
    code, out, _ = _run("audit", "events", "--since", "2999-01-01T00:00:00Z", *world.where)
    assert code == 0 and "no events" in out
    code, _, err = _run("audit", "events", "--until", "yesterday", *world.where)
    assert code == 1 and "--until" in _one_error_line(err)


def test_the_real_command_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUAGE_")}
    proc = subprocess.run([sys.executable, "-m", "nuage", "admin", "storage-quota", "x",
                           "--state-dir", str(tmp_path / "none")], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    _one_error_line(proc.stderr)


def test_clouds_yaml_goes_where_openstacksdk_reads_it(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    monkeypatch.delenv("OS_CLIENT_CONFIG_FILE", raising=False)
    assert user_clouds_yaml() == xdg / "openstack" / "clouds.yaml"
    # An existing ~/.config one is kept only while no XDG one exists (the SDK's order).
    legacy = home / ".config" / "openstack" / "clouds.yaml"
    legacy.parent.mkdir(parents=True)
    legacy.write_text("clouds: {other: {auth: {auth_url: 'http://127.0.0.1:1'}}}\n")
    assert user_clouds_yaml() == legacy
    legacy.unlink()
    state = tmp_path / "state"
    state.mkdir()
    settings = Settings(state_dir=state, user_clouds_yaml=True)
    own, merged = _write_clouds_yaml(settings, "pw")
    assert merged == xdg / "openstack" / "clouds.yaml" and own.exists()
    assert yaml.safe_load(merged.read_text())["clouds"]["nuage"]["auth"]["password"] == "pw"
    assert oct(merged.stat().st_mode & 0o777) == "0o600"
    # openstacksdk itself, with this environment, finds the cloud there.
    probe = textwrap.dedent("""
        import openstack.config
        cloud = openstack.config.OpenStackConfig().get_one_cloud("nuage")
        print(cloud.config["auth"]["auth_url"])
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    proc = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout.strip() == settings.identity_url


@pytest.mark.parametrize("args, says", [
    (["admin", "storage-quota"], "Missing argument 'project'."),
    (["audit", "events", "--limit", "x"], "Invalid value for '--limit'"),
    (["audit", "events", "--limit", "0"], "Invalid value for '--limit'"),
    (["--bogus"], "No such option: --bogus"),
    (["admin", "nope"], "No such command 'nope'."),
])
def test_usage_errors_are_one_line_and_exit_2(args: list[str], says: str) -> None:
    code, out, err = _run(*args)
    assert code == 2 and out == ""
    assert says in _one_error_line(err) and "--help)" in err


def test_a_group_without_a_command_shows_its_help() -> None:
    code, out, err = _run("audit")
    assert code == 2 and "events" in out + err and "nuage: error" not in out + err


def test_audit_events_shows_tenant_words_as_text_not_markup(tmp_path: Path) -> None:
    """An object key is the tenant's own text: rich markup in it is shown, not obeyed."""
    cloud = build(Settings(state_dir=tmp_path, fast_password_hashing=True, compute=False))
    try:
        cloud.seed()
        ctx = RequestContext(request_id="req-markup", user_id="u1", project_id="p1",
                             roles=frozenset({"member"}))
        with cloud.identity.tokens.p.uow(write=True) as uow:
            Auditor(SystemClock()).record(uow, ctx, "s3.object.put", "object",
                                          "b/[bold]key[/bold][link=http://x]y[/link]",
                                          project_id="p1")
            uow.commit()
    finally:
        cloud.engine.dispose()
    code, out, _ = _run("audit", "events", "--action", "s3.object.put",
                        "--state-dir", str(tmp_path))
    assert code == 0 and "[bold]key[/bold][link=http://x]y[/link]" in out


@pytest.mark.parametrize("env, says", [
    ({"NUAGE_ACCELERATOR": "bogus"}, "invalid setting: NUAGE_ACCELERATOR: Input should be"),
    ({"NUAGE_PORT": "99999"}, "invalid setting: NUAGE_PORT: Input should be less than"),
    ({"NUAGE_CONFIG": "/nonexistent/nuage.toml"},
     "NUAGE_CONFIG names no file: /nonexistent/nuage.toml"),
    ({"NUAGE_CONFIG": "BAD_TOML"}, "not valid TOML"),
])
def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path, env: dict[str, str],
                                              says: str) -> None:
    if env.get("NUAGE_CONFIG") == "BAD_TOML":
        bad = tmp_path / "bad.toml"
        bad.write_text("port = = 1\n")
        env = {"NUAGE_CONFIG": str(bad)}
    for args in (["up"], ["audit", "verify"]):
        result = runner.invoke(app, args, env={**env, "NUAGE_STATE_DIR": str(tmp_path / "s")})
        assert result.exit_code == 2, (args, result.output)
        assert says in _one_error_line(result.stderr)
    assert not (tmp_path / "s").exists()
