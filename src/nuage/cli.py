"""`nuage up`, `nuage admin ...`, `nuage audit verify|events`, `nuage --version`.

Every command runs inside one error handler (`_OneLineErrors`): an error nuage raises on
purpose (a domain error, a file or socket error, a database error, a `CliError`) is one
line on stderr and a non-zero exit status, never a traceback. Only a bug shows a traceback.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import socket
import sys
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import uvicorn
import yaml
from pydantic import ValidationError as PydanticValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from nuage.api.audit.app import render_event
from nuage.api.metadata.listener import bind_unix, close_unix
from nuage.api.openstack.identity.errors import WORDING as KEYSTONE_WORDING
from nuage.api.s3.errors import WORDING as S3_WORDING
from nuage.bootstrap import Cloud, build, key_repositories
from nuage.domain.context import RequestContext
from nuage.domain.errors import NuageError, ValidationError
from nuage.drivers.guest_image import GuestImageError
from nuage.drivers.sql.engine import DatabaseError
from nuage.ports.repositories import AuditQuery
from nuage.settings import Settings


class CliError(Exception):
    """A problem the CLI found itself: its message is the one line shown."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


err_console = Console(stderr=True, highlight=False)
# The CLI speaks Keystone's words, and S3's for storage faults (storage-quota).
CLI_WORDING = {**S3_WORDING, **KEYSTONE_WORDING}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class _OneLineErrors(TyperGroup):
    """The one error handler around every command (sub-commands run inside `invoke`, and
    their arguments are parsed there too; the top level's in `make_context`)."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except typer.TyperException as exc:
            _usage(exc)

    def invoke(self, ctx: Any) -> Any:      # typer's vendored click.Context (private)
        try:
            return super().invoke(ctx)
        except typer.TyperException as exc:
            _usage(exc)
        except CliError as exc:
            _fail(exc.message, exc.code)
        except NuageError as exc:
            _fail(exc.worded(CLI_WORDING), 1)
        except GuestImageError as exc:
            _fail(f"{exc} (NUAGE_COMPUTE=false runs nuage without compute)", 1)
        except DatabaseError as exc:
            orig = getattr(exc, "orig", None) or exc
            _fail(f"database error: {_one_line(str(orig)).split(' [SQL:')[0]}", 1)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            _fail(f"{exc.strerror or exc}{where}", 1)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None


def _usage(exc: typer.TyperException) -> NoReturn:
    """A usage error (click's): one line naming the command's --help, its exit status (2)."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        raise exc                           # not an error: the help, as typer shows it
    ctx = getattr(exc, "ctx", None)
    hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
    _fail(exc.format_message() + hint, exc.exit_code)


def _fail(message: str, code: int) -> NoReturn:
    err_console.print(f"nuage: error: {_one_line(message)}", markup=False, soft_wrap=True)
    raise typer.Exit(code)


app = typer.Typer(cls=_OneLineErrors, help="nuage: a sovereign cloud on your own machines.",
                  no_args_is_help=True)
admin_app = typer.Typer(help="Operator commands.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")
console = Console()

StateDir = Annotated[Path | None, typer.Option("--state-dir", help="State directory.")]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL.")]
OPERATOR = RequestContext(request_id="cli", user_id="operator", system=True,
                          roles=frozenset({"admin", "member", "reader"}))


def _version() -> str:
    try:
        return version("nuage")
    except PackageNotFoundError:
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        console.print(f"nuage {_version()}", markup=False)
        raise typer.Exit()


@app.callback()
def _root(show_version: Annotated[bool, typer.Option(
        "--version", help="Show nuage's version and exit.", callback=_print_version,
        is_eager=True)] = False) -> None:
    """nuage: a sovereign cloud on your own machines."""


def _settings(**overrides: Any) -> Settings:
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except PydanticValidationError as exc:
        # Named as the operator wrote them: NUAGE_<NAME> (or the TOML key, the same name).
        problems = "; ".join(
            f"NUAGE_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors())
        raise CliError(f"invalid setting: {problems}", 2) from None
    except FileNotFoundError as exc:
        raise CliError(f"{exc.strerror}: {exc.filename}", 2) from None
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"NUAGE_CONFIG {os.environ.get('NUAGE_CONFIG')}: not valid TOML: "
                       f"{exc}", 2) from None


@contextmanager
def _existing_cloud(settings: Settings) -> Iterator[Cloud]:
    """The cloud of an existing state directory or database, for operator commands: never
    creates one (a typo in --state-dir must not make an empty cloud that answers). Its
    engine's connections are closed on the way out, whatever the command did (the commands
    also run in-process, in tests)."""
    if settings.database_url is None and not (settings.state_dir / "nuage.db").exists():
        raise CliError(f"no nuage database in {settings.state_dir} "
                       "(give --state-dir or --database-url)", 2)
    cloud = build(settings, migrate=False)
    try:
        yield cloud
    finally:
        cloud.engine.dispose()


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def _cloud_entry(settings: Settings, password: str) -> dict[str, Any]:
    return {
        "auth": {"auth_url": settings.identity_url, "username": "admin", "password": password,
                 "project_name": settings.admin_project_name, "user_domain_name": "Default",
                 "project_domain_name": "Default"},
        "region_name": settings.region, "identity_api_version": 3, "interface": "public",
    }


def user_clouds_yaml(env: dict[str, str] | None = None) -> Path:
    """The user's clouds.yaml as openstacksdk finds it (openstack/config/loader.py): the
    file OS_CLIENT_CONFIG_FILE names; else the first that exists of
    $XDG_CONFIG_HOME/openstack/clouds.yaml (platformdirs' user config dir: XDG_CONFIG_HOME
    when set, else ~/.config) and ~/.config/openstack/clouds.yaml; else the former, new.
    The SDK reads only the first clouds file it finds: writing elsewhere is not seen."""
    env = dict(os.environ) if env is None else env
    override = env.get("OS_CLIENT_CONFIG_FILE", "").strip()
    if override:
        return Path(override).expanduser()
    home = Path.home()
    xdg = env.get("XDG_CONFIG_HOME", "").strip()
    config_home = Path(xdg).expanduser() if xdg else home / ".config"
    candidates = [config_home / "openstack", home / ".config" / "openstack"]
    for directory in candidates:
        for name in ("clouds.yaml", "clouds.yml"):
            if (directory / name).is_file():
                return directory / name
    return candidates[0] / "clouds.yaml"


def _write_clouds_yaml(settings: Settings, password: str) -> tuple[Path, Path | None]:
    """nuage's own clouds.yaml, and the user's one the `nuage` cloud was merged into."""
    entry = _cloud_entry(settings, password)
    own = settings.state_dir / "clouds.yaml"
    _write_private(own, yaml.safe_dump({"clouds": {"nuage": entry}}, sort_keys=False))
    if not settings.user_clouds_yaml:
        return own, None
    user_file = user_clouds_yaml()
    user_file.parent.mkdir(parents=True, exist_ok=True)
    existing: dict[str, Any] = {}
    if user_file.exists():
        existing = yaml.safe_load(user_file.read_text()) or {}
    existing.setdefault("clouds", {})["nuage"] = entry
    _write_private(user_file, yaml.safe_dump(existing, sort_keys=False))
    return own, user_file


def bind_listeners(host: str, ports: list[int]) -> list[socket.socket]:
    """Bind and listen on every port first, before anything is written: a taken port is
    one CliError. uvicorn then serves on these very sockets, so no other process can take
    a port between this check and the serving (no race)."""
    if len(set(ports)) != len(ports):
        raise CliError(f"the API port and the S3 port must differ (both {ports[0]})")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    bound: list[socket.socket] = []
    try:
        for port in ports:
            try:
                bound.append(socket.create_server((host, port), family=family, backlog=2048))
            except OSError as exc:
                why = ("already in use (another nuage up?)" if exc.errno == errno.EADDRINUSE
                       else os.strerror(exc.errno) if exc.errno else str(exc))
                raise CliError(f"cannot listen on {host}:{port}: {why}") from None
    except BaseException:
        for sock in bound:
            sock.close()
        raise
    return bound


@app.command()
def up(host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
       port: Annotated[int | None, typer.Option(help="Port of every API.")] = None,
       state_dir: StateDir = None, database_url: DatabaseUrl = None) -> None:
    """Run the whole cloud in the foreground."""
    settings = _settings(host=host, port=port, state_dir=state_dir, database_url=database_url)
    listeners = bind_listeners(settings.host, [settings.port, settings.s3_port])
    try:
        _up(settings, listeners)
    finally:
        for sock in listeners:
            sock.close()


def _up(settings: Settings, listeners: list[socket.socket]) -> None:
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    cloud = build(settings)
    seeded = cloud.seed()
    cloud.identity.tokens.prune_revocations()
    # The banner waits until every listener serves: what it says must work at once.
    banner: list[str] = []
    password_file = settings.state_dir / "admin-password"
    if seeded.admin_password is not None:
        _write_private(password_file, seeded.admin_password + "\n")
        banner.append(f"[bold]Admin password[/bold] (shown once, kept in {password_file}): "
                      f"{seeded.admin_password}")
    password = password_file.read_text().strip() if password_file.exists() else ""
    clouds, merged = _write_clouds_yaml(settings, password)
    banner.append(f"nuage is up: identity at {settings.identity_url}/v3")
    banner.append(f"  openstack --os-cloud nuage token issue   (clouds.yaml: {clouds}"
                  + (f", merged into {merged})" if merged is not None else ")"))
    partials, orphans = cloud.storage.maintenance.recover()
    if partials or orphans:
        console.print(f"storage recovery: removed {partials} partial writes and {orphans} "
                      "orphaned blobs left by an earlier crash")
    killed, image_orphans = cloud.images.images.recover()
    if killed or image_orphans:
        console.print(f"image recovery: {killed} interrupted uploads marked killed, "
                      f"{image_orphans} orphaned image blobs removed")
    banner.append(f"S3 at {settings.s3_url} (keys: openstack ec2 credentials create)")
    network_agent = None
    if cloud.network_datapath():
        # Before compute: its servers wait for their ports to be plugged.
        network_agent = cloud.network_agent()
        network_agent.start()
        banner.append(f"network: datapath in namespace {cloud.network_fabric().guest_netns()}")
    else:
        banner.append("network: no datapath (NUAGE_NETWORK_DATAPATH; auto needs root, nft "
                      "and dnsmasq): ports stay DOWN")
    agent = None
    if settings.compute:
        image_id = cloud.register_default_image(seeded.admin_project_id)
        banner.append(f"compute: default image nuage-guest ({image_id}); try "
                      "openstack server create --image nuage-guest --flavor m1.tiny --wait vm1")
        agent = cloud.compute_agent()
        agent.start()
        caps = agent.hypervisor.capabilities()
        banner.append(f"compute: guests run under {caps.accelerator.upper()}"
                      + (f" ({caps.accelerator_reason})" if caps.accelerator_reason else ""))
    # Volumes need no compute: their agent runs whenever the cloud serves them.
    volume_agent = cloud.volume_agent()
    volume_agent.start()
    worker = cloud.storage_worker()
    worker.start()
    try:
        # The metadata service: a unix socket only the datapath's proxies reach (0600).
        metadata = bind_unix(cloud.metadata_socket)
    except OSError as exc:
        worker.stop()
        volume_agent.stop()
        if agent is not None:
            agent.stop()
        raise CliError(f"cannot serve the metadata service at {cloud.metadata_socket}: "
                       f"{exc.strerror or exc}") from None
    try:
        apps: list[tuple[Any, socket.socket]] = [(cloud.app(), listeners[0]),
                                                 (cloud.s3_app(), listeners[1]),
                                                 (cloud.metadata_app(), metadata)]
        # The loop uvicorn.run would pick (uvloop when installed): serve() alone does not.
        loop_factory = uvicorn.Config(apps[0][0]).get_loop_factory()
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            served = runner.run(_serve(apps, lambda: _print_lines(banner)))
        if not served:
            raise CliError("a listener failed to start (see the log above)")
    finally:
        close_unix(metadata, cloud.metadata_socket)
        worker.stop()
        volume_agent.stop()
        if agent is not None:
            # Guests keep running: the next start adopts them.
            agent.stop()
        if network_agent is not None:
            # The datapath stays too (the guests use it); the next start converges it.
            network_agent.stop()


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        console.print(line, soft_wrap=True)     # a password or a path is never cut


async def _serve(apps: list[tuple[Any, socket.socket]], on_ready: Callable[[], object]) -> bool:
    """Run one uvicorn server per listener, call `on_ready` once all of them serve; when one
    stops (a signal), stop them all. False when one stopped before all served."""
    servers = [uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                             timeout_graceful_shutdown=10))
               for app, _ in apps]
    tasks = [asyncio.create_task(server.serve(sockets=[sock]))
             for server, (_, sock) in zip(servers, apps, strict=True)]

    async def all_started() -> None:
        while not all(server.started for server in servers):
            await asyncio.sleep(0.005)

    ready = asyncio.create_task(all_started())
    done, _ = await asyncio.wait([*tasks, ready], return_when=asyncio.FIRST_COMPLETED)
    served = ready in done
    if served:
        on_ready()
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    else:
        ready.cancel()
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)
    return served


