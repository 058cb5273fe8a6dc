"""Identity faults the services raise; Keystone's error table words them."""

from __future__ import annotations

from nuage.domain.errors import FaultCode


class IdentityFault(FaultCode):
    """What went wrong in identity, token and credential use cases."""
