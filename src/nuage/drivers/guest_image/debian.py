"""Debian packages as build inputs: resolve versions from the apt lists, fetch .debs with
`apt-get download` (nothing but the configured apt repositories is ever contacted), and
unpack them with `dpkg-deb`."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class DebianPackageError(Exception):
    """An apt or dpkg step failed; the message says which and why."""


@dataclass(frozen=True)
class DebianPackage:
    name: str
    version: str


def _run(args: list[str], cwd: Path | None = None, timeout: float = 300) -> str:
    env = dict(os.environ, LC_ALL="C", DEBIAN_FRONTEND="noninteractive")
    try:
        proc = subprocess.run(
            args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DebianPackageError(f"{args[0]} failed: {exc}") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise DebianPackageError(f"{' '.join(args)} failed: {' / '.join(detail)}")
    return proc.stdout


def _records(text: str) -> list[dict[str, str]]:
    """Parse deb822 stanzas (continuation lines are dropped: we read single-line fields)."""
    records: list[dict[str, str]] = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line and not line[0].isspace() and ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if fields.get("Package"):
            records.append(fields)
    return records


def candidates(names: list[str]) -> dict[str, dict[str, str]]:
    """The candidate version's record of each package, from the local apt lists.

    Lists that are missing or do not know a package are refreshed once with
    `apt-get update` (which needs root); DebianPackageError if still unknown."""
    found = _show(names)
    if any(name not in found for name in names):
        _run(["apt-get", "update", "-qq"], timeout=600)
        found = _show(names)
    missing = [name for name in names if name not in found]
    if missing:
        raise DebianPackageError(f"no apt candidate for {', '.join(missing)}")
    return found


def _show(names: list[str]) -> dict[str, dict[str, str]]:
    env = dict(os.environ, LC_ALL="C")
    try:
        proc = subprocess.run(
            ["apt-cache", "show", "--no-all-versions", *names],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DebianPackageError(f"apt-cache failed: {exc}") from exc
    # apt-cache exits non-zero when any name is unknown, yet prints the others.
    return {record["Package"]: record for record in _records(proc.stdout)}


# What decides apt's candidate versions: lists, sources, pins, and what is installed.
APT_STATE = ("/var/lib/apt/lists", "/etc/apt/sources.list", "/etc/apt/sources.list.d",
             "/etc/apt/preferences", "/etc/apt/preferences.d", "/var/lib/dpkg/status")


def apt_state_signature() -> str:
    """Changes whenever apt's answer about candidates may change (file names, sizes and
    modification times of everything it reads). Cheap: a few stat calls."""
    digest = hashlib.sha256()
    for root in APT_STATE:
        top = Path(root)
        paths = sorted(top.iterdir()) if top.is_dir() else [top]
        for path in paths:
            try:
                info = path.stat()
            except OSError:
                continue
            digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def exact_dependency(record: dict[str, str], prefix: str) -> DebianPackage | None:
    """The first `Depends` entry of `record` whose name starts with `prefix`, with the
    version it pins (`name (= version)`), e.g. the kernel behind linux-image-cloud-amd64."""
    for alternative in record.get("Depends", "").split(","):
        match = re.match(r"\s*([a-z0-9][a-z0-9+.-]*)\s*(?:\(\s*=\s*([^)\s]+)\s*\))?",
                         alternative)
        if match and match.group(1).startswith(prefix):
            if match.group(2) is None:
                return DebianPackage(match.group(1), "")
            return DebianPackage(match.group(1), match.group(2))
    return None


def dependency_closure(names: list[str]) -> list[DebianPackage]:
    """`names` and every package they depend on (Pre-Depends and Depends, recursively), at
    their candidate versions: `names` first, then the rest in the order found. Of
    alternatives (`a | b`) the first is taken; version constraints are not checked (the
    candidates of one release satisfy each other)."""
    found: dict[str, DebianPackage] = {}
    wanted = list(dict.fromkeys(names))
    while wanted:
        records = candidates(wanted)
        following: list[str] = []
        for name in wanted:
            found[name] = DebianPackage(name, records[name]["Version"])
            for dependency in _dependencies(records[name]):
                if dependency not in found and dependency not in wanted \
                        and dependency not in following:
                    following.append(dependency)
        wanted = following
    return list(found.values())


def _dependencies(record: dict[str, str]) -> list[str]:
    names = []
    for field in ("Pre-Depends", "Depends"):
        for entry in record.get(field, "").split(","):
            match = re.match(r"\s*([a-z0-9][a-z0-9+.-]*)", entry.split("|")[0])
            if match:
                names.append(match.group(1))
    return names


def fetch(package: DebianPackage, cache_dir: Path) -> Path:
    """The .deb of exactly `package`, downloaded into `cache_dir` unless already there."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    for deb in sorted(cache_dir.glob(f"{package.name}_*.deb")):
        if _fields(deb) == (package.name, package.version):
            return deb
    # Download into a private directory, then rename: an interrupted download never
    # leaves a truncated .deb where the next build would trust it.
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as tmp:
        _run(["apt-get", "download", "-q", f"{package.name}={package.version}"], cwd=Path(tmp))
        debs = list(Path(tmp).glob("*.deb"))
        if len(debs) != 1 or _fields(debs[0]) != (package.name, package.version):
            raise DebianPackageError(f"apt-get download gave no .deb for {package}")
        target = cache_dir / debs[0].name
        os.replace(debs[0], target)
        return target


def _fields(deb: Path) -> tuple[str, str]:
    try:
        package, version = _run(["dpkg-deb", "-f", str(deb), "Package", "Version"]).splitlines()
    except (DebianPackageError, ValueError):
        return ("", "")
    return (package.partition(":")[2].strip(), version.partition(":")[2].strip())


def extract(deb: Path, dest: Path) -> None:
    """Unpack the .deb's files under `dest` (no maintainer scripts are run)."""
    dest.mkdir(parents=True, exist_ok=True)
    _run(["dpkg-deb", "-x", str(deb), str(dest)])


def require_tools(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise DebianPackageError(f"missing tools: {', '.join(missing)} (run scripts/install.sh)")
