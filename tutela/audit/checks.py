"""System checks: refuse to start with a signing key others can read, or a bad log name."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from tutela.audit.canonical import has_control_characters
from tutela.audit.signing import SigningKeyError, check_key_file, key_path


def check_signing_key(**kwargs: Any) -> list[checks.CheckMessage]:
    """audit.E001: the checkpoint signing key file, if present, is private to its owner."""
    path = key_path()
    if not path.exists():
        return []  # created with mode 0600 by the first manage.py audit_seal
    try:
        check_key_file(path)
    except SigningKeyError as exc:
        return [checks.Error(str(exc), id="audit.E001")]
    return []


def check_origin(**kwargs: Any) -> list[checks.CheckMessage]:
    """audit.E002: the log's name in checkpoints is one line without spaces."""
    origin = settings.TUTELA_AUDIT_ORIGIN
    # C2SP signed notes forbid '+' and spaces in the key name, which is the origin.
    bad = not origin or " " in origin or "+" in origin or has_control_characters(origin)
    if bad or len(origin) > 100:
        return [
            checks.Error(
                f"TUTELA_AUDIT_ORIGIN={origin!r}: must be 1-100 characters, no spaces, '+' or "
                "control characters (e.g. portal.example.com/access-log)",
                id="audit.E002",
            )
        ]
    return []


def register() -> None:
    """Called from AuditConfig.ready()."""
    checks.register(check_signing_key, checks.Tags.security)
    checks.register(check_origin, checks.Tags.security)
