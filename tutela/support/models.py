"""Applications: the support requests customers open from their personal account.

"Existing customers can contact us by creating an application through their personal account."
Everything a customer or our staff write here, attachments included, is encrypted under the
customer's support key (R6), so erasing the customer (crypto-shredding) reaches all of it; the
catalog entries are in privacy.py.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from tutela.crypto.api import EncryptedBinaryField, EncryptedTextField, KeyClass
from tutela.customers.api import Customer

SUBJECT_LINE_MAX = 150
BODY_MAX = 10_000

# Line breaks and tabs are writing; any other control character (NUL included) is not.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def validate_no_control_characters(value: str) -> None:
    """Refuse control characters other than tabs and line breaks (R40).

    Unlike names and addresses (customers.validators.validate_plain_text), correspondence may
    contain < and >: people quote menus ("Settings > Print"), error messages and code. Every
    page shows it autoescaped and no email carries it, so refusing them would protect nothing.
    """
    if _CONTROL.search(value):
        raise ValidationError("Remove the control characters from this text.", code="control")


def _support_text(label: str, **options: Any) -> EncryptedTextField:
    """Text about a customer's application, encrypted under their support key (R6, R40)."""
    return EncryptedTextField(
        label, key_class=KeyClass.SUPPORT, validators=[validate_no_control_characters], **options
    )


class Application(models.Model):
    """A customer's support request: a subject line and a thread of messages with our staff."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WAITING_FOR_CUSTOMER = "waiting_for_customer", "Waiting for customer"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    # A UUID assigned in Python: the encrypted values are bound to their row id before insert,
    # and ids in addresses reveal nothing about how many applications there are.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # What the customer quotes to us (on the phone, in an email); random, so it says nothing
    # about other customers' applications either.
    reference = models.CharField(max_length=16, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="applications")
    subject_id = models.UUIDField(editable=False, db_index=True)
    subject_line = _support_text("subject", max_length=SUBJECT_LINE_MAX)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN)
    # When the customer last wrote: the staff queue answers the longest-waiting first.
    customer_wrote_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Retention of correspondence runs from here ("requests_and_correspondence": request_closed).
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-updated_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["customer", "-updated_at"]),
            models.Index(fields=["status", "customer_wrote_at"]),
        ]

    def __str__(self) -> str:
        return f"application {self.reference}"

    @property
    def customer_status(self) -> str:
        """The status as the customer reads it."""
        return {
            self.Status.OPEN: "Open: with our team",
            self.Status.WAITING_FOR_CUSTOMER: "Waiting for your reply",
            self.Status.ANSWERED: "Answered",
            self.Status.CLOSED: "Closed",
        }[self.Status(self.status)]

    @property
    def is_closed(self) -> bool:
        """Closed by the customer or by our staff (a customer reply reopens it)."""
        return self.status == self.Status.CLOSED


class Message(models.Model):
    """One message of an application's thread, from the customer or from our staff."""

    class Author(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="messages")
    subject_id = models.UUIDField(editable=False, db_index=True)
    author = models.CharField(max_length=8, choices=Author.choices)
    # "Sam (support)": a label, not a foreign key, so the thread outlives the staff account.
    staff_label = models.CharField(max_length=120, blank=True)
    body = _support_text("message", max_length=BODY_MAX)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["application", "created_at"])]

    def __str__(self) -> str:
        return f"message {self.pk} on application #{self.application_id}"


class Attachment(models.Model):
    """A file attached to a message, its bytes encrypted like the message (R6).

    Kept in the database, not on disk: crypto-shredding the customer's support key then makes
    it unreadable everywhere, backups included (R42), with no file to forget.
    """

    class ContentType(models.TextChoices):
        PDF = "application/pdf", "PDF document"
        PNG = "image/png", "PNG image"
        JPEG = "image/jpeg", "JPEG image"
        TEXT = "text/plain", "Plain text"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    subject_id = models.UUIDField(editable=False, db_index=True)
    # A name can say who a file is about ("passport-ada-lovelace.pdf"), so it is encrypted too.
    filename = EncryptedTextField("file name", key_class=KeyClass.SUPPORT, max_length=120)
    # Detected from the content when it was uploaded, never taken from the sender.
    content_type = models.CharField(max_length=32, choices=ContentType.choices)
    size = models.PositiveIntegerField()
    content = EncryptedBinaryField(key_class=KeyClass.SUPPORT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "id"]

    def __str__(self) -> str:
        return f"attachment {self.pk}"
