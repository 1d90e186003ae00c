"""Sends the key store's tables to their own database when TUTELA_KEYSTORE_DATABASE_URL is set.

With the key store apart, a backup of the main database holds ciphertext but no keys, so a backup
restored after a crypto-shred cannot bring an erased person back (R42).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

_APP = "crypto"


def _alias() -> str:
    return str(getattr(settings, "TUTELA_KEYSTORE_DATABASE", "default"))


class KeyStoreRouter:
    """Key store models to TUTELA_KEYSTORE_DATABASE; nothing else on that database."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        return _alias() if model._meta.app_label == _APP else None

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return _alias() if model._meta.app_label == _APP else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        alias = _alias()
        if app_label == _APP:
            return db == alias
        if db == alias and alias != "default":
            return False  # the key store database holds the key store only
        return None
