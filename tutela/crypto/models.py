"""The key store: wrapped per-subject data keys and the canaries that prove the key file is right.

These tables can live in their own database (`TUTELA_KEYSTORE_DATABASE_URL`, see routers.py) so
that backups of the main database never contain the keys that open it.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone


class KeyClass(models.TextChoices):
    """Kinds of personal data with a key of their own per subject, so each is shredded alone."""

    ACCOUNT = "account", "Account and profile"
    MARKETING = "marketing", "Marketing"
    SUPPORT = "support", "Support and correspondence"
    # Kept until the 6-year retention of financial records ends; shredded only when named.
    FINANCIAL = "financial", "Financial records"


class DataKey(models.Model):
    """One subject's data key for one key class, wrapped by a master key; emptied when shredded."""

    subject = models.CharField(max_length=36)
    key_class = models.CharField(max_length=16, choices=KeyClass.choices)
    # nonce | AES-256-GCM(master key, data key); b"" once shredded.
    wrapped_key = models.BinaryField(max_length=128, blank=True)
    master_key_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    rewrapped_at = models.DateTimeField(null=True, blank=True)
    shredded_at = models.DateTimeField(null=True, blank=True)
    # A label, not a foreign key: crypto sits below accounts, and the record must outlive staff.
    shredded_by = models.CharField(max_length=120, blank=True)
    shred_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["subject", "key_class"], name="crypto_datakey_one_per_subject_class"
            ),
            # A shredded row keeps no key material at all.
            models.CheckConstraint(
                condition=Q(shredded_at__isnull=True) | Q(wrapped_key=b"", master_key_id=""),
                name="crypto_datakey_shredded_is_empty",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["master_key_id"])]

    def __str__(self) -> str:
        state = "shredded" if self.shredded_at else self.master_key_id
        return f"{self.key_class} key of {self.subject} ({state})"


class KeyCanary(models.Model):
    """A check value made with one master key or the blind-index key, verified at start-up."""

    class Kind(models.TextChoices):
        MASTER = "master", "Master key"
        BLIND_INDEX = "blind_index", "Blind-index key"

    key_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    check_value = models.BinaryField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"canary for {self.kind} key {self.key_id}"
