"""nftables through the `nft` tool: text scripts applied as one transaction (`nft -f`),
rulesets read back as JSON (`nft -j`), never parsed from text."""

from __future__ import annotations

import json
from typing import Any

from nuage.drivers.linux_net.kernel import run

NFT = "nft"


def apply(ns: str, script: str) -> None:
    """One atomic transaction: all of the script or none of it."""
    run(ns, [NFT, "-f", "-"], stdin=script)


def ruleset(ns: str) -> list[dict[str, Any]]:
    """The namespace's ruleset as nft's JSON objects (`{"table": {...}}`, `{"chain": ...}`)."""
    found: list[dict[str, Any]] = json.loads(run(ns, [NFT, "-j", "list", "ruleset"]))["nftables"]
    return found


def objects(ns: str, kind: str, family: str, table: str) -> list[dict[str, Any]]:
    """The ruleset's objects of one kind ("chain", "set", "map", "rule") in one table."""
    return [o[kind] for o in ruleset(ns)
            if kind in o and o[kind]["family"] == family and o[kind]["table"] == table]


def quoted(name: str) -> str:
    """A name as nft's parser takes it whatever it holds (ids have dashes)."""
    return f'"{name}"'
