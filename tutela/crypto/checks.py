"""System checks: start-up stops when the master keys are missing, unsafe or not the right ones."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DatabaseError, connections

from tutela.crypto import keystore
from tutela.crypto.errors import KeyConfigurationError


@register("tutela_crypto")
def check_key_material(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """crypto.E001: the key file or provider cannot be used with this key store (says why)."""
    alias = keystore.keystore_alias()
    try:
        tables = connections[alias].introspection.table_names()
    except DatabaseError as exc:
        return [
            Warning(
                f"cannot reach the key store database {alias!r} to verify the master keys "
                f"({exc}); they will be verified on first use",
                id="crypto.W001",
            )
        ]
    try:
        if "crypto_datakey" not in tables:
            # Before the first migrate: nothing is encrypted yet; make sure the key file exists.
            keys = keystore.provider()
            if not keys.exists():
                keys.create()
            problems = keys.problems()
        else:
            problems = keystore.key_material_problems(create=True)
    except KeyConfigurationError as exc:
        problems = [str(exc)]
    return [
        Error(
            problem,
            hint="See docs/operations.md, 'Backups' and 'Key rotation'.",
            id="crypto.E001",
        )
        for problem in problems
    ]