@admin_app.command("rotate-keys")
def rotate_keys(state_dir: StateDir = None) -> None:
    """Rotate the token keys; tokens sealed with the previous key stay valid."""
    settings = _settings(state_dir=state_dir)
    if not (settings.state_dir / "fernet-keys").is_dir():
        raise CliError(f"no nuage token keys in {settings.state_dir} (give --state-dir)", 2)
    tokens, _ = key_repositories(settings)
    number = tokens.rotate()
    console.print(f"new primary token key: {number}")


@admin_app.command("storage-quota")
def storage_quota(project: Annotated[str, typer.Argument(help="Project id.")],
                  max_buckets: Annotated[int | None, typer.Option()] = None,
                  max_objects: Annotated[int | None, typer.Option()] = None,
                  max_bytes: Annotated[int | None, typer.Option()] = None,
                  state_dir: StateDir = None, database_url: DatabaseUrl = None) -> None:
    """Show a project's storage quota and usage; with options, set limits (-1: none)."""
    with _existing_cloud(_settings(state_dir=state_dir, database_url=database_url)) as cloud:
        quotas = cloud.storage.quotas
        if (max_buckets, max_objects, max_bytes) != (None, None, None):
            quotas.set(OPERATOR, project, max_buckets, max_objects, max_bytes)
        quota, usage = quotas.get(OPERATOR, project)
    console.print(f"buckets {usage.buckets}/{quota.max_buckets}  "
                  f"objects {usage.objects}/{quota.max_objects}  "
                  f"bytes {usage.bytes}/{quota.max_bytes}   (-1: unlimited)")


