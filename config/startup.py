"""Refuse to serve with a configuration the system checks reject.

`manage.py runserver`, `migrate` and `check` run Django's system checks; gunicorn and other
WSGI/ASGI servers do not. Without this, a bad policy file, a missing master key or drift between
the code and the policy would only show up as errors on the first requests.
"""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def refuse_unsafe_start() -> None:
    """Run the system checks once at start-up; raise with every error if any fails."""
    errors = [m for m in checks.run_checks() if m.level >= checks.ERROR and not m.is_silenced()]
    if errors:
        lines = "\n".join(f"  {message}" for message in errors)
        raise ImproperlyConfigured(f"Tutela refuses to start:\n{lines}")
