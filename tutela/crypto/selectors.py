"""Reads of the key store (no key material leaves this module)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tutela.crypto import keystore
from tutela.crypto.cipher import subject_text
from tutela.crypto.models import DataKey


@dataclass(frozen=True)
class KeyStatus:
    """The state of one of a subject's data keys, without the key."""

    key_class: str
    created_at: datetime
    shredded_at: datetime | None
    shredded_by: str
    shred_reason: str


def subject_key_status(*, subject: Any) -> list[KeyStatus]:
    """Which key classes a subject has keys for, and which were shredded (when, by whom, why)."""
    rows = (
        DataKey.objects.using(keystore.keystore_alias())
        .filter(subject=subject_text(subject))
        .order_by("key_class")
    )
    return [
        KeyStatus(
            key_class=row.key_class,
            created_at=row.created_at,
            shredded_at=row.shredded_at,
            shredded_by=row.shredded_by,
            shred_reason=row.shred_reason,
        )
        for row in rows
    ]