@audit_app.command("verify")
def verify(state_dir: StateDir = None, database_url: DatabaseUrl = None) -> None:
    """Check the audit trail's hash chain; exit 1 naming the first bad event."""
    with _existing_cloud(_settings(state_dir=state_dir, database_url=database_url)) as cloud:
        problem = cloud.audit.verify()
    if problem is None:
        console.print("audit trail intact")
        return
    console.print(f"[red]audit trail broken[/red] at {problem}")
    raise typer.Exit(1)


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{option}: {value!r} is not an ISO 8601 time "
                              "(e.g. 2026-12-07T04:00:00Z)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@audit_app.command("events")
def events(
    project: Annotated[str | None, typer.Option("--project", help="Project id.")] = None,
    action: Annotated[str | None, typer.Option(help="e.g. identity.user.create.")] = None,
    target_type: Annotated[str | None, typer.Option(help="e.g. user, bucket.")] = None,
    target_id: Annotated[str | None, typer.Option(help="The target's id.")] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601 time, inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601 time.")] = None,
    marker: Annotated[int | None, typer.Option(help="Events after this seq.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Events per page.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="JSON, as the audit API.")] = False,
    state_dir: StateDir = None, database_url: DatabaseUrl = None,
) -> None:
    """List audit events, oldest first, with the filters of GET /audit/v1/events."""
    query = AuditQuery(project_id=project, action=action, target_type=target_type,
                       target_id=target_id, since=_when(since, "--since"),
                       until=_when(until, "--until"), after_seq=marker, limit=limit)
    with _existing_cloud(_settings(state_dir=state_dir, database_url=database_url)) as cloud:
        page = cloud.audit.list_events(OPERATOR, query)
    if as_json:
        sys.stdout.write(json.dumps({"events": [render_event(e) for e in page.events],
                                     "next_marker": page.next_marker}, indent=2) + "\n")
        return
    table = Table(box=None, header_style="bold")
    for column in ("seq", "at", "action", "outcome", "target", "project", "actor", "request"):
        table.add_column(column, overflow="fold")     # ids whole: they are copied

    for e in page.events:
        actor = e.actor_user_id or "-"
        if e.by_provider:
            actor += " (provider)"
        # Text, not markup: names in events are the tenants' own words.
        table.add_row(*(Text(cell) for cell in (
            str(e.seq), e.at.strftime("%Y-%m-%d %H:%M:%S"), e.action, e.outcome,
            f"{e.target_type} {e.target_id or ''}".strip(), e.project_id or "-", actor,
            e.request_id or "-")))
    # Piped: rows of their natural width, one line each (rich assumes 80 columns).
    out = console if console.is_terminal else Console(width=100_000)
    out.print(table)
    if page.next_marker is not None:
        console.print(f"more: --marker {page.next_marker}")
    elif not page.events:
        console.print("no events")


def main() -> None:
    app()
