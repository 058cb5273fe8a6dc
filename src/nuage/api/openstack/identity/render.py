"""Domain objects -> Keystone v3 JSON."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from nuage.api.openstack.common.body import iso
from nuage.domain.identity import (
    Domain,
    Endpoint,
    Group,
    Project,
    Region,
    Role,
    Service,
    User,
)
from nuage.domain.tokens import ValidatedToken
from nuage.services.identity.assignments import AssignmentView
from nuage.services.identity.credentials import AppCredView, CredentialView, Ec2View


class Renderer:
    def __init__(self, base: str) -> None:
        # e.g. http://127.0.0.1:8800/identity/v3
        self.v3 = base

    def links(self, path: str) -> dict[str, str]:
        return {"self": f"{self.v3}/{path}"}

    def collection(self, key: str, items: list[dict[str, Any]], path: str,
                   next_marker: str | None = None, limit: int | None = None) -> dict[str, Any]:
        nxt = (f"{self.v3}/{path}?marker={next_marker}&limit={limit}"
               if next_marker and limit else None)
        return {key: items, "links": {"self": f"{self.v3}/{path}", "previous": None,
                                      "next": nxt}}

    def domain(self, d: Domain) -> dict[str, Any]:
        return {**d.extra, "id": d.id, "name": d.name, "description": d.description,
                "enabled": d.enabled, "tags": list(d.tags), "options": {},
                "links": self.links(f"domains/{d.id}")}

    def project(self, p: Project) -> dict[str, Any]:
        return {**p.extra, "id": p.id, "name": p.name, "domain_id": p.domain_id,
                "description": p.description, "enabled": p.enabled,
                # Keystone names the domain as the parent of a top-level project.
                "parent_id": p.parent_id or p.domain_id, "is_domain": False,
                "tags": list(p.tags), "options": dict(p.options),
                "links": self.links(f"projects/{p.id}")}

    def user(self, u: User) -> dict[str, Any]:
        body = {**u.extra, "id": u.id, "name": u.name, "domain_id": u.domain_id,
                "enabled": u.enabled, "password_expires_at": iso(u.password_expires_at),
                "options": dict(u.options), "links": self.links(f"users/{u.id}")}
        if u.default_project_id:
            body["default_project_id"] = u.default_project_id
        return body

    def group(self, g: Group) -> dict[str, Any]:
        return {**g.extra, "id": g.id, "name": g.name, "domain_id": g.domain_id,
                "description": g.description, "links": self.links(f"groups/{g.id}")}

    def role(self, r: Role) -> dict[str, Any]:
        return {**r.extra, "id": r.id, "name": r.name, "domain_id": r.domain_id,
                "description": r.description, "options": dict(r.options),
                "links": self.links(f"roles/{r.id}")}

    def role_ref(self, r: Role) -> dict[str, Any]:
        return {"id": r.id, "name": r.name, "links": self.links(f"roles/{r.id}")}

    def region(self, r: Region) -> dict[str, Any]:
        return {**r.extra, "id": r.id, "description": r.description,
                "parent_region_id": r.parent_region_id, "country": r.country,
                "links": self.links(f"regions/{r.id}")}

    def service(self, s: Service) -> dict[str, Any]:
        return {**s.extra, "id": s.id, "type": s.type, "name": s.name,
                "description": s.description, "enabled": s.enabled,
                "links": self.links(f"services/{s.id}")}

    def endpoint(self, e: Endpoint) -> dict[str, Any]:
        return {**e.extra, "id": e.id, "interface": e.interface, "region_id": e.region_id,
                "region": e.region_id, "url": e.url, "service_id": e.service_id,
                "enabled": e.enabled, "links": self.links(f"endpoints/{e.id}")}

    def app_cred(self, v: AppCredView) -> dict[str, Any]:
        c = v.cred
        body: dict[str, Any] = {
            "id": c.id, "name": c.name, "description": c.description, "user_id": c.user_id,
            "project_id": c.project_id,
            # Keystone gives this one as a naive UTC time without the Z (oslo's strtime).
            "expires_at": (c.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
                           if c.expires_at else None),
            "unrestricted": c.unrestricted, "access_rules": [],
            "roles": [{"id": r.id, "name": r.name, "domain_id": r.domain_id} for r in v.roles],
            "links": self.links(f"users/{c.user_id}/application_credentials/{c.id}"),
        }
        if v.secret is not None:
            body["secret"] = v.secret
        return body

    def ec2(self, v: Ec2View) -> dict[str, Any]:
        return {"user_id": v.user_id, "tenant_id": v.project_id, "access": v.access,
                "secret": v.secret, "trust_id": None,
                "links": self.links(f"users/{v.user_id}/credentials/OS-EC2/{v.access}")}

    def credential(self, v: CredentialView) -> dict[str, Any]:
        c = v.cred
        return {**c.extra, "id": c.id, "user_id": c.user_id, "project_id": c.project_id,
                "type": c.type, "blob": v.blob, "links": self.links(f"credentials/{c.id}")}

    def assignment(self, v: AssignmentView, names: dict[str, dict[str, Any]] | None
                   ) -> dict[str, Any]:
        a = v.assignment
        names = names or {}

        def ref(ident: str) -> dict[str, Any]:
            return {"id": ident, **names.get(ident, {})}

        if a.target_type == "system":
            scope: dict[str, Any] = {"system": {"all": True}}
        else:
            scope = {a.target_type: ref(a.target_id)}
        if a.inherited:
            scope["OS-INHERIT:inherited_to"] = "projects"
        actor = "user" if a.actor_type == "user" else "group"
        prefix = "system" if a.target_type == "system" else f"{a.target_type}s/{a.target_id}"
        link = f"{self.v3}/{prefix}/{actor}s/{a.actor_id}/roles/{a.role_id}"
        links: dict[str, str] = {"assignment": link}
        src = v.inherited_from
        if src is not None:
            # Keystone points at the inherited grant the row comes from.
            actor_seg = "users" if src.actor_type == "user" else "groups"
            links["assignment"] = (f"{self.v3}/OS-INHERIT/{src.target_type}s/{src.target_id}/"
                                   f"{actor_seg}/{src.actor_id}/roles/{src.role_id}"
                                   "/inherited_to_projects")
        if v.via_group_id:
            links["membership"] = f"{self.v3}/groups/{v.via_group_id}/users/{a.actor_id}"
        if v.prior_role_id:
            if src is None:
                links["assignment"] = link.rsplit("/", 1)[0] + f"/{v.prior_role_id}"
            links["prior_role"] = f"{self.v3}/roles/{v.prior_role_id}/implies/{a.role_id}"
        return {"role": ref(a.role_id), actor: ref(a.actor_id), "scope": scope, "links": links}

    def token(self, info: ValidatedToken) -> dict[str, Any]:
        p = info.payload
        body: dict[str, Any] = {
            "methods": list(p.methods),
            "user": {"id": info.user.id, "name": info.user.name,
                     "domain": {"id": info.user.domain_id, "name": info.user.domain_name},
                     "password_expires_at": iso(info.password_expires_at)},
            "audit_ids": list(p.audit_ids),
            "expires_at": iso(p.expires_at.replace(microsecond=0)),
            "issued_at": iso(p.issued_at),
        }
        roles = [{"id": r.id, "name": r.name} for r in info.roles]
        if info.project:
            body["project"] = {"id": info.project.id, "name": info.project.name,
                               "domain": {"id": info.project.domain_id,
                                          "name": info.project.domain_name}}
            body["is_domain"] = False
            body["is_admin_project"] = info.is_admin_project
        elif info.domain:
            body["domain"] = {"id": info.domain.id, "name": info.domain.name}
        elif p.scope.system:
            body["system"] = {"all": True}
        if not p.scope.unscoped:
            body["roles"] = roles
            body["catalog"] = [
                {"id": e.id, "type": e.type, "name": e.name, "endpoints": [
                    {"id": ep.id, "interface": ep.interface, "region": ep.region_id,
                     "region_id": ep.region_id, "url": ep.url} for ep in e.endpoints]}
                for e in info.catalog]
        if p.app_cred_id:
            body["application_credential"] = {"id": p.app_cred_id, "name": info.app_cred_name,
                                              "restricted": not info.app_cred_unrestricted}
        return body
