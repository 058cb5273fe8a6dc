"""`nuage up`, `nuage admin ...`, `nuage audit verify`."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
import yaml
from rich.console import Console

from nuage.bootstrap import build, key_repositories
from nuage.domain.context import RequestContext
from nuage.settings import Settings

app = typer.Typer(help="nuage: a sovereign cloud on your own machines.", no_args_is_help=True)
admin_app = typer.Typer(help="Operator commands.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")
console = Console()

StateDir = Annotated[Path | None, typer.Option("--state-dir", help="State directory.")]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL.")]


def _settings(**overrides: Any) -> Settings:
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**given)


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


def _write_clouds_yaml(settings: Settings, password: str) -> Path:
    entry = _cloud_entry(settings, password)
    own = settings.state_dir / "clouds.yaml"
    _write_private(own, yaml.safe_dump({"clouds": {"nuage": entry}}, sort_keys=False))
    if settings.user_clouds_yaml:
        user_file = Path.home() / ".config" / "openstack" / "clouds.yaml"
        user_file.parent.mkdir(parents=True, exist_ok=True)
        existing: dict[str, Any] = {}
        if user_file.exists():
            existing = yaml.safe_load(user_file.read_text()) or {}
        existing.setdefault("clouds", {})["nuage"] = entry
        _write_private(user_file, yaml.safe_dump(existing, sort_keys=False))
    return own


@app.command()
def up(host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
       port: Annotated[int | None, typer.Option(help="Port of every API.")] = None,
       state_dir: StateDir = None, database_url: DatabaseUrl = None) -> None:
    """Run the whole cloud in the foreground."""
    settings = _settings(host=host, port=port, state_dir=state_dir, database_url=database_url)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    cloud = build(settings)
    seeded = cloud.seed()
    cloud.identity.tokens.prune_revocations()
    password_file = settings.state_dir / "admin-password"
    if seeded.admin_password is not None:
        _write_private(password_file, seeded.admin_password + "\n")
        console.print(f"[bold]Admin password[/bold] (shown once, kept in {password_file}): "
                      f"{seeded.admin_password}")
    password = password_file.read_text().strip() if password_file.exists() else ""
    clouds = _write_clouds_yaml(settings, password)
    console.print(f"nuage is up: identity at {settings.identity_url}/v3")
    console.print(f"  openstack --os-cloud nuage token issue   (clouds.yaml: {clouds}"
                  + (", merged into ~/.config/openstack/clouds.yaml)" if settings.user_clouds_yaml
                     else ")"))
    partials, orphans = cloud.storage.maintenance.recover()
    if partials or orphans:
        console.print(f"storage recovery: removed {partials} partial writes and {orphans} "
                      "orphaned blobs left by an earlier crash")
    killed, image_orphans = cloud.images.images.recover()
    if killed or image_orphans:
        console.print(f"image recovery: {killed} interrupted uploads marked killed, "
                      f"{image_orphans} orphaned image blobs removed")
    console.print(f"S3 at {settings.s3_url} (keys: openstack ec2 credentials create)")
    agent = None
    if settings.compute:
        image_id = cloud.register_default_image(seeded.admin_project_id)
        console.print(f"compute: default image nuage-guest ({image_id}); try "
                      "openstack server create --image nuage-guest --flavor m1.tiny --wait vm1")
        agent = cloud.compute_agent()
        agent.start()
    worker = cloud.storage_worker()
    worker.start()
    try:
        # The loop uvicorn.run would pick (uvloop when installed): serve() alone does not.
        apps: list[tuple[Any, int]] = [(cloud.app(), settings.port),
                                        (cloud.s3_app(), settings.s3_port)]
        loop_factory = uvicorn.Config(apps[0][0]).get_loop_factory()
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(_serve(apps, settings.host))
    finally:
        worker.stop()
        if agent is not None:
            # Guests keep running: the next start adopts them.
            agent.stop()


async def _serve(apps: list[tuple[Any, int]], host: str) -> None:
    """Run one uvicorn server per listener; when one stops (a signal), stop them all."""
    servers = [uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                             access_log=False, timeout_graceful_shutdown=10))
               for app, port in apps]
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)


@admin_app.command("rotate-keys")
def rotate_keys(state_dir: StateDir = None) -> None:
    """Rotate the token keys; tokens sealed with the previous key stay valid."""
    settings = _settings(state_dir=state_dir)
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
    settings = _settings(state_dir=state_dir, database_url=database_url)
    cloud = build(settings, migrate=False)
    operator = RequestContext(request_id="cli", user_id="operator", system=True,
                              roles=frozenset({"admin", "member", "reader"}))
    quotas = cloud.storage.quotas
    if (max_buckets, max_objects, max_bytes) != (None, None, None):
        quotas.set(operator, project, max_buckets, max_objects, max_bytes)
    quota, usage = quotas.get(operator, project)
    console.print(f"buckets {usage.buckets}/{quota.max_buckets}  "
                  f"objects {usage.objects}/{quota.max_objects}  "
                  f"bytes {usage.bytes}/{quota.max_bytes}   (-1: unlimited)")


@audit_app.command("verify")
def verify(state_dir: StateDir = None, database_url: DatabaseUrl = None) -> None:
    """Check the audit trail's hash chain; exit 1 naming the first bad event."""
    settings = _settings(state_dir=state_dir, database_url=database_url)
    if settings.database_url is None and not (settings.state_dir / "nuage.db").exists():
        console.print(f"[red]no nuage database in {settings.state_dir}[/red] "
                      "(give --state-dir or --database-url)")
        raise typer.Exit(2)
    cloud = build(settings, migrate=False)
    problem = cloud.audit.verify()
    if problem is None:
        console.print("audit trail intact")
        return
    console.print(f"[red]audit trail broken[/red] at {problem}")
    raise typer.Exit(1)


def main() -> None:
    app()
