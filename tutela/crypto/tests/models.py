"""Test-only models (app label "crypto_tests", never installed, never migrated).

Their tables are created by the session fixture in conftest.py, outside any transaction, which
works on SQLite (whose schema editor refuses to run inside one) and on PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models

from tutela.crypto.api import (
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedJSONField,
    EncryptedTextField,
    KeyClass,
)


class Person(models.Model):
    """A subject's record with every encrypted field type, as Customer will have."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject_id = models.UUIDField(default=uuid.uuid4, editable=False)
    full_name = EncryptedTextField("your name", max_length=150, key_class=KeyClass.ACCOUNT)
    email = EncryptedTextField(
        max_length=254, blank=True, key_class=KeyClass.ACCOUNT, blind_index="email_bidx"
    )
    email_bidx = BlindIndexField(source="email", label="crypto_tests.email", unique=True)
    preferences = EncryptedJSONField(null=True, blank=True, key_class=KeyClass.MARKETING)
    notes = EncryptedTextField(blank=True, key_class=KeyClass.SUPPORT)
    recording = EncryptedBinaryField(null=True, key_class=KeyClass.SUPPORT)
    bank_account = EncryptedTextField(null=True, blank=True, key_class=KeyClass.FINANCIAL)
    plain_note = models.CharField(max_length=50, blank=True)

    # Declared because the test app is not installed, so the type checker cannot infer it.
    objects: ClassVar[models.Manager[Person]] = models.Manager()

    class Meta:
        app_label = "crypto_tests"

    def __str__(self) -> str:
        return f"person {self.pk}"


class Letter(models.Model):
    """A row with an integer key: its associated data uses `reference`, set in Python."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True)
    subject_id = models.CharField(max_length=36)
    body = EncryptedTextField(key_class=KeyClass.SUPPORT, row_field="reference")

    objects: ClassVar[models.Manager[Letter]] = models.Manager()

    class Meta:
        app_label = "crypto_tests"

    def __str__(self) -> str:
        return f"letter {self.reference}"


TEST_MODELS: tuple[type[models.Model], ...] = (Person, Letter)
