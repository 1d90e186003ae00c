"""Correspondence and calls: emails to and from customers, and records of phone calls.

"If you contact us, we can save the history of this correspondence and recording telephone
conversations." Everything a person wrote or said is encrypted under their subject's support key
(R6), so erasing the person (crypto-shredding) reaches it; the catalog entries are in privacy.py.
Each text is scanned for personal data (scan.py) and what the scan found is kept, encrypted with
the text, so an export can list it and an erasure can redact it.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from tutela.crypto.api import (
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedJSONField,
    EncryptedTextField,
    KeyClass,
)
from tutela.customers.api import Customer

SUBJECT_LINE_MAX = 500
# Enough for any real letter; a longer body is refused rather than cut (R40).
BODY_MAX = 100_000
NOTES_MAX = 10_000
ADDRESSES_MAX = 2_000
CALL_SECONDS_MAX = 24 * 3600
# Label of the Message-ID blind index: re-importing the same message finds it by this keyed hash.
MESSAGE_ID_INDEX = "correspondence.message_id"

# Control characters other than tab and newline: they have no place in a letter or a note.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def validate_no_control_characters(value: str) -> None:
    """Refuse NUL and other control characters (tabs and line breaks are fine)."""
    if _CONTROL.search(value):
        raise ValidationError(
            "Remove the control characters (such as NUL) from this text.", code="control"
        )


def _support_text(label: str, **options: Any) -> EncryptedTextField:
    """What a person wrote or said, encrypted under the subject's support key (R6, R40).

    Unlike profile fields, < and > are allowed: letters quote addresses ("Ada <ada@...>") and
    templates escape everything they show.
    """
    return EncryptedTextField(
        label,
        key_class=KeyClass.SUPPORT,
        validators=[validate_no_control_characters],
        **options,
    )


def _findings() -> EncryptedJSONField:
    # {field name: [{"entity_type", "start", "end", "score"}, ...]}: positions into the
    # decrypted text, never the matched text itself. Encrypted like the text: the kinds of data
    # a letter holds, and where, are themselves about the person.
    return EncryptedJSONField(
        "personal data found in the text", key_class=KeyClass.SUPPORT, default=dict, blank=True
    )


class Direction(models.TextChoices):
    """Whether the customer contacted us or we contacted them."""

    INCOMING = "in", "From the customer"
    OUTGOING = "out", "To the customer"


class EmailRecord(models.Model):
    """One email to or from a customer, imported from a mailbox or entered by staff."""

    class Source(models.TextChoices):
        IMPORT = "import", "Imported from a mailbox"
        STAFF = "staff", "Entered by staff"

    # A UUID assigned in Python: the encrypted values are bound to their row id before insert.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Null while an imported message matches no customer; staff file it later.
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="email_records"
    )
    # The customer's subject id, or for unmatched mail a random subject id of its own: the text
    # may still name or describe a person, so it is encrypted like everyone's and can be
    # shredded on its own (retention, or a request from its sender) without naming an account.
    subject_id = models.UUIDField(editable=False, db_index=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    source = models.CharField(max_length=8, choices=Source.choices)
    from_address = _support_text("from", max_length=254)
    # Blank for mail sent only to Bcc ("undisclosed recipients").
    to_addresses = _support_text("to", max_length=ADDRESSES_MAX, blank=True)
    subject_line = _support_text("subject", max_length=SUBJECT_LINE_MAX, blank=True)
    body = _support_text("message", max_length=BODY_MAX)
    # The Message-ID header (or, without one, a digest of the raw message): encrypted, and found
    # again through its blind index, so a re-import stores nothing twice. Empty for staff entries.
    message_id = _support_text("message id", max_length=1000, blank=True)
    message_id_bidx = BlindIndexField(
        source="message_id", label=MESSAGE_ID_INDEX, normaliser="exact", unique=True
    )
    findings = _findings()
    sent_at = models.DateTimeField("sent")
    # Who stored it: a staff label such as "Sam (support)", or the import job's name. A label,
    # not a foreign key: the record must outlive the staff member's account.
    recorded_by_label = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)
    # When an unmatched message was filed to its customer, and by whom.
    filed_at = models.DateTimeField(null=True, blank=True)
    filed_by_label = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-sent_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["customer", "-sent_at"]),
            # The unmatched mail list.
            models.Index(
                fields=["-sent_at"],
                condition=models.Q(customer__isnull=True),
                name="correspondence_unmatched",
            ),
        ]

    def __str__(self) -> str:
        return f"email {self.pk}"

    @property
    def is_unmatched(self) -> bool:
        """Imported, and not yet filed to a customer."""
        return self.customer_id is None


class CallRecord(models.Model):
    """A phone call with a customer: when, which way, how long, who took it, and notes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="call_records")
    subject_id = models.UUIDField(editable=False, db_index=True)
    occurred_at = models.DateTimeField("when")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    duration_seconds = models.PositiveIntegerField(
        "duration",
        validators=[
            MaxValueValidator(CALL_SECONDS_MAX, "A call cannot last longer than 24 hours.")
        ],
    )
    # The staff member who took the call, as "Sam (support)". A label, not a foreign key: the
    # record must outlive the staff member's account, and it is the staff member's data, not
    # the customer's.
    staff_label = models.CharField(max_length=120)
    notes = _support_text("notes", max_length=NOTES_MAX, blank=True)
    findings = _findings()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-occurred_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["customer", "-occurred_at"])]

    def __str__(self) -> str:
        return f"call {self.pk}"

    @property
    def duration_display(self) -> str:
        """The duration as h:mm:ss or m:ss."""
        minutes, seconds = divmod(self.duration_seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


class CallRecording(models.Model):
    """The recording of a call, encrypted; a model of its own so its shorter retention
    (90 days, "call_recordings" in the policy) deletes it and keeps the call record."""

    class Format(models.TextChoices):
        # Recognised by the file's first bytes, never by its name or the browser's word for it.
        WAV = "audio/wav", "WAV"
        MP3 = "audio/mpeg", "MP3"
        OGG = "audio/ogg", "Ogg"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    call = models.OneToOneField(CallRecord, on_delete=models.CASCADE, related_name="recording")
    subject_id = models.UUIDField(editable=False, db_index=True)
    audio = EncryptedBinaryField(key_class=KeyClass.SUPPORT)
    content_type = models.CharField(max_length=16, choices=Format.choices)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"recording of call {self.call_id}"

    @property
    def extension(self) -> str:
        """The file extension for downloads."""
        return {"audio/wav": "wav", "audio/mpeg": "mp3", "audio/ogg": "ogg"}[self.content_type]
