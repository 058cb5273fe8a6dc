"""Image faults the services raise; Glance's error table words them."""

from __future__ import annotations

from nuage.domain.errors import FaultCode


class ImageFault(FaultCode):
    """What went wrong in image, image data and member use cases."""
