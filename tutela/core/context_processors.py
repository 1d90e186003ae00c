"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    """The company name and a flag for staff pages; cheap, no database access."""
    return {
        "site_name": "C-MES Solutions",
        "is_staff_area": request.path.startswith("/staff/"),
        "debug": settings.DEBUG,
    }
