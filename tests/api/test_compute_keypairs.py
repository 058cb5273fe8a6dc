"""Nova keypairs: import only, the name is the key, scoped to the user, quota; `type`
(2.2) and other users' key pairs for administrators (2.10)."""

from __future__ import annotations

import datetime
import re

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from tests.api.compute_support import Nova, assert_fault

SHOW_KEYS = {"name", "public_key", "fingerprint", "user_id", "id", "deleted", "created_at",
             "updated_at", "deleted_at"}




def public_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode() + " me@host\n"


def test_import_list_show_delete(nova: Nova) -> None:
    pub = public_key()
    r = nova.post("/os-keypairs", {"keypair": {"name": "k1", "public_key": pub}})
    assert r.status_code == 200, r.text
    created = r.json()["keypair"]
    assert set(created) == {"name", "public_key", "fingerprint", "user_id"}
    assert created["public_key"] == pub and created["user_id"] == nova.api.admin_user_id
    assert re.fullmatch(r"([0-9a-f]{2}:){15}[0-9a-f]{2}", created["fingerprint"])

    r = nova.get("/os-keypairs")
    assert r.status_code == 200
    assert r.json() == {"keypairs": [{"keypair": {"name": "k1", "public_key": pub,
                                                  "fingerprint": created["fingerprint"]}}]}
    shown = nova.get("/os-keypairs/k1").json()["keypair"]
    assert set(shown) == SHOW_KEYS
    assert isinstance(shown["id"], int) and shown["deleted"] is False
    assert shown["updated_at"] is None and shown["deleted_at"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", shown["created_at"])

    r = nova.delete("/os-keypairs/k1")
    assert r.status_code == 202 and r.content == b""
    assert_fault(nova.get("/os-keypairs/k1"), 404, "itemNotFound")
    assert_fault(nova.delete("/os-keypairs/k1"), 404, "itemNotFound")
    assert nova.get("/os-keypairs").json() == {"keypairs": []}
    actions = [e["action"] for e in nova.api.events() if e["target"]["type"] == "keypair"]
    assert actions == ["compute.keypair.create", "compute.keypair.delete"]


def test_bad_keypairs(nova: Nova) -> None:
    pub = public_key()
    assert nova.post("/os-keypairs", {"keypair": {"name": "dup", "public_key": pub}}
                     ).status_code == 200
    cases = [
        ({"name": "dup", "public_key": pub}, 409, "conflictingRequest"),
        ({"name": "", "public_key": pub}, 400, "badRequest"),
        ({"name": "key_/.\\@:", "public_key": pub}, 400, "badRequest"),
        ({"name": "k" * 256, "public_key": pub}, 400, "badRequest"),
        ({"name": "junk", "public_key": "ssh-rsa JUNK nova@ubuntu"}, 400, "badRequest"),
        ({"name": "long", "public_key": "ssh-rsa " + "A" * 2048 + " x"}, 400, "badRequest"),
        ({"name": "mismatch", "public_key": pub.replace("ssh-ed25519", "ssh-rsa")}, 400,
         "badRequest"),
        ({"name": "extra", "public_key": pub, "type": "ssh"}, 400, "badRequest"),
        ({"public_key": pub}, 400, "badRequest"),
    ]
    for body, status, name in cases:
        assert_fault(nova.post("/os-keypairs", {"keypair": body}), status, name)
    assert [k["keypair"]["name"] for k in nova.get("/os-keypairs").json()["keypairs"]] == [
        "dup"]


def test_keypairs_belong_to_their_user(nova: Nova) -> None:
    _, token = nova.member()
    _, other = nova.member()
    pub = public_key()
    assert nova.post("/os-keypairs", {"keypair": {"name": "mine", "public_key": pub}},
                     token).status_code == 200
    # Another user may use the same name; neither sees the other's.
    assert nova.post("/os-keypairs", {"keypair": {"name": "mine", "public_key": public_key()}},
                     other).status_code == 200
    assert nova.get("/os-keypairs/mine", token).json()["keypair"]["public_key"] == pub
    assert nova.get("/os-keypairs/mine", other).json()["keypair"]["public_key"] != pub
    assert_fault(nova.get("/os-keypairs/mine"), 404, "itemNotFound")
    assert_fault(nova.delete("/os-keypairs/mine"), 404, "itemNotFound")
    assert nova.get("/os-keypairs/mine", token).status_code == 200


def test_key_pairs_quota(nova: Nova) -> None:
    project, token = nova.member()
    r = nova.put(f"/os-quota-sets/{project}", {"quota_set": {"key_pairs": 2}})
    assert r.status_code == 200, r.text
    for name in ("a", "b"):
        assert nova.post("/os-keypairs", {"keypair": {"name": name, "public_key": public_key()}},
                         token).status_code == 200
    message = assert_fault(nova.post("/os-keypairs", {"keypair": {
        "name": "c", "public_key": public_key()}}, token), 403, "forbidden")
    assert "Quota exceeded" in message
    assert len(nova.get("/os-keypairs", token).json()["keypairs"]) == 2


def certificate() -> str:
    """A self-signed PEM certificate, for x509 key pairs (2.2)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nuage")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(Encoding.PEM).decode()


def test_types_and_status_codes_at_2_2(nova: Nova) -> None:
    v = nova.at("2.2")
    pub = public_key()
    r = v.post("/os-keypairs", {"keypair": {"name": "k", "public_key": pub}})
    assert r.status_code == 201, r.text
    assert r.json()["keypair"]["type"] == "ssh"
    assert set(r.json()["keypair"]) == {"name", "public_key", "fingerprint", "user_id", "type"}
    pem = certificate()
    r = v.post("/os-keypairs", {"keypair": {"name": "cert", "public_key": pem,
                                            "type": "x509"}})
    assert r.status_code == 201, r.text
    assert r.json()["keypair"]["type"] == "x509"
    assert re.fullmatch(r"([0-9a-f]{2}:){19}[0-9a-f]{2}", r.json()["keypair"]["fingerprint"])
    listed = v.get("/os-keypairs").json()["keypairs"]
    assert [(k["keypair"]["name"], k["keypair"]["type"]) for k in listed] == [
        ("cert", "x509"), ("k", "ssh")]
    shown = v.get("/os-keypairs/cert").json()["keypair"]
    assert set(shown) == SHOW_KEYS | {"type"} and shown["type"] == "x509"
    # At 2.1 the same key pair has no type.
    assert "type" not in nova.get("/os-keypairs/cert").json()["keypair"]
    for body in ({"name": "bad", "public_key": pub, "type": "rsa"},
                 {"name": "bad", "public_key": pub, "type": "x509"},
                 {"name": "bad", "public_key": pem, "type": "ssh"},
                 {"name": "bad", "public_key": pub, "user_id": "x"}):
        assert_fault(v.post("/os-keypairs", {"keypair": body}), 400, "badRequest", "2.2")
    r = v.delete("/os-keypairs/k")
    assert r.status_code == 204 and r.content == b""


def test_admins_manage_other_users_keypairs_at_2_10(nova: Nova) -> None:
    v = nova.at("2.10")
    _, token = nova.member()
    me = nova.api.http.get("/identity/v3/auth/tokens", headers={
        "X-Auth-Token": token, "X-Subject-Token": token}).json()["token"]["user"]["id"]
    pub = public_key()
    r = v.post("/os-keypairs", {"keypair": {"name": "theirs", "public_key": pub,
                                            "user_id": me}})
    assert r.status_code == 201, r.text
    assert r.json()["keypair"]["user_id"] == me
    assert v.get("/os-keypairs/theirs", token).json()["keypair"]["public_key"] == pub
    assert v.get("/os-keypairs", params={"user_id": me}).json()["keypairs"][0][
        "keypair"]["name"] == "theirs"
    assert v.get("/os-keypairs/theirs", params={"user_id": me}).status_code == 200
    assert_fault(v.get("/os-keypairs/theirs"), 404, "itemNotFound", "2.10")
    # Below 2.10 the parameter is ignored: the admin's own key pairs.
    assert nova.at("2.9").get("/os-keypairs", params={"user_id": me}).json() == {
        "keypairs": []}
    # A member may name only themself.
    admin = nova.api.admin_user_id
    assert_fault(v.get("/os-keypairs", token, params={"user_id": admin}), 403, "forbidden",
                 "2.10")
    assert_fault(v.post("/os-keypairs", {"keypair": {
        "name": "x", "public_key": pub, "user_id": admin}}, token), 403, "forbidden", "2.10")
    assert v.get("/os-keypairs", token, params={"user_id": me}).status_code == 200
    assert v.delete("/os-keypairs/theirs?user_id=" + me).status_code == 204
    assert v.get("/os-keypairs", token).json() == {"keypairs": []}


def test_generated_below_2_92_private_key_shown_once(nova: Nova) -> None:
    """Below 2.92 a create without a public key makes the pair, as Nova does: the private
    key is in that answer only, never in a later one (it is not stored)."""
    for version, kind in (("2.1", None), ("2.2", "x509"), ("2.91", "ssh")):
        body: dict[str, str] = {"name": f"gen-{kind}"}
        if kind:
            body["type"] = kind
        r = nova.at(version).post("/os-keypairs", {"keypair": body})
        assert r.status_code in (200, 201), r.text
        made = r.json()["keypair"]
        assert made["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----")
        assert r.headers["Cache-Control"] == "no-store"
        if kind == "x509":
            assert made["public_key"].startswith("-----BEGIN CERTIFICATE-----")
        else:
            assert made["public_key"].startswith("ssh-rsa ")
        shown = nova.at(version).get(f"/os-keypairs/gen-{kind}").json()["keypair"]
        assert "private_key" not in shown and shown["public_key"] == made["public_key"]
        listed = nova.at(version).get("/os-keypairs").json()["keypairs"]
        assert all("private_key" not in k["keypair"] for k in listed)
        assert made["private_key"] not in str(listed) + str(shown)


def test_import_only_from_2_92(nova: Nova) -> None:
    v = nova.at("2.92")
    assert_fault(v.post("/os-keypairs", {"keypair": {"name": "gen"}}), 400, "badRequest",
                 "2.92")
    # 2.92 also lets names hold '@' and '.'.
    r = v.post("/os-keypairs", {"keypair": {"name": "me@host.example",
                                            "public_key": public_key()}})
    assert r.status_code == 201 and "private_key" not in r.json()["keypair"]
    assert_fault(nova.at("2.91").post("/os-keypairs", {"keypair": {
        "name": "me@host", "public_key": public_key()}}), 400, "badRequest", "2.91")


def test_keypairs_page_from_2_35(nova: Nova) -> None:
    for name in ("a", "b", "c"):
        assert nova.post("/os-keypairs", {"keypair": {"name": name, "public_key": public_key()
                                                      }}).status_code == 200
    v = nova.at("2.35")
    page = v.get("/os-keypairs?limit=2").json()
    assert [k["keypair"]["name"] for k in page["keypairs"]] == ["a", "b"]
    assert "marker=b" in page["keypairs_links"][0]["href"]
    rest = v.get("/os-keypairs?limit=2&marker=b").json()
    assert [k["keypair"]["name"] for k in rest["keypairs"]] == ["c"]
    assert "keypairs_links" not in rest
    assert_fault(v.get("/os-keypairs?marker=nope"), 404, "itemNotFound", "2.35")
    # Below 2.35 the parameters are ignored, as Nova's schema ignores unknown ones.
    assert len(nova.at("2.34").get("/os-keypairs?limit=1").json()["keypairs"]) == 3
