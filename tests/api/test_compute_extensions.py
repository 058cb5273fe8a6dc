"""GET /extensions: Nova's frozen v2.1 extension list, limited to what nuage serves."""

from __future__ import annotations

from tests.api.compute_support import Nova, assert_fault


def test_extensions_list_and_show(nova: Nova) -> None:
    r = nova.get("/extensions")
    assert r.status_code == 200, r.text
    found = r.json()["extensions"]
    for e in found:
        assert set(e) == {"name", "alias", "description", "namespace", "updated", "links"}
        assert e["links"] == [] and e["updated"].endswith("Z")
    aliases = {e["alias"] for e in found}
    assert {"os-hosts", "os-keypairs", "os-admin-actions", "os-lock-server", "os-aggregates",
            "os-quota-class-sets", "os-simple-tenant-usage", "os-create-backup"} <= aliases
    # What nuage does not serve is not claimed.
    assert not {"os-rescue", "os-shelve", "os-consoles", "os-floating-ips"} & aliases
    assert "Hosts" in {e["name"] for e in found}
    shown = nova.get("/extensions/os-hosts").json()["extension"]
    assert shown["name"] == "Hosts"
    assert_fault(nova.get("/extensions/os-rescue"), 404, "itemNotFound")
    assert nova.get("/extensions", "not-a-token").status_code == 401
