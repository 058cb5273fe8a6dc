"""Who is asking: every service call carries one RequestContext."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    source_ip: str | None = None
    user_id: str | None = None
    user_domain_id: str | None = None
    project_id: str | None = None
    project_domain_id: str | None = None
    domain_id: str | None = None
    system: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)
    # A project-scoped admin on the cloud's admin project is a cloud administrator,
    # as in Keystone's `admin_project_name` setting.
    is_admin_project: bool = False
    app_cred_id: str | None = None
    app_cred_unrestricted: bool = False
    audit_ids: tuple[str, ...] = ()
    token_methods: tuple[str, ...] = ()
    # Whether the request came over TLS (bucket policies may demand it).
    secure_transport: bool = False

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @classmethod
    def anonymous(cls, request_id: str, source_ip: str | None = None) -> RequestContext:
        return cls(request_id=request_id, source_ip=source_ip)
